package monitor_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/monitor"
	"github.com/probe-sh/probe/probe"
)

// switchable is a check whose outcome the test sets.
type switchable struct{ up atomic.Bool }

func (s *switchable) Run(context.Context, *checks.Trace) (string, error) {
	if s.up.Load() {
		return "on", nil
	}
	return "", errors.New("switched off")
}

// eventually polls cond until it holds or 5s pass: a hang bound, not a
// speed measurement.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting until %s", what)
}

func startMonitor(t *testing.T, m *monitor.Monitor) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Monitor.Run did not return after its context ended")
		}
	})
}

func TestMonitorThresholds(t *testing.T) {
	t.Parallel()
	sw := &switchable{}
	m := &monitor.Monitor{
		Targets:          []probe.Target{{Name: "app", Kind: "test", Check: sw}},
		Interval:         5 * time.Millisecond,
		SuccessThreshold: 3,
		FailureThreshold: 2,
		Options:          probe.Options{Timeout: time.Second},
	}
	var mu sync.Mutex
	var changes []string
	m.OnChange = func(s monitor.Status) {
		mu.Lock()
		defer mu.Unlock()
		changes = append(changes, map[bool]string{true: "up", false: "down"}[s.Up])
	}
	st := m.Snapshot()[0]
	if st.Up || st.Last != nil {
		t.Fatalf("before any check: %+v, want down and unchecked", st)
	}
	if ok, why := m.Ready(m.Snapshot()); ok || why != "app has not been checked yet" {
		t.Fatalf("Ready = %v, %q", ok, why)
	}
	startMonitor(t, m)
	eventually(t, "two failures are recorded", func() bool { return m.Snapshot()[0].ConsecutiveFailures >= 2 })
	if ok, why := m.Ready(m.Snapshot()); ok || why != "app is unhealthy: switched off" {
		t.Fatalf("Ready = %v, %q", ok, why)
	}

	sw.up.Store(true)
	eventually(t, "the target is up", func() bool { return m.Snapshot()[0].Up })
	st = m.Snapshot()[0]
	if st.ConsecutiveSuccesses < 3 {
		t.Fatalf("up after %d successes, want at least the threshold 3", st.ConsecutiveSuccesses)
	}
	upSince := st.LastChange

	sw.up.Store(false)
	eventually(t, "the target is down", func() bool { return !m.Snapshot()[0].Up })
	st = m.Snapshot()[0]
	if st.ConsecutiveFailures < 2 || !st.LastChange.After(upSince) || st.Failures < 4 || st.Checks <= st.Failures {
		t.Fatalf("down too early or counted wrong: %+v", st)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(changes[:3], ",") != "down,up,down" {
		t.Fatalf("OnChange saw %v, want the first result, then up, then down", changes)
	}
}

// A target that hangs until its deadline must not hold up another target or
// a reader of the snapshot.
func TestMonitorHangingTargetBlocksNothing(t *testing.T) {
	t.Parallel()
	hang := checkFunc(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	fast := &switchable{}
	fast.up.Store(true)
	m := &monitor.Monitor{
		Targets:  []probe.Target{{Name: "hang", Check: hang}, {Name: "fast", Check: fast}},
		Interval: 10 * time.Millisecond,
		Options:  probe.Options{Timeout: time.Hour},
	}
	startMonitor(t, m)
	eventually(t, "the fast target is checked many times", func() bool { return m.Snapshot()[1].Checks >= 5 })
	if s := m.Snapshot()[0]; s.Checks != 0 || s.Up {
		t.Fatalf("the hanging target has a result: %+v", s)
	}
	if ok, why := m.Ready(m.Snapshot()); ok || !strings.Contains(why, "hang has not been checked yet") {
		t.Fatalf("Ready = %v, %q", ok, why)
	}
}

// counted counts its runs.
type counted struct{ runs atomic.Int64 }

func (c *counted) Run(context.Context, *checks.Trace) (string, error) {
	c.runs.Add(1)
	return "on", nil
}

func TestMonitorPaused(t *testing.T) {
	t.Parallel()
	c := &counted{}
	var paused atomic.Bool
	paused.Store(true)
	m := &monitor.Monitor{
		Targets:  []probe.Target{{Name: "app", Kind: "test", Check: c}},
		Interval: 5 * time.Millisecond,
		Paused:   paused.Load,
	}
	startMonitor(t, m)
	time.Sleep(100 * time.Millisecond) // twenty intervals
	if n := c.runs.Load(); n != 0 {
		t.Fatalf("%d checks ran while paused", n)
	}
	paused.Store(false)
	eventually(t, "checks resume", func() bool { return c.runs.Load() >= 3 })
	paused.Store(true)
	time.Sleep(20 * time.Millisecond) // a check in flight ends
	n := c.runs.Load()
	time.Sleep(100 * time.Millisecond)
	if got := c.runs.Load(); got != n {
		t.Fatalf("%d checks ran after the pause began", got-n)
	}
}

// checkFunc adapts a function to probe.Check.
type checkFunc func(ctx context.Context) error

func (f checkFunc) Run(ctx context.Context, _ *checks.Trace) (string, error) { return "ok", f(ctx) }
