// Package monitor checks targets on a schedule, through probe.Run, and keeps
// each one's latest verdict with Kubernetes' thresholds: what probe serve and
// probe exec --check answer from.
package monitor

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/probe-sh/probe/probe"
)

// Monitor checks each target on its own schedule in the background and
// keeps the latest verdict, so that a reader (probe serve's endpoints) never
// waits for a check and a slow or hanging target never delays another.
//
// Up follows Kubernetes' thresholds: a target starts down, turns up after
// SuccessThreshold passes in a row and down again after FailureThreshold
// failures in a row.
type Monitor struct {
	Targets          []probe.Target
	Interval         time.Duration // from the start of one run to the start of the next
	SuccessThreshold int           // 1 when zero
	FailureThreshold int           // 1 when zero
	Options          probe.Options // for each run; its Marker is ignored, as the server reports draining itself

	// OnChange, when set, is called after a target's first result and after
	// each change of Up, from that target's goroutine.
	OnChange func(Status)

	// Paused, when set and true, skips the checks that fall due: while
	// the app drains, a check would only add to the traffic the adaptive
	// drain waits to see stop, and the verdict is "draining" whatever it
	// finds.
	Paused func() bool

	once    sync.Once
	status  []atomic.Pointer[Status]
	wake    []chan struct{}
	version atomic.Uint64
}

// Status is what the monitor knows about one target.
type Status struct {
	Target               string
	Kind                 string
	Up                   bool          // after the thresholds
	Last                 *probe.Result // the latest run; nil until the first one ends
	CheckedAt            time.Time     // when the latest run ended
	ConsecutiveSuccesses int
	ConsecutiveFailures  int
	LastChange           time.Time // when Up last changed, or when monitoring began
	Checks               uint64    // runs so far
	Failures             uint64    // failed runs so far
}

func (m *Monitor) init() {
	m.once.Do(func() {
		m.status = make([]atomic.Pointer[Status], len(m.Targets))
		m.wake = make([]chan struct{}, len(m.Targets))
		now := time.Now()
		for i, t := range m.Targets {
			m.status[i].Store(&Status{Target: t.Name, Kind: t.Kind, LastChange: now})
			m.wake[i] = make(chan struct{}, 1)
		}
	})
}

// Run checks every target until ctx ends, then returns once every check in
// flight has returned (each is bounded by Options.Timeout).
func (m *Monitor) Run(ctx context.Context) {
	m.init()
	var wg sync.WaitGroup
	for i := range m.Targets {
		wg.Go(func() { m.watch(ctx, i) })
	}
	wg.Wait()
}

func (m *Monitor) watch(ctx context.Context, i int) {
	opt := m.Options
	opt.Marker = ""
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-m.wake[i]:
			timer.Stop()
		}
		start := time.Now()
		if m.Paused != nil && m.Paused() {
			timer.Reset(m.Interval)
			continue
		}
		report := probe.Run(ctx, m.Targets[i:i+1], opt)
		if ctx.Err() != nil {
			return // cut short by shutdown: not a verdict on the target
		}
		m.record(i, report.Results[0])
		timer.Reset(max(0, m.Interval-time.Since(start)))
	}
}

// record folds one result into the target's status.
func (m *Monitor) record(i int, r probe.Result) {
	old := m.status[i].Load()
	s := *old
	s.Last, s.CheckedAt = &r, time.Now()
	s.Checks++
	if r.State == probe.Healthy {
		s.ConsecutiveSuccesses++
		s.ConsecutiveFailures = 0
		if !s.Up && s.ConsecutiveSuccesses >= max(m.SuccessThreshold, 1) {
			s.Up, s.LastChange = true, s.CheckedAt
		}
	} else {
		s.Failures++
		s.ConsecutiveFailures++
		s.ConsecutiveSuccesses = 0
		if s.Up && s.ConsecutiveFailures >= max(m.FailureThreshold, 1) {
			s.Up, s.LastChange = false, s.CheckedAt
		}
	}
	m.status[i].Store(&s)
	m.version.Add(1)
	if m.OnChange != nil && (old.Last == nil || old.Up != s.Up) {
		m.OnChange(s)
	}
}

// CheckNow starts a check of every target now, without waiting for the
// interval; a target whose check is in flight is checked again as soon as
// it ends. It never blocks.
func (m *Monitor) CheckNow() {
	m.init()
	for _, w := range m.wake {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// Snapshot returns the status of every target, in the order given. It never
// blocks on a check.
func (m *Monitor) Snapshot() []Status {
	m.init()
	out := make([]Status, len(m.status))
	for i := range m.status {
		out[i] = *m.status[i].Load()
	}
	return out
}

// Version changes whenever a result is recorded, so that a reader can cache
// what it derives from a Snapshot.
func (m *Monitor) Version() uint64 { return m.version.Load() }

// Ready reports whether every target is up, and if not, why not, in one
// line naming the first target that is down.
func (m *Monitor) Ready(statuses []Status) (bool, string) {
	for _, s := range statuses {
		if s.Up {
			continue
		}
		switch {
		case s.Last == nil:
			return false, s.Target + " has not been checked yet"
		case s.Last.State == probe.Healthy:
			return false, s.Target + " is recovering: " + strconv.Itoa(s.ConsecutiveSuccesses) + " of " + strconv.Itoa(max(m.SuccessThreshold, 1)) + " passes in a row"
		default:
			return false, s.Target + " is unhealthy: " + s.Last.Detail
		}
	}
	return true, "every target passes"
}
