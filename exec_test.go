package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/patched/procfs"
)

// execProcess is a running probe exec, with its output collected line by
// line.
type execProcess struct {
	t      *testing.T
	cmd    *exec.Cmd
	marker string
	mu     sync.Mutex
	stdout []string
	stderr []string
	done   chan struct{}
	code   int
	took   time.Duration // from the first signal sent to exit
	sent   time.Time
}

// startExec runs bin with args and PROBE_MARKER in a fresh directory.
func startExec(t *testing.T, bin string, args ...string) *execProcess {
	t.Helper()
	p := &execProcess{t: t, marker: filepath.Join(t.TempDir(), "draining"), done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), "PROBE_MARKER="+p.marker)
	// A group of its own, ended as one at cleanup: an app left behind
	// would hold the output pipes open and hang the test.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, _ := p.cmd.StdoutPipe()
	stderr, _ := p.cmd.StderrPipe()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	collect := func(r io.Reader, lines *[]string) {
		defer wg.Done()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			p.mu.Lock()
			*lines = append(*lines, sc.Text())
			p.mu.Unlock()
		}
	}
	wg.Add(2)
	go collect(stdout, &p.stdout)
	go collect(stderr, &p.stderr)
	go func() {
		wg.Wait()
		err := p.cmd.Wait()
		p.mu.Lock()
		p.took = time.Since(p.sent)
		p.mu.Unlock()
		p.code = 0
		if ee, ok := err.(*exec.ExitError); ok {
			p.code = ee.ExitCode()
		} else if err != nil {
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	})
	return p
}

func (p *execProcess) signal(sig syscall.Signal) {
	p.t.Helper()
	if p.sent.IsZero() {
		p.markSent()
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("kill -%d: %v", sig, err)
	}
}

// markSent records now as the moment the first signal was sent, from which
// took counts: under the lock, as the goroutine that waits for the exit
// reads it.
func (p *execProcess) markSent() {
	p.mu.Lock()
	p.sent = time.Now()
	p.mu.Unlock()
}

// waitLine waits for a line on stdout (or stderr) that contains want.
func (p *execProcess) waitLine(want string, onStderr bool) {
	p.t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(p.output(onStderr), want) {
			return
		}
	}
	p.t.Fatalf("no line with %q after 10s; stdout:\n%s\nstderr:\n%s", want, p.output(false), p.output(true))
}

func (p *execProcess) output(onStderr bool) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if onStderr {
		return strings.Join(p.stderr, "\n")
	}
	return strings.Join(p.stdout, "\n")
}

// exit waits for the process to end and returns its code.
func (p *execProcess) exit(within time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(within):
		p.t.Fatalf("probe exec still runs %s later; stderr:\n%s", within, p.output(true))
		return -1
	}
}

func (p *execProcess) markerExists() bool {
	_, err := os.Stat(p.marker)
	return err == nil
}

// trapScript is a shell app that says "ready", reports each signal it gets
// and exits with code N on the signal whose handler says so.
func trapScript(traps string) []string {
	return []string{"sh", "-c", traps + `; echo ready; while :; do sleep 0.02; done`}
}

// TestExecSignals runs the real binary with small shell apps and real
// signals.
func TestExecSignals(t *testing.T) {
	t.Parallel()
	bin := buildProbe(t, t.TempDir())

	t.Run("forwards other signals at once, and passes SIGTERM on after the drain", func(t *testing.T) {
		t.Parallel()
		p := startExec(t, bin, append([]string{"exec", "--drain-delay", "600ms", "--"},
			trapScript(`trap 'echo got USR1' USR1; trap 'echo got HUP' HUP; trap 'echo got TERM; exit 9' TERM`)...)...)
		p.waitLine("ready", false)
		p.cmd.Process.Signal(syscall.SIGUSR1)
		p.waitLine("got USR1", false)
		p.cmd.Process.Signal(syscall.SIGHUP)
		p.waitLine("got HUP", false)
		if p.markerExists() {
			t.Fatal("the marker exists before any stop signal")
		}
		p.signal(syscall.SIGTERM)
		// The marker comes at once; the app hears nothing yet.
		for end := time.Now().Add(time.Second); !p.markerExists(); time.Sleep(2 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatal("no shutdown marker 1s after SIGTERM")
			}
		}
		markedAfter := time.Since(p.sent)
		time.Sleep(300 * time.Millisecond)
		// Read the clock first: on a slow machine the sleep can overrun.
		if into := time.Since(p.sent); strings.Contains(p.output(false), "got TERM") && into < 600*time.Millisecond {
			t.Fatalf("the app got SIGTERM %s into a 600ms drain", into)
		}
		if code := p.exit(5 * time.Second); code != 9 {
			t.Fatalf("exit %d, want the app's 9; stderr:\n%s", code, p.output(true))
		}
		if p.took < 600*time.Millisecond {
			t.Fatalf("exited %s after SIGTERM, before the 600ms drain delay", p.took)
		}
		if p.markerExists() {
			t.Fatal("the marker is still there after exit")
		}
		t.Logf("marker %s after SIGTERM; exit %s after it", markedAfter, p.took)
		wantLines(t, p.output(true),
			`probe: received SIGTERM: draining for 600ms before passing it on to sh (shutdown marker `+p.marker+` created: health checks report draining)`,
			`probe: drain delay of 600ms over: passing SIGTERM on to sh`,
			`probe: sh exited with code 9`)
	})

	t.Run("a second signal cuts the drain short", func(t *testing.T) {
		t.Parallel()
		p := startExec(t, bin, append([]string{"exec", "--drain-delay", "1h", "--"},
			trapScript(`trap 'echo got INT; exit 5' INT; trap 'echo got TERM; exit 6' TERM`)...)...)
		p.waitLine("ready", false)
		p.signal(syscall.SIGTERM)
		p.waitLine("draining for 1h0m0s", true)
		p.cmd.Process.Signal(syscall.SIGINT)
		if code := p.exit(5 * time.Second); code != 5 {
			t.Fatalf("exit %d, want 5: the second signal (SIGINT) goes to the app; stderr:\n%s", code, p.output(true))
		}
		wantLines(t, p.output(true), `probe: received SIGINT after `, `of the drain: passing SIGINT on to sh`)
	})

	t.Run("a second signal cuts the adaptive drain short", func(t *testing.T) {
		t.Parallel()
		p := startExec(t, bin, append([]string{"exec", "--drain-min", "1h", "--drain-max", "1h", "--"},
			trapScript(`trap 'echo got TERM; exit 6' TERM`)...)...)
		p.waitLine("ready", false)
		p.signal(syscall.SIGTERM)
		p.waitLine("draining until the app's traffic stops (at least 1h0m0s, at most 1h0m0s)", true)
		p.cmd.Process.Signal(syscall.SIGTERM)
		if code := p.exit(5 * time.Second); code != 6 {
			t.Fatalf("exit %d, want 6: the second SIGTERM goes to the app; stderr:\n%s", code, p.output(true))
		}
		wantLines(t, p.output(true), `probe: received SIGTERM after `, `of the drain: passing SIGTERM on to sh`)
	})

	t.Run("an adaptive drain that cannot see the traffic lasts its maximum", func(t *testing.T) {
		t.Parallel()
		p := startExec(t, bin, append([]string{"--proc-root", t.TempDir(), "exec", "--drain-min", "100ms", "--drain-max", "700ms", "--"},
			trapScript(`trap 'echo got TERM; exit 6' TERM`)...)...)
		p.waitLine("ready", false)
		p.signal(syscall.SIGTERM)
		if code := p.exit(5 * time.Second); code != 6 {
			t.Fatalf("exit %d, want 6; stderr:\n%s", code, p.output(true))
		}
		wantLines(t, p.output(true), "probe: cannot see the app's traffic (", "): until it can, only the drain maximum of 700ms ends the drain",
			"probe: drain maximum of 700ms reached, without seeing the app's traffic: passing SIGTERM on to sh")
		if p.took < 600*time.Millisecond {
			t.Errorf("the blind drain ended %s after SIGTERM, before its maximum", p.took)
		}
	})

	t.Run("an app on no TCP port drains for the minimum", func(t *testing.T) {
		t.Parallel()
		p := startExec(t, bin, append([]string{"exec", "--drain-min", "300ms", "--drain-max", "1h", "--"},
			trapScript(`trap 'echo got TERM; exit 6' TERM`)...)...)
		p.waitLine("ready", false)
		p.signal(syscall.SIGTERM)
		if code := p.exit(5 * time.Second); code != 6 {
			t.Fatalf("exit %d, want 6; stderr:\n%s", code, p.output(true))
		}
		wantLines(t, p.output(true), "probe: drain minimum of 300ms over, and the app listens on no TCP port whose traffic could be watched: passing SIGTERM on to sh")
	})

	t.Run("the app exiting during the drain ends it at once", func(t *testing.T) {
		t.Parallel()
		p := startExec(t, bin, append([]string{"exec", "--drain-delay", "1h", "--"},
			trapScript(`trap 'exit 4' USR2`)...)...)
		p.waitLine("ready", false)
		p.signal(syscall.SIGTERM)
		p.waitLine("draining for 1h0m0s", true)
		p.cmd.Process.Signal(syscall.SIGUSR2)
		if code := p.exit(5 * time.Second); code != 4 {
			t.Fatalf("exit %d, want 4", code)
		}
		if p.markerExists() {
			t.Fatal("the marker outlived the app")
		}
	})

	t.Run("--stop-signal drains too, and is what the app gets", func(t *testing.T) {
		t.Parallel()
		p := startExec(t, bin, append([]string{"exec", "--drain-delay", "200ms", "--stop-signal", "SIGQUIT", "--"},
			trapScript(`trap 'echo got QUIT; exit 3' QUIT`)...)...)
		p.waitLine("ready", false)
		p.signal(syscall.SIGQUIT)
		p.waitLine("probe: received SIGQUIT: draining for 200ms", true)
		if !p.markerExists() {
			t.Fatal("SIGQUIT did not create the marker")
		}
		if code := p.exit(5 * time.Second); code != 3 || !strings.Contains(p.output(false), "got QUIT") {
			t.Fatalf("exit %d, stdout %q: want the app to get SIGQUIT and exit 3", code, p.output(false))
		}
	})

	t.Run("a signal that kills the app gives 128+N", func(t *testing.T) {
		t.Parallel()
		p := startExec(t, bin, "exec", "--drain-delay", "0s", "--", "sh", "-c", "echo ready; exec sleep 60")
		p.waitLine("ready", false)
		p.signal(syscall.SIGTERM)
		if code := p.exit(5 * time.Second); code != 128+15 {
			t.Fatalf("exit %d, want 143", code)
		}
		wantLines(t, p.output(true), "probe: received SIGTERM: passing SIGTERM on to sh", "probe: sh was killed by SIGTERM (exit code 143)")
	})

	t.Run("orphans are reaped", func(t *testing.T) {
		t.Parallel()
		// The app starts a background job and leaves it; the job's parent
		// (the inner sh) exits, so the job is re-parented to probe exec.
		p := startExec(t, bin, "exec", "--", "sh", "-c", `sh -c 'sleep 1 & echo orphan $!'; sleep 2.5; echo done`)
		p.waitLine("orphan ", false)
		orphan, _ := strconv.Atoi(strings.TrimPrefix(p.output(false), "orphan "))
		// Re-parenting follows the exit of the inner sh.
		for end := time.Now().Add(800 * time.Millisecond); ; time.Sleep(5 * time.Millisecond) {
			ppid, _ := procStat(orphan)
			if ppid == p.cmd.Process.Pid {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("the orphan %d has parent %d, want probe exec (%d)", orphan, ppid, p.cmd.Process.Pid)
			}
		}
		time.Sleep(1500 * time.Millisecond) // it has exited by now
		if _, state := procStat(orphan); state != "" {
			t.Fatalf("the orphan %d is in state %q after it exited: probe exec did not reap it", orphan, state)
		}
		if code := p.exit(5 * time.Second); code != 0 {
			t.Fatalf("exit %d", code)
		}
	})
}

// procStat reads a process's parent and state from /proc; state is empty
// when the process is gone.
func procStat(pid int) (ppid int, state string) {
	proc, err := procfs.NewProc(pid)
	if err != nil {
		return 0, ""
	}
	st, err := proc.Stat()
	if err != nil {
		return 0, ""
	}
	return st.PPID, st.State
}

func wantLines(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Fatalf("the output lacks %q:\n%s", want, text)
		}
	}
}

// TestExecDrainsTheDemoApp is the lifecycle with the real demo app: healthy,
// SIGTERM, draining while still serving, a long request in flight
// completing, exit with the app's code.
func TestExecDrainsTheDemoApp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := buildProbe(t, dir)
	app := buildApp(t, dir)
	addr := freeAddr(t)
	p := startExec(t, bin, "exec", "--drain-delay", "2s", "--", app, "-listen", addr)
	base := "http://" + addr
	check := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "PROBE_MARKER="+p.marker)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		return 0, string(out)
	}
	if code, out := check("--retries", "50", "--retry-delay", "100ms", base+"/healthz"); code != 0 {
		t.Fatalf("the app never turned healthy: %s", out)
	}

	long := make(chan string, 1)
	go func() {
		code, body := httpGet(base + "/work?ms=3000")
		long <- fmt.Sprint(code, " ", body)
	}()
	time.Sleep(200 * time.Millisecond) // the long request is in flight
	p.signal(syscall.SIGTERM)
	for !p.markerExists() {
		if time.Since(p.sent) > time.Second {
			t.Fatal("no shutdown marker 1s after SIGTERM")
		}
		time.Sleep(2 * time.Millisecond)
	}

	code, out := check(base + "/healthz")
	if code != 1 || !strings.HasPrefix(out, "draining "+base+"/healthz") {
		t.Fatalf("right after SIGTERM the health check says (exit %d) %q, want draining", code, out)
	}
	if code, out := check("--no-marker", base+"/healthz"); code != 0 {
		t.Fatalf("the liveness check (--no-marker) fails while draining: %s", out)
	}
	// The app still serves new requests for the drain delay.
	served := 0
	for time.Since(p.sent) < 1200*time.Millisecond { // of a 2s drain
		resp, err := http.Get(base + "/healthz")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s into the drain, a request failed: %v", time.Since(p.sent), err)
		}
		resp.Body.Close()
		served++
		time.Sleep(50 * time.Millisecond)
	}
	if got := p.exit(10 * time.Second); got != 0 {
		t.Fatalf("exit %d, want the app's 0; stderr:\n%s", got, p.output(true))
	}
	if r := <-long; r != "200 done after 3000ms\n" {
		t.Fatalf("the request in flight at SIGTERM got %q", r)
	}
	if p.took < 2800*time.Millisecond {
		t.Fatalf("probe exec exited %s after SIGTERM, before the request in flight could finish", p.took)
	}
	if p.markerExists() {
		t.Fatal("the marker outlived the app")
	}
	wantLines(t, p.output(true), "probe: received SIGTERM: draining for 2s", "app: terminated: finishing requests in flight", "app: bye", "probe: app exited with code 0")
	t.Logf("%d requests served during the drain; exit %s after SIGTERM", served, p.took)
}

// buildApp builds the demo app into dir.
func buildApp(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "app")
	build := exec.Command("go", "build", "-o", bin, "./examples/app")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./examples/app: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestExecAsPID1 runs probe exec as PID 1 of a new PID namespace, as in a
// container: the kernel drops signals that PID 1 has no handler for, and
// every orphan in the namespace becomes its child.
func TestExecAsPID1(t *testing.T) {
	t.Parallel()
	requireRoot(t, "running probe exec as PID 1 of a new PID namespace (unshare)")
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Fatalf("unshare is not installed: %v", err)
	}
	bin := buildProbe(t, t.TempDir())
	p := startExec(t, "unshare", append([]string{"--pid", "--fork", "--mount-proc", bin, "exec", "--drain-delay", "300ms", "--"},
		trapScript(`echo "parent $PPID"; sh -c 'sleep 0.2 & echo orphan $!'; trap 'echo got TERM; exit 3' TERM`)...)...)
	p.waitLine("ready", false)
	out := p.output(false)
	if !strings.Contains(out, "parent 1\n") {
		t.Fatalf("the app's parent is not PID 1:\n%s", out)
	}
	// unshare forks probe exec: its only child, seen from here.
	pid1 := childPID(t, p.cmd.Process.Pid)
	time.Sleep(500 * time.Millisecond) // the orphan has exited
	if zombies := childrenInState(pid1, "Z"); len(zombies) > 0 {
		t.Fatalf("PID 1 left zombies: %v", zombies)
	}
	p.markSent()
	if err := syscall.Kill(pid1, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitLine("probe: received SIGTERM: draining for 300ms", true)
	if code := p.exit(5 * time.Second); code != 3 {
		t.Fatalf("exit %d, want the app's 3 (through unshare); stderr:\n%s", code, p.output(true))
	}
	if !strings.Contains(p.output(false), "got TERM") {
		t.Fatalf("the app never got SIGTERM:\n%s", p.output(false))
	}
}

// childrenInState lists the children of pid in a /proc state (Z: zombie).
func childrenInState(pid int, state string) []int {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return nil
	}
	procs, err := fs.AllProcs()
	if err != nil {
		return nil
	}
	var found []int
	for _, p := range procs {
		if st, err := p.Stat(); err == nil && st.PPID == pid && st.State == state {
			found = append(found, p.PID)
		}
	}
	return found
}

// TestExecGroup runs a shell entrypoint as PID 1 of a new PID namespace,
// as in a container: the shell starts a worker in the background and
// waits. SIGTERM kills the shell at once; the worker must hear SIGTERM too
// and finish its work before PID 1 exits, which kills whatever is left.
// Without --group, it never hears it and is killed mid-work.
func TestExecGroup(t *testing.T) {
	t.Parallel()
	requireRoot(t, "running probe exec --group as PID 1 of a new PID namespace (unshare)")
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Fatalf("unshare is not installed: %v", err)
	}
	bin := buildProbe(t, t.TempDir())
	entrypoint := []string{"sh", "-c", `sh -c 'trap "echo worker got TERM; sleep 0.5; echo worker finished; exit 0" TERM; echo worker ready; while :; do sleep 0.05; done' & wait`}
	run := func(t *testing.T, flags ...string) *execProcess {
		args := append([]string{"--pid", "--fork", "--mount-proc", bin, "exec", "--drain-delay", "200ms"}, flags...)
		p := startExec(t, "unshare", append(append(args, "--"), entrypoint...)...)
		p.waitLine("worker ready", false)
		pid1 := childPID(t, p.cmd.Process.Pid) // unshare forks probe exec
		p.markSent()
		if err := syscall.Kill(pid1, syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := p.exit(10 * time.Second); code != 128+15 {
			t.Fatalf("exit %d, want 143: the shell was killed by SIGTERM; stderr:\n%s", code, p.output(true))
		}
		return p
	}

	t.Run("--group: the worker gets SIGTERM and finishes", func(t *testing.T) {
		t.Parallel()
		p := run(t, "--group")
		wantLines(t, p.output(false), "worker got TERM", "worker finished")
		wantLines(t, p.output(true),
			"probe: drain delay of 200ms over: passing SIGTERM on to sh and its process group",
			"probe: sh was killed by SIGTERM (exit code 143)",
			"probe: waiting for the rest of its process group to exit",
			"probe: the rest of the process group of sh has exited")
		if p.took < 700*time.Millisecond {
			t.Errorf("exited %s after SIGTERM: before the 200ms drain and the worker's 500ms of work", p.took)
		}
	})

	t.Run("without --group: the worker never hears it", func(t *testing.T) {
		t.Parallel()
		p := run(t)
		if out := p.output(false); strings.Contains(out, "worker got TERM") || strings.Contains(out, "worker finished") {
			t.Fatalf("the worker heard SIGTERM without --group:\n%s", out)
		}
		wantLines(t, p.output(true), "probe: drain delay of 200ms over: passing SIGTERM on to sh", "probe: sh was killed by SIGTERM (exit code 143)")
	})
}

// TestExecServes: probe exec --listen answers the endpoints for the app it
// runs, with no sidecar, and /readyz turns 503 the moment SIGTERM arrives,
// while the app still serves; --agent answers HAProxy's agent-check the
// same way.
func TestExecServes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := buildProbe(t, dir)
	app := buildApp(t, dir)
	addr, listen, agent := freeAddr(t), freeAddr(t), freeAddr(t)
	p := startExec(t, bin, "exec", "--drain-delay", "1s", "--listen", listen, "--agent", agent,
		"--interval", "100ms", "--check", "http://"+addr+"/healthz", "--", app, "-listen", addr)
	base := "http://" + listen
	agentSays := func() string {
		conn, err := net.DialTimeout("tcp", agent, time.Second)
		if err != nil {
			return err.Error()
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(2 * time.Second))
		b, _ := io.ReadAll(conn)
		return string(b)
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for end := time.Now().Add(10 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%s: not after 10s; stderr:\n%s", what, p.output(true))
			}
		}
	}
	waitFor("/readyz 200", func() bool { code, _ := httpGet(base + "/readyz"); return code == 200 })
	if code, body := httpGet(base + "/livez"); code != 200 || body != "alive\n" {
		t.Fatalf("/livez = %d %q", code, body)
	}
	if got := agentSays(); got != "up ready\n" {
		t.Fatalf("the agent-check says %q while ready", got)
	}
	// The app turns unhealthy: /readyz follows its check.
	if code, _ := httpPost("http://" + addr + "/admin/health?up=false"); code != 200 {
		t.Fatal("cannot make the app unhealthy")
	}
	waitFor("/readyz 503 for the app's check", func() bool {
		_, body := httpGet(base + "/readyz")
		return strings.HasPrefix(body, "not ready: http://"+addr+"/healthz is unhealthy: HTTP 503")
	})
	httpPost("http://" + addr + "/admin/health?up=true")
	waitFor("/readyz 200 again", func() bool { code, _ := httpGet(base + "/readyz"); return code == 200 })

	p.signal(syscall.SIGTERM)
	code, body := httpGet(base + "/readyz")
	for code == 200 && time.Since(p.sent) < 3*time.Second {
		code, body = httpGet(base + "/readyz")
	}
	// Within the 1s drain, with room for a loaded machine: the marker alone
	// would also do it within 50ms; "received SIGTERM" says the wrapper
	// told the server itself.
	if code != 503 || !strings.HasPrefix(body, "draining: received SIGTERM") {
		t.Fatalf("/readyz after SIGTERM = %d %q", code, body)
	}
	if since := time.Since(p.sent); since > time.Second {
		t.Fatalf("/readyz turned 503 only %s after SIGTERM, after the 1s drain", since)
	}
	if got := agentSays(); got != "drain\n" {
		t.Fatalf("the agent-check says %q while draining", got)
	}
	if code, _ := httpGet("http://" + addr + "/healthz"); code != 200 {
		t.Fatalf("the app stopped serving during the drain: %d", code)
	}
	if code := p.exit(10 * time.Second); code != 0 {
		t.Fatalf("exit %d, want the app's 0; stderr:\n%s", code, p.output(true))
	}
	if p.took < time.Second {
		t.Fatalf("exited %s after SIGTERM, before the 1s drain", p.took)
	}
	if conn, err := net.DialTimeout("tcp", listen, 200*time.Millisecond); err == nil {
		conn.Close()
		t.Fatal("--listen still answers after probe exec exited")
	}
}

// TestExecRestartUnhealthy: the app hangs (SIGSTOP); probe exec's own checks
// fail --failure-threshold times in a row, and it stops the app with the
// drain, wakes it (SIGCONT) so it can finish, and exits 1 although the app
// exits 0, so that the restart policy acts. Failures within --start-period
// do not count.
func TestExecRestartUnhealthy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := buildProbe(t, dir)
	app := buildApp(t, dir)

	t.Run("a hung app is stopped, and probe exec exits 1", func(t *testing.T) {
		t.Parallel()
		addr := freeAddr(t)
		p := startExec(t, bin, "exec", "--drain-delay", "300ms", "--restart-unhealthy", "--timeout", "300ms",
			"--interval", "200ms", "--failure-threshold", "2", "--check", "http://"+addr+"/healthz", "--", app, "-listen", addr)
		p.waitLine("app: serving on", true)
		for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if code, _ := httpGet("http://" + addr + "/healthz"); code == 200 {
				break
			}
			if time.Now().After(end) {
				t.Fatal("the app never answered")
			}
		}
		time.Sleep(500 * time.Millisecond) // passing checks do not stop it
		if strings.Contains(p.output(true), "restart-unhealthy") {
			t.Fatalf("stopped a healthy app:\n%s", p.output(true))
		}
		appPID := childPID(t, p.cmd.Process.Pid)
		p.markSent()
		if err := syscall.Kill(appPID, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		code := p.exit(15 * time.Second)
		if code != 1 {
			t.Fatalf("exit %d, want 1; stderr:\n%s", code, p.output(true))
		}
		wantLines(t, p.output(true),
			"probe: http://"+addr+"/healthz failed 2 checks in a row (--restart-unhealthy): ",
			": draining for 300ms before sending SIGTERM to app",
			"app: terminated: finishing requests in flight, then exiting",
			"probe: app exited with code 0",
			"probe: exiting with code 1 all the same, so that the restart policy starts it again")
		// Two failed checks 200ms apart, each up to 300ms, and the drain:
		// about 1s; the bound leaves room for a loaded machine.
		if p.took > 6*time.Second {
			t.Errorf("exited %s after the app hung", p.took)
		}
		t.Logf("exited %s after SIGSTOP", p.took)
	})

	t.Run("failures within --start-period do not count", func(t *testing.T) {
		t.Parallel()
		addr := freeAddr(t)
		// Nothing listens for the first second: a slow starter.
		p := startExec(t, bin, "exec", "--drain-delay", "0s", "--restart-unhealthy", "--start-period", "2s", "--timeout", "300ms",
			"--interval", "100ms", "--failure-threshold", "2", "--check", "http://"+addr+"/healthz", "--",
			"sh", "-c", "sleep 1; exec "+app+" -listen "+addr)
		time.Sleep(2500 * time.Millisecond)
		if out := p.output(true); strings.Contains(out, "restart-unhealthy") {
			t.Fatalf("the failures of the start period counted:\n%s", out)
		}
		p.waitLine("is up: HTTP 200", true)
	})
}

// childPID is the only child of pid. (/proc/PID/task/TID/children lists
// the children of one thread only, and Go may fork from any.)
func childPID(t *testing.T, pid int) int {
	t.Helper()
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		t.Fatal(err)
	}
	procs, err := fs.AllProcs()
	if err != nil {
		t.Fatal(err)
	}
	var kids []int
	for _, p := range procs {
		if st, err := p.Stat(); err == nil && st.PPID == pid {
			kids = append(kids, p.PID)
		}
	}
	if len(kids) != 1 {
		t.Fatalf("the children of %d: %v, want one", pid, kids)
	}
	return kids[0]
}

func httpPost(u string) (int, string) {
	resp, err := http.Post(u, "text/plain", nil)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestExecAdaptiveDrain drains the demo app adaptively, with real
// connections: keep-alive load that goes on for a while after SIGTERM, as
// a balancer's does until it notices, and a long request in flight. The
// drain must outlast both, then end on its own, well before its maximum,
// saying why; and with a maximum shorter than the request, end there,
// saying a request is still in flight.
func TestExecAdaptiveDrain(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := buildProbe(t, dir)
	app := buildApp(t, dir)

	run := func(t *testing.T, max string, long time.Duration) *execProcess {
		addr := freeAddr(t)
		p := startExec(t, bin, "exec", "--drain-min", "500ms", "--drain-quiet", "500ms", "--drain-max", max, "--", app, "-listen", addr)
		base := "http://" + addr
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
		get := func(path string) error {
			resp, err := client.Get(base + path)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 {
				return fmt.Errorf("%d %s", resp.StatusCode, body)
			}
			return nil
		}
		for end := time.Now().Add(10 * time.Second); get("/healthz") != nil; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatal("the app never answered")
			}
		}
		longDone := make(chan error, 1)
		go func() { longDone <- get(fmt.Sprintf("/work?ms=%d", long.Milliseconds())) }()
		time.Sleep(200 * time.Millisecond)
		p.signal(syscall.SIGTERM)
		// The balancer has not noticed yet: load for 1.5s more.
		for served := 0; ; served++ {
			if err := get("/work?ms=5"); err != nil {
				t.Fatalf("a request %s into the drain failed: %v", time.Since(p.sent), err)
			}
			if time.Since(p.sent) > 1500*time.Millisecond {
				t.Logf("%d requests during the drain", served+1)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if code := p.exit(30 * time.Second); code != 0 {
			t.Fatalf("exit %d, want the app's 0; stderr:\n%s", code, p.output(true))
		}
		if err := <-longDone; err != nil {
			t.Errorf("the %s request in flight at SIGTERM: %v", long, err)
		}
		return p
	}

	t.Run("traffic stops", func(t *testing.T) {
		p := run(t, "20s", 4*time.Second)
		wantLines(t, p.output(true),
			"probe: received SIGTERM: draining until the app's traffic stops (at least 500ms, at most 20s) before passing it on to app",
			"probe: the app's traffic stopped after",
			"app: terminated: finishing requests in flight",
			"probe: app exited with code 0")
		if !regexp.MustCompile(`none in flight, [12] idle connections? open: passing SIGTERM on to app`).MatchString(p.output(true)) {
			t.Errorf("the drain did not end on an idle keep-alive connection:\n%s", p.output(true))
		}
		// The long request ends 3.8s after SIGTERM was sent; the load
		// 1.5s after. The drain waits for both, and ends long before 20s.
		if p.took < 3700*time.Millisecond {
			t.Errorf("probe exec exited %s after SIGTERM, before the request in flight ended", p.took)
		}
		if p.took > 10*time.Second {
			t.Errorf("probe exec exited %s after SIGTERM: the drain did not see the traffic stop", p.took)
		}
	})
	t.Run("maximum", func(t *testing.T) {
		p := run(t, "2s", 4*time.Second)
		wantLines(t, p.output(true),
			"probe: drain maximum of 2s reached with 1 request in flight",
			"app: terminated: finishing requests in flight",
			"probe: app exited with code 0")
	})
}
