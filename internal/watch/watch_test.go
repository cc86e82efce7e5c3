package watch

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/probe"
)

// scriptCheck answers from a script of outcomes, one per call, repeating.
type scriptCheck struct {
	script []bool // healthy or not
	calls  atomic.Int64
}

func (s *scriptCheck) Run(ctx context.Context, tr *checks.Trace) (string, error) {
	n := s.calls.Add(1) - 1
	if s.script[int(n)%len(s.script)] {
		return "up", nil
	}
	return "", errors.New("down")
}

func TestWatcherTallies(t *testing.T) {
	t.Parallel()
	// up, up, down, down, down, up, down, up: 8 checks, 4 failures.
	c := &scriptCheck{script: []bool{true, true, false, false, false, true, false, true}}
	w := &Watcher{Targets: []probe.Target{{Name: "t", Kind: "fake", Check: c}}, Interval: time.Millisecond, Count: 8, Window: 5}
	var results atomic.Int64
	w.OnResult = func(i int, r probe.Result) { results.Add(1) }
	got := w.Run(context.Background())[0]
	if got.Checks != 8 || got.Failures != 4 || results.Load() != 8 {
		t.Fatalf("checks %d, failures %d, results %d; want 8, 4, 8", got.Checks, got.Failures, results.Load())
	}
	if got.Availability() != 0.5 {
		t.Errorf("availability %v, want 0.5", got.Availability())
	}
	if len(got.Recent) != 5 || got.Recent[0].State != probe.Unhealthy || got.Recent[4].State != probe.Healthy || got.Recent[3].State != probe.Unhealthy {
		t.Errorf("recent %+v, want the last 5: down, down, up, down, up", got.Recent)
	}
	var states []probe.State
	for _, ch := range got.Changes {
		states = append(states, ch.State)
	}
	if want := []probe.State{probe.Healthy, probe.Unhealthy, probe.Healthy, probe.Unhealthy, probe.Healthy}; !slices.Equal(states, want) {
		t.Errorf("changes %v, want %v", states, want)
	}
	// The longest outage is the longer in time of the two, which need not
	// be the one of more checks on a loaded machine: read both from the
	// changes (down at 1, up at 2; down at 3, up at 4).
	if len(got.Changes) == 5 {
		first, second := got.Changes[2].At.Sub(got.Changes[1].At), got.Changes[4].At.Sub(got.Changes[3].At)
		want := Outage{Start: got.Changes[1].At, End: got.Changes[2].At, Checks: 3, Detail: "down"}
		if second > first {
			want = Outage{Start: got.Changes[3].At, End: got.Changes[4].At, Checks: 1, Detail: "down"}
		}
		if got.Longest != want {
			t.Errorf("longest outage %+v, want %+v (the outages lasted %s and %s)", got.Longest, want, first, second)
		}
	}
	if !got.Current.Start.IsZero() || got.State != probe.Healthy || got.Last.State != probe.Healthy {
		t.Errorf("state %s, current outage %+v: the last check passed", got.State, got.Current)
	}
	if got.Min <= 0 || got.Max < got.Min || got.P50 < got.Min || got.P99 > got.Max || got.RecentP95 < got.RecentP50 {
		t.Errorf("times: min %s p50 %s p99 %s max %s, recent p50 %s p95 %s", got.Min, got.P50, got.P99, got.Max, got.RecentP50, got.RecentP95)
	}
}

// A target that hangs until its timeout does not hold back another.
func TestWatcherHangingTargetDelaysNoOther(t *testing.T) {
	t.Parallel()
	// The hanging check ends only when the run does, an hour from now: the
	// fast target must reach 20 checks all the same. Its 20th check ends
	// the run; a watcher that let the hang hold back the fast target never
	// gets there, and the test's own timeout says so.
	hang := checkFunc(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	fast := &scriptCheck{script: []bool{true}}
	w := &Watcher{Targets: []probe.Target{{Name: "hang", Check: hang}, {Name: "fast", Check: fast}},
		Interval: time.Millisecond, Options: probe.Options{Timeout: time.Hour}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var fastChecks atomic.Int64
	w.OnResult = func(i int, r probe.Result) {
		if i == 1 && fastChecks.Add(1) == 20 {
			cancel()
		}
	}
	done := make(chan []Tally, 1)
	go func() { done <- w.Run(ctx) }()
	select {
	case got := <-done:
		if got[1].Checks < 20 {
			t.Errorf("the fast target had %d checks beside one that hangs", got[1].Checks)
		}
		if got[0].Checks != 0 {
			t.Errorf("the hanging target has %d checks: a check cut short by the end is not one", got[0].Checks)
		}
	case <-time.After(time.Minute):
		t.Fatalf("the fast target had %d checks in a minute beside one that hangs: the hang holds it back", fastChecks.Load())
	}
}

type checkFunc func(context.Context) error

func (f checkFunc) Run(ctx context.Context, tr *checks.Trace) (string, error) { return "ok", f(ctx) }

// The histogram's percentiles are within 2% of the exact ones.
func TestWatcherPercentiles(t *testing.T) {
	t.Parallel()
	tl := &tally{hist: make([]uint32, histBuckets)}
	rng := rand.New(rand.NewPCG(1, 2))
	var all []time.Duration
	for range 20000 {
		d := time.Duration(math.Exp(rng.NormFloat64()*1.5) * float64(5*time.Millisecond))
		all = append(all, d)
		if tl.Checks == 0 || d < tl.Min {
			tl.Min = d
		}
		tl.Max = max(tl.Max, d)
		tl.Checks++
		tl.hist[bucket(d)]++
	}
	slices.Sort(all)
	for _, q := range []float64{0.5, 0.95, 0.99} {
		exact := all[int(math.Ceil(q*float64(len(all))))-1]
		got := tl.percentile(q)
		if ratio := float64(got) / float64(exact); ratio < 0.98 || ratio > 1.02 {
			t.Errorf("p%.0f = %s, exact %s: off by %.1f%%", q*100, got, exact, (ratio-1)*100)
		}
	}
}

// Memory stays flat however long the watch: 200,000 checks, each changing
// state, hold no more than the first 20,000 did.
func TestWatcherMemoryIsBounded(t *testing.T) {
	c := &scriptCheck{script: []bool{true, false}}
	w := &Watcher{Targets: []probe.Target{{Name: "flap", Check: c}}, Window: DefaultWindow}
	w.init()
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	start := time.Now()
	feed := func(n int) {
		for i := range n {
			r := probe.Result{State: probe.Healthy, Duration: time.Duration(i%1000) * time.Microsecond, Detail: "up"}
			if i%2 == 1 {
				r.State, r.Detail = probe.Unhealthy, "down: HTTP 500"
			}
			w.record(0, start.Add(time.Duration(i)*time.Millisecond), r)
		}
	}
	feed(20000)
	before := heap()
	feed(180000)
	after := heap()
	got := w.Snapshot()[0]
	if got.Checks != 200000 || len(got.Changes) != MaxChanges || got.ChangesDropped != 200000-MaxChanges {
		t.Fatalf("checks %d, changes kept %d, dropped %d", got.Checks, len(got.Changes), got.ChangesDropped)
	}
	if after > before+64<<10 {
		t.Errorf("the heap grew from %d to %d bytes over 180,000 more checks", before, after)
	}
}
