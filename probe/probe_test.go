package probe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
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

func (f checkFunc) Run(ctx context.Context) error { return f(ctx) }

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
		checks.TraceFrom(ctx).Enter(checks.PhaseFirstByte)
		<-ctx.Done()
		return context.DeadlineExceeded
	}
	// A check that ignores its context entirely: the runner must still return.
	ignores := func(ctx context.Context) error {
		checks.TraceFrom(ctx).Enter(checks.PhaseConnect)
		select {}
	}
	r := runBounded(t, []probe.Target{target("obeys", obeys), target("ignores", ignores)}, probe.Options{Timeout: 200 * time.Millisecond})
	want := []string{"waiting for the first byte of the response (--timeout 200ms)", "connecting (--timeout 200ms)"}
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

func TestWriteText(t *testing.T) {
	t.Parallel()
	r := &probe.Report{State: probe.Unhealthy, Timeout: time.Second, Results: []probe.Result{
		{Target: "http://a/", State: probe.Healthy, Detail: "HTTP 200 OK", Attempts: 1, Duration: 1500 * time.Microsecond,
			Marks: []checks.Mark{{Phase: "connect", At: time.Millisecond}, {Phase: "response", At: 1400 * time.Microsecond}}, Reply: `HTTP/1.1 2 bytes: "ok"`},
		{Target: "tcp://b:1", State: probe.Unhealthy, Detail: "connect: connection refused", Attempts: 3, Duration: 2 * time.Second},
	}}
	var plain, verbose bytes.Buffer
	if err := r.WriteText(&plain, false); err != nil {
		t.Fatal(err)
	}
	want := "healthy http://a/ in 1.5ms: HTTP 200 OK\nunhealthy tcp://b:1 in 2.00s, 3 attempts: connect: connection refused\n"
	if plain.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", plain.String(), want)
	}
	if err := r.WriteText(&verbose, true); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"  phases: connect 1.0ms, total 1.5ms\n", "  reply: HTTP/1.1 2 bytes: \"ok\"\n"} {
		if !strings.Contains(verbose.String(), line) {
			t.Errorf("verbose output lacks %q:\n%s", line, verbose.String())
		}
	}
}

// Docker keeps only 4096 bytes of a health check's output.
func TestOutputStaysUnder4096Bytes(t *testing.T) {
	t.Parallel()
	r := &probe.Report{State: probe.Unhealthy}
	for i := range 200 {
		r.Results = append(r.Results, probe.Result{Target: fmt.Sprintf("http://host-%d/", i), State: probe.Unhealthy,
			Detail: strings.Repeat("long reason ", 50), Attempts: 1, Reply: strings.Repeat("r", 300),
			Marks: []checks.Mark{{Phase: "connect", At: time.Millisecond}}})
	}
	for _, verbose := range []bool{false, true} {
		var text, js bytes.Buffer
		if err := r.WriteText(&text, verbose); err != nil {
			t.Fatal(err)
		}
		if text.Len() >= 4096 || !strings.Contains(text.String(), "more bytes cut") {
			t.Errorf("text is %d bytes, want under 4096 with a cut notice", text.Len())
		}
		if err := r.WriteJSON(&js, verbose); err != nil {
			t.Fatal(err)
		}
		if !json.Valid(js.Bytes()) {
			t.Errorf("JSON is not valid")
		}
		var doc struct {
			Checks  []any `json:"checks"`
			Omitted int   `json:"omitted"`
		}
		if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if js.Len() >= 4096 || doc.Omitted == 0 || len(doc.Checks)+doc.Omitted != 200 {
			t.Errorf("JSON is %d bytes with %d checks and %d omitted", js.Len(), len(doc.Checks), doc.Omitted)
		}
	}
}

func TestWriteJSONSchema(t *testing.T) {
	t.Parallel()
	r := &probe.Report{State: probe.Healthy, Duration: 2 * time.Millisecond, Timeout: 5 * time.Second, Marker: "/dev/shm/probe.draining",
		Results: []probe.Result{{Target: "http://a/", Kind: "http", State: probe.Healthy, Detail: "HTTP 200 OK", Attempts: 1,
			Duration: time.Millisecond, Marks: []checks.Mark{{Phase: "connect", At: 500 * time.Microsecond}}, Reply: "x"}}}
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf, false); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"state", "duration_ms", "timeout_ms", "marker", "checks"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("missing %q in %s", k, buf.String())
		}
	}
	c := doc["checks"].([]any)[0].(map[string]any)
	if c["state"] != "healthy" || c["detail"] != "HTTP 200 OK" || c["attempts"] != 1.0 || c["duration_ms"] != 1.0 {
		t.Errorf("check: %v", c)
	}
	if _, ok := c["reply"]; ok {
		t.Errorf("reply without -v: %v", c)
	}
	if ph := c["phases"].([]any)[0].(map[string]any); ph["phase"] != "connect" || ph["end_ms"] != 0.5 {
		t.Errorf("phases: %v", c["phases"])
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

// When the output is cut, the line that explains exit 1 survives: 999
// healthy targets and one failing, last (issue 19, defect 12).
func TestCutKeepsFailuresFirst(t *testing.T) {
	t.Parallel()
	r := manyResults(1000)
	r.Results[999].State, r.Results[999].Detail = probe.Unhealthy, "connect: connection refused (10.0.0.99:1)"
	r.State = probe.Unhealthy
	var text, js bytes.Buffer
	if err := r.WriteText(&text, false); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text.String(), "unhealthy http://host-999/") || !strings.Contains(text.String(), ": 0 not healthy, ") || text.Len() >= 4096 {
		t.Errorf("the text does not lead with the failure:\n%.300s", text.String())
	}
	if err := r.WriteJSON(&js, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"target":"http://host-999/","kind":"http","state":"unhealthy"`) || js.Len() >= 4096 {
		t.Errorf("the JSON lost the failure: %.300s", js.String())
	}
}

func manyResults(n int) *probe.Report {
	r := &probe.Report{State: probe.Healthy}
	for i := range n {
		r.Results = append(r.Results, probe.Result{Target: fmt.Sprintf("http://host-%d/", i), Kind: "http", State: probe.Healthy,
			Detail: "HTTP 200 OK", Attempts: 1, Duration: time.Millisecond, Marks: []checks.Mark{{Phase: "connect", At: time.Millisecond}}})
	}
	return r
}

// -o json once took 5-8 s for 4,000 targets, and 14-34 s for 8,000: each
// check dropped re-encoded the whole document. Now each is encoded once per
// step (issue 19, defect 10); compare the two sizes' ns/op.
func BenchmarkWriteJSON(b *testing.B) {
	for _, n := range []int{1000, 8000} {
		r := manyResults(n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				r.WriteJSON(io.Discard, true)
			}
		})
	}
}
