//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The recipes for images you don't build (docs/examples.md): probe is
// copied into a volume by `probe install`, run from probe's own image, and
// the app's image, which has no shell and no curl, calls the copy.

// injectAppImage is examples/inject/compose.yaml's default app image: the
// demo app alone, FROM scratch.
const injectAppImage = "probe-inject-app"

// TestInjectCompose runs examples/inject/compose.yaml as it is: the
// one-shot probe-install seeds the named volume, the app (an image of one
// file, /app) starts after it and turns healthy by its exec-form health
// check calling /probe-bin/probe; unhealthy once the app fails, healthy
// again once it heals; a second probe-install changes nothing.
func TestInjectCompose(t *testing.T) {
	e := dockerEngine(t)
	requireCompose(t, e)
	e.images(t)
	e.build(t, injectAppImage, "examples/inject/Dockerfile", "GO_IMAGE="+goBuilder)
	var names []string
	for _, f := range imageFiles(t, e, injectAppImage) {
		names = append(names, f.Name)
	}
	if strings.Join(names, " ") != "app" {
		t.Fatalf("%s holds %v; want /app alone: no probe, no shell, no curl", injectAppImage, names)
	}

	file := "../examples/inject/compose.yaml"
	compose := func(args ...string) (string, error) {
		cmd := exec.Command("docker", append([]string{"compose", "-f", file, "-p", "probe-e2e-inject"}, args...)...)
		cmd.Env = e.env()
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { compose("down", "-v", "-t", "1") })
	start := time.Now()
	if out, err := compose("up", "--wait", "--wait-timeout", "90", "--no-build"); err != nil {
		t.Fatalf("docker compose up --wait: %v\n%s\nprobe-install said: %s\napp's last check: %q", err, out,
			e.logs("probe-e2e-inject-probe-install-1"), e.state(t, "probe-e2e-inject-app-1").lastOutput())
	}
	t.Logf("docker compose up --wait: the app healthy after %s", time.Since(start).Round(time.Millisecond))

	installer, app := "probe-e2e-inject-probe-install-1", "probe-e2e-inject-app-1"
	is := e.state(t, installer)
	logs := strings.TrimSpace(e.logs(installer))
	if is.Running || is.ExitCode != 0 || !strings.HasPrefix(logs, "installed /probe-bin/probe (") {
		t.Errorf("probe-install: running %v, exit code %d, said %q; want exit 0 and \"installed /probe-bin/probe (...)\"", is.Running, is.ExitCode, logs)
	}
	as := e.state(t, app)
	if as.health() != "healthy" || !strings.HasPrefix(as.lastOutput(), "healthy http://127.0.0.1:8080/healthz") {
		t.Fatalf("app: health %q, last check %q; want healthy by /probe-bin/probe", as.health(), as.lastOutput())
	}
	// depends_on: service_completed_successfully: the app started after
	// the copy was made.
	if !as.StartedAt.After(is.FinishedAt) {
		t.Errorf("the app started at %s, before probe-install finished (%s)", as.StartedAt, is.FinishedAt)
	}
	t.Logf("probe-install: %s; the app started %s after it exited; its check: %s", logs,
		as.StartedAt.Sub(is.FinishedAt).Round(time.Millisecond), strings.TrimSpace(as.lastOutput()))

	admin := "http://" + e.ip(t, app) + ":8080/admin/health?up="
	client := &http.Client{Timeout: 3 * time.Second}
	setHealth := func(up string) {
		t.Helper()
		resp, err := client.Post(admin+up, "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// interval 5s x retries 2, and a check's 3s timeout.
	failed := time.Now()
	setHealth("false")
	_, s := e.waitHealth(t, app, "unhealthy", 2*5*time.Second+8*time.Second)
	if out := s.lastOutput(); !strings.HasPrefix(out, "unhealthy http://127.0.0.1:8080/healthz") || !strings.Contains(out, "503") {
		t.Errorf("the check of a failing app said %q; want unhealthy ... 503", out)
	}
	t.Logf("the app fails: unhealthy %s later: %s", time.Since(failed).Round(time.Millisecond), strings.TrimSpace(s.lastOutput()))
	setHealth("true")
	healed := time.Now()
	e.waitHealth(t, app, "healthy", 5*time.Second+8*time.Second)
	t.Logf("the app heals: healthy %s later", time.Since(healed).Round(time.Millisecond))

	// Idempotent: the same binary is already there.
	out, err := compose("run", "--rm", "-T", "probe-install")
	if err != nil || !strings.Contains(out, "already installed: /probe-bin/probe is this binary") {
		t.Errorf("probe-install again: %v, %q; want \"already installed\"", err, out)
	}
}

// TestInjectImageMountExample: examples/inject/compose.image.yaml, which
// this engine cannot run (image mounts came with Docker Engine 28), is
// valid Compose and mounts probe's image where its health check looks.
func TestInjectImageMountExample(t *testing.T) {
	e := dockerEngine(t)
	requireCompose(t, e)
	out, err := e.run("", "compose", "-f", "../examples/inject/compose.image.yaml", "config")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"- type: image\n        source: probe\n        target: /probe-bin\n", "- /probe-bin/probe\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("docker compose config lacks %q:\n%s", want, out)
		}
	}
}

// Kubernetes: examples/kubernetes/inject.yaml on TestKubelet's kubelet.
// injectPod is its static pod's name there.
const injectPod = "probe-inject-probe-node"

// kubeletInjectImages writes the images inject.yaml names, FROM scratch:
// probe's (/probe alone, as Dockerfile.scratch's) and the app's (/app
// alone: no probe, no shell, no curl).
func kubeletInjectImages(t *testing.T, dir, probeBin, app string) {
	t.Helper()
	ociImage(t, filepath.Join(dir, "inject-probe.tar"), "probe.test/probe:1", []string{"/probe"}, ociFile{"probe", 0o755, readFile(t, probeBin)})
	ociImage(t, filepath.Join(dir, "inject-app.tar"), "probe.test/inject-app:1", []string{"/app", "-listen", ":8080"}, ociFile{"app", 0o755, readFile(t, app)})
}

// kubeletInject runs examples/kubernetes/inject.yaml as a static pod, with
// its images renamed to those kubeletInjectImages wrote and hostNetwork
// added (no CNI here): the initContainer copies probe into the emptyDir;
// the app's exec probes, calling the copy, make it ready; not ready once
// the app fails; restarted by its liveness probe, and ready again with
// the copy still there.
func kubeletInject(t *testing.T, manifests, sock string, log *timedLog) {
	dir := filepath.Dir(manifests)
	for _, img := range []string{"inject-probe.tar", "inject-app.tar"} {
		if out, err := exec.Command("ctr", "--address", sock, "-n", "k8s.io", "images", "import", filepath.Join(dir, img)).CombinedOutput(); err != nil {
			t.Fatalf("ctr images import %s: %v\n%s", img, err, out)
		}
	}
	data, err := os.ReadFile("../examples/kubernetes/inject.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pod := strings.NewReplacer("image: probe:latest", "image: probe.test/probe:1",
		"image: probe-inject-app:latest", "image: probe.test/inject-app:1",
		"\nspec:\n", "\nspec:\n  hostNetwork: true\n").Replace(string(data))
	if strings.Count(pod, "probe.test/") != 2 || !strings.Contains(pod, "hostNetwork") {
		t.Fatalf("examples/kubernetes/inject.yaml: its images or its spec: line changed; this test renames them:\n%s", pod)
	}
	if err := os.WriteFile(filepath.Join(manifests, "inject.yaml"), []byte(pod), 0o644); err != nil {
		t.Fatal(err)
	}
	defer clear(t, manifests)

	p, took := waitPod(t, injectPod, 90*time.Second, "ready", ready)
	t.Logf("| inject.yaml | started: initContainer probe install, then the app | Ready %s after %s (containers %s; initContainer %s) |",
		p.condition("Ready"), took.Round(100*time.Millisecond), containers(p), initContainerState(t))
	if s := initContainerState(t); !strings.HasPrefix(s, "terminated, exit code 0") {
		t.Errorf("the initContainer: %s; want terminated, exit code 0", s)
	}

	post(t, "http://127.0.0.1:8080/admin/health?up=false")
	p, took = waitPod(t, injectPod, 30*time.Second, "not ready", notReady)
	t.Logf("| inject.yaml | the app fails | Ready %s after %s (readiness period 2 s, failureThreshold 1) |", p.condition("Ready"), took.Round(100*time.Millisecond))
	p, took = waitPod(t, injectPod, 90*time.Second, "restarted and ready", func(p podStatus) bool {
		return ready(p) && len(p.Status.Containers) > 0 && p.Status.Containers[0].RestartCount >= 1
	})
	t.Logf("| inject.yaml | liveness: restarted | Ready %s, restarts %d, %s after the failure's verdict; the copy in the emptyDir still runs the probes |",
		p.condition("Ready"), p.Status.Containers[0].RestartCount, took.Round(100*time.Millisecond))
	// The exec probes ran the copy: the kubelet logged its line.
	if kl := log.of("kubelet"); !strings.Contains(kl, "unhealthy http://127.0.0.1:8080/healthz") {
		t.Errorf("the kubelet's log has no failed probe saying \"unhealthy http://127.0.0.1:8080/healthz\": the exec probes did not run /probe-bin/probe")
	} else {
		t.Logf("kubelet: a probe failed for %s: %s", injectPod, strings.TrimSpace(lineWith(kl, "unhealthy http://127.0.0.1:8080/healthz")))
	}
}

// initContainerState is what the kubelet's /pods says of the inject pod's
// initContainer.
func initContainerState(t *testing.T) string {
	t.Helper()
	resp, err := http.Get("http://127.0.0.1:10255/pods")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	var list struct {
		Items []struct {
			Metadata struct{ Name string }
			Status   struct {
				Init []struct {
					Name  string
					State struct {
						Terminated *struct {
							ExitCode int
							Reason   string
						}
					}
				} `json:"initContainerStatuses"`
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return err.Error()
	}
	for _, p := range list.Items {
		if p.Metadata.Name == injectPod && len(p.Status.Init) == 1 {
			if term := p.Status.Init[0].State.Terminated; term != nil {
				return fmt.Sprintf("terminated, exit code %d (%s)", term.ExitCode, term.Reason)
			}
			return "not terminated"
		}
	}
	return "no initContainer status"
}
