package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/probe-sh/probe/internal/monitor"
	"github.com/probe-sh/probe/internal/serve"
	"github.com/probe-sh/probe/probe"
)

// ServeCmd is probe serve: a sidecar that checks targets in the background
// and serves their cached verdict over HTTP.
type ServeCmd struct {
	Listen            string        `default:"127.0.0.1:9090" placeholder:"ADDR" help:"Address to serve on. The default is loopback only; use :9090 to serve other containers."`
	Interval          time.Duration `default:"5s" help:"Time from the start of one check of a target to the start of the next."`
	SuccessThreshold  int           `default:"1" placeholder:"N" help:"Passes in a row before a target counts as up (as in Kubernetes)."`
	FailureThreshold  int           `default:"3" placeholder:"N" help:"Failures in a row before an up target counts as down (as in Kubernetes)."`
	DrainDelay        time.Duration `default:"5s" help:"After SIGTERM or SIGINT, keep serving, with /readyz at 503, this long before stopping; a second signal stops at once."`
	LogFormat         string        `enum:"text,json,logfmt" default:"text" placeholder:"FORMAT" help:"${log_format}"`
	Agent             string        `placeholder:"ADDR" help:"Also answer HAProxy's agent-check on this TCP address, with the verdict of /readyz: 'up ready', 'drain' while draining, 'down #why' when a target is down."`
	ExitAfter         int           `placeholder:"N" help:"Exit, with --unhealthy-exit-code, once a target has failed N checks in a row: for a native sidecar (an init container with restartPolicy Always) or a restart rule that restarts what it watches. 0 never exits."`
	UnhealthyExitCode int           `default:"1" placeholder:"CODE" help:"The code of --exit-after's exit, 1 to 255: one that a restart rule (Kubernetes' restartPolicyRules) matches and nothing else exits with."`
	Targets           []string      `arg:"" name:"target" help:"What to check, as for the default command; each is checked every --interval, with --timeout per check. ${target_flags}"`
	TargetFlags
}

func (c *ServeCmd) targetFlags() *TargetFlags { return &c.TargetFlags }

// Run serves until a signal, then drains and stops.
func (c *ServeCmd) Run(g *Globals, env *Env) error {
	if err := validSchedule(c.Interval, c.SuccessThreshold, c.FailureThreshold); err != nil {
		return err
	}
	if c.DrainDelay < 0 {
		return fmt.Errorf("--drain-delay cannot be negative, got %s", c.DrainDelay)
	}
	if c.ExitAfter < 0 {
		return fmt.Errorf("--exit-after cannot be negative, got %d", c.ExitAfter)
	}
	if err := validExitCode(c.UnhealthyExitCode); err != nil {
		return err
	}
	opt, targets, err := g.prepare(func() ([]probe.Target, error) { return c.build(c.Targets, g.ProcRoot, env.Stamp) })
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("cannot serve on --listen %s: %w", c.Listen, unwrapOp(err))
	}
	var agent net.Listener
	if c.Agent != "" {
		if agent, err = net.Listen("tcp", c.Agent); err != nil {
			ln.Close()
			return fmt.Errorf("cannot answer the agent-check on --agent %s: %w", c.Agent, unwrapOp(err))
		}
	}
	log, err := g.logger(env, "serve", c.LogFormat)
	if err != nil {
		ln.Close()
		return err
	}
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(signals)
	s := &serve.Server{
		Agent: agent,
		Monitor: &monitor.Monitor{Targets: targets, Interval: c.Interval, Options: opt,
			SuccessThreshold: c.SuccessThreshold, FailureThreshold: c.FailureThreshold},
		Marker:     opt.Marker,
		DrainDelay: c.DrainDelay,
		Log:        log,
		Build:      build(env.Stamp),
	}
	if c.ExitAfter == 0 {
		return s.Run(context.Background(), ln, signals)
	}
	// --exit-after: a target down for so many checks ends the run, with
	// the chosen code.
	ctx, cancel := context.WithCancel(g.context())
	defer cancel()
	exited := make(chan bool, 1)
	go func() {
		why := failing(ctx, s.Monitor, c.Interval, 0, c.ExitAfter, "--exit-after")
		if why != "" {
			log.Errorf("%s: stopping, to exit with code %d (--unhealthy-exit-code)", why, c.UnhealthyExitCode)
		}
		exited <- why != ""
		cancel()
	}()
	err = s.Run(ctx, ln, signals)
	cancel()
	if <-exited && err == nil {
		return exitCode(c.UnhealthyExitCode)
	}
	return err
}

// validExitCode checks --unhealthy-exit-code: a code a process can exit
// with, that says it failed.
func validExitCode(code int) error {
	if code < 1 || code > 255 {
		return fmt.Errorf("--unhealthy-exit-code must be 1 to 255, got %d", code)
	}
	return nil
}

// validSchedule checks the flags that schedule a Monitor, for probe serve
// and probe exec --check.
func validSchedule(interval time.Duration, success, failure int) error {
	switch {
	case interval <= 0:
		return fmt.Errorf("--interval must be above zero, got %s", interval)
	case success < 1 || failure < 1:
		return errors.New("--success-threshold and --failure-threshold must be at least 1")
	}
	return nil
}

// unwrapOp drops the "listen tcp ADDR:" prefix that repeats the address.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}
