//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The Docker tests run the real Dockerfiles and examples under a real
// Docker engine: a dockerd of their own, with its own data root and socket,
// started once for the package and stopped by TestMain. Nothing is pulled:
// the Go build stage and the base images are built here from root
// filesystems (docker import), and passed in through the Dockerfiles' own
// build arguments.

func TestMain(m *testing.M) {
	cleanLeftovers()
	code := m.Run()
	if shared.e != nil {
		shared.e.stop()
	}
	os.Exit(code)
}

// cleanLeftovers removes what an interrupted run left: each run's dockerd
// lives in a directory of its own, /tmp/pe2e*, and every process it started
// (containerd, the containerd-shims) names that directory on its command
// line. Those processes are ended, its mounts undone, the directory
// removed. Nothing else is touched: only processes these tests started
// have such a directory in their command line.
func cleanLeftovers() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "pe2e*"))
	if len(dirs) == 0 {
		return
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, dir := range dirs {
		// Another run on this machine may own it: leave it alone while
		// its go test lives (or, from before there were owner files,
		// while it is younger than two hours).
		if owner, err := os.ReadFile(filepath.Join(dir, "owner")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(owner))); err == nil && syscall.Kill(pid, 0) == nil {
				continue
			}
		} else if fi, err := os.Stat(dir); err != nil || time.Since(fi.ModTime()) < 2*time.Hour {
			continue
		}
		var pids []int
		for _, p := range procs {
			cmdline, err := os.ReadFile(p)
			if err != nil || !strings.Contains(string(cmdline), dir+"/") {
				continue
			}
			if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil && pid != os.Getpid() {
				pids = append(pids, pid)
			}
		}
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGTERM)
		}
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
			alive := 0
			for _, pid := range pids {
				if syscall.Kill(pid, 0) == nil {
					alive++
				}
			}
			if alive == 0 {
				break
			}
		}
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		unmountUnder(dir)
		if err := os.RemoveAll(dir); err == nil {
			fmt.Fprintf(os.Stderr, "e2e: removed what an interrupted run left in %s (%d processes)\n", dir, len(pids))
		}
	}
}

// unmountUnder undoes every mount below dir, deepest first.
func unmountUnder(dir string) {
	mounts, _ := os.ReadFile("/proc/self/mounts")
	lines := strings.Split(string(mounts), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if f := strings.Fields(lines[i]); len(f) > 1 && strings.HasPrefix(f[1], dir+"/") {
			syscall.Unmount(f[1], syscall.MNT_DETACH)
		}
	}
}

// engine is the test's dockerd.
type engine struct {
	dir    string // short: dockerd's sockets live under it
	host   string // DOCKER_HOST
	cmd    *exec.Cmd
	log    string // dockerd's output
	done   chan struct{}
	events *eventLog
}

var shared struct {
	once sync.Once
	e    *engine
	err  error

	images    sync.Once
	imagesErr error
}

// dockerEngine returns the shared engine, starting it on first use. Without
// dockerd, docker, or root, it skips the test loudly outside CI and fails
// it in CI.
func dockerEngine(t *testing.T) *engine {
	t.Helper()
	requireTool(t, "dockerd", "docker.io", "the Docker tests")
	requireTool(t, "docker", "docker.io", "the Docker tests")
	if os.Geteuid() != 0 {
		unavailable(t, "the Docker tests need root in CI",
			"SKIPPED: the Docker tests start a dockerd of their own, which needs root; CI runs them as root")
	}
	shared.once.Do(func() { shared.e, shared.err = startEngine() })
	if shared.err != nil {
		t.Fatalf("dockerd: %v", shared.err)
	}
	return shared.e
}

func startEngine() (*engine, error) {
	dir, err := os.MkdirTemp("", "pe2e")
	if err != nil {
		return nil, err
	}
	// The owner: a later run cleans this directory up only once this
	// process is gone (cleanLeftovers).
	if err := os.WriteFile(filepath.Join(dir, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	e := &engine{dir: dir, host: "unix://" + filepath.Join(dir, "docker.sock"), log: filepath.Join(dir, "dockerd.log"), done: make(chan struct{})}
	logFile, err := os.Create(e.log)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	// No iptables: the tests reach containers on the bridge from the host,
	// and containers reach each other on their networks; nothing needs NAT.
	e.cmd = exec.Command("dockerd", "--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "docker.pid"), "-H", e.host,
		"--iptables=false", "--ip6tables=false", "--ip-forward=false", "--dns", "127.0.0.1")
	e.cmd.Env = append(os.Environ(), "DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1")
	e.cmd.Stdout, e.cmd.Stderr = logFile, logFile
	// Pdeathsig: if go test itself dies (its -timeout), dockerd stops too.
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := e.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { e.cmd.Wait(); close(e.done) }()
	for end := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if _, err := e.run("", "version"); err == nil {
			break
		}
		select {
		case <-e.done:
			err := fmt.Errorf("dockerd exited at start:\n%s", e.logTail())
			os.RemoveAll(dir)
			return nil, err
		default:
		}
		if time.Now().After(end) {
			err := fmt.Errorf("dockerd did not answer within 60s:\n%s", e.logTail())
			e.stop()
			return nil, err
		}
	}
	e.events, err = e.watchEvents()
	if err != nil {
		e.stop()
		return nil, err
	}
	return e, nil
}

// stop removes what the tests left, stops dockerd by its PID, and removes
// its data.
func (e *engine) stop() {
	e.run("", "swarm", "leave", "--force")
	if ids, err := e.run("", "ps", "-aq"); err == nil && strings.TrimSpace(ids) != "" {
		e.run("", append([]string{"rm", "-f"}, strings.Fields(ids)...)...)
	}
	if e.events != nil {
		e.events.cmd.Process.Kill()
	}
	e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.done:
	case <-time.After(30 * time.Second):
		syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
		<-e.done
	}
	// dockerd can leave network namespaces mounted under its exec root (a
	// Swarm overlay's, with its VXLAN device): unmounted, they go, and the
	// next dockerd on this machine can make its own.
	unmountUnder(e.dir)
	os.RemoveAll(e.dir)
}

func (e *engine) logTail() string {
	data, _ := os.ReadFile(e.log)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}

func (e *engine) env(extra ...string) []string {
	return append(append(os.Environ(), "DOCKER_HOST="+e.host, "DOCKER_BUILDKIT=0",
		"DOCKER_CONFIG="+filepath.Join(e.dir, "config")), extra...)
}

// run runs the docker CLI; stdin, when not empty, is a file to read.
func (e *engine) run(stdin string, args ...string) (string, error) {
	return e.runEnv(nil, stdin, args...)
}

func (e *engine) runEnv(env []string, stdin string, args ...string) (string, error) {
	cmd := exec.Command("docker", args...)
	cmd.Env = e.env(env...)
	if stdin != "" {
		f, err := os.Open(stdin)
		if err != nil {
			return "", err
		}
		defer f.Close()
		cmd.Stdin = f
	}
	// stdout alone: the CLI warns on stderr that this dockerd does not
	// forward IP, which the tests do not need.
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)+"\n"+stderr.String()))
	}
	return string(out), nil
}

// docker runs the docker CLI and fails the test if it fails.
func (e *engine) docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := e.run("", args...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// build runs docker build in the repository, with the legacy builder.
func (e *engine) build(t *testing.T, tag, dockerfile string, args ...string) {
	t.Helper()
	e.buildWith(t, "docker", nil, tag, dockerfile, args...)
}

// buildKit runs docker build with BuildKit for one platform, as
// Dockerfile.scratch needs (FROM --platform=$BUILDPLATFORM, cache mounts).
// Debian's docker CLI 20.10 with DOCKER_BUILDKIT=1 uses dockerd's own
// BuildKit; a newer CLI would need the buildx plugin, so the tests call
// Debian's by its path. --network none: the build downloads nothing.
func (e *engine) buildKit(t *testing.T, tag, platform, dockerfile string, args ...string) {
	t.Helper()
	cli := "/usr/bin/docker"
	if _, err := os.Stat(cli); err != nil {
		unavailable(t, "/usr/bin/docker is missing: .ci/run installs docker.io, whose CLI builds with dockerd's BuildKit",
			"SKIPPED: the BuildKit builds need Debian's docker CLI at /usr/bin/docker (apt-get install docker.io)")
	}
	e.buildWith(t, cli, []string{"DOCKER_BUILDKIT=1"}, tag, dockerfile, append([]string{"--platform=" + platform, "--network=none"}, args...)...)
}

func (e *engine) buildWith(t *testing.T, cli string, env []string, tag, dockerfile string, args ...string) {
	t.Helper()
	cmdline := []string{"build", "-q", "-f", dockerfile, "-t", tag}
	for _, a := range args {
		if strings.HasPrefix(a, "--") {
			cmdline = append(cmdline, a)
		} else {
			cmdline = append(cmdline, "--build-arg", a)
		}
	}
	start := time.Now()
	cmd := exec.Command(cli, append(cmdline, ".")...)
	cmd.Dir = ".."
	cmd.Env = e.env(env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s build -f %s: %v\n%s", cli, dockerfile, err, out)
	}
	t.Logf("built %s from %s in %.1fs: %s", tag, dockerfile, time.Since(start).Seconds(), e.size(t, tag))
}

// size is an image's size as docker images shows it, and in bytes.
func (e *engine) size(t *testing.T, image string) string {
	t.Helper()
	n, err := strconv.ParseInt(e.docker(t, "image", "inspect", "-f", "{{.Size}}", image), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%.2f MB (%d bytes)", float64(n)/1e6, n)
}

// importRoot makes an image of a root filesystem.
func (e *engine) importRoot(t *testing.T, root, tag string, changes ...string) {
	t.Helper()
	tarball := root + ".tar"
	if out, err := exec.Command("tar", "--numeric-owner", "-C", root, "-cf", tarball, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar %s: %v\n%s", root, err, out)
	}
	defer os.Remove(tarball)
	args := []string{"import"}
	for _, c := range changes {
		args = append(args, "--change", c)
	}
	if _, err := e.run(tarball, append(args, "-", tag)...); err != nil {
		t.Fatal(err)
	}
}

// Tags of the images every Docker test uses. probe and probe-example are
// the default PROBE_IMAGE and the example's own tag, so the compose and
// stack files run unchanged.
const (
	goBuilder  = "probe-e2e/go-builder"
	probeImage = "probe"
	// The same Dockerfile for arm64, cross-compiled on this amd64 machine.
	probeImageArm64 = "probe-arm64"
	exampleImage    = "probe-example"
)

// images builds, once: a Go build stage (the official image stands in),
// the probe image from Dockerfile.scratch, and the scratch example.
func (e *engine) images(t *testing.T) {
	t.Helper()
	shared.images.Do(func() {
		// A t.Fatal inside ends the once too: the error stays set unless
		// every build succeeded.
		shared.imagesErr = fmt.Errorf("they failed in %s", t.Name())
		e.buildImages(t)
		shared.imagesErr = nil
	})
	if shared.imagesErr != nil {
		t.Fatalf("building the images: %v", shared.imagesErr)
	}
}

func (e *engine) buildImages(t *testing.T) {
	root := filepath.Join(e.dir, "go-builder")
	goBuilderRoot(t, root)
	e.importRoot(t, root, goBuilder,
		"ENV PATH=/go/bin:/usr/local/go/bin:/bin", "ENV GOPATH=/go", "ENV GOTOOLCHAIN=local",
		"ENV GOPROXY=off", "ENV HOME=/root", "WORKDIR /go")
	os.RemoveAll(root)
	e.buildKit(t, probeImage, "linux/amd64", "Dockerfile.scratch", "GO_IMAGE="+goBuilder, "VERSION=e2e", "COMMIT=0123456789ab")
	e.buildKit(t, probeImageArm64, "linux/arm64", "Dockerfile.scratch", "GO_IMAGE="+goBuilder, "VERSION=e2e", "COMMIT=0123456789ab")
	e.build(t, exampleImage, "examples/scratch/Dockerfile", "GO_IMAGE="+goBuilder)
}

// goBuilderRoot lays out what the official Go image gives a build: the Go
// toolchain at /usr/local/go, a shell, and, because nothing can be
// downloaded inside a build here, this module's dependencies in the module
// cache at /go/pkg/mod (the build's `go mod download` finds them there,
// with GOPROXY=off).
func goBuilderRoot(t *testing.T, root string) {
	t.Helper()
	busybox := requireTool(t, "busybox", "busybox-static", "the Docker tests (the build stage's /bin/sh)")
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	for _, d := range []string{"usr/local", "bin", "tmp", "root", "go/pkg/mod"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(root, "tmp"), 0o1777)
	gr := strings.TrimSpace(string(goroot))
	copyTree := exec.Command("sh", "-c", `tar -C "$1" --exclude=./test --exclude=./api --exclude=./pkg/obj -cf - . | tar -C "$2" -xf -`,
		"sh", gr, filepath.Join(root, "usr/local/go"))
	os.MkdirAll(filepath.Join(root, "usr/local/go"), 0o755)
	if out, err := copyTree.CombinedOutput(); err != nil {
		t.Fatalf("copying %s: %v\n%s", gr, err, out)
	}
	if err := copyFile(busybox, filepath.Join(root, "bin/sh")); err != nil {
		t.Fatal(err)
	}
	// The module cache, filled from this machine's own cache first (the
	// tests were built from it), then from GOPROXY.
	cache, _ := exec.Command("go", "env", "GOMODCACHE").Output()
	proxy, _ := exec.Command("go", "env", "GOPROXY").Output()
	dl := exec.Command("go", "mod", "download")
	dl.Dir = ".."
	dl.Env = append(os.Environ(), "GOMODCACHE="+filepath.Join(root, "go/pkg/mod"), "GOFLAGS=-modcacherw",
		"GOPROXY=file://"+filepath.Join(strings.TrimSpace(string(cache)), "cache/download")+","+strings.TrimSpace(string(proxy)))
	if out, err := dl.CombinedOutput(); err != nil {
		t.Fatalf("go mod download: %v\n%s", err, out)
	}
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o755)
}

// state is what docker inspect says of a container.
type state struct {
	Status     string
	Running    bool
	ExitCode   int
	Pid        int
	StartedAt  time.Time
	FinishedAt time.Time
	Health     *struct {
		Status        string
		FailingStreak int
		Log           []healthResult
	}
}

type healthResult struct {
	Start, End time.Time
	ExitCode   int
	Output     string
}

func (e *engine) state(t *testing.T, name string) state {
	t.Helper()
	var s state
	if err := json.Unmarshal([]byte(e.docker(t, "inspect", "-f", "{{json .State}}", name)), &s); err != nil {
		t.Fatalf("docker inspect %s: %v", name, err)
	}
	return s
}

func (s state) health() string {
	if s.Health == nil {
		return "none"
	}
	return s.Health.Status
}

// lastOutput is the output of the latest health check.
func (s state) lastOutput() string {
	if s.Health == nil || len(s.Health.Log) == 0 {
		return ""
	}
	return s.Health.Log[len(s.Health.Log)-1].Output
}

// waitHealth polls until the container's health is want, and returns when
// it saw it and the state then.
func (e *engine) waitHealth(t *testing.T, name, want string, within time.Duration) (time.Time, state) {
	t.Helper()
	end := time.Now().Add(within)
	for {
		s := e.state(t, name)
		if s.health() == want {
			return time.Now(), s
		}
		if time.Now().After(end) {
			t.Fatalf("%s: health is %q after %s, want %q; last check: %q\nlogs:\n%s", name, s.health(), within, want,
				s.lastOutput(), e.logs(name))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logs is a container's output, stdout and stderr merged.
func (e *engine) logs(name string) string {
	cmd := exec.Command("docker", "logs", name)
	cmd.Env = e.env()
	out, _ := cmd.CombinedOutput()
	return string(out)
}

// ip is a container's address on its first network; the host reaches it
// over the bridge.
func (e *engine) ip(t *testing.T, name string) string {
	t.Helper()
	ip := e.docker(t, "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", name)
	if f := strings.Fields(ip); len(f) > 0 {
		return f[0]
	}
	t.Fatalf("%s has no IP address", name)
	return ""
}

// removeAtEnd removes a container when the test ends.
func (e *engine) removeAtEnd(t *testing.T, name string) {
	t.Cleanup(func() { e.run("", "rm", "-f", name) })
}

// eventLog keeps docker events, for the timestamps of health transitions.
type eventLog struct {
	cmd *exec.Cmd
	mu  sync.Mutex
	all []event
}

type event struct {
	Type     string
	Action   string
	TimeNano int64
	Actor    struct{ Attributes map[string]string }
}

func (ev event) at() time.Time { return time.Unix(0, ev.TimeNano) }

func (e *engine) watchEvents() (*eventLog, error) {
	l := &eventLog{cmd: exec.Command("docker", "events", "--format", "{{json .}}", "--filter", "type=container")}
	l.cmd.Env = e.env()
	out, err := l.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := l.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var ev event
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				l.mu.Lock()
				l.all = append(l.all, ev)
				l.mu.Unlock()
			}
		}
		l.cmd.Wait()
	}()
	return l, nil
}

// of returns the events of the container name whose action starts with one
// of prefixes.
func (l *eventLog) of(name string, prefixes ...string) []event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var got []event
	for _, ev := range l.all {
		if ev.Actor.Attributes["name"] != name {
			continue
		}
		for _, p := range prefixes {
			if strings.HasPrefix(ev.Action, p) {
				got = append(got, ev)
				break
			}
		}
	}
	return got
}

// timeline writes a container's lifecycle and health events, relative to
// its start.
func (e *engine) timeline(t *testing.T, name string) {
	t.Helper()
	time.Sleep(300 * time.Millisecond) // the last events
	evs := e.events.of(name, "start", "health_status", "kill", "die", "exec_start: /probe drain", "exec_start: /probe undrain")
	if len(evs) == 0 {
		return
	}
	var b strings.Builder
	t0 := evs[0].at()
	for _, ev := range evs {
		fmt.Fprintf(&b, "  %s  +%6.3fs  %s\n", ev.at().UTC().Format("15:04:05.000"), ev.at().Sub(t0).Seconds(), ev.Action)
	}
	t.Logf("docker events for %s:\n%s", name, b.String())
}

// fetch sends one GET and returns the status code and body, or an error.
func fetch(client *http.Client, url string) (int, string, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), nil
}
