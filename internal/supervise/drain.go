package supervise

import (
	"fmt"
	"time"

	"github.com/probe-sh/probe/internal/drainend"
	"github.com/probe-sh/probe/internal/text"
	"github.com/probe-sh/probe/internal/traffic"
)

// Adaptive ends the drain as soon as it is safe, rather than after a fixed
// delay: once the load balancers have stopped sending and the app has
// stopped answering (no data has come in or gone out on the app's
// connections for Quiet) and no request is in flight, but never before Min
// (the balancers' detection time, for an app that is idle when the drain
// begins) and never after Max (within the grace period).
//
// Traffic is sampled every Every. Quiet grows to twice the longest pause
// seen during the drain, within Max: between requests (an app that gets a
// request every 2 s is not quiet after 1 s without one), and within a reply
// (one that sends a chunk every second is not over after a second without
// one).
//
// The drain sees TCP, not HTTP: a reply that has sent its headers and
// pauses before its body, longer than Quiet and before any such pause has
// been seen, looks like a finished reply on a keep-alive connection (load
// balancers keep those open, idle, after they stop sending). Such an app
// needs --drain-quiet above its longest pause, or a fixed --drain-delay, or
// to finish its replies when it gets SIGTERM, as most servers do.
type Adaptive struct {
	Min, Max, Quiet time.Duration
	Every           time.Duration

	// Ports returns the ports the app listens on; Conns the established
	// connections to them. The supervisor's defaults read /proc and
	// netlink (package traffic); tests replace them.
	Ports func() (traffic.Ports, error)
	Conns func(traffic.Ports) ([]traffic.Conn, error)
}

// drainState follows one adaptive drain, sample by sample.
type drainState struct {
	a          *Adaptive
	start      time.Time
	ports      traffic.Ports // nil until read
	portsAt    time.Time     // when ports were read: they are read again every second
	lastData   time.Time     // the newest data seen coming in on the app's connections; zero if none
	lastOut    time.Time     // the newest data seen going out; zero if none
	longestGap time.Duration
	conns      map[connKey]connSeen // what each connection did, as last sampled
	failed     error                // the last error reading the traffic
	warned     bool                 // the supervisor has logged failed
}

// connKey names a connection across samples.
type connKey struct{ local, remote string }

// connSeen is when a connection last received and last sent data.
type connSeen struct{ in, out time.Time }

// clockTolerance is more than the resolution of the kernel's times (a
// jiffy, 1 to 10 ms) and of their drift between two samples: data newer
// than the last seen by less than this is the same data.
const clockTolerance = 20 * time.Millisecond

// portsEvery is how often the app's listening ports are read again during
// a drain: listing every process costs more than a netlink dump.
const portsEvery = time.Second

// step samples the traffic at now and decides whether the drain is over;
// why says why, in the words of the log line.
func (d *drainState) step(now time.Time) (done bool, why string) {
	elapsed := now.Sub(d.start)
	// failed is decided afresh each sample: ports read once keep serving
	// when a later read fails, and a read that succeeds after failures
	// ends the blindness.
	d.failed = nil
	if d.portsAt.IsZero() || now.Sub(d.portsAt) >= portsEvery {
		ports, err := d.a.Ports()
		d.portsAt = now
		switch {
		case err == nil:
			d.ports = ports
		case d.ports == nil:
			d.failed = err
		}
	}
	var conns []traffic.Conn
	if len(d.ports) > 0 {
		var err error
		if conns, err = d.a.Conns(d.ports); err != nil {
			d.failed = err
		}
	}
	if d.failed != nil || d.ports == nil {
		// Blind: only the maximum is safe.
		if elapsed >= d.a.Max {
			return true, fmt.Sprintf("drain maximum of %s reached, without seeing the app's traffic", d.a.Max)
		}
		return false, ""
	}
	if len(d.ports) == 0 {
		if elapsed >= d.a.Min {
			return true, fmt.Sprintf("drain minimum of %s over, and the app listens on no TCP port whose traffic could be watched", d.a.Min)
		}
		return false, ""
	}

	busy := 0
	newest, newestOut := time.Duration(-1), time.Duration(-1)
	seen := make(map[connKey]connSeen, len(conns))
	for _, c := range conns {
		if c.InFlight() {
			busy++
		}
		if newest < 0 || c.LastRecv < newest {
			newest = c.LastRecv
		}
		if newestOut < 0 || c.LastSent < newestOut {
			newestOut = c.LastSent
		}
		// A pause within a reply: data went out again, with none come in
		// since the data that went out before.
		k := connKey{c.Local.String(), c.Remote.String()}
		cur := connSeen{in: now.Add(-c.LastRecv), out: now.Add(-c.LastSent)}
		if before, ok := d.conns[k]; ok && cur.out.Sub(before.out) > clockTolerance &&
			cur.in.Sub(before.in) <= clockTolerance && before.out.After(before.in) {
			d.longestGap = max(d.longestGap, d.a.bounds().Pause(before.out, cur.out, d.start))
		}
		seen[k] = cur
	}
	d.conns = seen
	if newestOut >= 0 {
		if at := now.Add(-newestOut); at.After(d.lastOut) {
			d.lastOut = at
		}
	}
	if newest >= 0 {
		if at := now.Add(-newest); at.Sub(d.lastData) > clockTolerance {
			// New data since the last sample (beyond the clock's tolerance):
			// the pause before it counts if it began during the drain, or
			// shortly before (an idle pool's last request a minute ago
			// says nothing of the rate).
			d.longestGap = max(d.longestGap, d.a.bounds().Pause(d.lastData, at, d.start))
			d.lastData = at
		}
	}
	since := elapsed // no data seen at all: quiet since the drain began, at least
	if last := maxTime(d.lastData, d.lastOut); !last.IsZero() {
		since = now.Sub(last)
	}
	switch d.a.bounds().Decide(elapsed, since, d.longestGap, busy) {
	case drainend.AtMaximum:
		return true, fmt.Sprintf("drain maximum of %s reached with %s in flight and %s open (the last data came in or went out %s ago)",
			d.a.Max, text.Plural(busy, "request"), text.Plural(len(conns), "connection"), since.Round(time.Millisecond))
	case drainend.Wait:
		return false, ""
	}
	return true, fmt.Sprintf("the app's traffic stopped after %s of the drain: no data in or out for %s, none in flight, %s open",
		elapsed.Round(time.Millisecond), since.Round(time.Millisecond), text.Plural(len(conns), "idle connection"))
}

// bounds are the drain's bounds, for the rule both drains share.
func (a *Adaptive) bounds() drainend.Bounds {
	return drainend.Bounds{Min: a.Min, Max: a.Max, Quiet: a.Quiet}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
