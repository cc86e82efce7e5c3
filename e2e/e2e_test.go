//go:build e2e

// Package e2e holds the end-to-end tests that need real components beside
// probe: HAProxy and wrk for the rolling restart. They run on their own
// (make e2e), after the unit tests, because they load the machine.
package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// requireTool returns the path of a program the test needs. Outside CI a
// missing one skips the test, loudly; in CI it fails it, since .ci/run
// installs every tool and nothing may be skipped there.
func requireTool(t *testing.T, name, pkg, why string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		unavailable(t, fmt.Sprintf("%s is not installed (for %s): .ci/run installs the Debian package %s", name, why, pkg),
			fmt.Sprintf("SKIPPED: %s: %s is not installed (apt-get install %s); CI runs it", why, name, pkg))
	}
	return path
}

// unavailable ends a test that lacks something it needs: in CI it fails
// with inCI, elsewhere it skips with skipped, said on stderr too so that
// go test without -v shows it.
func unavailable(t *testing.T, inCI, skipped string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(inCI)
	}
	fmt.Fprintln(os.Stderr, skipped)
	t.Skip(skipped)
}

// build builds a package of this module into dir, statically.
func build(t *testing.T, dir, name, pkg string) string {
	t.Helper()
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, pkg)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// freeAddr returns a loopback address that nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// process is a program the test started, with its output kept as
// time-stamped lines.
type process struct {
	name string
	cmd  *exec.Cmd
	log  *timedLog
	done chan struct{} // closed when it has exited
	eof  chan struct{} // closed when its output is read to the end
	err  error
}

// start runs a program until the test ends, in a process group of its own,
// which the test ends by its ID: a child the program leaves behind holds
// its output open and would hang the test.
func start(t *testing.T, log *timedLog, name string, env []string, args ...string) *process {
	t.Helper()
	p := &process{name: name, cmd: exec.Command(args[0], args[1:]...), log: log, done: make(chan struct{}), eof: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout, p.cmd.Stderr = w, w
	err = p.cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		defer close(p.eof)
		defer r.Close()
		log.copy(name, r)
	}()
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	})
	return p
}

func (p *process) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %s: %v", p.name, err)
	}
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *process) wait(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(within):
		t.Fatalf("%s still runs %s later", p.name, within)
	}
	select { // its last lines
	case <-p.eof:
	case <-time.After(2 * time.Second):
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatalf("%s: %v", p.name, p.err)
	}
	return 0
}

// timedLog is the merged output of the test's processes, each line stamped
// with when it arrived, for the timeline of a failure.
type timedLog struct {
	mu    sync.Mutex
	start time.Time
	lines []timedLine
}

type timedLine struct {
	at   time.Duration
	who  string
	text string
}

func newTimedLog() *timedLog { return &timedLog{start: time.Now()} }

func (l *timedLog) copy(who string, r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		l.add(who, sc.Text())
	}
}

func (l *timedLog) add(who, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, timedLine{time.Since(l.start), who, text})
}

// find returns the first line from who containing want, at or after from.
func (l *timedLog) find(who, want string, from time.Duration) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if line.at >= from && line.who == who && strings.Contains(line.text, want) {
			return line.at, true
		}
	}
	return 0, false
}

// countBefore counts the lines from who containing want that came before
// until.
func (l *timedLog) countBefore(who, want string, until time.Duration) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if line.at < until && line.who == who && strings.Contains(line.text, want) {
			n++
		}
	}
	return n
}

// of returns the lines of who.
func (l *timedLog) of(who string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, line := range l.lines {
		if line.who == who {
			b.WriteString(line.text + "\n")
		}
	}
	return b.String()
}

func (l *timedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, line := range l.lines {
		fmt.Fprintf(&b, "%8.3fs %-10s %s\n", line.at.Seconds(), line.who, line.text)
	}
	return b.String()
}
