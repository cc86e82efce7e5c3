package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/probe-sh/probe/internal/signals"
	"github.com/probe-sh/probe/internal/supervise"
)

// ExecCmd is probe exec: the entrypoint that runs the app as PID 1's child,
// and drains on SIGTERM before passing it on.
type ExecCmd struct {
	DrainDelay time.Duration `default:"5s" help:"After SIGTERM or SIGINT, keep the app running this long, with the shutdown marker in place, before passing the signal on; a second signal cuts it short. Make it at least the health interval times retries plus the load balancer's poll period."`
	StopSignal string        `placeholder:"SIGNAL" help:"One more signal that starts the drain, such as the image's STOPSIGNAL (SIGQUIT for nginx); SIGTERM and SIGINT always do."`
	Group      bool          `help:"Run the command in a process group of its own and send every signal to the whole group, as tini -g does: for a shell entrypoint whose children must get SIGTERM too. probe exec then waits for the whole group before it exits."`
	Misplaced  []string      `arg:"" optional:"" passthrough:"" name:"command" help:"The command to run, after --: probe exec --drain-delay 10s -- /app --flag."`

	command []string // after "--"
}

// groupGrace is how long the rest of the group gets after SIGTERM when the
// command exited by itself: Docker's default stop timeout. After a stop
// signal there is no bound of probe's own; the orchestrator's grace period
// is it.
const groupGrace = 10 * time.Second

// exitStatus is the app's exit code, which probe exec exits with: the one
// exception to probe's 0-or-1 rule.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// Run runs the command until it exits, and returns its exit code.
func (c *ExecCmd) Run(g *Globals, env *Env) error {
	if len(c.Misplaced) > 0 {
		return fmt.Errorf(`put the command after "--": probe exec -- %s`, strings.Join(c.Misplaced, " "))
	}
	if len(c.command) == 0 {
		return errors.New(`no command given: try probe exec --drain-delay 10s -- /app`)
	}
	if c.DrainDelay < 0 {
		return fmt.Errorf("--drain-delay cannot be negative, got %s", c.DrainDelay)
	}
	forwarded := supervise.Forwarded()
	stop := []os.Signal{syscall.SIGTERM, syscall.SIGINT}
	if c.StopSignal != "" {
		sig, err := signals.Parse(c.StopSignal)
		if err != nil {
			return fmt.Errorf("--stop-signal: %w", err)
		}
		if supervise.Reserved(sig) {
			return fmt.Errorf("--stop-signal %s cannot be caught: signals 32 to 34 are reserved by C libraries and the Go runtime; use SIGRTMIN+1 or above", signals.Name(sig))
		}
		if !slices.Contains(forwarded, os.Signal(sig)) {
			return fmt.Errorf("--stop-signal %s cannot be caught or passed on", signals.Name(sig))
		}
		stop = append(stop, sig)
	}
	forwarded = slices.DeleteFunc(forwarded, func(sig os.Signal) bool { return slices.Contains(stop, sig) })
	path, err := exec.LookPath(c.command[0])
	if err != nil {
		return fmt.Errorf("cannot run %q: %w", c.command[0], pathCause(errors.Unwrap(err)))
	}

	// Never signal.Stop: probe exits right after, and undoing each of
	// some fifty signals costs a round trip to the runtime's signal
	// thread, 1-2 ms in all.
	signals, stops := notifySignals(forwarded, stop)
	s := &supervise.Supervisor{
		Path: path, Args: c.command, Env: os.Environ(),
		DrainDelay: c.DrainDelay, Log: env.Stderr,
		Group: c.Group, GroupGrace: groupGrace,
	}
	s.Marker = g.marker()
	if g.Quiet {
		s.Log = nil
	}
	code, err := s.Run(signals, stops)
	if err != nil {
		return err
	}
	if code != 0 {
		return exitStatus(code)
	}
	return nil
}

// notifySignals starts catching signals: the stop signals on a channel of
// their own, so that a storm of others, which Go drops once their channel is
// full, can never crowd one out (issue 19: 1 or 2 SIGTERMs in 20 storms were
// lost); the rest to pass on; and those caught only so that they do no harm
// (supervise.Caught).
func notifySignals(forwarded, stop []os.Signal) (signals, stops chan os.Signal) {
	signals = make(chan os.Signal, 64)
	signal.Notify(signals, forwarded...)
	stops = make(chan os.Signal, 8)
	signal.Notify(stops, stop...)
	signal.Notify(make(chan os.Signal, 1), supervise.Caught()...)
	return signals, stops
}
