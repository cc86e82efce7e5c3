// Package watch is probe watch's engine: every target checked each interval,
// through probe.Run, and a tally of each whose size does not grow.
package watch

import (
	"context"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/probe-sh/probe/probe"
)

// Watcher checks every target each Interval, each on its own schedule, so
// that a target that hangs (up to Options.Timeout) never delays another,
// and keeps a Tally of each: what probe watch shows live and sums up at the
// end. Its memory does not grow with time: the recent checks are a window
// of fixed size, the percentiles over the whole run come from a histogram
// of fixed size, and the changes of state kept are bounded.
type Watcher struct {
	Targets  []probe.Target
	Interval time.Duration // from the start of one check to the start of the next
	Count    int           // stop after this many checks of every target; 0: until ctx ends
	Window   int           // recent checks kept for the live view; DefaultWindow when zero
	Options  probe.Options // for each check, marker included: a draining target shows as such

	// OnResult, when set, is called after each check, from that target's
	// goroutine, with the target's index.
	OnResult func(i int, r probe.Result)

	once   sync.Once
	mu     sync.Mutex
	tallys []*tally
}

// DefaultWindow is how many recent checks of each target a Watcher keeps.
const DefaultWindow = 60

// MaxChanges is how many changes of state a Tally keeps, the latest; it
// counts the others.
const MaxChanges = 100

// Tally is what a Watcher knows of one target.
type Tally struct {
	Target, Kind string
	Started      time.Time     // when watching began
	Last         *probe.Result // the latest check; nil before the first ends
	LastAt       time.Time     // when it began
	Checks       uint64
	Failures     uint64   // checks that were not healthy, draining included
	Recent       []Sample // the last Window checks, oldest first

	// The current state, since when, and the check that changed it.
	State    probe.State
	Since    time.Time
	SinceWhy string

	Changes        []Change // the latest MaxChanges changes of state, oldest first
	ChangesDropped uint64   // older changes, not kept

	Longest Outage // the longest run of checks that failed; zero if none
	Current Outage // the run in progress, when the latest check failed

	Min, Max time.Duration // over every check
	// Over every check, from a histogram whose buckets are 2% apart: each
	// is within 2% of the exact figure.
	P50, P95, P99 time.Duration
	// Over the recent checks, exactly.
	RecentP50, RecentP95 time.Duration
}

// Sample is one check, as the live view draws it.
type Sample struct {
	Duration time.Duration
	State    probe.State
}

// Change is a change of state: the first check counts as one.
type Change struct {
	At     time.Time
	State  probe.State
	Detail string
}

// Outage is a run of checks that failed: from the start of the first to the
// start of the healthy check that ended it (End is zero while it lasts).
type Outage struct {
	Start, End time.Time
	Checks     uint64
	Detail     string // why the first failed
}

// Length is how long the outage lasted, or has lasted until now.
func (o Outage) Length(now time.Time) time.Duration {
	if o.Start.IsZero() {
		return 0
	}
	if o.End.IsZero() {
		return now.Sub(o.Start)
	}
	return o.End.Sub(o.Start)
}

// Availability is the share of checks that were healthy, from 0 to 1.
func (t Tally) Availability() float64 {
	if t.Checks == 0 {
		return 0
	}
	return float64(t.Checks-t.Failures) / float64(t.Checks)
}

// tally is a target's running state; Watcher.mu guards it.
type tally struct {
	Tally
	ring   []Sample // a ring of the recent checks
	next   int      // where the next sample goes
	hist   []uint32 // log-scale buckets of check times
	change []Change // a ring of the latest changes
}

// Histogram buckets: bucket i holds times up to histBase x histGrowth^i.
const (
	histBase    = float64(time.Microsecond)
	histGrowth  = 1.02
	histBuckets = 1200 // up to about 3.7 hours
)

func (w *Watcher) init() {
	w.once.Do(func() {
		now := time.Now()
		window := w.Window
		if window <= 0 {
			window = DefaultWindow
		}
		w.tallys = make([]*tally, len(w.Targets))
		for i, t := range w.Targets {
			w.tallys[i] = &tally{Tally: Tally{Target: t.Name, Kind: t.Kind, Started: now},
				ring: make([]Sample, 0, window), hist: make([]uint32, histBuckets)}
		}
	})
}

// Run checks every target until ctx ends or each has had Count checks, and
// returns the tallies once every check in flight has returned.
func (w *Watcher) Run(ctx context.Context) []Tally {
	w.init()
	var wg sync.WaitGroup
	for i := range w.Targets {
		wg.Go(func() { w.watch(ctx, i) })
	}
	wg.Wait()
	return w.Snapshot()
}

func (w *Watcher) watch(ctx context.Context, i int) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for n := 0; w.Count <= 0 || n < w.Count; n++ {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		start := time.Now()
		report := probe.Run(ctx, w.Targets[i:i+1], w.Options)
		if ctx.Err() != nil {
			return // cut short by Ctrl-C: not a verdict on the target
		}
		r := report.Results[0]
		w.record(i, start, r)
		if w.OnResult != nil {
			w.OnResult(i, r)
		}
		timer.Reset(max(0, w.Interval-time.Since(start)))
	}
}

// record folds one check, begun at start, into the target's tally.
func (w *Watcher) record(i int, start time.Time, r probe.Result) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.tallys[i]
	first := t.Checks == 0
	t.Last, t.LastAt = &r, start
	t.Checks++
	if first || r.Duration < t.Min {
		t.Min = r.Duration
	}
	t.Max = max(t.Max, r.Duration)
	t.hist[bucket(r.Duration)]++
	s := Sample{Duration: r.Duration, State: r.State}
	if len(t.ring) < cap(t.ring) {
		t.ring = append(t.ring, s)
	} else {
		t.ring[t.next] = s
	}
	t.next = (t.next + 1) % cap(t.ring)

	if r.State != probe.Healthy {
		t.Failures++
		if t.Current.Start.IsZero() {
			t.Current = Outage{Start: start, Detail: r.Detail}
		}
		t.Current.Checks++
	} else if !t.Current.Start.IsZero() {
		t.Current.End = start
		if t.Current.Length(start) > t.Longest.Length(start) {
			t.Longest = t.Current
		}
		t.Current = Outage{}
	}
	if first || r.State != t.State {
		t.State, t.Since, t.SinceWhy = r.State, start, r.Detail
		c := Change{At: start, State: r.State, Detail: r.Detail}
		if len(t.change) < MaxChanges {
			t.change = append(t.change, c)
		} else {
			copy(t.change, t.change[1:])
			t.change[len(t.change)-1] = c
			t.ChangesDropped++
		}
	}
}

// bucket is the histogram bucket of d.
func bucket(d time.Duration) int {
	if float64(d) <= histBase {
		return 0
	}
	b := int(math.Ceil(math.Log(float64(d)/histBase) / math.Log(histGrowth)))
	return min(b, histBuckets-1)
}

// Snapshot returns every target's tally, its figures computed; it never
// waits for a check.
func (w *Watcher) Snapshot() []Tally {
	w.init()
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]Tally, len(w.tallys))
	now := time.Now()
	for i, t := range w.tallys {
		s := t.Tally
		s.Recent = make([]Sample, 0, len(t.ring))
		if len(t.ring) == cap(t.ring) {
			s.Recent = append(s.Recent, t.ring[t.next:]...)
			s.Recent = append(s.Recent, t.ring[:t.next]...)
		} else {
			s.Recent = append(s.Recent, t.ring...)
		}
		s.Changes = append([]Change(nil), t.change...)
		s.P50, s.P95, s.P99 = t.percentile(0.50), t.percentile(0.95), t.percentile(0.99)
		s.RecentP50, s.RecentP95 = recentPercentile(s.Recent, 0.50), recentPercentile(s.Recent, 0.95)
		// An outage still going may already be the longest.
		if !s.Current.Start.IsZero() && s.Current.Length(now) > s.Longest.Length(now) {
			s.Longest = s.Current
		}
		out[i] = s
	}
	return out
}

// percentile reads the q-th quantile from the histogram: the upper bound of
// the bucket that holds it, within [Min, Max].
func (t *tally) percentile(q float64) time.Duration {
	if t.Checks == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(t.Checks)))
	var seen uint64
	for i, n := range t.hist {
		if seen += uint64(n); seen >= max(rank, 1) {
			d := time.Duration(histBase * math.Pow(histGrowth, float64(i)))
			return min(max(d, t.Min), t.Max)
		}
	}
	return t.Max
}

// durations sort through sort.Interface, which every type shares;
// slices.Sort is compiled again for each element type.
type durations []time.Duration

func (d durations) Len() int           { return len(d) }
func (d durations) Swap(i, j int)      { d[i], d[j] = d[j], d[i] }
func (d durations) Less(i, j int) bool { return d[i] < d[j] }

// recentPercentile is the exact q-th quantile of the samples' times
// (nearest rank).
func recentPercentile(samples []Sample, q float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	d := make(durations, len(samples))
	for i, s := range samples {
		d[i] = s.Duration
	}
	sort.Sort(d)
	rank := int(math.Ceil(q*float64(len(d)))) - 1
	return d[min(max(rank, 0), len(d)-1)]
}
