package checks

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/probe-sh/probe/internal/files"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/signals"
)

// PhaseRun is a command running.
const PhaseRun = "run"

// Command runs a program and passes when it exits 0, as a Kubernetes exec
// probe, a Consul script check or wait4x's exec checker: for an app whose
// only health signal is its own command line. It runs in a process group of
// its own, which the deadline ends whole (SIGKILL to the group: a shell's
// children too); what it prints, stdout and stderr together, is kept up to
// MaxOutput, and its last line is what the result shows.
type Command struct {
	Argv      []string
	Env       []string // the environment; probe's own when nil
	Dir       string   // the working directory; probe's own when empty
	MaxOutput int      // bytes of output kept; 4 KiB when zero
}

// Run runs the command.
func (c Command) Run(ctx context.Context, tr *Trace) (string, error) {
	if len(c.Argv) == 0 || c.Argv[0] == "" {
		return "", errors.New("no command to run")
	}
	tr.Enter(PhaseRun)
	out := &boundedBuffer{max: c.MaxOutput}
	if out.max <= 0 {
		out.max = 4 << 10
	}
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	cmd.Env, cmd.Dir = c.Env, c.Dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The group: a shell's children go with it.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	// A child that holds the output pipe open does not hold the check.
	cmd.WaitDelay = 100 * time.Millisecond
	err := cmd.Run()
	tr.SetReply(out.excerpt(200))
	if ctx.Err() != nil {
		if last := out.lastLine(); last != "" {
			tr.SetPartial(strconv.Quote(last))
		}
		return "", context.DeadlineExceeded
	}
	tr.Finish()
	last := out.lastLine()
	var exit *exec.ExitError
	switch {
	case err == nil:
		if last == "" {
			return "exit 0", nil
		}
		return "exit 0: " + last, nil
	case errors.As(err, &exit):
		why := exit.Error() // "exit status 3", "signal: killed"
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			why = "killed by " + signals.Name(ws.Signal())
		}
		if last != "" {
			why += ": " + last
		}
		return "", &CommandError{Msg: why, Code: exit.ExitCode()}
	case errors.Is(err, exec.ErrWaitDelay):
		return "exit 0, but a process it started still holds its output open", nil
	case errors.Is(err, exec.ErrNotFound):
		return "", &CommandError{Msg: fmt.Sprintf("cannot run %q: not found in $PATH", sanitize.Printable(c.Argv[0])), Code: -1}
	}
	return "", &CommandError{Msg: fmt.Sprintf("cannot run %q: %v", sanitize.Printable(c.Argv[0]), files.Cause(err)), Code: -1}
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
