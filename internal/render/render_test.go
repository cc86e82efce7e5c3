package render_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/render"
	"github.com/probe-sh/probe/probe"
)

func TestWriteText(t *testing.T) {
	t.Parallel()
	r := &probe.Report{State: probe.Unhealthy, Timeout: time.Second, Results: []probe.Result{
		{Target: "http://a/", State: probe.Healthy, Detail: "HTTP 200 OK", Attempts: 1, Duration: 1500 * time.Microsecond,
			Marks: []checks.Mark{{Phase: "connect", At: time.Millisecond}, {Phase: "response", At: 1400 * time.Microsecond}}, Reply: `HTTP/1.1 2 bytes: "ok"`},
		{Target: "tcp://b:1", State: probe.Unhealthy, Detail: "connect: connection refused", Attempts: 3, Duration: 2 * time.Second},
	}}
	var plain, verbose bytes.Buffer
	if err := render.Text(&plain, r, false); err != nil {
		t.Fatal(err)
	}
	want := "healthy http://a/ in 1.5ms: HTTP 200 OK\nunhealthy tcp://b:1 in 2.00s, 3 attempts: connect: connection refused\n"
	if plain.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", plain.String(), want)
	}
	if err := render.Text(&verbose, r, true); err != nil {
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
		if err := render.Text(&text, r, verbose); err != nil {
			t.Fatal(err)
		}
		if text.Len() >= 4096 || !strings.Contains(text.String(), "more bytes cut") {
			t.Errorf("text is %d bytes, want under 4096 with a cut notice", text.Len())
		}
		if err := render.JSON(&js, r, verbose); err != nil {
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
	if err := render.JSON(&buf, r, false); err != nil {
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

// When the output is cut, the line that explains exit 1 survives: 999
// healthy targets and one failing, last (issue 19, defect 12).
func TestCutKeepsFailuresFirst(t *testing.T) {
	t.Parallel()
	r := manyResults(1000)
	r.Results[999].State, r.Results[999].Detail = probe.Unhealthy, "connect: connection refused (10.0.0.99:1)"
	r.State = probe.Unhealthy
	var text, js bytes.Buffer
	if err := render.Text(&text, r, false); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text.String(), "unhealthy http://host-999/") || !strings.Contains(text.String(), ": 0 not healthy, ") || text.Len() >= 4096 {
		t.Errorf("the text does not lead with the failure:\n%.300s", text.String())
	}
	if err := render.JSON(&js, r, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"target":"http://host-999/","kind":"http","state":"unhealthy"`) || js.Len() >= 4096 {
		t.Errorf("the JSON lost the failure: %.300s", js.String())
	}
	// JSON keeps the failure and command-line order: it is the last of
	// the checks kept, after the healthy ones before it.
	var doc struct {
		Checks []struct{ Target string } `json:"checks"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil || len(doc.Checks) < 2 ||
		doc.Checks[0].Target != "http://host-0/" || doc.Checks[len(doc.Checks)-1].Target != "http://host-999/" {
		t.Errorf("the JSON is not in command-line order: %v, %.300s", err, js.String())
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
				render.JSON(io.Discard, r, true)
			}
		})
	}
}
