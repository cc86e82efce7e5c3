package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/probe-sh/probe/internal/drainend"
	"github.com/probe-sh/probe/internal/monitor"
	"github.com/probe-sh/probe/internal/serve"
	"github.com/probe-sh/probe/internal/signals"
	"github.com/probe-sh/probe/internal/supervise"
	"github.com/probe-sh/probe/internal/traffic"
	"github.com/probe-sh/probe/probe"
)

// ExecCmd is probe exec: the entrypoint that runs the app as PID 1's child,
// and drains on SIGTERM before passing it on.
type ExecCmd struct {
	DrainDelay *time.Duration `placeholder:"DURATION" help:"A fixed drain: after SIGTERM or SIGINT, keep the app running this long, with the shutdown marker in place, before passing the signal on. Without it, the drain is adaptive (--drain-min, --drain-max, --drain-quiet). A second signal cuts either short."`
	DrainMin   *time.Duration `placeholder:"DURATION" help:"Adaptive drain: never pass the signal on before this, however quiet the app: the load balancers' time to stop sending (health interval x retries, plus their poll period). Default 2s."`
	DrainMax   *time.Duration `placeholder:"DURATION" help:"Adaptive drain: pass the signal on after this, even with requests in flight. Keep it within the stop grace period (Docker's default is 10s) minus the app's shutdown time. Default 8s."`
	DrainQuiet *time.Duration `placeholder:"DURATION" help:"Adaptive drain: the app's traffic has stopped once no data has come in on its connections for this long (or twice the longest pause seen during the drain) and no request is in flight. Default 500ms."`
	StopSignal string         `placeholder:"SIGNAL" help:"One more signal that starts the drain, such as the image's STOPSIGNAL (SIGQUIT for nginx); SIGTERM and SIGINT always do."`
	Group      bool           `help:"Run the command in a process group of its own and send every signal to the whole group, as tini -g does: for a shell entrypoint whose children must get SIGTERM too. probe exec then waits for the whole group before it exits."`
	LogFormat  string         `enum:"text,json,logfmt" default:"text" placeholder:"FORMAT" help:"${log_format}"`
	Misplaced  []string       `arg:"" optional:"" passthrough:"" name:"command" help:"The command to run, after --: probe exec -- /app --flag."`

	Listen            string        `placeholder:"ADDR" group:"Serve" help:"Serve /livez, /readyz, /healthz, /status and /metrics for the app on this address, as probe serve does; /readyz turns 503 the moment the drain begins. For Kubernetes httpGet probes: no exec probe, no sidecar."`
	Agent             string        `placeholder:"ADDR" group:"Serve" help:"Answer HAProxy's agent-check on this TCP address, as probe serve --agent does."`
	Check             []string      `placeholder:"TARGET" sep:"none" group:"Serve" help:"A target to check every --interval while the app runs, as probe serve does; repeatable. /readyz is 503 while one is down. The HTTP, TLS, TCP, SOCKET, FILE and DNS flags bind as to targets: before the first --check, to every one; after a --check, to that target only."`
	Interval          time.Duration `default:"5s" group:"Serve" help:"Time from the start of one check of a --check target to the start of the next."`
	SuccessThreshold  int           `default:"1" placeholder:"N" group:"Serve" help:"Passes in a row before a --check target counts as up."`
	FailureThreshold  int           `default:"3" placeholder:"N" group:"Serve" help:"Failures in a row before a --check target counts as down, and before --restart-unhealthy acts."`
	StartPeriod       time.Duration `default:"0s" group:"Serve" help:"With --restart-unhealthy: failures in this time after the start do not count, for a slow starter (as HEALTHCHECK --start-period)."`
	RestartUnhealthy  bool          `group:"Serve" help:"When a --check target fails --failure-threshold checks in a row (after --start-period), stop the app with the drain, and exit non-zero so that the restart policy starts the container again: self-healing without the Docker socket."`
	NotifyFD          int           `placeholder:"FD" group:"Serve" help:"s6's notification-fd: once every --check target is up (at once without --check), write a newline to this file descriptor and close it, so that s6-svwait -U returns; the app does not inherit it. 0: none."`
	SdNotify          bool          `group:"Serve" help:"systemd's and Podman's readiness (Type=notify, --sdnotify=container): once every --check target is up (at once without --check), send READY=1 to $$NOTIFY_SOCKET, and STOPPING=1 when the drain begins; the app does not see NOTIFY_SOCKET. Without it, the app gets NOTIFY_SOCKET to notify itself."`
	UnhealthyExitCode *int          `placeholder:"CODE" group:"Serve" help:"With --restart-unhealthy: exit with this code (1 to 255) when probe stopped the app, whatever the app's own, so that a restart rule (Kubernetes' restartPolicyRules) can tell it from the app's exit. Without it: the app's code, or 1 when that is 0."`
	TargetFlags
}

func (c *ExecCmd) takesCommand()             {}
func (c *ExecCmd) targetFlags() *TargetFlags { return &c.TargetFlags }

// groupGrace is how long the rest of the group gets after SIGTERM when the
// command exited by itself: Docker's default stop timeout. After a stop
// signal there is no bound of probe's own; the orchestrator's grace period
// is it.
const groupGrace = 10 * time.Second

// Run runs the command until it exits, and returns its exit code.
func (c *ExecCmd) Run(g *Globals, env *Env) error {
	if len(c.Misplaced) > 0 {
		return fmt.Errorf(`put the command after "--": probe exec -- %s`, strings.Join(c.Misplaced, " "))
	}
	if len(env.Command) == 0 {
		return errors.New(`no command given: try probe exec -- /app`)
	}
	log, err := g.logger(env, "exec", c.LogFormat)
	if err != nil {
		return err
	}
	adaptive, err := c.adaptive(g.ProcRoot)
	if err != nil {
		return err
	}
	if err := c.validServe(); err != nil {
		return err
	}
	forwarded := supervise.Forwarded()
	stop := []os.Signal{syscall.SIGTERM, syscall.SIGINT}
	healSignal := syscall.SIGTERM
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
		healSignal = sig
	}
	forwarded = slices.DeleteFunc(forwarded, func(sig os.Signal) bool { return slices.Contains(stop, sig) })
	path, err := lookPath(env.Command[0])
	if err != nil {
		return err
	}

	// Never signal.Stop: probe exits right after, and undoing each of
	// some fifty signals costs a round trip to the runtime's signal
	// thread, 1-2 ms in all.
	signals, stops := notifySignals(forwarded, stop)
	n, appEnv, err := c.notifier(os.Environ())
	if err != nil {
		return err
	}
	s := &supervise.Supervisor{
		Path: path, Args: env.Command, Env: appEnv,
		Adaptive: adaptive, Log: log,
		Group: c.Group, GroupGrace: groupGrace,
	}
	if c.DrainDelay != nil {
		s.DrainDelay = *c.DrainDelay
	}
	s.Marker = g.marker()
	s.HealSignal = healSignal
	if c.UnhealthyExitCode != nil {
		s.HealCode = *c.UnhealthyExitCode
	}
	if n != nil {
		n.log = log
		s.OnDrain = n.stopping
		if len(c.Check) == 0 {
			s.OnStart = func() { n.ready("the app has started") }
		}
	}
	stopServing, err := c.startServing(g, env, s, n)
	if err != nil {
		return err
	}
	code, err := s.Run(signals, stops)
	stopServing()
	if err != nil {
		return err
	}
	if code != 0 {
		return exitCode(code) // the app's: the one exception to probe's 0-or-1 rule
	}
	return nil
}

// The adaptive drain's defaults, which probe.Drain shares (drainend says
// why these).
const (
	defaultDrainMin   = drainend.DefaultMin
	defaultDrainMax   = drainend.DefaultMax
	defaultDrainQuiet = drainend.DefaultQuiet
	drainSampleEvery  = 100 * time.Millisecond
)

// adaptive returns the adaptive drain the flags ask for, or nil for a
// fixed --drain-delay.
func (c *ExecCmd) adaptive(procRoot string) (*supervise.Adaptive, error) {
	for _, f := range []struct {
		name string
		d    *time.Duration
	}{{"--drain-delay", c.DrainDelay}, {"--drain-min", c.DrainMin}, {"--drain-max", c.DrainMax}, {"--drain-quiet", c.DrainQuiet}} {
		if f.d != nil && *f.d < 0 {
			return nil, fmt.Errorf("%s cannot be negative, got %s", f.name, *f.d)
		}
	}
	if c.DrainDelay != nil {
		if c.DrainMin != nil || c.DrainMax != nil || c.DrainQuiet != nil {
			return nil, errors.New("--drain-delay is a fixed drain, --drain-min, --drain-max and --drain-quiet tune the adaptive one: give one or the other")
		}
		return nil, nil
	}
	a := &supervise.Adaptive{Min: defaultDrainMin, Max: defaultDrainMax, Quiet: defaultDrainQuiet, Every: drainSampleEvery,
		Ports: func() (traffic.Ports, error) { return traffic.Listening(procRoot, os.Getpid()) },
		Conns: traffic.Conns,
	}
	if c.DrainMin != nil {
		a.Min = *c.DrainMin
	}
	if c.DrainMax != nil {
		a.Max = *c.DrainMax
	}
	if c.DrainQuiet != nil {
		a.Quiet = *c.DrainQuiet
	}
	if a.Min > a.Max {
		return nil, fmt.Errorf("--drain-min %s is above --drain-max %s", a.Min, a.Max)
	}
	return a, nil
}

func (c *ExecCmd) validServe() error {
	switch {
	case len(c.Check) > 0 && c.Listen == "" && c.Agent == "" && !c.RestartUnhealthy && c.NotifyFD == 0 && !c.SdNotify:
		return errors.New("--check needs --listen, --agent, --restart-unhealthy, --notify-fd or --sd-notify, which use its results")
	case c.RestartUnhealthy && len(c.Check) == 0:
		return errors.New("--restart-unhealthy needs a --check target to decide on: try --check http://127.0.0.1:8080/healthz")
	case c.StartPeriod < 0:
		return fmt.Errorf("--start-period cannot be negative, got %s", c.StartPeriod)
	case c.UnhealthyExitCode != nil && !c.RestartUnhealthy:
		return errors.New("--unhealthy-exit-code is the code of --restart-unhealthy's stop: give --restart-unhealthy too")
	case c.UnhealthyExitCode != nil:
		if err := validExitCode(*c.UnhealthyExitCode); err != nil {
			return err
		}
	}
	return validSchedule(c.Interval, c.SuccessThreshold, c.FailureThreshold)
}

// startServing starts what --listen, --agent, --check and --restart-unhealthy ask
// for, around the supervisor s: the monitor of the --check targets, the
// endpoints, and the watch that stops the app when a target is down. stop
// ends them; it is safe to call when nothing was started.
func (c *ExecCmd) startServing(g *Globals, env *Env, s *supervise.Supervisor, n *notifier) (stop func(), err error) {
	if c.Listen == "" && c.Agent == "" && len(c.Check) == 0 {
		return func() {}, nil
	}
	opt, targets, err := g.prepare(func() ([]probe.Target, error) { return c.build(c.Check, g.ProcRoot, env.Stamp) })
	if err != nil {
		return nil, err
	}
	mon := &monitor.Monitor{Targets: targets, Interval: c.Interval, Options: opt,
		SuccessThreshold: c.SuccessThreshold, FailureThreshold: c.FailureThreshold}
	server := &serve.Server{Monitor: mon, Marker: opt.Marker, Log: s.Log, Build: build(env.Stamp)}
	var ln net.Listener
	if c.Listen != "" {
		if ln, err = net.Listen("tcp", c.Listen); err != nil {
			return nil, fmt.Errorf("cannot serve on --listen %s: %w", c.Listen, unwrapOp(err))
		}
	}
	if c.Agent != "" {
		if server.Agent, err = net.Listen("tcp", c.Agent); err != nil {
			if ln != nil {
				ln.Close()
			}
			return nil, fmt.Errorf("cannot answer the agent-check on --agent %s: %w", c.Agent, unwrapOp(err))
		}
	}
	s.OnDrain = server.Drain
	if n != nil {
		s.OnDrain = func(why string) { server.Drain(why); n.stopping(why) }
		server.OnChange = func(monitor.Status) {
			if ready, _ := mon.Ready(mon.Snapshot()); ready {
				n.ready("every --check target is up")
			}
		}
	}
	ctx, cancel := context.WithCancel(g.context())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := server.Run(ctx, ln, nil); err != nil {
			s.Log.Errorf("%v", err)
		}
	})
	if c.RestartUnhealthy {
		unhealthy := make(chan string, 1)
		s.Unhealthy = unhealthy
		wg.Go(func() { c.watch(ctx, mon, unhealthy) })
	}
	return func() { cancel(); wg.Wait() }, nil
}

// watch sends why on unhealthy once a target has failed FailureThreshold
// checks in a row, none of them within StartPeriod of the start.
func (c *ExecCmd) watch(ctx context.Context, m *monitor.Monitor, unhealthy chan<- string) {
	if why := failing(ctx, m, c.Interval, c.StartPeriod, c.FailureThreshold, "--restart-unhealthy"); why != "" {
		unhealthy <- why
	}
}

// failing watches m until a target has failed threshold checks in a row,
// none of them within startPeriod of the start, and says so, naming flag;
// it returns "" when ctx ends first. probe exec --restart-unhealthy and
// probe serve --exit-after act on it.
func failing(ctx context.Context, m *monitor.Monitor, interval, startPeriod time.Duration, threshold int, flag string) string {
	start := time.Now()
	var before []uint64 // each target's failures when the start period ended
	// A quarter of the interval, within 10ms and 250ms: --interval 1ns
	// must not make a ticker of zero, which panics.
	tick := time.NewTicker(min(max(interval/4, 10*time.Millisecond), 250*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ""
		case <-tick.C:
		}
		statuses := m.Snapshot()
		if before == nil {
			if time.Since(start) < startPeriod {
				continue
			}
			before = make([]uint64, len(statuses))
			for i, st := range statuses {
				before[i] = st.Failures
			}
		}
		for i, st := range statuses {
			// The last threshold results failed, and all came after the
			// start period: the latest failures are the newest ones.
			if st.ConsecutiveFailures >= threshold && st.Failures-before[i] >= uint64(threshold) && st.Last != nil {
				return fmt.Sprintf("%s failed %d checks in a row (%s): %s", st.Target, st.ConsecutiveFailures, flag, st.Last.Detail)
			}
		}
	}
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
