package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/probe-sh/probe/internal/files"
	"github.com/probe-sh/probe/internal/logline"
	"github.com/probe-sh/probe/internal/render"
	"github.com/probe-sh/probe/internal/signals"
	"github.com/probe-sh/probe/probe"
)

// defaultWaitTimeout is probe wait's --timeout when none is given: the
// default command's 5s is far too short for a database to start.
const defaultWaitTimeout = 60 * time.Second

// WaitCmd is probe wait: block until every target passes, then optionally
// exec a command in place of probe, as an entrypoint.
type WaitCmd struct {
	AttemptTimeout time.Duration `default:"5s" help:"Deadline of each attempt at a target."`
	MaxDelay       time.Duration `default:"1s" help:"Longest pause between attempts; pauses start at 100ms and double up to it."`
	LogFormat      string        `enum:"text,json,logfmt" default:"text" placeholder:"FORMAT" help:"${log_format} On a terminal, text redraws a status block instead."`
	Targets        []string      `arg:"" name:"target" help:"What to wait for, as for the default command; then, after --, a command to exec once all pass. --timeout bounds the whole wait (60s by default here). ${target_flags}"`
	TargetFlags
}

func (c *WaitCmd) targetFlags() *TargetFlags { return &c.TargetFlags }
func (c *WaitCmd) takesCommand()             {}

// Run waits, then execs the command if there is one.
func (c *WaitCmd) Run(g *Globals, env *Env) error {
	if len(c.Targets) == 0 {
		return errors.New("no target given: try probe wait tcp://127.0.0.1:5432 -- /app")
	}
	timeout := g.timeoutOr(defaultWaitTimeout)
	if timeout <= 0 || c.AttemptTimeout <= 0 {
		return errors.New("--timeout and --attempt-timeout must be above zero")
	}
	var path string
	if len(env.Command) > 0 {
		// Fail before waiting, not a minute later, when the command is not there.
		var err error
		if path, err = lookPath(env.Command[0]); err != nil {
			return err
		}
	}
	opt, targets, err := g.prepare(func() ([]probe.Target, error) { return c.build(c.Targets, g.ProcRoot, env.Stamp) })
	if err != nil {
		return err
	}
	opt.Timeout = c.AttemptTimeout
	log, err := g.logger(env, "wait", c.LogFormat)
	if err != nil {
		return err
	}

	// As PID 1 a process that does not catch SIGTERM ignores it, and docker
	// stop would wait out its grace period.
	ctx, cancel := context.WithCancelCause(g.context())
	defer cancel(nil)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(stop)
	go func() {
		if sig, ok := <-stop; ok {
			cancel(fmt.Errorf("received %s", signals.Name(sig)))
		}
	}()

	w := &probe.Waiter{Targets: targets, Timeout: timeout, Options: opt, MaxDelay: c.MaxDelay}
	switch {
	case g.Quiet:
	case log.Format == logline.Text && isTerminal(env.Stderr):
		w.Progress = render.WaitLive(env.Stderr)
	default:
		w.Progress = render.WaitLog(log)
	}
	report, werr := w.Wait(ctx)
	if g.Output == "json" {
		if err := render.JSON(env.Stdout, report, g.Verbose); err != nil {
			return fmt.Errorf("cannot write the result: %w", err)
		}
	}
	if werr != nil && g.Quiet {
		return exitCode(1)
	}
	if errors.Is(werr, context.DeadlineExceeded) {
		werr = fmt.Errorf("%w (--timeout %s)", werr, w.Timeout)
	}
	if werr != nil || path == "" {
		return werr
	}
	signal.Stop(stop)
	err = syscall.Exec(path, env.Command, os.Environ())
	return fmt.Errorf("cannot exec %q: %w", env.Command[0], err)
}

// lookPath finds the command to run, or says in one line why it cannot.
func lookPath(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("cannot run %q: %w", name, files.Cause(errors.Unwrap(err)))
	}
	return path, nil
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
