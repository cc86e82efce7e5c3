package probe_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/probe"
)

// checkFunc adapts a function to probe.Check. These tests are about the
// runner's clock and bookkeeping; the network is tested in package checks.
type checkFunc func(ctx context.Context) error

// Run passes the trace on in the context, for the few tests that enter a
// phase.
func (f checkFunc) Run(ctx context.Context, tr *checks.Trace) (string, error) {
	return "", f(context.WithValue(ctx, traceKey{}, tr))
}

type traceKey struct{}

func traceFrom(ctx context.Context) *checks.Trace {
	tr, _ := ctx.Value(traceKey{}).(*checks.Trace)
	return tr
}

func target(name string, f checkFunc) probe.Target {
	return probe.Target{Name: name, Kind: "test", Check: f}
}

// runBounded runs the runner and fails the test if it overstays the deadline
// by more than a generous margin: a hang check, not a speed measurement.
func runBounded(t *testing.T, targets []probe.Target, opt probe.Options) *probe.Report {
	t.Helper()
	done := make(chan *probe.Report, 1)
	go func() { done <- probe.Run(context.Background(), targets, opt) }()
	select {
	case r := <-done:
		return r
	case <-time.After(opt.Timeout + 2*time.Second):
		t.Fatalf("Run did not return within its %s deadline plus 2s", opt.Timeout)
		return nil
	}
}

func TestRunAllHealthy(t *testing.T) {
	t.Parallel()
	ok := func(context.Context) error { return nil }
	r := runBounded(t, []probe.Target{target("a", ok), target("b", ok)}, probe.Options{Timeout: time.Second})
	if r.State != probe.Healthy || r.ExitCode() != 0 {
		t.Fatalf("state %s exit %d, want healthy 0", r.State, r.ExitCode())
	}
	if len(r.Results) != 2 || r.Results[0].Target != "a" || r.Results[1].Target != "b" {
		t.Fatalf("results out of order: %+v", r.Results)
	}
}

func TestRunOneFailureFailsTheRun(t *testing.T) {
	t.Parallel()
	r := runBounded(t, []probe.Target{
		target("good", func(context.Context) error { return nil }),
		target("bad", func(context.Context) error { return errors.New("boom") }),
	}, probe.Options{Timeout: time.Second})
	if r.State != probe.Unhealthy || r.ExitCode() != 1 {
		t.Fatalf("state %s exit %d, want unhealthy 1", r.State, r.ExitCode())
	}
	if r.Results[1].Detail != "boom" || r.Results[0].State != probe.Healthy {
		t.Fatalf("results: %+v", r.Results)
	}
}

// TestRunIsConcurrent proves the checks overlap without timing anything:
// each check waits until all of them have started, which a sequential
// runner could never satisfy before the deadline.
func TestRunIsConcurrent(t *testing.T) {
	t.Parallel()
	const n = 16
	var started sync.WaitGroup
	started.Add(n)
	all := make(chan struct{})
	go func() { started.Wait(); close(all) }()
	var targets []probe.Target
	for i := range n {
		targets = append(targets, target(fmt.Sprint(i), func(ctx context.Context) error {
			started.Done()
			select {
			case <-all:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}))
	}
	r := runBounded(t, targets, probe.Options{Timeout: 5 * time.Second})
	if r.State != probe.Healthy {
		t.Fatalf("checks did not run concurrently: %+v", r.Results)
	}
}

func TestRunNamesThePhaseThatTimedOut(t *testing.T) {
	t.Parallel()
	obeys := func(ctx context.Context) error {
		traceFrom(ctx).Enter(checks.PhaseFirstByte)
		<-ctx.Done()
		return context.DeadlineExceeded
	}
	// A check that ignores its context entirely: the runner must still return.
	ignores := func(ctx context.Context) error {
		traceFrom(ctx).Enter(checks.PhaseConnect)
		select {}
	}
	// The library's line names no flag; Describe gets a *StoppedError, from
	// which probe's command line names --timeout.
	var described []*probe.StoppedError
	var mu sync.Mutex
	describe := func(err error) string {
		var stopped *probe.StoppedError
		if errors.As(err, &stopped) && errors.Is(err, context.DeadlineExceeded) {
			mu.Lock()
			described = append(described, stopped)
			mu.Unlock()
		}
		return err.Error()
	}
	r := runBounded(t, []probe.Target{target("obeys", obeys), target("ignores", ignores)}, probe.Options{Timeout: 200 * time.Millisecond, Describe: describe})
	if len(described) != 2 || described[0].Timeout != 200*time.Millisecond || described[1].Timeout != 200*time.Millisecond {
		t.Errorf("Describe got %+v, want two *StoppedError of the 200ms timeout", described)
	}
	want := []string{"waiting for the first byte of the response", "connecting"}
	for i, res := range r.Results {
		if res.State != probe.Unhealthy || !strings.HasPrefix(res.Detail, "timeout after ") || !strings.HasSuffix(res.Detail, want[i]) {
			t.Errorf("%s: %s %q, want unhealthy timeout ending in %q", res.Target, res.State, res.Detail, want[i])
		}
	}
	if r.Results[0].Phase != checks.PhaseFirstByte || r.Results[1].Phase != checks.PhaseConnect {
		t.Errorf("phases %q, %q", r.Results[0].Phase, r.Results[1].Phase)
	}
}

func TestRunRetries(t *testing.T) {
	t.Parallel()
	flaky := func(failures int) (checkFunc, *atomic.Int32) {
		var calls atomic.Int32
		return func(context.Context) error {
			if calls.Add(1) <= int32(failures) {
				return errors.New("not yet")
			}
			return nil
		}, &calls
	}
	tests := []struct {
		name      string
		failures  int
		opt       probe.Options
		wantState probe.State
		wantCalls int32
	}{
		{"no retries", 1, probe.Options{Timeout: time.Second}, probe.Unhealthy, 1},
		{"retry succeeds", 2, probe.Options{Timeout: 5 * time.Second, Retries: 2, RetryDelay: time.Millisecond}, probe.Healthy, 3},
		{"retries run out", 5, probe.Options{Timeout: 5 * time.Second, Retries: 2, RetryDelay: time.Millisecond}, probe.Unhealthy, 3},
		{"delay past the deadline stops retrying", 5, probe.Options{Timeout: 100 * time.Millisecond, Retries: 9, RetryDelay: time.Second}, probe.Unhealthy, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, calls := flaky(tc.failures)
			r := runBounded(t, []probe.Target{target("flaky", f)}, tc.opt)
			if r.State != tc.wantState || calls.Load() != tc.wantCalls || r.Results[0].Attempts != int(tc.wantCalls) {
				t.Fatalf("state %s after %d calls (%d attempts), want %s after %d", r.State, calls.Load(), r.Results[0].Attempts, tc.wantState, tc.wantCalls)
			}
		})
	}
}

func TestRunDraining(t *testing.T) {
	t.Parallel()
	marker := filepath.Join(t.TempDir(), "draining")
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var ran atomic.Bool
	f := func(context.Context) error { ran.Store(true); return nil }
	r := runBounded(t, []probe.Target{target("a", f), target("b", f)}, probe.Options{Timeout: time.Second, Marker: marker})
	if r.State != probe.Draining || r.ExitCode() != 1 {
		t.Fatalf("state %s exit %d, want draining 1", r.State, r.ExitCode())
	}
	for _, res := range r.Results {
		if res.State != probe.Draining || !strings.Contains(res.Detail, marker) {
			t.Errorf("%s: %s %q", res.Target, res.State, res.Detail)
		}
	}
	if ran.Load() {
		t.Error("checks ran while draining")
	}
	// With the marker ignored (--no-marker), the same run is healthy.
	if r := runBounded(t, []probe.Target{target("a", f)}, probe.Options{Timeout: time.Second}); r.State != probe.Healthy {
		t.Fatalf("without a marker: %s", r.State)
	}
}

func TestRunSurvivesAPanic(t *testing.T) {
	t.Parallel()
	r := runBounded(t, []probe.Target{target("p", func(context.Context) error { panic("bug") })}, probe.Options{Timeout: time.Second})
	if r.State != probe.Unhealthy || !strings.Contains(r.Results[0].Detail, "internal error: bug") {
		t.Fatalf("%s %q", r.State, r.Results[0].Detail)
	}
}

// A server may echo a credential back, whole or cut short in an excerpt.
func TestRunMasksSecrets(t *testing.T) {
	t.Parallel()
	leak := func(context.Context) error {
		return errors.New(`body does not match: "Authorization=Bearer tok-hunt"... and "sid=s\u00e9cr\u00e8t"`)
	}
	r := runBounded(t, []probe.Target{target("leaky", leak)}, probe.Options{Timeout: time.Second,
		Secrets: []string{"Bearer tok-hunter2", "tok-hunter2", "sid=sécrèt"}})
	d := r.Results[0].Detail
	for _, bad := range []string{"tok-hun", "hunter", `s\u00e9cr`} {
		if strings.Contains(d, bad) {
			t.Errorf("detail leaks %q: %s", bad, d)
		}
	}
	if !strings.Contains(d, `"Authorization=***"...`) {
		t.Errorf("detail: %s", d)
	}
}

// Every way output cuts text ends the cut with "...": a start of a secret
// before it is masked, quoted either way or not at all.
func TestRunMasksCutSecrets(t *testing.T) {
	t.Parallel()
	for _, echoed := range []string{
		`Location "https://x/?p=hunter2hun..."`, // truncate, then %q
		`Location "https://x/?p=hunter2hun"...`, // Excerpt
		`header X-Echo: hunter2hun...`,          // clip
		`reply "p\u00e9hunter2..."`,             // QuoteToASCII of a secret with é
	} {
		leak := func(context.Context) error { return errors.New(echoed) }
		r := runBounded(t, []probe.Target{target("http://u:pé"+"hunter2hunter2@h/?token=tok3n", leak)}, probe.Options{Timeout: time.Second,
			Secrets: []string{"hunter2hunter2", "péhunter2hunter2"}})
		res := r.Results[0]
		if strings.Contains(res.Detail, "hunter2h") || strings.Contains(res.Detail, `\u00e9hunter2`) || !strings.Contains(res.Detail, "***") {
			t.Errorf("%q became %q", echoed, res.Detail)
		}
		if strings.Contains(res.Target, "hunter") || strings.Contains(res.Target, "tok3n") {
			t.Errorf("the target name leaks: %q", res.Target)
		}
	}
}

// Once its context is cancelled, Run returns within its grace, even for a
// check that ignores the context: each is reported from its trace, as
// cancelled, with the canceller's reason (probe watch at Ctrl-C, probe
// run at SIGTERM). The deadline is a minute away.
func TestRunReturnsOnCancel(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{}, 2)
	obeys := func(ctx context.Context) error {
		traceFrom(ctx).Enter(checks.PhaseFirstByte)
		entered <- struct{}{}
		<-ctx.Done()
		return context.DeadlineExceeded
	}
	ignores := func(ctx context.Context) error {
		traceFrom(ctx).Enter(checks.PhaseReply)
		entered <- struct{}{}
		select {}
	}
	for _, c := range []struct {
		cause error
		want  string
	}{
		{context.Canceled, "cancelled after "},
		{errors.New("received SIGTERM"), "received SIGTERM after "},
	} {
		ctx, cancel := context.WithCancelCause(context.Background())
		go func() {
			<-entered
			<-entered
			cancel(c.cause)
		}()
		done := make(chan *probe.Report, 1)
		go func() {
			done <- probe.Run(ctx, []probe.Target{target("obeys", obeys), target("ignores", ignores)}, probe.Options{Timeout: time.Minute})
		}()
		var r *probe.Report
		select {
		case r = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Run still runs 10s after its context was cancelled")
		}
		words := []string{"waiting for the first byte of the response", "waiting for the server's reply"}
		for i, res := range r.Results {
			if res.State != probe.Unhealthy || !strings.HasPrefix(res.Detail, c.want) || !strings.HasSuffix(res.Detail, words[i]) {
				t.Errorf("%s: %s %q, want unhealthy %q...%q", res.Target, res.State, res.Detail, c.want, words[i])
			}
		}
	}
}

// A check that calls runtime.Goexit (t.FailNow in a test's check) is
// reported at once, not at the deadline a minute away.
func TestRunReportsGoexit(t *testing.T) {
	t.Parallel()
	exits := func(ctx context.Context) error {
		traceFrom(ctx).Enter(checks.PhaseConnect)
		runtime.Goexit()
		return nil
	}
	done := make(chan *probe.Report, 1)
	go func() {
		done <- probe.Run(context.Background(), []probe.Target{target("exits", exits), target("ok", func(context.Context) error { return nil })},
			probe.Options{Timeout: time.Minute, Retries: 3})
	}()
	var r *probe.Report
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run still waits 10s after a check called runtime.Goexit")
	}
	res := r.Results[0]
	if res.State != probe.Unhealthy || res.Detail != "the check exited without returning (runtime.Goexit)" || res.Phase != checks.PhaseConnect || res.Attempts != 1 {
		t.Fatalf("%+v", res)
	}
	if r.Results[1].State != probe.Healthy {
		t.Fatalf("the other target: %+v", r.Results[1])
	}
}

// ender is a check that ends what it started only some time after its
// deadline, and says how long it may take (EndWithin).
type ender struct{ late, within time.Duration }

func (e ender) Run(ctx context.Context, tr *checks.Trace) (string, error) {
	tr.Enter(checks.PhaseRun)
	<-ctx.Done()
	time.Sleep(e.late)
	return "", &checks.CommandError{Msg: "its process group was killed", Code: -1, Err: context.DeadlineExceeded}
}

func (e ender) EndWithin() time.Duration { return e.within }

// Run waits for such a check past its grace, up to EndWithin, and reports what
// it said of its end; past EndWithin, it reports from the trace, claiming
// nothing.
func TestRunWaitsForAnEnder(t *testing.T) {
	t.Parallel()
	r := runBounded(t, []probe.Target{{Name: "slow to end", Check: ender{late: 150 * time.Millisecond, within: time.Second}},
		{Name: "never ends", Check: ender{late: 10 * time.Second, within: 300 * time.Millisecond}}}, probe.Options{Timeout: 50 * time.Millisecond})
	if d := r.Results[0].Detail; !strings.HasSuffix(d, "while the command ran (its process group was killed)") {
		t.Errorf("a check that ends what it started, and ended: %q", d)
	}
	if d := r.Results[1].Detail; !strings.HasSuffix(d, "while the command ran") {
		t.Errorf("a check that ends what it started, and did not end: %q", d)
	}
}
