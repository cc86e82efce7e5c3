//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Kubernetes' container restart rules (KEP-5307, alpha in 1.34, feature
// gate ContainerRestartRules): a container whose own restartPolicy is Never
// is restarted when its exit code matches a rule. probe exec
// --restart-unhealthy --unhealthy-exit-code exits with restartCode when it
// stopped an unhealthy app, and with the app's own code when the app exited
// by itself.
const (
	restartCode = 42
	// appCode is the code the app exits with by itself (examples/app's
	// POST /admin/exit).
	appCode = 3
)

// rulesPod runs the app under probe exec --restart-unhealthy, in a pod and
// a container whose restartPolicy is Never, with one rule: restart on exit
// code RULE.
const rulesPod = `apiVersion: v1
kind: Pod
metadata: {name: NAME, namespace: default}
spec:
  hostNetwork: true
  restartPolicy: Never
  terminationGracePeriodSeconds: 10
  containers:
  - name: app
    image: probe.test/app:1
    imagePullPolicy: Never
    command: ["/probe", "exec", "--restart-unhealthy", "--unhealthy-exit-code", "CODE", "--check", "http://127.0.0.1:PORT/healthz",
      "--interval", "500ms", "--failure-threshold", "2", "--drain-delay", "0s", "--", "/app", "-listen", "127.0.0.1:PORT"]
    restartPolicy: Never
    restartPolicyRules:
    - action: Restart
      exitCodes: {operator: In, values: [RULE]}
`

// sidecarPod runs probe serve --exit-after beside the app, in a container
// of its own with the rule. In Kubernetes 1.34 a rule restarts the
// container that exited, the sidecar itself: restarting the app with it is
// RestartAllContainers (KEP-5532, 1.35).
const sidecarPod = `apiVersion: v1
kind: Pod
metadata: {name: NAME, namespace: default}
spec:
  hostNetwork: true
  restartPolicy: Never
  terminationGracePeriodSeconds: 10
  containers:
  - name: app
    image: probe.test/app:1
    imagePullPolicy: Never
    command: ["/app", "-listen", "127.0.0.1:PORT"]
  - name: probe
    image: probe.test/app:1
    imagePullPolicy: Never
    command: ["/probe", "serve", "--listen", "127.0.0.1:SIDECAR", "--interval", "500ms", "--exit-after", "4", "--unhealthy-exit-code", "CODE",
      "http://127.0.0.1:PORT/healthz"]
    restartPolicy: Never
    restartPolicyRules:
    - action: Restart
      exitCodes: {operator: In, values: [RULE]}
`

func rulesPodFor(name string, port int) string {
	return strings.NewReplacer("NAME", name, "PORT", fmt.Sprint(port), "CODE", fmt.Sprint(restartCode), "RULE", fmt.Sprint(restartCode)).Replace(rulesPod)
}

// container is the status of the pod's container of that name (a zero one
// when there is none).
func (p podStatus) container(name string) containerStatus {
	for _, c := range p.Status.Containers {
		if c.Name == name {
			return c
		}
	}
	return containerStatus{}
}

// staticRestartRules shows that the standalone kubelet refuses restart
// rules in a static pod, even with the feature gate on: its file source
// validates each manifest with validation.PodValidationOptions{}
// (pkg/kubelet/config/common.go, tryDecodeSinglePod), in which
// AllowContainerRestartPolicyRules is false, so a regular container's
// restartPolicy is forbidden (pkg/apis/core/validation/validation.go,
// validateContainers). The API server sets that option from the gate
// (pkg/api/pod/util.go): the rules are tested on the cluster's kubelet
// (restartRuleCases). When a kubelet accepts them here, this fails: move
// the cases here then.
func staticRestartRules(t *testing.T, manifests string, log *timedLog) {
	path := filepath.Join(manifests, "rules.yaml")
	if err := os.WriteFile(path, []byte(rulesPodFor("rules", 18110)), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(path)
	refused := regexp.MustCompile(`Could not process manifest file.*restartPolicy: Forbidden: may not be set for non-init containers.*rules\.yaml`)
	for end := time.Now().Add(20 * time.Second); !refused.MatchString(log.of("kubelet")); time.Sleep(200 * time.Millisecond) {
		if pods, err := kubeletPods(); err == nil {
			if p, found := pods["rules-probe-node"]; found {
				t.Fatalf("the standalone kubelet runs a static pod with restart rules (%s): run restartRuleCases on it", containers(p))
			}
		}
		if time.Now().After(end) {
			t.Fatalf("the kubelet neither ran nor refused a static pod with restart rules in 20 s:\n%s", tail(log.of("kubelet"), 20))
		}
	}
	line := refused.FindString(log.of("kubelet"))
	t.Logf("| static pod | restart rules, feature gate on | refused by the kubelet: %s |", between(line, `err="`, `"`))
}

// restartRuleCases runs rulesPod on the cluster (the API server and the
// kubelet with the feature gate on) twice. Case 1: the app turns unhealthy;
// probe exec stops it and exits restartCode; the rule restarts the
// container, whose app then serves again. Case 2: the app exits by itself
// with appCode; probe exec exits with it; no rule matches, so the container
// stays terminated with that code, not restarted, for a while. Case 3:
// probe serve --exit-after, in a container of its own beside the app,
// exits restartCode once the app has failed; the rule restarts probe
// serve's container, and the app's runs on.
func restartRuleCases(t *testing.T, c *cluster, dir string) {
	const unhealthy, crash, sidecar = "rules-unhealthy", "rules-crash", "rules-sidecar"
	ports := map[string]int{unhealthy: 18120, crash: 18121, sidecar: 18122}
	const sidecarPort = 19122
	for _, name := range []string{unhealthy, crash} {
		c.must(t, "POST", "/api/v1/namespaces/default/pods", "application/yaml", []byte(rulesPodFor(name, ports[name])), nil)
	}
	c.must(t, "POST", "/api/v1/namespaces/default/pods", "application/yaml", []byte(strings.NewReplacer("NAME", sidecar, "PORT", fmt.Sprint(ports[sidecar]),
		"SIDECAR", fmt.Sprint(sidecarPort), "CODE", fmt.Sprint(restartCode), "RULE", fmt.Sprint(restartCode)).Replace(sidecarPod)), nil)
	defer func() {
		for _, name := range []string{unhealthy, crash, sidecar} {
			c.do("DELETE", "/api/v1/namespaces/default/pods/"+name, "application/json", []byte(`{"gracePeriodSeconds":0}`))
		}
	}()
	pod := func(name string) podStatus {
		var p podStatus
		c.must(t, "GET", "/api/v1/namespaces/default/pods/"+name, "", nil, &p)
		return p
	}
	// wait says whether ok holds for the pod within the time, and fails
	// the test, which goes on to the next case, when not.
	wait := func(name, what string, within time.Duration, ok func(podStatus) bool) (podStatus, time.Duration, bool) {
		t.Helper()
		start := time.Now()
		for {
			p := pod(name)
			if ok(p) {
				return p, time.Since(start), true
			}
			if time.Since(start) > within {
				js, _ := json.Marshal(p.Status)
				t.Errorf("pod %s: not %s after %s: %s", name, what, within, js)
				return p, 0, false
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	for _, name := range []string{unhealthy, crash, sidecar} {
		url := fmt.Sprintf("http://127.0.0.1:%d/healthz", ports[name])
		for end := time.Now().Add(60 * time.Second); !strings.HasPrefix(get(url), "200 "); time.Sleep(250 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("pod %s: the app does not serve after 60 s: %s", name, get(url))
			}
		}
	}

	// Case 1: probe's code, restartCode: restarted.
	post(t, fmt.Sprintf("http://127.0.0.1:%d/admin/health?up=false", ports[unhealthy]))
	// The first restart is not backed off: it comes within the kubelet's
	// sync (2 s here).
	p, took, restarted := wait(unhealthy, fmt.Sprintf("restarted after exit code %d", restartCode), 30*time.Second, func(p podStatus) bool {
		return len(p.Status.Containers) == 1 && p.Status.Containers[0].RestartCount >= 1
	})
	if restarted {
		ctr := p.Status.Containers[0]
		last := ctr.LastState.Terminated
		if last == nil || last.ExitCode != restartCode {
			js, _ := json.Marshal(ctr)
			t.Errorf("%s: restarted, but its last state is not exit code %d: %s", unhealthy, restartCode, js)
		} else {
			t.Logf("| restart rule on %d | the app turns unhealthy: probe exec exits %d | restartCount %d, last state terminated with exit code %d (%s), %s after the app failed |",
				restartCode, last.ExitCode, ctr.RestartCount, last.ExitCode, last.Reason, took.Round(100*time.Millisecond))
		}
		// The restarted container's app serves again.
		url := fmt.Sprintf("http://127.0.0.1:%d/healthz", ports[unhealthy])
		for end := time.Now().Add(30 * time.Second); !strings.HasPrefix(get(url), "200 "); time.Sleep(250 * time.Millisecond) {
			if time.Now().After(end) {
				t.Errorf("%s: the restarted app does not serve after 30 s: %s", unhealthy, get(url))
				break
			}
		}
	}
	// What probe exec said before it exited: the first run's log.
	files, _ := filepath.Glob(filepath.Join(dir, "pod-logs", "default_"+unhealthy+"_*", "app", "0.log"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.SplitN(line, " ", 4); len(f) == 4 && strings.Contains(f[3], "probe:") {
				t.Logf("%s, first run: %s", unhealthy, f[3])
			}
		}
	}

	// Case 2: the app's own code, appCode: left alone.
	post(t, fmt.Sprintf("http://127.0.0.1:%d/admin/exit?code=%d", ports[crash], appCode))
	p, took, _ = wait(crash, "terminated", 30*time.Second, func(p podStatus) bool {
		return len(p.Status.Containers) == 1 && (p.Status.Containers[0].State.Terminated != nil || p.Status.Containers[0].RestartCount > 0)
	})
	// A restart, were there one, would come within a few seconds, as in
	// case 1.
	window := 15 * time.Second
	time.Sleep(window)
	p = pod(crash)
	if len(p.Status.Containers) != 1 {
		t.Fatalf("%s: %d container statuses", crash, len(p.Status.Containers))
	}
	ctr := p.Status.Containers[0]
	js, _ := json.Marshal(ctr)
	if ctr.RestartCount != 0 || ctr.State.Terminated == nil || ctr.State.Terminated.ExitCode != appCode {
		t.Errorf("%s: want the container terminated with the app's exit code %d and not restarted, %s after it exited: %s", crash, appCode, window, js)
	} else {
		t.Logf("| restart rule on %d | the app exits %d by itself: probe exec exits %d | restartCount %d, state terminated with exit code %d (%s) %s after the exit; pod phase %s |",
			restartCode, appCode, ctr.State.Terminated.ExitCode, ctr.RestartCount, ctr.State.Terminated.ExitCode, ctr.State.Terminated.Reason, (took + window).Round(100*time.Millisecond), p.Status.Phase)
	}

	// Case 3: probe serve --exit-after's code, restartCode: the sidecar
	// is restarted, the app left running.
	readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", sidecarPort)
	for end := time.Now().Add(60 * time.Second); !strings.HasPrefix(get(readyz), "200 "); time.Sleep(250 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s: probe serve's /readyz is not 200 after 60 s: %s", sidecar, get(readyz))
		}
	}
	if ctr := pod(sidecar).container("probe"); ctr.RestartCount != 0 {
		t.Fatalf("%s: probe serve restarted before the app failed: %+v", sidecar, ctr)
	}
	post(t, fmt.Sprintf("http://127.0.0.1:%d/admin/health?up=false", ports[sidecar]))
	p, took, restarted = wait(sidecar, "restarted", 30*time.Second, func(p podStatus) bool {
		ctr := p.container("probe")
		return ctr.RestartCount >= 1
	})
	if restarted {
		ctr := p.container("probe")
		app := p.container("app")
		js, _ := json.Marshal(p.Status.Containers)
		if last := ctr.LastState.Terminated; last == nil || last.ExitCode != restartCode || app.RestartCount != 0 || app.State.Running == nil {
			t.Errorf("%s: want probe serve's last exit code %d and the app running, not restarted: %s", sidecar, restartCode, js)
		} else {
			t.Logf("| restart rule on %d, on probe serve's container | the app turns unhealthy: probe serve --exit-after 4 exits %d | probe: restartCount %d, last state terminated with exit code %d, %s after the app failed; app: restartCount %d, running |",
				restartCode, last.ExitCode, ctr.RestartCount, last.ExitCode, took.Round(100*time.Millisecond), app.RestartCount)
		}
	}
	showEvents(t, c, "rules-")
}
