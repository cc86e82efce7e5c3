package cli

import (
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
	Listen           string        `default:"127.0.0.1:9090" placeholder:"ADDR" help:"Address to serve on. The default is loopback only; use :9090 to serve other containers."`
	Interval         time.Duration `default:"5s" help:"Time from the start of one check of a target to the start of the next."`
	SuccessThreshold int           `default:"1" placeholder:"N" help:"Passes in a row before a target counts as up (as in Kubernetes)."`
	FailureThreshold int           `default:"3" placeholder:"N" help:"Failures in a row before an up target counts as down (as in Kubernetes)."`
	DrainDelay       time.Duration `default:"5s" help:"After SIGTERM or SIGINT, keep serving, with /readyz at 503, this long before stopping; a second signal stops at once."`
	Agent            string        `placeholder:"ADDR" help:"Also answer HAProxy's agent-check on this TCP address, with the verdict of /readyz: 'up ready', 'drain' while draining, 'down #why' when a target is down."`
	Targets          []string      `arg:"" name:"target" help:"What to check, as for the default command; each is checked every --interval, with --timeout per check. ${target_flags}"`
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
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(signals)
	s := &serve.Server{
		Agent: agent,
		Monitor: &monitor.Monitor{Targets: targets, Interval: c.Interval, Options: opt,
			SuccessThreshold: c.SuccessThreshold, FailureThreshold: c.FailureThreshold},
		Marker:     opt.Marker,
		DrainDelay: c.DrainDelay,
		Log:        env.Stderr,
	}
	if g.Quiet {
		s.Log = nil
	}
	return s.Run(g.context(), ln, signals)
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
