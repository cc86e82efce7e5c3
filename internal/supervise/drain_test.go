package supervise

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/traffic"
)

// sim plays an adaptive drain on a virtual clock: conns says what the app's
// connections look like at t after the drain began.
type sim struct {
	min, max, quiet time.Duration
	ports           traffic.Ports
	portsErr        error
	errUntil        time.Duration // when set, Ports fails only before then
	conns           func(t time.Duration) []traffic.Conn
}

// run steps the drain every 100ms and returns when it ended and why.
func (s sim) run(t *testing.T) (time.Duration, string) {
	t.Helper()
	start := time.Unix(1_700_000_000, 0)
	var at time.Duration
	a := &Adaptive{Min: s.min, Max: s.max, Quiet: s.quiet, Every: 100 * time.Millisecond,
		Ports: func() (traffic.Ports, error) {
			if s.portsErr != nil && (s.errUntil == 0 || at < s.errUntil) {
				return nil, s.portsErr
			}
			return s.ports, nil
		},
		Conns: func(traffic.Ports) ([]traffic.Conn, error) { return s.conns(at), nil },
	}
	d := &drainState{a: a, start: start}
	for at = a.Every; at <= s.max+time.Second; at += a.Every {
		if done, why := d.step(start.Add(at)); done {
			return at, why
		}
	}
	t.Fatalf("the drain never ended, %s past its maximum of %s", time.Second, s.max)
	return 0, ""
}

// request is a connection that received a request at from, answered
// after took; idle before from.
func request(at, from, took time.Duration) traffic.Conn {
	c := traffic.Conn{LastRecv: at - from, LastSent: at - from + time.Millisecond}
	if at >= from+took {
		c.LastSent = at - from - took
	}
	return c
}

var one = traffic.Ports{8080: traffic.IPv6}

func TestAdaptiveDrainEndsWhenTrafficStops(t *testing.T) {
	// A keep-alive connection carrying a 10ms request every 50ms until the
	// balancer lets go at 2.5s; then it stays open, idle.
	s := sim{min: 2 * time.Second, max: 8 * time.Second, quiet: time.Second, ports: one,
		conns: func(at time.Duration) []traffic.Conn {
			last := min(at, 2500*time.Millisecond).Truncate(50 * time.Millisecond)
			return []traffic.Conn{request(at, last, 10*time.Millisecond)}
		}}
	end, why := s.run(t)
	if end < 3500*time.Millisecond || end > 3700*time.Millisecond {
		t.Errorf("the drain ended at %s, want 1s after the traffic stopped at 2.5s: %s", end, why)
	}
	if !strings.Contains(why, "the app's traffic stopped after") || !strings.Contains(why, "1 idle connection open") {
		t.Errorf("why = %q", why)
	}
}

func TestAdaptiveDrainWaitsForTheMinimum(t *testing.T) {
	// A pool of connections idle for a minute: nothing to wait for, but
	// the balancer may not have noticed yet.
	s := sim{min: 2 * time.Second, max: 8 * time.Second, quiet: time.Second, ports: one,
		conns: func(at time.Duration) []traffic.Conn {
			return []traffic.Conn{request(at, -time.Minute, time.Millisecond), request(at, -time.Minute, time.Millisecond)}
		}}
	if end, why := s.run(t); end != 2*time.Second || !strings.Contains(why, "2 idle connections") {
		t.Errorf("the drain ended at %s (%s), want at the minimum of 2s", end, why)
	}
}

func TestAdaptiveDrainWaitsForARequestInFlight(t *testing.T) {
	// A 5s request began at 0.5s; nothing else comes.
	s := sim{min: 2 * time.Second, max: 20 * time.Second, quiet: time.Second, ports: one,
		conns: func(at time.Duration) []traffic.Conn {
			if at < 500*time.Millisecond {
				return nil
			}
			return []traffic.Conn{request(at, 500*time.Millisecond, 5*time.Second)}
		}}
	end, why := s.run(t)
	if end < 5500*time.Millisecond || end > 6600*time.Millisecond {
		t.Errorf("the drain ended at %s (%s), want once the request ended at 5.5s, and the quiet second after its data", end, why)
	}
}

func TestAdaptiveDrainStopsAtTheMaximum(t *testing.T) {
	s := sim{min: 2 * time.Second, max: 4 * time.Second, quiet: time.Second, ports: one,
		conns: func(at time.Duration) []traffic.Conn {
			return []traffic.Conn{request(at, 0, time.Hour), request(at, -time.Minute, time.Millisecond)}
		}}
	end, why := s.run(t)
	if end != 4*time.Second {
		t.Errorf("the drain ended at %s, want at the maximum of 4s", end)
	}
	if !strings.Contains(why, "drain maximum of 4s reached with 1 request in flight and 2 connections open") {
		t.Errorf("why = %q", why)
	}
}

func TestAdaptiveDrainLearnsTheRate(t *testing.T) {
	// A request every 1.5s, until 4.5s: a second without one is not quiet.
	s := sim{min: 2 * time.Second, max: 10 * time.Second, quiet: time.Second, ports: one,
		conns: func(at time.Duration) []traffic.Conn {
			last := min(at, 4500*time.Millisecond).Truncate(1500 * time.Millisecond)
			return []traffic.Conn{request(at, last, 10*time.Millisecond)}
		}}
	end, why := s.run(t)
	if end < 7500*time.Millisecond {
		t.Errorf("the drain ended at %s (%s), within two pauses of 1.5s after the last request at 4.5s", end, why)
	}
}

func TestAdaptiveDrainBlind(t *testing.T) {
	s := sim{min: 2 * time.Second, max: 5 * time.Second, quiet: time.Second, ports: one,
		portsErr: errors.New("cannot read /proc")}
	end, why := s.run(t)
	if end != 5*time.Second || !strings.Contains(why, "drain maximum of 5s reached, without seeing the app's traffic") {
		t.Errorf("the drain ended at %s (%s), want at the maximum, saying why", end, why)
	}
}

func TestAdaptiveDrainNoPort(t *testing.T) {
	s := sim{min: 2 * time.Second, max: 5 * time.Second, quiet: time.Second, ports: traffic.Ports{},
		conns: func(time.Duration) []traffic.Conn { t.Fatal("asked for connections with no port"); return nil }}
	end, why := s.run(t)
	if end != 2*time.Second || !strings.Contains(why, "listens on no TCP port") {
		t.Errorf("the drain ended at %s (%s), want at the minimum, saying why", end, why)
	}
}

// /proc unreadable for a while, then readable, with no TCP port: the drain
// is blind only while it cannot read, then ends at the minimum as any drain
// of an app on no port does.
func TestAdaptiveDrainSeesAgain(t *testing.T) {
	s := sim{min: 2 * time.Second, max: 8 * time.Second, quiet: time.Second, ports: traffic.Ports{},
		portsErr: errors.New("cannot read /proc"), errUntil: 1500 * time.Millisecond}
	end, why := s.run(t)
	if end > 3*time.Second || !strings.Contains(why, "listens on no TCP port") {
		t.Errorf("the drain ended at %s (%s), want soon after the minimum once the ports can be read", end, why)
	}
}

// chunked is a connection whose request came in at from and whose reply
// sends a chunk every every, from from until till: the last data out is
// the last chunk.
func chunked(at, from, every, till time.Duration) traffic.Conn {
	last := min(at, till)
	last = from + (last - from).Truncate(every)
	return traffic.Conn{Local: netip.MustParseAddrPort("10.0.0.1:8080"), Remote: netip.MustParseAddrPort("10.0.0.2:40000"),
		LastRecv: at - from, LastSent: at - last}
}

func TestAdaptiveDrainWaitsForAChunkedReply(t *testing.T) {
	// A reply that began at 0.3s sends a chunk every 700ms until 5.2s;
	// the balancer sent nothing else. Between chunks the connection is
	// silent both ways, longer than the quiet 500ms: only the pauses seen
	// within the reply tell it is not over.
	s := sim{min: 2 * time.Second, max: 10 * time.Second, quiet: 500 * time.Millisecond, ports: one,
		conns: func(at time.Duration) []traffic.Conn {
			if at < 300*time.Millisecond {
				return nil
			}
			return []traffic.Conn{chunked(at, 300*time.Millisecond, 700*time.Millisecond, 5200*time.Millisecond)}
		}}
	end, why := s.run(t)
	if end < 5200*time.Millisecond {
		t.Errorf("the drain ended at %s, while the reply still sent chunks until 5.2s: %s", end, why)
	}
	if end > 7*time.Second {
		t.Errorf("the drain ended at %s, long after the reply's last chunk at 5.2s: %s", end, why)
	}
}

func TestAdaptiveDrainQuietCountsRepliesGoingOut(t *testing.T) {
	// A request at 1.9s whose reply streams out until 2.8s, its last
	// data: the drain waits for the reply's end plus the quiet.
	s := sim{min: 2 * time.Second, max: 10 * time.Second, quiet: 500 * time.Millisecond, ports: one,
		conns: func(at time.Duration) []traffic.Conn {
			if at < 1900*time.Millisecond {
				return nil
			}
			return []traffic.Conn{chunked(at, 1900*time.Millisecond, 100*time.Millisecond, 2800*time.Millisecond)}
		}}
	end, why := s.run(t)
	if end < 3300*time.Millisecond || end > 3500*time.Millisecond {
		t.Errorf("the drain ended at %s, want the quiet 500ms after the reply's last data at 2.8s: %s", end, why)
	}
}

func TestAdaptiveDrainWaitsForATricklingClient(t *testing.T) {
	// A client sends its request a byte every 400ms from 0.3s until 4.3s;
	// the app answers at once, then the connection idles.
	s := sim{min: 2 * time.Second, max: 10 * time.Second, quiet: 500 * time.Millisecond, ports: one,
		conns: func(at time.Duration) []traffic.Conn {
			if at < 300*time.Millisecond {
				return nil
			}
			lastIn := 300*time.Millisecond + (min(at, 4300*time.Millisecond) - 300*time.Millisecond).Truncate(400*time.Millisecond)
			c := traffic.Conn{LastRecv: at - lastIn, LastSent: at} // nothing sent since the connection came
			if at >= 4300*time.Millisecond {
				c.LastSent = at - 4300*time.Millisecond
			}
			return []traffic.Conn{c}
		}}
	end, why := s.run(t)
	if end < 4800*time.Millisecond {
		t.Errorf("the drain ended at %s, before the trickled request was answered at 4.3s and quiet: %s", end, why)
	}
}
