package probe

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/probe-sh/probe/internal/drainend"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/signals"
	"github.com/probe-sh/probe/internal/text"
)

// Drain does inside an HTTP server what probe exec does from outside: on
// SIGTERM or SIGINT (or once Run's context ends) it creates the shutdown
// marker, so that every probe health check in the container reports
// draining at once, and Draining turns true, for the app's own readiness
// endpoint to answer 503; the server keeps serving until its own
// connection states (ConnState) say that no request is in flight and none
// has come for Quiet, within Min and Max; then Run shuts the server down
// and removes the marker.
//
// It sees what probe exec's drain, which reads the kernel's view of the
// app's connections, cannot: a reply that pauses mid-body is in flight
// until its handler returns. The rule that ends the drain is the same, and
// so are the defaults.
//
// While draining, the app should answer every request with Connection:
// close (net/http: w.Header().Set("Connection", "close"); fasthttp:
// ctx.SetConnectionClose()). Clients and balancers that keep connections
// alive then reconnect, through the balancer, to the other replicas, and
// no idle connection is left for the shutdown to close under a client
// about to send on it, a race HTTP/1.1 cannot avoid otherwise. Do not call
// net/http's SetKeepAlivesEnabled(false) at the start of the drain: it
// closes the idle connections at once, with that race; nor set fasthttp's
// DisableKeepalive while the server runs, which is a data race.
//
// A Drain is used once, by one server, and must not be copied after first
// use. Hijacked connections (WebSockets) are the app's to end.
type Drain struct {
	// Marker is the shutdown marker's path; when empty, $PROBE_MARKER, as
	// probe's command line reads it, or else DefaultMarker.
	Marker string
	// Min, Max and Quiet are the drain's bounds, as probe exec's
	// --drain-min, --drain-max and --drain-quiet: never over before Min
	// (the balancers' time to let go, for an app idle when the drain
	// begins), always over at Max (keep it within the stop grace period,
	// less the shutdown), and otherwise over once no request is in flight
	// and none has come or ended for Quiet (or twice the longest pause
	// between requests seen during the drain). Zero means probe exec's
	// default: 2s, 8s and 500ms.
	Min, Max, Quiet time.Duration
	// Logf, when set, gets one line when the drain begins and one when it
	// ends, saying why: log.Printf fits.
	Logf func(format string, args ...any)

	began atomic.Bool
	mu    sync.Mutex
	conns map[net.Conn]int
	busy  int           // connections with a request in flight
	last  time.Time     // a request last came in or ended
	start time.Time     // the drain began; zero before
	pause time.Duration // the longest pause between requests seen during the drain
	idle  chan struct{} // nothing in flight any more, during the drain
}

// The connection states of net/http and fasthttp, which number them alike.
const (
	stateNew = iota
	stateActive
	stateIdle
)

// ConnState returns the hook that tells d the state of each connection of
// its server: for net/http, srv.ConnState = probe.ConnState[http.ConnState](d);
// for fasthttp, srv.ConnState = probe.ConnState[fasthttp.ConnState](d).
// Both number their states alike (new 0, active 1, idle 2, hijacked 3,
// closed 4). It keeps package probe free of net/http.
func ConnState[S ~int](d *Drain) func(net.Conn, S) {
	return func(c net.Conn, s S) { d.track(c, int(s), time.Now()) }
}

// Draining reports whether the drain has begun: the app's readiness
// endpoint answers 503 from then on, and every reply says Connection:
// close.
func (d *Drain) Draining() bool { return d.began.Load() }

func (d *Drain) track(c net.Conn, state int, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conns == nil {
		d.conns = make(map[net.Conn]int)
	}
	was, known := d.conns[c]
	wasActive := known && was == stateActive
	switch state {
	case stateActive:
		if !wasActive {
			if d.busy == 0 && !d.start.IsZero() {
				// Quiet since the last request: a pause between requests.
				d.pause = max(d.pause, d.bounds().Pause(d.last, now, d.start))
			}
			d.busy++
			d.last = now
		}
		d.conns[c] = state
		return
	case stateNew, stateIdle:
		d.conns[c] = state
	default: // hijacked or closed: no longer the server's
		delete(d.conns, c)
	}
	if wasActive {
		d.busy--
		d.last = now
		if d.busy == 0 && d.idle != nil {
			select {
			case d.idle <- struct{}{}:
			default:
			}
		}
	}
}

// bounds are d's bounds, the defaults in place of zeros.
func (d *Drain) bounds() drainend.Bounds {
	return drainend.Bounds{Min: cmp.Or(d.Min, drainend.DefaultMin), Max: cmp.Or(d.Max, drainend.DefaultMax), Quiet: cmp.Or(d.Quiet, drainend.DefaultQuiet)}
}

// Run waits for SIGTERM or SIGINT, or for ctx to end, then drains and calls
// shutdown (srv.Shutdown, or fasthttp's srv.ShutdownWithContext), and
// returns its error, or the marker's. The context shutdown gets ends only
// on another SIGTERM or SIGINT: give it a deadline of your own to bound
// it. A signal during the drain ends the drain at once. A shutdown marker
// left by an earlier run of the app is removed when Run starts; one that
// another process created is left to it.
func (d *Drain) Run(ctx context.Context, shutdown func(context.Context) error) error {
	b := d.bounds()
	switch {
	case d.Min < 0 || d.Max < 0 || d.Quiet < 0:
		return fmt.Errorf("drain: negative bounds (minimum %s, maximum %s, quiet %s)", d.Min, d.Max, d.Quiet)
	case b.Min > b.Max:
		return fmt.Errorf("drain: the minimum %s is above the maximum %s", b.Min, b.Max)
	}
	m := Marker{Path: cmp.Or(d.Marker, os.Getenv("PROBE_MARKER"), DefaultMarker)}
	if existed, err := m.Remove(); err != nil {
		d.logf("%v", err)
	} else if existed {
		d.logf("removed the shutdown marker %s left by an earlier run", m.Path)
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)

	var why string
	select {
	case sig := <-sigs:
		why = "received " + signals.Name(sig)
	case <-ctx.Done():
		why = "asked to drain (" + context.Cause(ctx).Error() + ")"
	}
	d.mu.Lock()
	d.start, d.idle = time.Now(), make(chan struct{}, 1)
	start := d.start
	d.mu.Unlock()
	d.began.Store(true)
	existed, err := m.Create(why + " at " + start.UTC().Format(time.RFC3339))
	created := err == nil && !existed
	switch {
	case err != nil:
		err = fmt.Errorf("%w; health checks will not report draining", err)
		d.logf("%s: draining until no request is in flight (at least %s, at most %s); %v", why, b.Min, b.Max, err)
	default:
		how := "created"
		if existed {
			how = "already there"
		}
		d.logf("%s: draining until no request is in flight and none has come for %s (at least %s, at most %s); shutdown marker %s %s: health checks report draining",
			why, b.Quiet, b.Min, b.Max, m.Path, how)
	}

	timer := time.NewTimer(b.Max)
	defer timer.Stop()
	var end string
	for end == "" {
		var next time.Duration
		if end, next = d.decide(b, time.Now()); end != "" {
			break
		}
		timer.Reset(next)
		select {
		case <-timer.C:
		case <-d.idle:
		case sig := <-sigs:
			d.mu.Lock()
			end = fmt.Sprintf("received %s after %s of the drain, with %s in flight", signals.Name(sig), time.Since(start).Round(time.Millisecond), text.Plural(d.busy, "request"))
			d.mu.Unlock()
		}
	}
	d.logf("%s: shutting down", end)

	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-sctx.Done():
		}
	}()
	serr := shutdown(sctx)
	cancel()
	if created {
		if _, rerr := m.Remove(); rerr != nil {
			return errors.Join(serr, rerr)
		}
	}
	return serr
}

// decide says why the drain is over at now, or else how long until it may
// be.
func (d *Drain) decide(b drainend.Bounds, now time.Time) (end string, next time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	elapsed := now.Sub(d.start)
	since := elapsed // no request ever: quiet since the drain began, at least
	if !d.last.IsZero() {
		since = now.Sub(d.last)
	}
	round := func(t time.Duration) time.Duration { return t.Round(time.Millisecond) }
	switch b.Decide(elapsed, since, d.pause, d.busy) {
	case drainend.AtMaximum:
		return fmt.Sprintf("drain maximum of %s reached with %s in flight and %s open (a request last came or ended %s ago)",
			b.Max, text.Plural(d.busy, "request"), text.Plural(len(d.conns), "connection"), round(since)), 0
	case drainend.Quiet:
		return fmt.Sprintf("the app's traffic stopped after %s of the drain: no request for %s, none in flight, %s open",
			round(elapsed), round(since), text.Plural(len(d.conns), "idle connection")), 0
	}
	if d.busy > 0 {
		// Only the last request ending, or the maximum, can end it.
		return "", b.Max - elapsed
	}
	return "", b.Next(elapsed, since, d.pause)
}

func (d *Drain) logf(format string, args ...any) {
	if d.Logf != nil {
		d.Logf("%s", sanitize.Printable(fmt.Sprintf(format, args...)))
	}
}
