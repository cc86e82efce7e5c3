package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/testserver"
)

// buildProbe builds the static, stripped binary into dir, as images get it.
func buildProbe(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "probe")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// httpGet returns the status and body of a GET, or 0 and the error.
func httpGet(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// startApp starts the healthy test app on loopback for the test.
func startApp(t *testing.T) *testserver.Server {
	t.Helper()
	app, err := testserver.Start("http", "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	return app
}

// TestWaitExecKeepsThePID: probe wait replaces itself with the command, so
// the command runs as the same process (PID 1 in a container).
func TestWaitExecKeepsThePID(t *testing.T) {
	t.Parallel()
	bin := buildProbe(t, t.TempDir())
	app := startApp(t)
	cmd := exec.Command(bin, "wait", "--timeout", "10s", "http://"+app.Addr+"/healthz", "--", "sh", "-c", `echo "pid $$"; exit 7`)
	cmd.Env = append(os.Environ(), "PROBE_MARKER="+filepath.Join(t.TempDir(), "draining"))
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 {
		t.Fatalf("exit %v, want the command's own 7; stderr: %s", err, stderr.String())
	}
	if want := "pid " + strconv.Itoa(cmd.Process.Pid) + "\n"; stdout.String() != want {
		t.Fatalf("the command printed %q, want %q: it must run in probe's process", stdout.String(), want)
	}
	if !strings.Contains(stderr.String(), "is healthy after") {
		t.Fatalf("stderr %q", stderr.String())
	}
}

// TestServeOnSIGTERM sends a real SIGTERM to a real probe serve process.
func TestServeOnSIGTERM(t *testing.T) {
	t.Parallel()
	bin := buildProbe(t, t.TempDir())
	app := startApp(t)
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve", "--listen", addr, "--interval", "100ms", "--drain-delay", "1s", "http://"+app.Addr+"/healthz")
	cmd.Env = append(os.Environ(), "PROBE_MARKER="+filepath.Join(t.TempDir(), "draining"))
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	logs := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs <- sc.Text()
		}
		close(logs)
	}()
	readyz := func() (int, string) { return httpGet("http://" + addr + "/readyz") }
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if code, _ := readyz(); code == 200 {
			break
		}
		if time.Now().After(end) {
			t.Fatal("probe serve never turned ready")
		}
	}
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		code, body := readyz()
		if code == 503 {
			if body != "draining: received SIGTERM\n" {
				t.Fatalf("after SIGTERM /readyz says %q", body)
			}
			break
		}
		if time.Now().After(end) {
			t.Fatalf("/readyz still %d %q after SIGTERM", code, body)
		}
	}
	// Every line first, to the end of the pipe: Wait closes it, and a line
	// not yet read would be lost.
	var all []string
	for l := range logs {
		all = append(all, l)
	}
	err := cmd.Wait()
	took := time.Since(sent)
	if err != nil {
		t.Fatalf("probe serve exited with %v after SIGTERM, want 0", err)
	}
	if took < time.Second {
		t.Fatalf("probe serve stopped %s after SIGTERM, before its 1s drain delay", took)
	}
	text := strings.Join(all, "\n")
	for _, want := range []string{"probe: serving /livez", "is up: HTTP 200 OK", "probe: received SIGTERM: /readyz reports draining; serving for 1s more, then stopping", "probe: stopped"} {
		if !strings.Contains(text, want) {
			t.Fatalf("logs lack %q:\n%s", want, text)
		}
	}
}

// TestInspectAsNobody: a user who may not read other processes' fds still
// gets the whole view, with those parts marked, and exit 0.
func TestInspectAsNobody(t *testing.T) {
	t.Parallel()
	requireRoot(t, "running probe inspect as another user")
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} { // nobody must reach the binary
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := buildProbe(t, dir)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cmd := exec.Command(bin, "inspect")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	cmd.Env = []string{"PROBE_MARKER=" + filepath.Join(dir, "draining")}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("probe inspect as nobody: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"PID  ", "?: the descriptors of ", "may not be read, so their files and sockets are unknown: run as root or as the app's user",
		ln.Addr().String() + "  ? (owner not readable: run as root or as the app's user)", "SIGTERM: PID 1 "} {
		if !strings.Contains(text, want) {
			t.Fatalf("the view lacks %q:\n%s", want, text)
		}
	}
}

// TestStackGrownFirst: internal/startstack grows the main goroutine's
// stack before any deep initialiser runs (kong's compiles a regular
// expression), which it can only do while it imports nothing and so
// initialises among the first packages.
func TestStackGrownFirst(t *testing.T) {
	t.Parallel()
	bin := buildProbe(t, t.TempDir())
	cmd := exec.Command(bin, "--version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("probe --version: %v\n%s", err, out)
	}
	var order []string
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "init" {
			order = append(order, f[1])
		}
	}
	at := func(pkg string) int {
		for i, p := range order {
			if p == pkg {
				return i
			}
		}
		t.Fatalf("no init of %s in:\n%s", pkg, out)
		return -1
	}
	first := at("github.com/probe-sh/probe/internal/startstack")
	for _, later := range []string{"regexp/syntax", "github.com/alecthomas/kong", "github.com/probe-sh/probe/internal/cli"} {
		if at(later) < first {
			t.Errorf("%s initialises before internal/startstack: its stack grows as before", later)
		}
	}
}
