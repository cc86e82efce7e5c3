package checks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/probe-sh/probe/internal/files"
	"github.com/probe-sh/probe/internal/procinfo"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/signals"
)

// PhaseRun is a command running.
const PhaseRun = "run"

// Command runs a program and passes when it exits 0, as a Kubernetes exec
// probe, a Consul script check or wait4x's exec checker: for an app whose
// only health signal is its own command line. It runs in a process group of
// its own, which Run ends whole before it returns, whatever the program's
// exit: SIGKILL to the group, so that a shell's background children go too,
// and then a wait until no process of the group runs. The deadline kills
// it 25 ms early, so that its end is reported by the deadline. What it
// prints, stdout and stderr together, is kept up to MaxOutput, and its last
// line is what the result shows.
//
// A process that leaves the group (setsid, a daemon's double fork) is not
// the group's: Run cannot end it, but stops reading the output it holds.
// probe run ends those too, as a child subreaper.
type Command struct {
	Argv      []string
	Env       []string // the environment; probe's own when nil
	Dir       string   // the working directory; probe's own when empty
	MaxOutput int      // bytes of output kept; 4 KiB when zero
}

// killMargin is how long before the deadline the command is killed, so
// that the kill, and the wait for its group to go, end by the deadline.
const killMargin = 25 * time.Millisecond

// endWait bounds the wait for a killed group to be gone: a process in
// uninterruptible sleep (D) dies only when its I/O ends.
const endWait = time.Second

// outputWait is how long the output may take to end once the group is
// gone: only a process outside the group can still hold it open.
const outputWait = 50 * time.Millisecond

// EndWithin is how long past its deadline, or past a cancel, Command.Run
// may take to end the command's process group and return (probe.Run waits that
// long for it, so that no report is made while the group may still run).
func (Command) EndWithin() time.Duration { return endWait + outputWait + 50*time.Millisecond }

// Run runs the command.
func (c Command) Run(ctx context.Context, tr *Trace) (string, error) {
	if len(c.Argv) == 0 || c.Argv[0] == "" {
		return "", &CommandError{Msg: "no command to run", Code: -1}
	}
	tr.Enter(PhaseRun)
	out := &boundedBuffer{max: c.MaxOutput}
	if out.max <= 0 {
		out.max = 4 << 10
	}
	// The output is a pipe of our own, not os/exec's: exec's Wait waits
	// for every holder of its pipes, a background child among them, and
	// the group must be ended first.
	r, w, err := os.Pipe()
	if err != nil {
		return "", &CommandError{Msg: fmt.Sprintf("cannot run %q: %v", sanitize.Printable(c.Argv[0]), err), Code: -1, Err: err}
	}
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Env, cmd.Dir = c.Env, c.Dir
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		if errors.Is(err, exec.ErrNotFound) {
			return "", &CommandError{Msg: fmt.Sprintf("cannot run %q: not found in $PATH", sanitize.Printable(c.Argv[0])), Code: -1, Err: err}
		}
		return "", &CommandError{Msg: fmt.Sprintf("cannot run %q: %v", sanitize.Printable(c.Argv[0]), files.Cause(err)), Code: -1, Err: err}
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(out, r)
	}()
	g := newGroup(cmd)

	var stop error // why probe stopped the command, if it did
	var killAt <-chan time.Time
	if dl, ok := ctx.Deadline(); ok {
		at := dl.Add(-killMargin)
		if half := time.Now().Add(time.Until(dl) / 2); at.Before(half) {
			at = half // a deadline this near: half the time left
		}
		t := time.NewTimer(time.Until(at))
		defer t.Stop()
		killAt = t.C
	}
	select {
	case <-g.exited:
	case <-killAt:
		stop = context.DeadlineExceeded
	case <-ctx.Done():
		stop = ctx.Err()
	}
	end := g.end()
	select {
	case <-copied:
	case <-time.After(outputWait):
		r.Close() // a process outside the group holds it
		<-copied
		end.held = true
	}
	r.Close()
	tr.SetReply(out.excerpt(200))
	last := out.lastLine()

	if stop != nil {
		if last != "" {
			tr.SetPartial(strconv.Quote(last))
		}
		return "", &CommandError{Msg: end.said(), Code: -1, Err: stop}
	}
	tr.Finish()
	leftover := ""
	if end.live != 0 {
		leftover = "; " + end.said()
	}
	status := end.status
	var exit *exec.ExitError
	switch {
	case status == nil && end.held:
		return "exit 0, but a process it started outside its process group still holds its output open" + leftover, nil
	case status == nil && last == "":
		return "exit 0" + leftover, nil
	case status == nil:
		return "exit 0: " + last + leftover, nil
	case errors.As(status, &exit):
		why := exit.Error() // "exit status 3", "signal: killed"
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			why = "killed by " + signals.Name(ws.Signal())
		}
		if last != "" {
			why += ": " + last
		}
		return "", &CommandError{Msg: why + leftover, Code: exit.ExitCode(), Err: status}
	}
	return "", &CommandError{Msg: fmt.Sprintf("cannot wait for %q: %v", sanitize.Printable(c.Argv[0]), status) + leftover, Code: -1, Err: status}
}

// group is a command's process group, its leader the command itself.
type group struct {
	cmd    *exec.Cmd
	pgid   int
	exited chan struct{} // closed once the leader has exited, still unreaped
}

func newGroup(cmd *exec.Cmd) *group {
	pid := cmd.Process.Pid
	g := &group{cmd: cmd, pgid: pid, exited: make(chan struct{})}
	go func() {
		defer close(g.exited)
		// WNOWAIT: the leader stays a zombie, unreaped, so that its id,
		// the group's, cannot be given to another process before the
		// group is sent SIGKILL (kill(-pgid) must reach no other).
		var info unix.Siginfo
		for unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil) == syscall.EINTR {
		}
	}()
	return g
}

// ended is what g.end found.
type ended struct {
	leader bool  // the leader exited, and was reaped
	status error // its exit, as exec.Cmd.Wait says it
	live   int   // processes of the group still running at the end; -1: unknown (no /proc)
	held   bool  // the output stayed open after the group was gone
}

// said is what became of the group, in words that claim only what was
// seen.
func (e ended) said() string {
	switch {
	case !e.leader:
		return "its process group was sent SIGKILL, but the command still runs " + endWait.String() + " later"
	case e.live < 0:
		return "its process group was sent SIGKILL (no /proc to see that it is gone)"
	case e.live > 0:
		n := "1 process of it still runs"
		if e.live > 1 {
			n = strconv.Itoa(e.live) + " processes of it still run"
		}
		return fmt.Sprintf("its process group was sent SIGKILL, but %s %s later", n, endWait)
	}
	return "its process group was killed"
}

// end kills the group (SIGKILL to -pgid), whatever the leader did, and
// waits, up to endWait, for the leader to exit, reaps it, and waits for
// every other process of the group to be gone or a zombie. A process
// forked as the signal is sent gets it too (the kernel checks for it in
// fork), so the group cannot outrun the kill.
func (g *group) end() ended {
	bound := time.Now().Add(endWait)
	_ = syscall.Kill(-g.pgid, syscall.SIGKILL)
	select {
	case <-g.exited:
	case <-time.After(endWait):
		return ended{}
	}
	e := ended{leader: true, status: g.cmd.Wait()}
	for pause := 100 * time.Microsecond; ; pause = min(2*pause, 20*time.Millisecond) {
		// Members that came to probe (a child subreaper, as probe run
		// is) are reaped here; no other child of probe is in the group.
		var ws syscall.WaitStatus
		for {
			if pid, err := syscall.Wait4(-g.pgid, &ws, syscall.WNOHANG, nil); err != nil || pid <= 0 {
				break
			}
		}
		// The usual case, a command that left nothing: no process has the
		// group's id, at once, without reading /proc.
		if syscall.Kill(-g.pgid, 0) == syscall.ESRCH {
			e.live = 0
			return e
		}
		// What has it may be zombies of other parents, which are gone
		// but for their parent's wait: only /proc tells them apart.
		if e.live = g.live(); e.live <= 0 || time.Now().After(bound) {
			return e
		}
		// Processes that still run hold the group's id: sending to it
		// again reaches no one else.
		_ = syscall.Kill(-g.pgid, syscall.SIGKILL)
		time.Sleep(pause)
	}
}

// live counts the processes of the group that still run, from /proc; -1
// when /proc cannot be read.
func (g *group) live() int {
	procs, err := procinfo.Processes("/proc")
	if err != nil {
		return -1
	}
	n := 0
	for _, p := range procs {
		if p.PGID == g.pgid && p.Live() {
			n++
		}
	}
	return n
}

// boundedBuffer keeps the first half of max bytes written and the last
// half, and counts what falls between: the start says what the command
// is, the end how it ended.
type boundedBuffer struct {
	mu      sync.Mutex
	max     int
	head    []byte
	tail    []byte
	dropped int
}

func (w *boundedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	if keep := min(len(p), w.max/2-len(w.head)); keep > 0 {
		w.head = append(w.head, p[:keep]...)
		p = p[keep:]
	}
	w.tail = append(w.tail, p...)
	if over := len(w.tail) - w.max/2; over > 0 {
		w.dropped += over
		w.tail = append(w.tail[:0], w.tail[over:]...)
	}
	return n, nil
}

// bytes is what was kept, with a mark where bytes were dropped.
func (w *boundedBuffer) bytes() []byte {
	out := append([]byte(nil), w.head...)
	if w.dropped > 0 {
		out = append(out, fmt.Sprintf("\n[%d bytes not kept]\n", w.dropped)...)
	}
	return append(out, w.tail...)
}

func (w *boundedBuffer) excerpt(n int) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return sanitize.Excerpt(w.bytes(), n)
}

// lastLine is the output's last line that is not blank, printable and cut
// to 200 bytes.
func (w *boundedBuffer) lastLine() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	lines := strings.Split(strings.TrimRight(string(w.bytes()), " \t\r\n"), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	return sanitize.Printable(sanitize.Clip(last, 200))
}
