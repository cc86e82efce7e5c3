package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/probe-sh/probe/internal/render"
	"github.com/probe-sh/probe/internal/runner"
	"github.com/probe-sh/probe/internal/signals"
)

// defaultWaitTimeout is probe wait's --timeout when none is given: the
// default command's 5s is far too short for a database to start.
const defaultWaitTimeout = 60 * time.Second

// WaitCmd is probe wait: block until every target passes, then optionally
// exec a command in place of probe, as an entrypoint.
type WaitCmd struct {
	AttemptTimeout time.Duration `default:"5s" help:"Deadline of each attempt at a target."`
	MaxDelay       time.Duration `default:"1s" help:"Longest pause between attempts; pauses start at 100ms and double up to it."`
	Targets        []string      `arg:"" name:"target" help:"What to wait for, as for the default command; then, after --, a command to exec once all pass. --timeout bounds the whole wait (60s by default here). ${target_flags}"`
	TargetFlags

	command []string // after "--"
}

// Run waits, then execs the command if there is one.
func (c *WaitCmd) Run(g *Globals, env *Env) error {
	if len(c.Targets) == 0 {
		return errors.New("no target given: try probe wait tcp://127.0.0.1:5432 -- /app")
	}
	timeout := g.TimeoutOr(defaultWaitTimeout)
	if timeout <= 0 || c.AttemptTimeout <= 0 {
		return errors.New("--timeout and --attempt-timeout must be above zero")
	}
	var path string
	if len(c.command) > 0 {
		// Fail before waiting, not a minute later, when the command is not there.
		var err error
		if path, err = exec.LookPath(c.command[0]); err != nil {
			return fmt.Errorf("cannot run %q: %w", c.command[0], pathCause(errors.Unwrap(err)))
		}
	}
	opt, targets, err := g.prepare(c.builder(c.Targets, g.ProcRoot))
	if err != nil {
		return err
	}
	opt.Timeout = c.AttemptTimeout

	// As PID 1 a process that does not catch SIGTERM ignores it, and docker
	// stop would wait out its grace period.
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(stop)
	go func() {
		if sig, ok := <-stop; ok {
			cancel(fmt.Errorf("received %s", signals.Name(sig)))
		}
	}()

	w := &runner.Waiter{Targets: targets, Timeout: timeout, Options: opt, MaxDelay: c.MaxDelay, Out: env.Stderr, Live: isTerminal(env.Stderr)}
	if g.Quiet {
		w.Out = nil
	}
	report, werr := w.Wait(ctx)
	if g.Output == "json" {
		if err := render.JSON(env.Stdout, report, g.Verbose); err != nil {
			return fmt.Errorf("cannot write the result: %w", err)
		}
	}
	if werr != nil && g.Quiet {
		return errFailed
	}
	if werr != nil || path == "" {
		return werr
	}
	signal.Stop(stop)
	err = syscall.Exec(path, c.command, os.Environ())
	return fmt.Errorf("cannot exec %q: %w", c.command[0], err)
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
