package supervise

import (
	"errors"
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
