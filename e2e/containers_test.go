//go:build e2e

package e2e

import (
	"archive/tar"
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

	"github.com/probe-sh/probe/internal/debroot"
)

// The examples' images check every 5s; the tests run them with
// --health-interval 1s, which keeps the image's own check command, its
// --retries=1 and its timeouts.
const (
	healthInterval = time.Second
	exampleDrain   = 10 * time.Second // the examples' --drain-delay
)

// TestDockerImage: Dockerfile.scratch builds an image that holds the static
// binary and the licences, runs as nobody, and works with nothing beside it.
func TestDockerImage(t *testing.T) {
	e := dockerEngine(t)
	e.images(t)

	var cfg struct {
		User       string
		Entrypoint []string
	}
	if err := json.Unmarshal([]byte(e.docker(t, "image", "inspect", "-f", "{{json .Config}}", probeImage)), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.User != "65534:65534" || strings.Join(cfg.Entrypoint, " ") != "/probe" {
		t.Errorf("image config: user %q, entrypoint %q; want 65534:65534 and /probe", cfg.User, cfg.Entrypoint)
	}
	// The OCI labels registries and scanners read, from the build
	// arguments (VERSION, COMMIT; SOURCE by default).
	var labels map[string]string
	if err := json.Unmarshal([]byte(e.docker(t, "image", "inspect", "-f", "{{json .Config.Labels}}", probeImage)), &labels); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"source": "https://github.com/probe-sh/probe", "version": "e2e", "revision": "0123456789ab",
		"licenses": "Apache-2.0", "title": "probe",
	} {
		if got := labels["org.opencontainers.image."+name]; got != want {
			t.Errorf("label org.opencontainers.image.%s is %q, want %q", name, got, want)
		}
	}
	if d := labels["org.opencontainers.image.description"]; !strings.HasPrefix(d, "Health checks for containers") {
		t.Errorf("label org.opencontainers.image.description is %q", d)
	}
	t.Logf("labels: %v", labels)
	files := imageFiles(t, e, probeImage)
	var names []string
	byName := map[string]*tar.Header{}
	for _, f := range files {
		names = append(names, fmt.Sprintf("%s (mode %o, uid %d, %d bytes)", f.Name, f.Mode, f.Uid, f.Size))
		byName[f.Name] = f
	}
	bin, licences := byName["probe"], byName["licenses/"]
	if len(files) != 4 || bin == nil || bin.Mode&0o7777 != 0o755 || bin.Uid != 0 || licences == nil ||
		byName["licenses/LICENSE"] == nil || byName["licenses/THIRD_PARTY_NOTICES"] == nil {
		t.Fatalf("the image holds %v; want probe (mode 0755, owned by root) and licenses/ with LICENSE and THIRD_PARTY_NOTICES", names)
	}
	size, _ := strconv.ParseInt(e.docker(t, "image", "inspect", "-f", "{{.Size}}", probeImage), 10, 64)
	if size > 10<<20 || size > bin.Size+100<<10 {
		t.Errorf("the image is %d bytes: above the binary's 10 MiB limit, or more than 100 KiB beside the binary", size)
	}
	t.Logf("%s: %s: %s", probeImage, e.size(t, probeImage), strings.Join(names, ", "))

	if out := e.docker(t, "run", "--rm", probeImage, "--version"); !strings.HasPrefix(out, "probe e2e (commit 0123456789ab, go1.") || !strings.HasSuffix(out, ", linux/amd64)") {
		t.Errorf("--version says %q; want the VERSION and COMMIT build arguments", out)
	}
	// Nothing listens in the container: one line, exit 1.
	out, err := e.run("", "run", "--rm", "--network", "none", probeImage, "http://localhost:8080/healthz")
	if err == nil || !strings.Contains(err.Error(), "exit status 1") || strings.Count(strings.TrimSpace(out), "\n") != 0 ||
		!strings.Contains(out, "connection refused") {
		t.Errorf("a check of nothing in the scratch image: %v, output %q; want exit 1 and one line saying connection refused", err, out)
	}
}

// TestMultiArchImage: Dockerfile.scratch cross-compiles for arm64 on this
// amd64 machine; the image says arm64, its binary is the same bytes as a
// cross-compiled build of the same source with the same flags, and it runs
// under qemu user-mode emulation, as a container and on its own.
func TestMultiArchImage(t *testing.T) {
	e := dockerEngine(t)
	e.images(t)
	for image, want := range map[string]string{probeImage: "linux/amd64", probeImageArm64: "linux/arm64"} {
		if got := e.docker(t, "image", "inspect", "-f", "{{.Os}}/{{.Architecture}}", image); got != want {
			t.Errorf("%s is %s, want %s", image, got, want)
		}
	}
	dir := t.TempDir()
	id := e.docker(t, "create", probeImageArm64)
	defer e.run("", "rm", id)
	fromImage := filepath.Join(dir, "probe-arm64")
	e.docker(t, "cp", id+":/probe", fromImage)
	built := filepath.Join(dir, "probe-built")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -X main.version=e2e -X main.commit=0123456789ab", "-o", built, ".")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOFLAGS=", "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build for arm64: %v\n%s", err, out)
	}
	a, _ := os.ReadFile(fromImage)
	b, _ := os.ReadFile(built)
	if len(a) == 0 || string(a) != string(b) {
		t.Errorf("the arm64 image's /probe (%d bytes) differs from a build of the same source (%d bytes)", len(a), len(b))
	}

	qemu := requireTool(t, "qemu-aarch64-static", "qemu-user-static", "running the arm64 image's binary")
	start := time.Now()
	out, err := exec.Command(qemu, fromImage, "--version").CombinedOutput()
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), ", linux/arm64)") {
		t.Errorf("qemu-aarch64-static /probe --version: %v, %q", err, out)
	}
	t.Logf("the arm64 binary under %s: --version in %s: %s", qemu, time.Since(start).Round(time.Millisecond), strings.TrimSpace(string(out)))

	if _, err := os.Stat("/proc/sys/fs/binfmt_misc/qemu-aarch64"); err != nil {
		unavailable(t, "binfmt_misc has no qemu-aarch64: .ci/run registers it (update-binfmts --enable qemu-aarch64)",
			"SKIPPED: the arm64 image is not run as a container: binfmt_misc has no qemu-aarch64 (mount binfmt_misc, then update-binfmts --enable qemu-aarch64)")
	}
	start = time.Now()
	out2, err := e.run("", "run", "--rm", "--platform", "linux/arm64", "--network", "none", probeImageArm64, "--version")
	if err != nil || !strings.HasSuffix(strings.TrimSpace(out2), ", linux/arm64)") {
		t.Errorf("docker run --platform linux/arm64 %s --version: %v, %q", probeImageArm64, err, out2)
	}
	out3, err := e.run("", "run", "--rm", "--platform", "linux/arm64", "--network", "none", probeImageArm64, "--timeout", "5s", "tcp://127.0.0.1:1")
	if err == nil || !strings.Contains(out3, "connection refused") {
		t.Errorf("a failing check in the arm64 container: %v, %q; want exit 1, connection refused", err, out3)
	}
	t.Logf("the arm64 image as a container, under emulation: %s for --version and a failing check", time.Since(start).Round(time.Millisecond))
}

// imageFiles lists the files of an image's layers, from docker save.
func imageFiles(t *testing.T, e *engine, image string) []*tar.Header {
	t.Helper()
	saved := filepath.Join(e.dir, "saved.tar")
	if _, err := e.run("", "save", "-o", saved, image); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(saved)
	f, err := os.Open(saved)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var files []*tar.Header
	outer := tar.NewReader(f)
	for {
		h, err := outer.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(h.Name, "layer.tar") {
			continue
		}
		layer := tar.NewReader(outer)
		for {
			lh, err := layer.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, lh)
		}
	}
	return files
}

// TestPortFromTheEnvironment: the exec-form HEALTHCHECK of a scratch image
// takes its port from the container's environment, ${PORT:-8080}, expanded
// by probe (issue 15): with -e PORT=9000 it is healthy; without, it checks
// 8080, where nothing listens, and says so.
func TestPortFromTheEnvironment(t *testing.T) {
	e := dockerEngine(t)
	e.images(t)
	const image = "probe-e2e/port"
	e.build(t, image, "e2e/testdata/port.Dockerfile", "EXAMPLE_IMAGE="+exampleImage)
	for _, tc := range []struct {
		env, want, output string
	}{
		{"PORT=9000", "healthy", "healthy http://127.0.0.1:9000/healthz in "},
		{"OTHER=1", "unhealthy", "unhealthy http://127.0.0.1:8080/healthz in "},
	} {
		name := "probe-e2e-port-" + tc.want
		e.removeAtEnd(t, name)
		e.docker(t, "run", "-d", "--name", name, "--read-only", "--user", "65534", "--cap-drop", "ALL",
			"-e", tc.env, "--health-interval", healthInterval.String(), image)
		_, s := e.waitHealth(t, name, tc.want, 15*time.Second)
		if out := s.lastOutput(); !strings.HasPrefix(out, tc.output) {
			t.Errorf("-e %s: the health check said %q, want %q...", tc.env, out, tc.output)
		}
		checkHealthLog(t, s)
	}
}

// TestScratchContainer runs the scratch example as a user would, read-only,
// as nobody, with no capabilities, and follows its health through Docker:
// starting, healthy, drained and undrained by hand, a hung app, docker stop
// while serving, and an app that dies.
func TestScratchContainer(t *testing.T) {
	e := dockerEngine(t)
	e.images(t)
	name := "probe-e2e-scratch"
	e.removeAtEnd(t, name)
	e.docker(t, "run", "-d", "--name", name, "--read-only", "--user", "65534", "--cap-drop", "ALL",
		"--health-interval", healthInterval.String(), exampleImage)
	if s := e.state(t, name); s.health() != "starting" {
		t.Errorf("health right after docker run: %q; want starting", s.health())
	}
	_, s := e.waitHealth(t, name, "healthy", 15*time.Second)
	checkHealthLog(t, s)
	base := "http://" + e.ip(t, name) + ":8080"
	client := &http.Client{Timeout: 5 * time.Second}
	if code, _, err := fetch(client, base+"/healthz"); code != 200 {
		t.Fatalf("GET /healthz from the host: %d %v", code, err)
	}

	t.Run("inspect", func(t *testing.T) {
		out := e.docker(t, "exec", name, "/probe", "inspect")
		for _, want := range []string{"SIGTERM: PID 1 (probe) catches it", ":8080  app", "shutdown marker /dev/shm/probe.draining: absent"} {
			if !strings.Contains(out, want) {
				t.Errorf("probe inspect in the scratch container does not say %q:\n%s", want, out)
			}
		}
	})

	t.Run("drain and undrain", func(t *testing.T) {
		e.docker(t, "exec", name, "/probe", "drain")
		_, s := e.waitHealth(t, name, "unhealthy", 2*healthInterval+time.Second)
		if out := s.lastOutput(); !strings.HasPrefix(out, "draining ") {
			t.Errorf("the health check after probe drain said %q; want draining", out)
		}
		e.docker(t, "exec", name, "/probe", "undrain")
		_, s = e.waitHealth(t, name, "healthy", 2*healthInterval+time.Second)
		checkHealthLog(t, s)
	})

	t.Run("hung app", func(t *testing.T) {
		app := appPID(t, e.state(t, name).Pid)
		if err := syscall.Kill(app, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		defer syscall.Kill(app, syscall.SIGCONT)
		// One interval, then the check's own 2s deadline.
		_, s := e.waitHealth(t, name, "unhealthy", healthInterval+2*time.Second+2*time.Second)
		if out := s.lastOutput(); !strings.HasPrefix(out, "unhealthy http://127.0.0.1:8080/healthz") {
			t.Errorf("the health check of a hung app said %q", out)
		} else {
			t.Logf("a hung app: %s", strings.TrimSpace(out))
		}
		syscall.Kill(app, syscall.SIGCONT)
		_, s = e.waitHealth(t, name, "healthy", 2*healthInterval+time.Second)
		checkHealthLog(t, s)
	})

	t.Run("docker stop", func(t *testing.T) {
		stopWhileServing(t, e, name, base)
	})
	e.timeline(t, name)

	t.Run("the app dies", func(t *testing.T) {
		name := "probe-e2e-dies"
		e.removeAtEnd(t, name)
		e.docker(t, "run", "-d", "--name", name, "--read-only", "--user", "65534", "--cap-drop", "ALL",
			"--health-interval", healthInterval.String(), exampleImage)
		e.waitHealth(t, name, "healthy", 15*time.Second)
		if err := syscall.Kill(appPID(t, e.state(t, name).Pid), syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		s := e.waitExit(t, name, 5*time.Second)
		if s.ExitCode != 137 || s.health() != "unhealthy" {
			t.Errorf("after the app was killed: exit code %d, health %q; want 137 (the app's, 128+SIGKILL) and unhealthy", s.ExitCode, s.health())
		}
		if logs := e.logs(name); !strings.Contains(logs, "probe: app was killed by SIGKILL (exit code 137)") {
			t.Errorf("the container's log does not say how the app ended:\n%s", logs)
		}
		e.timeline(t, name)
	})
}

// stopWhileServing runs docker stop on a healthy example container and
// checks the drain: unhealthy with "draining" within one health interval,
// the app answering every request for the drain delay, a request in flight
// completed, and the container exiting with the app's code, 0.
func stopWhileServing(t *testing.T, e *engine, name, base string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	long := make(chan string, 1)
	go func() {
		code, body, err := fetch(&http.Client{Timeout: 30 * time.Second}, base+"/work?ms=3000")
		long <- fmt.Sprint(code, " ", strings.TrimSpace(body), " ", err)
	}()
	time.Sleep(200 * time.Millisecond)

	stopAt := time.Now()
	stopped := e.stopInBackground(name)
	unhealthyAt, s := e.waitHealth(t, name, "unhealthy", 3*healthInterval)
	out := s.lastOutput()
	if !strings.HasPrefix(out, "draining ") {
		t.Errorf("the health check after docker stop said %q; want draining", out)
	}
	// Measured by dockerd's own clock, from the kill it sent to the health
	// status it set: the docker CLI's start and the polling of docker
	// inspect, slow on a loaded machine, are not the drain's. The bound is
	// an interval (a check that had just passed before the kill waits that
	// long for the next) and that check's own run.
	d, how := unhealthyAt.Sub(stopAt), "polled, from docker stop"
	if kill, unhealthy, ok := e.killToUnhealthy(name); ok {
		d, how = unhealthy.Sub(kill), "dockerd's events, from the kill"
	}
	if d > healthInterval+500*time.Millisecond {
		t.Errorf("unhealthy %s after docker stop (%s); want within the health interval, %s", d, how, healthInterval)
	} else {
		t.Logf("docker stop: unhealthy %s later (%s); the check said: %s", d.Round(time.Millisecond), how, strings.TrimSpace(out))
	}

	// Requests during the drain: all of them must be served.
	var ok, failed int
	var firstFail string
	for {
		code, _, err := fetch(client, base+"/healthz")
		since := time.Since(stopAt)
		if code == 200 {
			ok++
		} else if since < exampleDrain-500*time.Millisecond {
			failed++
			if firstFail == "" {
				firstFail = fmt.Sprintf("%s after docker stop: %d %v", since.Round(time.Millisecond), code, err)
			}
		}
		if err != nil || since > exampleDrain+5*time.Second {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if failed > 0 || ok < 50 {
		t.Errorf("during the %s drain: %d requests served, %d failed (first: %s); want every one served", exampleDrain, ok, failed, firstFail)
	} else {
		t.Logf("during the drain: %d requests served from the host, 0 failed", ok)
	}
	var took time.Duration
	select {
	case r := <-stopped:
		if r.err != nil {
			t.Fatal(r.err)
		}
		took = r.took
	case <-time.After(40 * time.Second):
		t.Fatal("docker stop did not return within 40s")
	}
	if took < exampleDrain || took > exampleDrain+8*time.Second {
		t.Errorf("docker stop took %s; want the drain delay, %s, plus the app's shutdown", took, exampleDrain)
	}
	if got := <-long; !strings.HasPrefix(got, "200 done after 3000ms") {
		t.Errorf("a request in flight at docker stop: %s; want 200", got)
	}
	final := e.state(t, name)
	if final.ExitCode != 0 {
		t.Errorf("exit code %d; want the app's, 0", final.ExitCode)
	}
	checkHealthLog(t, final)
	logs := e.logs(name)
	at := 0
	for _, want := range []string{"probe: received SIGTERM: draining for 10s", "probe: drain delay of 10s over: passing SIGTERM on to app",
		"app: terminated: finishing requests in flight", "app: bye", "probe: app exited with code 0"} {
		i := strings.Index(logs[at:], want)
		if i < 0 {
			t.Errorf("the container's log lacks %q after byte %d:\n%s", want, at, logs)
			break
		}
		at += i
	}
	t.Logf("docker stop took %s; exit code %d", took.Round(time.Millisecond), final.ExitCode)
}

// stopped is how a docker stop ended, and how long it took.
type stopped struct {
	err  error
	took time.Duration
}

// stopInBackground runs docker stop -t 30 on name, and says on the channel
// how it ended.
func (e *engine) stopInBackground(name string) <-chan stopped {
	c := make(chan stopped, 1)
	start := time.Now()
	go func() {
		_, err := e.run("", "stop", "-t", "30", name)
		c <- stopped{err, time.Since(start)}
	}()
	return c
}

// appPID is the one child of a container's PID 1 (probe exec), seen from
// the host. Each thread lists the children it forked, and Go forks from
// any of its threads.
func appPID(t *testing.T, pid1 int) int {
	t.Helper()
	lists, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid1))
	var kids []string
	for _, l := range lists {
		data, _ := os.ReadFile(l)
		kids = append(kids, strings.Fields(string(data))...)
	}
	if len(kids) != 1 {
		t.Fatalf("PID %d has children %q; want the app alone", pid1, kids)
	}
	pid, _ := strconv.Atoi(kids[0])
	return pid
}

func (e *engine) waitExit(t *testing.T, name string, within time.Duration) state {
	t.Helper()
	for end := time.Now().Add(within); ; time.Sleep(50 * time.Millisecond) {
		s := e.state(t, name)
		if !s.Running {
			return s
		}
		if time.Now().After(end) {
			t.Fatalf("%s still runs %s later", name, within)
		}
	}
}

// checkHealthLog: every output Docker kept is one line, under the 4096
// bytes it keeps.
func checkHealthLog(t *testing.T, s state) {
	t.Helper()
	if s.Health == nil {
		t.Fatal("no health state")
	}
	for _, r := range s.Health.Log {
		if len(r.Output) >= 4096 {
			t.Errorf("a health check printed %d bytes; Docker keeps 4096", len(r.Output))
		}
		// A check still running when the container exits is killed with
		// it, and Docker logs that as 137: not probe's exit code.
		killed := !s.Running && !s.FinishedAt.IsZero() && r.End.After(s.FinishedAt.Add(-time.Second))
		if r.ExitCode != 0 && r.ExitCode != 1 && !killed {
			t.Errorf("a health check exited %d; want 0 or 1 (output %q)", r.ExitCode, r.Output)
		}
	}
}

// TestHealthLogNoSecrets: a verbose health check with credentials in the
// URL and in headers, healthy, failing and draining: what Docker keeps of
// it stays under 4096 bytes and never shows them.
func TestHealthLogNoSecrets(t *testing.T) {
	e := dockerEngine(t)
	e.images(t)
	const secret = "s3cr3t-e2e"
	dockerfile := filepath.Join(e.dir, "Dockerfile.verbose")
	os.WriteFile(dockerfile, []byte(`FROM `+exampleImage+`
HEALTHCHECK --interval=1s --timeout=3s --retries=1 CMD ["/probe", "-v", "--timeout", "2s", "-H", "Authorization: Bearer `+secret+`-token", "-H", "Cookie: session=`+secret+`-cookie", "http://admin:`+secret+`-pass@127.0.0.1:8080/healthz"]
`), 0o644)
	image := "probe-e2e/verbose"
	if _, err := e.run(dockerfile, "build", "-q", "-t", image, "-"); err != nil {
		t.Fatal(err)
	}
	name := "probe-e2e-verbose"
	e.removeAtEnd(t, name)
	e.docker(t, "run", "-d", "--name", name, "--read-only", "--user", "65534", "--cap-drop", "ALL", image)
	_, healthy := e.waitHealth(t, name, "healthy", 15*time.Second)
	base := "http://" + e.ip(t, name) + ":8080"
	resp, err := http.Post(base+"/admin/health?up=false", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, failing := e.waitHealth(t, name, "unhealthy", 3*time.Second)
	http.Post(base+"/admin/health?up=true", "", nil)
	e.waitHealth(t, name, "healthy", 3*time.Second)
	e.docker(t, "exec", name, "/probe", "drain")
	_, draining := e.waitHealth(t, name, "unhealthy", 3*time.Second)

	seen := map[string]string{}
	for _, s := range []state{healthy, failing, draining} {
		checkHealthLog(t, s)
		for _, r := range s.Health.Log {
			if strings.Contains(r.Output, secret) {
				t.Errorf("the health log shows a secret: %q", r.Output)
			}
			seen[strings.Fields(r.Output + " ?")[0]] = r.Output
		}
	}
	if !strings.Contains(seen["unhealthy"], "503") || !strings.Contains(seen["unhealthy"], "***") || seen["healthy"] == "" || seen["draining"] == "" {
		t.Errorf("want a healthy, an unhealthy (503, masked credentials) and a draining check in the log; got %q", seen)
	}
	longest := 0
	for _, out := range seen {
		longest = max(longest, len(out))
	}
	t.Logf("verbose health check outputs, longest %d bytes; the failing one:\n%s", longest, seen["unhealthy"])
}

// TestBaseImages builds the distroless and debian-slim examples on base
// images made here, the same layouts as gcr.io/distroless/static-debian12
// and debian:bookworm-slim, and checks each the way TestScratchContainer
// does: healthy by probe, draining on docker stop while serving.
func TestBaseImages(t *testing.T) {
	e := dockerEngine(t)
	e.images(t)
	bases := []struct {
		name, dockerfile, base string
		root                   func(t *testing.T, dir string)
		user                   string
		check                  func(t *testing.T, image string)
	}{
		{"distroless", "examples/distroless/Dockerfile", "probe-e2e/distroless-static:nonroot", distrolessRoot, "65532:65532",
			func(t *testing.T, image string) {
				// No shell: only an exec-form health check can work.
				if _, err := e.run("", "run", "--rm", "--entrypoint", "/bin/sh", image, "-c", "true"); err == nil {
					t.Error("the distroless-style image has a shell")
				}
			}},
		{"debian-slim", "examples/debian-slim/Dockerfile", "probe-e2e/debian:bookworm-slim", debianSlimRoot, "65534:65534",
			func(t *testing.T, image string) {
				// No curl, no wget: what probe is for.
				out, err := e.run("", "run", "--rm", "--entrypoint", "sh", image, "-c", "command -v curl wget; true")
				if err != nil || strings.TrimSpace(out) != "" {
					t.Errorf("the debian-slim-style image: %q %v; want no curl and no wget", out, err)
				}
			}},
	}
	for _, b := range bases {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			root := filepath.Join(e.dir, "root-"+b.name)
			b.root(t, root)
			e.importRoot(t, root, b.base)
			os.RemoveAll(root)
			t.Logf("base %s: %s", b.base, e.size(t, b.base))
			image := exampleImage + ":" + b.name
			e.build(t, image, b.dockerfile, "GO_IMAGE="+goBuilder, "BASE="+b.base)
			if user := e.docker(t, "image", "inspect", "-f", "{{.Config.User}}", image); user != b.user {
				t.Errorf("%s runs as %q; want %s", image, user, b.user)
			}
			b.check(t, image)

			name := "probe-e2e-" + b.name
			e.removeAtEnd(t, name)
			e.docker(t, "run", "-d", "--name", name, "--read-only", "--cap-drop", "ALL", "--health-interval", healthInterval.String(), image)
			_, s := e.waitHealth(t, name, "healthy", 15*time.Second)
			checkHealthLog(t, s)
			stopWhileServing(t, e, name, "http://"+e.ip(t, name)+":8080")
			e.timeline(t, name)
		})
	}
}

// distrolessRoot lays out what gcr.io/distroless/static-debian12:nonroot
// holds: users and groups with nonroot (65532), CA certificates, time
// zones, /tmp, and no shell.
func distrolessRoot(t *testing.T, root string) {
	t.Helper()
	files := map[string]string{
		"etc/passwd":        "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
		"etc/group":         "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n",
		"etc/nsswitch.conf": "hosts: files dns\n",
		"etc/os-release":    "PRETTY_NAME=\"Distroless-style, built by probe's tests\"\nID=debian\nVERSION_ID=\"12\"\n",
	}
	for path, content := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(root, path)), 0o755)
		if err := os.WriteFile(filepath.Join(root, path), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := copyFile("/etc/ssl/certs/ca-certificates.crt", filepath.Join(root, "etc/ssl/certs/ca-certificates.crt")); err != nil {
		t.Fatalf("the CA bundle (Debian's ca-certificates): %v", err)
	}
	os.MkdirAll(filepath.Join(root, "usr/share"), 0o755)
	if out, err := exec.Command("cp", "-a", "/usr/share/zoneinfo", filepath.Join(root, "usr/share/")).CombinedOutput(); err != nil {
		t.Fatalf("time zones (Debian's tzdata): %v %s", err, out)
	}
	for dir, mode := range map[string]os.FileMode{"tmp": 0o1777, "root": 0o700, "home/nonroot": 0o700} {
		os.MkdirAll(filepath.Join(root, dir), 0o755)
		os.Chmod(filepath.Join(root, dir), mode)
	}
	os.Chown(filepath.Join(root, "home/nonroot"), 65532, 65532)
}

// debianSlimRoot is what debian:bookworm-slim is made of: debootstrap's
// minbase variant, less the documentation and apt's lists; debootstrap runs
// once per checkout, and the release test installs the .deb into a copy of
// the same root (internal/debroot).
func debianSlimRoot(t *testing.T, root string) {
	t.Helper()
	debootstrap := requireTool(t, "debootstrap", "debootstrap", "the debian-slim example")
	cache, err := filepath.Abs("../bin/debian-" + debroot.Suite)
	if err != nil {
		t.Fatal(err)
	}
	did, err := debroot.Copy(debootstrap, cache, root)
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"usr/share/doc", "usr/share/man", "usr/share/info", "var/lib/apt/lists", "var/cache/apt"} {
		entries, _ := os.ReadDir(filepath.Join(root, dir))
		for _, en := range entries {
			os.RemoveAll(filepath.Join(root, dir, en.Name()))
		}
	}
	t.Log(did)
}

// TestAdaptiveDrainInContainer runs the example image with probe exec's
// adaptive drain, as the image would run it: read-only, as nobody, with
// every capability dropped. The drain must see the app's connections from
// inside the container (/proc and sock_diag need no privilege), keep the
// app serving while keep-alive load goes on after docker stop, wait for a
// request in flight longer than that, then end on its own, saying why.
func TestAdaptiveDrainInContainer(t *testing.T) {
	e := dockerEngine(t)
	e.images(t)
	name := "probe-e2e-adaptive"
	e.removeAtEnd(t, name)
	e.docker(t, "run", "-d", "--name", name, "--read-only", "--user", "65534", "--cap-drop", "ALL",
		"--entrypoint", "/probe", exampleImage, "exec", "--drain-max", "20s", "--", "/app", "-listen", ":8080")
	base := "http://" + e.ip(t, name) + ":8080"
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
	for end := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if code, _, _ := fetch(client, base+"/healthz"); code == 200 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the app never answered:\n%s", e.logs(name))
		}
	}
	const long = 6 * time.Second
	done := make(chan string, 1)
	go func() {
		code, body, err := fetch(client, base+"/work?ms="+strconv.Itoa(int(long.Milliseconds())))
		done <- fmt.Sprint(code, " ", strings.TrimSpace(body), " ", err)
	}()
	time.Sleep(200 * time.Millisecond)

	stopAt := time.Now()
	stopped := e.stopInBackground(name)
	// A balancer that has not noticed yet: keep-alive load for 1.5s.
	served := 0
	for time.Since(stopAt) < 1500*time.Millisecond {
		if code, body, err := fetch(client, base+"/work?ms=5"); code != 200 {
			t.Fatalf("%s after docker stop, a request got %d %q %v", time.Since(stopAt).Round(time.Millisecond), code, body, err)
		}
		served++
		time.Sleep(20 * time.Millisecond)
	}
	r := <-stopped
	if r.err != nil {
		t.Fatal(r.err)
	}
	took := r.took
	if got := <-done; !strings.HasPrefix(got, "200 done after 6000ms") {
		t.Errorf("the %s request in flight at docker stop got %s; want 200", long, got)
	}
	logs := e.logs(name)
	for _, want := range []string{"probe: received SIGTERM: draining until the app's traffic stops (at least 2s, at most 20s)",
		"probe: the app's traffic stopped after", "app: terminated: finishing requests in flight", "probe: app exited with code 0"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the container's log lacks %q:\n%s", want, logs)
		}
	}
	// The request ends 5.8s after docker stop; the drain then ends within
	// a second or so, long before its maximum.
	if took < long-time.Second || took > long+5*time.Second {
		t.Errorf("docker stop took %s; want the %s request, then the app's shutdown", took, long)
	}
	if s := e.state(t, name); s.ExitCode != 0 {
		t.Errorf("exit code %d; want the app's, 0", s.ExitCode)
	}
	t.Logf("%d requests served during the drain; docker stop took %s; the drain: %s", served, took.Round(time.Millisecond), lineWith(logs, "traffic stopped"))
}

// lineWith returns the first line of text that contains s.
func lineWith(text, s string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// killToUnhealthy is the time of dockerd's last kill event for name and of
// the first unhealthy status after it, when the events have both.
func (e *engine) killToUnhealthy(name string) (kill, unhealthy time.Time, ok bool) {
	if e.events == nil {
		return kill, unhealthy, false
	}
	for end := time.Now().Add(2 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		kill = time.Time{}
		for _, ev := range e.events.of(name, "kill", "health_status") {
			switch {
			case ev.Action == "kill":
				kill = ev.at()
			case !kill.IsZero() && strings.HasSuffix(ev.Action, "unhealthy"):
				return kill, ev.at(), true
			}
		}
		if time.Now().After(end) {
			return kill, unhealthy, false
		}
	}
}
