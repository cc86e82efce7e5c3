package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/probe-sh/probe/internal/watch"
	"github.com/probe-sh/probe/probe"
)

func tallyFor(target string, states ...probe.State) watch.Tally {
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	t := watch.Tally{Target: target, Kind: "http", Started: at}
	for i, s := range states {
		d := time.Duration(i+1) * time.Millisecond
		r := probe.Result{Target: target, State: s, Duration: d, Detail: "HTTP 200 OK"}
		if s != probe.Healthy {
			r.Detail = "HTTP 500 \x1b[31mred\x1b[0m\r\nforged line"
			t.Failures++
		}
		t.Last = &r
		t.Checks++
		t.Recent = append(t.Recent, watch.Sample{Duration: d, State: s})
		if i == 0 || s != t.State {
			t.State, t.Since, t.SinceWhy = s, at.Add(time.Duration(i)*time.Second), r.Detail
			t.Changes = append(t.Changes, watch.Change{At: t.Since, State: s, Detail: r.Detail})
		}
	}
	return t
}

func TestWatchLiveFitsAndEscapes(t *testing.T) {
	tl := tallyFor("http://"+strings.Repeat("a", 100)+"/healthz", probe.Healthy, probe.Unhealthy, probe.Healthy, probe.Draining)
	for _, width := range []int{20, 60, 150} {
		for _, sc := range []Screen{{Color: true, UTF8: true}, {}} {
			sc.Width = func() int { return width }
			var b bytes.Buffer
			WatchLive(&b, sc)(time.Second, time.Second, []watch.Tally{tl})
			WatchLive(&b, sc)(2*time.Second, time.Second, []watch.Tally{tl})
			for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
				plain := stripANSI(line)
				if n := utf8.RuneCountInString(plain); n >= width {
					t.Errorf("width %d: a line of %d columns: %q", width, n, plain)
				}
				if strings.ContainsAny(plain, "\r\n") || strings.Contains(plain, "\x1b") {
					t.Errorf("width %d: control bytes left: %q", width, plain)
				}
			}
		}
	}
	var b bytes.Buffer
	WatchLive(&b, Screen{Width: func() int { return 400 }, Color: true, UTF8: true})(time.Second, time.Second, []watch.Tally{tl})
	out := b.String()
	for _, want := range []string{yellow + "draining ", red + "✗" + reset, yellow + "!" + reset, "2/4 failed", `since 12:00:03: HTTP 500 \x1b[31mred\x1b[0m\x0d\x0aforged line`} {
		if !strings.Contains(out, want) {
			t.Errorf("the live view lacks %q:\n%q", want, out)
		}
	}
	b.Reset()
	WatchLive(&b, Screen{Width: func() int { return 400 }})(time.Second, time.Second, []watch.Tally{tl})
	if strings.Contains(b.String(), "\x1b[3") || !strings.Contains(b.String(), "x") || strings.ContainsAny(b.String(), "▁✗") {
		t.Errorf("without colour and UTF-8: %q", b.String())
	}
}

// stripANSI drops the escape sequences the view itself writes.
func stripANSI(s string) string {
	for _, seq := range []string{"\r", "\x1b[K", "\x1b[2A", green, red, yellow, dim, reset} {
		s = strings.ReplaceAll(s, seq, "")
	}
	return s
}

func TestSparklineScales(t *testing.T) {
	spans := sparkline([]watch.Sample{{Duration: time.Millisecond, State: probe.Healthy}, {Duration: 8 * time.Millisecond, State: probe.Healthy},
		{Duration: 4 * time.Millisecond, State: probe.Healthy}, {State: probe.Unhealthy}}, true)
	var got string
	for _, s := range spans {
		got += s.text
	}
	if got != "▁█▄✗" {
		t.Errorf("sparkline %q, want ▁█▄✗", got)
	}
}

func TestWatchSummaryAndJSON(t *testing.T) {
	tl := tallyFor("http://x/healthz", probe.Healthy, probe.Unhealthy, probe.Unhealthy, probe.Healthy)
	tl.Min, tl.P50, tl.P95, tl.P99, tl.Max = time.Millisecond, 2*time.Millisecond, 4*time.Millisecond, 4*time.Millisecond, 4*time.Millisecond
	tl.Longest = watch.Outage{Start: tl.Changes[1].At, End: tl.Changes[2].At, Checks: 2, Detail: tl.Changes[1].Detail}
	var b bytes.Buffer
	if err := WatchSummary(&b, 3*time.Second, tl.Changes[2].At, []watch.Tally{tl}); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, want := range []string{"probe watch: 4 checks of 1 target over 3.00s\n", "  4 checks, 2 failed: 50.00% available\n",
		"  time: min 1.0ms, p50 2.0ms, p95 4.0ms, p99 4.0ms, max 4.0ms\n", "  longest outage: 2.00s (2 checks), from 12:00:01.000 to 12:00:03.000: HTTP 500 \\x1b[31mred",
		"    12:00:01.000 unhealthy: HTTP 500", "    12:00:03.000 healthy: HTTP 200 OK\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("the summary lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\x1b") {
		t.Errorf("the summary holds an escape: %q", text)
	}
	b.Reset()
	if err := WatchJSON(&b, 3*time.Second, time.Second, tl.Changes[2].At, []watch.Tally{tl}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Checks  uint64
		Healthy bool
		Targets []struct {
			Availability  float64
			LongestOutage struct{ Seconds float64 } `json:"longest_outage"`
			Changes       []struct{ State string }
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Checks != 4 || !doc.Healthy || doc.Targets[0].Availability != 0.5 || doc.Targets[0].LongestOutage.Seconds != 2 || len(doc.Targets[0].Changes) != 3 {
		t.Errorf("the JSON summary: %+v", doc)
	}
}
