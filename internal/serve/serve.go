// Package serve is probe serve: a sidecar that checks its targets in the
// background and answers /livez, /readyz, /healthz, /status and /metrics from
// the cached results, so that no request ever waits for a check.
package serve

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/probe-sh/probe/internal/logline"
	"github.com/probe-sh/probe/internal/monitor"
	"github.com/probe-sh/probe/internal/patched/fasthttp"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/signals"
	"github.com/probe-sh/probe/probe"
)

// shutdownGrace is how long Run lets requests in flight finish after the
// drain delay. Handlers answer from memory in microseconds, so what is left
// after it is idle or half-sent, and is closed: 50 half-sent requests once
// held the exit 9.6 s past the drain.
const shutdownGrace = time.Second

// Connection bounds, unless the Server sets its own.
const (
	defaultMaxConns        = 1024
	defaultMaxConnsPerAddr = 32
)

// Server answers health requests from a Monitor's cached results.
type Server struct {
	Monitor    *monitor.Monitor
	Marker     string          // shutdown marker: while it exists /readyz says draining; "" ignores it
	DrainDelay time.Duration   // how long to keep serving, draining, after the first signal
	Log        *logline.Logger // one record per change of state; nil for none
	// MaxConns bounds the connections open at once (1024 when zero), and
	// MaxConnsPerAddr those from one address (32 when zero). At either
	// bound the oldest connection of the address with the most is closed
	// to make room: a newcomer is always served (limit.go).
	MaxConns        int
	MaxConnsPerAddr int
	// Agent, when set, answers HAProxy's agent-check with the same verdict
	// as /readyz (agent.go); Run closes it when it stops.
	Agent net.Listener
	// Build labels probe_build_info.
	Build Build
	// OnChange, when set, is called after a target's first result and each
	// change of its up, after the log's record (probe exec's notify).
	OnChange func(monitor.Status)

	draining atomic.Pointer[string] // why, once a signal has come
	// marked is set while the marker is seen; recheckFrom, once it has
	// gone, is when. The results from before are stale (probe exec removes
	// the marker when the app has exited, and the failure threshold keeps
	// a target up for a few failures more), so until every target has
	// passed a check started since, the verdict is not ready.
	marked      atomic.Bool
	recheckFrom atomic.Int64
	ready       atomic.Pointer[cached]
	http        fasthttp.Server
	conns       *limitListener
}

// Build is what the binary was built from, for probe_build_info.
type Build struct {
	Version, Revision, Tags string
}

// markerRecheck bounds how stale /readyz's view of the marker can be. A stat
// per request cost a fifth of the throughput; a load balancer polls far
// less often than this.
const markerRecheck = 50 * time.Millisecond

// Verdict is /readyz's answer: ready or not, draining or not, and why, in
// one line that names the state ("draining: ...", "not ready: ...").
type Verdict struct {
	Ready    bool
	Draining bool
	Reason   string
}

// cached is a Verdict made at a time, for the Monitor's version then.
type cached struct {
	Verdict
	at      time.Time
	version uint64
}

// readiness returns /readyz's answer, made afresh when a result has come in
// since, or when markerRecheck has passed.
func (s *Server) readiness() Verdict {
	if why := s.draining.Load(); why != nil {
		return Verdict{Draining: true, Reason: "draining: " + *why}
	}
	now, version := time.Now(), s.Monitor.Version()
	if v := s.ready.Load(); v != nil && v.version == version && now.Sub(v.at) < markerRecheck {
		return v.Verdict
	}
	v := &cached{Verdict: s.Verdict(s.Monitor.Snapshot()), at: now, version: version}
	s.ready.Store(v)
	return v.Verdict
}

// Run serves on ln and monitors the targets until ctx ends (stop at once) or
// a signal arrives on stop. After a signal, /readyz turns 503 at once, the
// server keeps answering for DrainDelay (a second signal cuts it short), and
// then it shuts down without cutting any request in flight. With a nil ln
// it only monitors, and answers the agent-check if Agent is set (probe exec
// --agent or --restart-unhealthy without --listen).
func (s *Server) Run(ctx context.Context, ln net.Listener, stop <-chan os.Signal) error {
	s.http = fasthttp.Server{
		Handler: s.handle,
		Name:    "probe",
		// A hostile or broken client cannot make the sidecar grow: 4 KiB of
		// request line and headers, no body, bounded connections and time.
		ReadBufferSize:               4096,
		WriteBufferSize:              4096,
		MaxRequestBodySize:           1, // fasthttp takes 0 as its 4 MiB default; handle refuses any body
		DisablePreParseMultipartForm: true,
		// The listener bounds connections; fasthttp's own bound, which
		// answers 503 to everyone once reached, sits above it with room
		// for evicted connections still winding down.
		Concurrency: 2 * cmp.Or(s.MaxConns, defaultMaxConns),
		// A health check sends its request at once and reads a few bytes.
		ReadTimeout:     5 * time.Second,
		WriteTimeout:    5 * time.Second,
		IdleTimeout:     10 * time.Second,
		CloseOnShutdown: true,
		// No Date header: it needs a process-wide goroutine that wakes every
		// second, forever; idle CPU matters more here.
		NoDefaultDate: true,
		// Idle workers are reaped this often; it also bounds how long the
		// pool's reaper outlives a shutdown.
		MaxIdleWorkerDuration: 2 * time.Second,
		ErrorHandler:          refuse,
		// No Logger: the copy's default discards fasthttp's own lines
		// (internal/patched, 0007).
	}
	if s.Monitor.OnChange == nil {
		s.Monitor.OnChange = s.changed
	}
	if s.Monitor.Paused == nil {
		s.Monitor.Paused = s.paused
	}
	monitorCtx, stopMonitor := context.WithCancel(context.WithoutCancel(ctx)) // its values (--loopback-only), not its end
	monitored := make(chan struct{})
	go func() {
		defer close(monitored)
		s.Monitor.Run(monitorCtx)
	}()
	defer func() {
		stopMonitor()
		<-monitored
	}()

	var served chan error
	if ln != nil {
		s.conns = newLimitListener(ln, fdBudget(cmp.Or(s.MaxConns, defaultMaxConns), 3), cmp.Or(s.MaxConnsPerAddr, defaultMaxConnsPerAddr))
		s.conns.onRetry = s.acceptTrouble
		served = make(chan error, 1)
		go func() { served <- s.http.Serve(s.conns) }()
		s.logf("serving /livez, /readyz, /healthz, /status and /metrics on http://%s for %d target(s)", ln.Addr(), len(s.Monitor.Targets))
	}
	if s.Agent != nil {
		agentDone := make(chan struct{})
		go func() { defer close(agentDone); s.serveAgent(s.Agent) }()
		defer func() { s.Agent.Close(); <-agentDone }()
		s.logf("answering HAProxy's agent-check on %s", s.Agent.Addr())
	}

	select {
	case err := <-served:
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	case sig := <-stop:
		s.Drain("received " + signals.Name(sig))
		s.logf("received %s: /readyz reports draining; serving for %s more, then stopping", signals.Name(sig), s.DrainDelay)
		t := time.NewTimer(s.DrainDelay)
		select {
		case <-t.C:
		case sig := <-stop:
			s.logf("received %s: stopping now", signals.Name(sig))
		case <-ctx.Done():
		}
		t.Stop()
	}
	if ln == nil {
		return nil
	}
	shut := make(chan error, 1)
	go func() { shut <- s.http.Shutdown() }()
	select {
	case err := <-shut:
		if err != nil {
			return fmt.Errorf("stopping: %w", err)
		}
	case <-time.After(shutdownGrace):
		s.conns.closeAll()
		<-shut
	}
	<-served
	s.logf("stopped")
	return nil
}

// acceptTrouble logs an Accept that fails for a while (too many open
// files): the listener waits it out.
func (s *Server) acceptTrouble(err error) {
	s.Log.Warnf("cannot accept a connection for now (%v): waiting, then trying again", err)
}

// Drain makes /readyz report draining from now on, for the reason given.
func (s *Server) Drain(why string) {
	s.draining.Store(&why)
}

// paused reports whether the target checks should wait: while draining,
// from a signal or the marker, /readyz says draining whatever they find,
// and each check of the app is traffic its adaptive drain waits to see
// stop. The checks resume when the marker goes, and the verdict then waits
// for a fresh one of each target.
func (s *Server) paused() bool {
	if s.draining.Load() != nil {
		return true
	}
	if s.Marker == "" {
		return false
	}
	present, _, _ := (probe.Marker{Path: s.Marker}).Since()
	return present
}

// Verdict decides /readyz's answer from the targets' statuses, the drain
// and the shutdown marker. Its reason is printable, whatever a marker file
// or a target's reply held.
func (s *Server) Verdict(statuses []monitor.Status) Verdict {
	v := s.verdict(statuses)
	v.Reason = sanitize.Printable(v.Reason)
	return v
}

func (s *Server) verdict(statuses []monitor.Status) Verdict {
	if why := s.draining.Load(); why != nil {
		return Verdict{Draining: true, Reason: "draining: " + *why}
	}
	if s.Marker != "" {
		if err := (probe.Marker{Path: s.Marker}).Draining(); err != nil {
			var draining *probe.DrainingError
			s.marked.Store(true)
			return Verdict{Draining: errors.As(err, &draining), Reason: err.Error()}
		}
		if s.marked.Swap(false) {
			s.recheckFrom.Store(time.Now().UnixNano())
			s.Monitor.CheckNow()
		}
	}
	if from := s.recheckFrom.Load(); from != 0 {
		for _, st := range statuses {
			if st.Last == nil || st.CheckedAt.Add(-st.Last.Duration).UnixNano() < from {
				return Verdict{Reason: "not ready: the shutdown marker is gone; waiting for a fresh check of " + st.Target}
			}
			if st.Last.State != probe.Healthy {
				return Verdict{Reason: "not ready: the shutdown marker is gone, and " + st.Target + " failed its check since: " + st.Last.Detail}
			}
		}
		s.recheckFrom.CompareAndSwap(from, 0)
	}
	if ok, why := s.Monitor.Ready(statuses); !ok {
		return Verdict{Reason: "not ready: " + why}
	}
	if len(statuses) == 0 {
		return Verdict{Ready: true, Reason: "ready: not draining, and no target to check"}
	}
	return Verdict{Ready: true, Reason: "ready: every target passes"}
}

// changed logs a target's first result and each change of up, then tells
// OnChange.
func (s *Server) changed(st monitor.Status) {
	if st.Up {
		s.Log.Log(logline.Info, st.Target+" is up: "+st.Last.Detail, logline.Target(st.Target), logline.State("up"))
	} else {
		_, why := s.Monitor.Ready([]monitor.Status{st})
		s.Log.Log(logline.Warn, why, logline.Target(st.Target), logline.State("down"))
	}
	if s.OnChange != nil {
		s.OnChange(st)
	}
}

func (s *Server) logf(format string, args ...any) { s.Log.Printf(format, args...) }

// refuse answers a request fasthttp could not read, with the status that
// says why.
func refuse(c *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	var netErr net.Error
	switch {
	case errors.As(err, &small):
		c.Error("request headers are larger than 4 KiB\n", fasthttp.StatusRequestHeaderFieldsTooLarge)
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		c.Error("request bodies are not accepted\n", fasthttp.StatusRequestEntityTooLarge)
	case errors.As(err, &netErr) && netErr.Timeout():
		c.Error("request timeout\n", fasthttp.StatusRequestTimeout)
	default:
		c.Error("bad request\n", fasthttp.StatusBadRequest)
	}
}
