package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/procinfo"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/signals"
	"github.com/probe-sh/probe/probe"
)

// RunCmd is probe run -- CMD ARGS...: a command's exit code as the health
// check, as Kubernetes' exec probes and wait4x's exec checker take it, with
// probe's deadline, output and exit codes.
type RunCmd struct{}

func (c *RunCmd) takesCommand() {}

// Run runs the command after "--" once, under --timeout (and --retries):
// exit 0 is healthy. What it prints, bounded to 4 KiB and masked, shows
// with -v; its last line is the result's. Nothing it started is left
// running when probe exits: its process group is ended (checks.Command),
// and so is every process that left the group, which comes back to probe
// as a child subreaper.
func (c *RunCmd) Run(g *Globals, env *Env) error {
	if len(env.Command) == 0 {
		return errors.New(`no command given: write probe run -- CMD ARGS..., as in probe run -- pg_isready -q`)
	}
	opt, targets, err := g.prepare(func() ([]probe.Target, error) {
		name := "run: " + sanitize.Clip(strings.Join(env.Command, " "), 120)
		return []probe.Target{{Name: sanitize.Printable(name), Kind: "command", Check: checks.Command{Argv: env.Command}}}, nil
	})
	if err != nil {
		return err
	}
	setSubreaper()

	// SIGTERM or SIGINT to probe ends the command as the deadline does,
	// and the result says so.
	ctx, cancel := context.WithCancelCause(g.context())
	defer cancel(nil)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(stop)
	ran := make(chan struct{})
	defer close(ran)
	go func() {
		select {
		case sig := <-stop:
			cancel(fmt.Errorf("received %s", signals.Name(sig)))
		case <-ran:
		}
	}()

	report := probe.Run(ctx, targets, opt)
	if left := endOrphans(time.Second); left > 0 && len(report.Results) == 1 {
		report.Results[0].Detail += fmt.Sprintf("; %d processes it started outside its process group still run after SIGKILL", left)
	}
	return g.report(env, report)
}

// setSubreaper makes probe the parent of its orphaned descendants
// (prctl PR_SET_CHILD_SUBREAPER), so that a process the command started
// and that left its process group (setsid, a daemon's double fork)
// becomes probe's child when its parent dies, for endOrphans to end.
func setSubreaper() {
	const prSetChildSubreaper = 36
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
}

// endOrphans kills and reaps every child of probe, until none is left or
// bound has passed, and returns how many still run. After the check,
// probe's only children are what the command left: the command itself
// was reaped, and whatever else it started came back to probe. A child
// cannot be mistaken for another process: until it is reaped, its id is
// its own.
func endOrphans(bound time.Duration) int {
	me, end := os.Getpid(), time.Now().Add(bound)
	for pause := 100 * time.Microsecond; ; pause = min(2*pause, 20*time.Millisecond) {
		// The usual case: no child at all (ECHILD), known without /proc.
		var ws syscall.WaitStatus
		for {
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if err == syscall.ECHILD {
				return 0
			}
			if err != nil || pid <= 0 {
				break
			}
		}
		procs, err := procinfo.Processes("/proc")
		if err != nil {
			return 0
		}
		live := 0
		for _, p := range procs {
			if p.PPID == me && p.Live() {
				live++
				_ = syscall.Kill(p.PID, syscall.SIGKILL)
			}
		}
		if time.Now().After(end) {
			return live
		}
		time.Sleep(pause)
	}
}
