//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// kubeletVersion is the kubelet the test builds (e2e/kubelet's go.mod).
const kubeletVersion = "v1.34.4"

// TestKubelet runs a real kubelet (built from k8s.io/kubernetes, standalone:
// no API server, static pods) on Debian's containerd and runc, in a network
// and mount namespace of the test's own, and has it run probe's probes for
// real: an exec probe calling /probe, an httpGet probe on probe exec
// --listen, and a gRPC probe beside probe's grpc://. The kubelet's own view
// (its /pods endpoint: conditions, restarts) must show ready while healthy,
// not ready once the app fails, not ready at once after SIGTERM
// (draining), and a restart after a liveness failure.
func TestKubelet(t *testing.T) {
	if os.Getenv("PROBE_KUBELET_NETNS") == "1" {
		runKubelet(t, os.Getenv("PROBE_KUBELET_DIR"))
		return
	}
	dir := kubeSetup(t, "the kubelet test", "probe-kubelet-")
	// Everything that needs the module proxy is built out here.
	start := time.Now()
	buildKube(t, dir, "k8s.io/kubernetes/cmd/kubelet")
	t.Logf("built kubelet %s in %s", kubeletVersion, time.Since(start).Round(time.Second))
	probeBin := build(t, dir, "probe", ".")
	app := build(t, dir, "app", "./examples/app")
	grpcServer := buildStripped(t, dir, "grpcserver", "grpcserver", ".")
	pause := buildPause(t, dir)
	read := func(p string) []byte { return readFile(t, p) }
	ociImage(t, filepath.Join(dir, "pause.tar"), "probe.test/pause:1", []string{"/pause"}, ociFile{"pause", 0o755, read(pause)})
	ociImage(t, filepath.Join(dir, "app.tar"), "probe.test/app:1", []string{"/probe"},
		ociFile{"probe", 0o755, read(probeBin)}, ociFile{"app", 0o755, read(app)}, ociFile{"grpcserver", 0o755, read(grpcServer)})
	kubeletInjectImages(t, dir, probeBin, app)

	inNamespaces(t, "TestKubelet", "PROBE_KUBELET_NETNS=1", "PROBE_KUBELET_DIR="+dir)
}

// kubeSetup checks what a Kubernetes test needs (its tools, root) and makes
// its directory, which stays after the test when PROBE_KUBELET_KEEP is set.
func kubeSetup(t *testing.T, what, prefix string, tools ...[2]string) string {
	t.Helper()
	tools = append([][2]string{{"unshare", "util-linux"}, {"ip", "iproute2"}, {"containerd", "containerd"}, {"ctr", "containerd"}, {"runc", "runc"}}, tools...)
	for _, tool := range tools {
		requireTool(t, tool[0], tool[1], what)
	}
	if os.Geteuid() != 0 {
		unavailable(t, what+" needs root; CI runs as root", "SKIPPED: "+what+" needs root (a network namespace, containerd, cgroups)")
	}
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("PROBE_KUBELET_KEEP") == "" {
		t.Cleanup(func() { os.RemoveAll(dir) })
	} else {
		t.Logf("PROBE_KUBELET_KEEP: %s stays", dir)
	}
	return dir
}

// inNamespaces runs the test again, by itself, in a network and mount
// namespace of its own, with env telling it so, and fails with its output.
func inNamespaces(t *testing.T, test string, env ...string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("unshare", "--net", "--mount", "--fork", self, "-test.run", "^"+test+"$", "-test.count=1", "-test.v", "-test.timeout=20m")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	t.Logf("in the test's namespaces:\n%s", out)
	if err != nil {
		t.Fatalf("%s in its namespaces: %v", test, err)
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// buildKube builds Kubernetes parts (main packages) from e2e/kubelet's
// module into dir, stamped with kubeletVersion, in one go build: each binary
// is named after its package (etcd's server/v3 is "server").
func buildKube(t *testing.T, dir string, pkgs ...string) {
	t.Helper()
	v := strings.TrimPrefix(kubeletVersion, "v")
	parts := strings.Split(v, ".")
	ld := fmt.Sprintf("-s -w -X k8s.io/component-base/version.gitVersion=%s -X k8s.io/component-base/version.gitMajor=%s -X k8s.io/component-base/version.gitMinor=%s",
		kubeletVersion, parts[0], parts[1])
	cmd := exec.Command("go", append([]string{"build", "-trimpath", "-ldflags", ld, "-o", dir + "/"}, pkgs...)...)
	cmd.Dir = "kubelet"
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		unavailable(t, fmt.Sprintf("go build %s: %v\n%s", strings.Join(pkgs, " "), err, out), "SKIPPED: cannot build the Kubernetes parts (is the Go module proxy reachable?)")
	}
}

// buildPause builds the pod sandbox's process: it waits for a signal, as
// Kubernetes' pause does, and reaps nothing (each container has its own
// PID namespace here).
func buildPause(t *testing.T, dir string) string {
	t.Helper()
	src := filepath.Join(dir, "pause.go")
	os.WriteFile(src, []byte(`package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
}
`), 0o644)
	bin := filepath.Join(dir, "pause")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GO111MODULE=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build pause: %v\n%s", err, out)
	}
	return bin
}

// node is the namespaces' address, on one end of a veth pair (this kernel
// has no dummy interfaces): the kubelet refuses a loopback node IP. Nothing
// leaves the namespace.
const node = "10.99.0.1"

// runKubelet is the test inside its namespaces: the network, containerd,
// the images, the kubelet, then the pods.
func runKubelet(t *testing.T, dir string) {
	nodeNetwork(t)
	log := newTimedLog()
	containerd, sock := startContainerd(t, dir, log, "pause.tar", "app.tar")
	manifests := filepath.Join(dir, "manifests")
	os.MkdirAll(manifests, 0o755)
	kconf := kubeletConfig(dir, sock, fmt.Sprintf(`staticPodPath: %q
fileCheckFrequency: 1s
readOnlyPort: 10255
registerNode: false
featureGates: {ContainerRestartRules: true}
`, manifests))
	kubelet := start(t, log, "kubelet", nil, filepath.Join(dir, "kubelet"), "--config", kconf, "--root-dir", filepath.Join(dir, "kubelet-root"),
		"--hostname-override", "probe-node", "--node-ip", node, "--v", "2")
	for end := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if _, err := kubeletPods(); err == nil {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the kubelet did not start:\n%s", tail(log.of("kubelet"), 60))
		}
	}
	t.Logf("the kubelet serves /pods")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kubelet log:\n%s", tail(log.of("kubelet"), 120))
			t.Logf("containerd log:\n%s", tail(log.of("containerd"), 40))
		}
	})
	kubeletInject(t, manifests, sock, log)
	kubeletProbes(t, manifests, log, containerd.cmd.Process.Pid, kubelet.cmd.Process.Pid)
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// podStatus is what the test reads of a pod from the kubelet's /pods.
type podStatus struct {
	Metadata struct{ Name string }
	Status   struct {
		Phase      string
		Conditions []struct{ Type, Status string }
		Containers []containerStatus `json:"containerStatuses"`
	}
}

type containerStatus struct {
	Name         string
	Ready        bool
	RestartCount int
	State        containerState
	LastState    containerState `json:"lastState"`
}

// containerState is a container's state, or its last one, in a pod's status.
type containerState struct {
	Running    *struct{ StartedAt string } `json:"running"`
	Terminated *struct {
		ExitCode int    `json:"exitCode"`
		Reason   string `json:"reason"`
	} `json:"terminated"`
}

func (p podStatus) condition(kind string) string {
	for _, c := range p.Status.Conditions {
		if c.Type == kind {
			return c.Status
		}
	}
	return "?"
}

// kubeletPods reads /pods from the kubelet's read-only port.
func kubeletPods() (map[string]podStatus, error) {
	resp, err := http.Get("http://127.0.0.1:10255/pods")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var list struct{ Items []podStatus }
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("%v: %.200s", err, b)
	}
	out := map[string]podStatus{}
	for _, p := range list.Items {
		out[p.Metadata.Name] = p
	}
	return out, nil
}

// waitPod polls /pods until ok holds for the pod, within d, and returns
// how long it took.
func waitPod(t *testing.T, name string, d time.Duration, what string, ok func(podStatus) bool) (podStatus, time.Duration) {
	t.Helper()
	start := time.Now()
	var last podStatus
	for time.Since(start) < d {
		pods, err := kubeletPods()
		if err == nil {
			if p, found := pods[name]; found {
				last = p
				if ok(p) {
					return p, time.Since(start)
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	js, _ := json.Marshal(last.Status)
	t.Fatalf("%s: not %s after %s: %s", name, what, d, js)
	return last, 0
}

// The pods. Each shares the namespaces' network (hostNetwork: no CNI
// here), so each has ports of its own.
const (
	execPod = `apiVersion: v1
kind: Pod
metadata: {name: exec, namespace: default}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 10
  containers:
  - name: app
    image: probe.test/app:1
    imagePullPolicy: Never
    command: ["/probe", "exec", "--drain-delay", "4s", "--", "/app", "-listen", "127.0.0.1:18080"]
    startupProbe:
      exec: {command: ["/probe", "tcp://127.0.0.1:18080"]}
      periodSeconds: 1
      failureThreshold: 10
    readinessProbe:
      exec: {command: ["/probe", "http://127.0.0.1:18080/healthz"]}
      periodSeconds: 1
      failureThreshold: 2
    livenessProbe:
      exec: {command: ["/probe", "--no-marker", "http://127.0.0.1:18080/healthz"]}
      periodSeconds: 1
      failureThreshold: 4
`
	httpPod = `apiVersion: v1
kind: Pod
metadata: {name: httpget, namespace: default}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 10
  containers:
  - name: app
    image: probe.test/app:1
    imagePullPolicy: Never
    command: ["/probe", "exec", "--listen", ":19090", "--check", "http://127.0.0.1:18081/healthz", "--interval", "500ms", "--failure-threshold", "1", "--drain-delay", "4s", "--", "/app", "-listen", ":18081"]
    readinessProbe:
      httpGet: {path: /readyz, port: 19090}
      periodSeconds: 1
      failureThreshold: 2
    livenessProbe:
      httpGet: {path: /healthz, port: 18081}
      periodSeconds: 1
      failureThreshold: 4
`
	grpcPod = `apiVersion: v1
kind: Pod
metadata: {name: grpc-MODE, namespace: default}
spec:
  hostNetwork: true
  containers:
  - name: server
    image: probe.test/app:1
    imagePullPolicy: Never
    command: ["/grpcserver", "-listen", "0.0.0.0:PORT", "-mode", "MODE"]
    readinessProbe:
      grpc: {port: PORT}
      periodSeconds: 1
      failureThreshold: 2
  - name: probe
    image: probe.test/app:1
    imagePullPolicy: Never
    command: ["/probe", "serve", "--listen", "127.0.0.1:SIDECAR", "--interval", "500ms", "grpc://127.0.0.1:PORT"]
    readinessProbe:
      exec: {command: ["/probe", "--no-marker", "http://127.0.0.1:SIDECAR/readyz"]}
      periodSeconds: 1
      failureThreshold: 2
`
)

func ready(p podStatus) bool    { return p.condition("Ready") == "True" }
func notReady(p podStatus) bool { return p.condition("Ready") == "False" }

// kubeletProbes runs the pods and reads the kubelet's verdicts.
func kubeletProbes(t *testing.T, manifests string, log *timedLog, daemons ...int) {
	dir := filepath.Dir(manifests)
	t.Cleanup(func() { stopPods(t, manifests, dir) })
	write := func(name, pod string) {
		if err := os.WriteFile(filepath.Join(manifests, name+".yaml"), []byte(pod), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	staticRestartRules(t, manifests, log)
	write("exec", execPod)
	write("httpget", httpPod)
	for _, name := range []string{"exec", "httpget"} {
		p, took := waitPod(t, name+"-probe-node", 60*time.Second, "ready", ready)
		t.Logf("| %s | started | Ready %s after %s (containers %s) |", name, p.condition("Ready"), took.Round(100*time.Millisecond), containers(p))
	}

	// The app fails: the readiness probe says so within periodSeconds x
	// failureThreshold (2 s), before the liveness probe (4 s) restarts it;
	// once restarted, it is healthy and ready again.
	for _, c := range []struct{ name, app string }{{"exec", "127.0.0.1:18080"}, {"httpget", "127.0.0.1:18081"}} {
		post(t, "http://"+c.app+"/admin/health?up=false")
		p, took := waitPod(t, c.name+"-probe-node", 10*time.Second, "not ready", notReady)
		t.Logf("| %s | the app fails | Ready %s after %s |", c.name, p.condition("Ready"), took.Round(100*time.Millisecond))
		if took > 3500*time.Millisecond {
			t.Errorf("%s: not ready only %s after the app failed, with periodSeconds 1 x failureThreshold 2", c.name, took)
		}
		p, took = waitPod(t, c.name+"-probe-node", 30*time.Second, "restarted and ready", func(p podStatus) bool {
			return ready(p) && len(p.Status.Containers) > 0 && p.Status.Containers[0].RestartCount >= 1
		})
		t.Logf("| %s | liveness: restarted | Ready %s, restarts %d, %s after the failure's verdict |", c.name, p.condition("Ready"), p.Status.Containers[0].RestartCount, took.Round(100*time.Millisecond))
	}

	// SIGTERM to the container's probe exec, as the kubelet sends it: it
	// creates the shutdown marker and keeps the app serving; the readiness
	// probe says draining at once, while the container still runs.
	for _, c := range []struct{ name, match string }{{"exec", "127.0.0.1:18080"}, {"httpget", "--listen :19090"}} {
		pid := findProcess(t, "/probe exec", c.match)
		sent := time.Now()
		syscall.Kill(pid, syscall.SIGTERM)
		p, took := waitPod(t, c.name+"-probe-node", 10*time.Second, "not ready", notReady)
		alive := syscall.Kill(pid, 0) == nil
		t.Logf("| %s | SIGTERM (draining) | Ready %s after %s; probe exec still running: %v |", c.name, p.condition("Ready"), took.Round(100*time.Millisecond), alive)
		// Within the 4 s drain, before the app stops: the readiness
		// probe's period is 1 s, and a loaded machine delays the kubelet's
		// probe worker (2.9 s and 3.2 s seen with four test runs at once).
		if took > 3500*time.Millisecond || !alive {
			t.Errorf("%s: not ready %s after SIGTERM, still running %v: want not ready within 3.5 s, while the app drains (--drain-delay 4s)", c.name, took, alive)
		}
		_ = sent
	}

	// gRPC: the kubelet's own grpc probe beside probe's grpc://, through a
	// probe serve sidecar, on a server that serves and on one that does not.
	for i, mode := range []string{"serving", "not-serving"} {
		pod := strings.NewReplacer("MODE", mode, "PORT", strconv.Itoa(50051+i), "SIDECAR", strconv.Itoa(19190+i)).Replace(grpcPod)
		write("grpc-"+mode, pod)
		want, what := ready, "ready"
		if mode != "serving" {
			want, what = func(p podStatus) bool {
				return len(p.Status.Containers) == 2 && p.Status.Containers[0].State.Running != nil && p.Status.Containers[1].State.Running != nil && !p.Status.Containers[0].Ready && !p.Status.Containers[1].Ready
			}, "running, neither container ready"
		}
		p, took := waitPod(t, "grpc-"+mode+"-probe-node", 60*time.Second, what, want)
		t.Logf("| grpc, %s | kubelet grpc probe and probe grpc:// | Ready %s after %s (containers %s) |", mode, p.condition("Ready"), took.Round(100*time.Millisecond), containers(p))
		if mode != "serving" {
			// Settle: neither flips to ready later.
			time.Sleep(3 * time.Second)
			if p2, _ := kubeletPods(); ready(p2["grpc-"+mode+"-probe-node"]) {
				t.Errorf("grpc, %s: the pod turned ready", mode)
			}
		}
	}
	clear(t, manifests)
	// Without an API server the kubelet records no events; it logs what
	// its prober found.
	shown := 0
	lines := strings.Split(log.of("kubelet"), "\n")
	for i, line := range lines {
		if strings.Contains(line, "Probe failed") {
			if shown < 6 {
				// The probe's output follows on the next line.
				kind, pod := between(line, `probeType="`, `"`), between(line, `pod="`, `"`)
				out := ""
				if i+1 < len(lines) {
					out = strings.TrimSpace(lines[i+1])
					if j := strings.Index(out, "] "); j >= 0 {
						out = out[j+2:]
					}
				}
				t.Logf("kubelet: %s probe failed for %s: %s", kind, pod, out)
			}
			shown++
		}
	}
	t.Logf("the kubelet logged %d probe failures", shown)

	// Removing a static pod's manifest: does the kubelet honour the grace
	// period, so that probe exec drains before the app stops?
	write("grace", strings.NewReplacer("name: exec", "name: grace", "18080", "18090").Replace(execPod))
	waitPod(t, "grace-probe-node", 60*time.Second, "ready", ready)
	pid := findProcess(t, "/probe exec", "127.0.0.1:18090")
	removed := time.Now()
	os.Remove(filepath.Join(manifests, "grace.yaml"))
	for syscall.Kill(pid, 0) == nil && time.Since(removed) < 15*time.Second {
		time.Sleep(50 * time.Millisecond)
	}
	lived := time.Since(removed)
	t.Logf("| static pod | manifest removed | probe exec (--drain-delay 4s) exited %s later (terminationGracePeriodSeconds 10) |", lived.Round(100*time.Millisecond))
	if lived < 3500*time.Millisecond || lived > 10500*time.Millisecond {
		t.Errorf("probe exec exited %s after the manifest went: want its 4 s drain, within the 10 s grace period", lived)
	}
	clear(t, manifests)

	// The kubelet's CPU, side by side: the same app probed every second by
	// an exec probe (/probe in the container) and by an httpGet probe on
	// probe exec --listen, 30 s each. CPU is the kubelet's, containerd's
	// and the shims' (with the processes they reaped: runc, the probes).
	for _, c := range []struct{ name, pod string }{
		{"exec probe", strings.NewReplacer("name: exec", "name: cpu", "18080", "18100").Replace(execPod)},
		{"httpGet probe", strings.NewReplacer("name: httpget", "name: cpu", "18081", "18101", "19090", "19100").Replace(httpPod)},
	} {
		write("cpu", c.pod)
		waitPod(t, "cpu-probe-node", 60*time.Second, "ready", ready)
		time.Sleep(2 * time.Second)
		dir := filepath.Dir(manifests)
		before := cpuTicks(append(shims(dir), daemons...))
		window := 30 * time.Second
		time.Sleep(window)
		after := cpuTicks(append(shims(dir), daemons...))
		t.Logf("| kubelet CPU | %s, every 1 s for %s | %.1f%% of a core (%d ticks of 10 ms) |", c.name, window, float64(after-before)/window.Seconds(), after-before)
		clear(t, manifests)
	}
}

// clear removes every manifest and waits until the kubelet has stopped
// their pods.
func clear(t *testing.T, manifests string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(manifests, "*.yaml"))
	for _, f := range files {
		os.Remove(f)
	}
	dir := filepath.Dir(manifests)
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if pods, err := kubeletPods(); err == nil && len(pods) == 0 && len(shims(dir)) == 0 {
			return
		}
	}
	t.Fatalf("pods still running 30 s after their manifests went")
}

// cpuTicks sums the CPU time of the processes, and of the children each has
// reaped, in clock ticks (10 ms).
func cpuTicks(pids []int) int {
	total := 0
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		for _, i := range []int{11, 12, 13, 14} { // utime, stime, cutime, cstime
			n, _ := strconv.Atoi(f[i])
			total += n
		}
	}
	return total
}

// containers says each container's readiness and restarts.
func containers(p podStatus) string {
	var parts []string
	for _, c := range p.Status.Containers {
		parts = append(parts, fmt.Sprintf("%s ready=%v restarts=%d", c.Name, c.Ready, c.RestartCount))
	}
	return strings.Join(parts, ", ")
}

func post(t *testing.T, u string) {
	t.Helper()
	resp, err := http.Post(u, "text/plain", nil)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	resp.Body.Close()
}

// findProcess returns the PID of the newest process whose command line
// holds every part (a restarted container's, not its predecessor's).
func findProcess(t *testing.T, parts ...string) int {
	t.Helper()
	best, bestStart := 0, uint64(0)
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		line := strings.ReplaceAll(string(b), "\x00", " ")
		all := true
		for _, part := range parts {
			all = all && strings.Contains(line, part)
		}
		if !all {
			continue
		}
		st, err := os.ReadFile(filepath.Join(filepath.Dir(p), "stat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:]))
		if len(f) < 20 || f[0] == "Z" {
			continue
		}
		start, _ := strconv.ParseUint(f[19], 10, 64)
		if start >= bestStart {
			best, bestStart = 0, start
			best, _ = strconv.Atoi(filepath.Base(filepath.Dir(p)))
		}
	}
	if best == 0 {
		t.Fatalf("no process with %q", parts)
	}
	return best
}

// stopPods removes every manifest and waits for the kubelet to stop the
// pods, so that no container outlives the test.
func stopPods(t *testing.T, manifests, dir string) {
	files, _ := filepath.Glob(filepath.Join(manifests, "*.yaml"))
	for _, f := range files {
		os.Remove(f)
	}
	for end := time.Now().Add(40 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if pods, err := kubeletPods(); err == nil && len(pods) == 0 && len(shims(dir)) == 0 {
			return
		}
	}
	// A safety net: no shim or container of the test's outlives it.
	for _, pid := range shims(dir) {
		for _, child := range childrenOf(pid) {
			syscall.Kill(child, syscall.SIGKILL)
		}
		syscall.Kill(pid, syscall.SIGKILL)
	}
	t.Errorf("pods still running 40 s after their manifests went: killed")
}

// shims are the PIDs of the containerd shims of this test's containerd.
func shims(dir string) []int {
	var out []int
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), "containerd-shim-runc-v2") && strings.Contains(string(b), dir+"/") {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			out = append(out, pid)
		}
	}
	return out
}

// childrenOf lists the PIDs whose parent is pid.
func childrenOf(pid int) []int {
	var out []int
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			child, _ := strconv.Atoi(filepath.Base(filepath.Dir(st)))
			out = append(out, child)
		}
	}
	return out
}

// between is the text of s after open and before the close that follows.
func between(s, open, close string) string {
	_, rest, _ := strings.Cut(s, open)
	v, _, _ := strings.Cut(rest, close)
	return v
}

// nodeNetwork sets up the test's network namespace: loopback, and the node's
// address on one end of a veth pair with a default route through it (the
// kubelet refuses a loopback node IP, and a Service's cluster IP needs a
// route before kube-proxy's rules rewrite it). Nothing leaves the
// namespace. /run and /var/log are the namespace's own.
func nodeNetwork(t *testing.T) {
	t.Helper()
	for _, c := range [][]string{
		{"ip", "link", "set", "lo", "up"},
		{"ip", "link", "add", "node0", "type", "veth", "peer", "name", "node1"},
		{"ip", "addr", "add", node + "/24", "dev", "node0"},
		{"ip", "link", "set", "node0", "up"},
		{"ip", "link", "set", "node1", "up"},
		{"ip", "route", "add", "default", "via", "10.99.0.2", "dev", "node0", "onlink"},
		{"mount", "--make-rprivate", "/"},
		{"mount", "-t", "tmpfs", "tmpfs", "/run"},
		{"mount", "-t", "tmpfs", "tmpfs", "/var/log"},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(c, " "), err, out)
		}
	}
}

// startContainerd starts a containerd of the test's own under dir, its CNI
// plugins and configuration in dir/cni-bin and dir/cni-conf, and imports
// the images (OCI archives in dir) into its k8s.io namespace.
func startContainerd(t *testing.T, dir string, log *timedLog, images ...string) (*process, string) {
	t.Helper()
	sock := filepath.Join(dir, "containerd.sock")
	conf := filepath.Join(dir, "containerd.toml")
	os.WriteFile(conf, []byte(fmt.Sprintf(`version = 2
root = %q
state = %q
[grpc]
  address = %q
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "probe.test/pause:1"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %q
    conf_dir = %q
`, filepath.Join(dir, "containerd-root"), filepath.Join(dir, "containerd-state"), sock, filepath.Join(dir, "cni-bin"), filepath.Join(dir, "cni-conf"))), 0o644)
	containerd := start(t, log, "containerd", nil, "containerd", "--config", conf)
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("containerd did not start:\n%s", log.of("containerd"))
		}
	}
	for _, img := range images {
		if out, err := exec.Command("ctr", "--address", sock, "-n", "k8s.io", "images", "import", filepath.Join(dir, img)).CombinedOutput(); err != nil {
			t.Fatalf("ctr images import %s: %v\n%s", img, err, out)
		}
	}
	return containerd, sock
}

// kubeletConfig writes the kubelet's configuration in dir and returns its
// path: the runtime at sock, pod logs in dir/pod-logs, no authentication,
// cgroupfs without QoS cgroups, no eviction or image collection (nothing
// here is short of resources), then the lines of extra.
func kubeletConfig(dir, sock, extra string) string {
	path := filepath.Join(dir, "kubelet.yaml")
	os.WriteFile(path, []byte(fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
syncFrequency: 2s
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization: {mode: AlwaysAllow}
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
containerRuntimeEndpoint: unix://%s
failSwapOn: false
port: 10250
healthzBindAddress: 127.0.0.1
podLogsDir: %q
resolvConf: ""
localStorageCapacityIsolation: false
evictionHard: {}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
`, sock, filepath.Join(dir, "pod-logs"))+extra), 0o644)
	return path
}
