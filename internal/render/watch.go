package render

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/text"
	"github.com/probe-sh/probe/internal/watch"
	"github.com/probe-sh/probe/probe"
)

// Screen is what probe watch's live view may use of a terminal.
type Screen struct {
	Width func() int // the terminal's columns; a line never wraps
	Color bool       // ANSI colours (not when NO_COLOR is set)
	UTF8  bool       // block characters for the sparkline, else ASCII
}

// ANSI colours, by state.
const (
	green  = "\x1b[32m"
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	dim    = "\x1b[2m"
	reset  = "\x1b[0m"
)

// span is a piece of a line, in a colour or none.
type span struct{ text, color string }

// WatchLive draws probe watch on a terminal: a header line and one line per
// target, redrawn in place, each cut to the terminal's width.
func WatchLive(w io.Writer, sc Screen) func(elapsed, interval time.Duration, tallies []watch.Tally) {
	drawn := 0
	return func(elapsed, interval time.Duration, tallies []watch.Tally) {
		width := 80
		if sc.Width != nil {
			if n := sc.Width(); n > 0 {
				width = n
			}
		}
		var b strings.Builder
		if drawn > 0 {
			fmt.Fprintf(&b, "\x1b[%dA", drawn) // back to the block's first line
		}
		header := []span{{fmt.Sprintf("probe watch: every %s, %s so far (Ctrl-C for the summary)", interval, text.Duration(elapsed)), ""}}
		b.WriteString("\r\x1b[K" + fit(header, width, sc.Color) + "\n")
		for _, t := range tallies {
			b.WriteString("\r\x1b[K" + fit(liveSpans(t, sc, width), width, sc.Color) + "\n")
		}
		drawn = len(tallies) + 1
		io.WriteString(w, b.String())
	}
}

// liveSpans is one target's line: state, target, failures of all checks, a
// sparkline of the recent checks' times with failures marked, the last
// time, p50 and p95 over the recent checks, and since when the state holds,
// why. A narrow window cuts the line from its end, and the sparkline shows
// only as many of the latest checks as leave room for the failures and the
// times.
func liveSpans(t watch.Tally, sc Screen, width int) []span {
	if t.Last == nil {
		return []span{{"...       ", dim}, {sanitize.Printable(t.Target) + ": not checked yet", ""}}
	}
	head := []span{
		{fmt.Sprintf("%-9s ", t.State), stateColor(t.State)},
		{sanitize.Printable(t.Target), ""},
		{fmt.Sprintf("  %d/%d failed  ", t.Failures, t.Checks), ""},
	}
	times := span{fmt.Sprintf("  %s  p50 %s p95 %s", text.Duration(t.Last.Duration), text.Duration(t.RecentP50), text.Duration(t.RecentP95)), ""}
	room := width - 1
	for _, s := range head {
		room -= utf8.RuneCountInString(s.text)
	}
	// The times keep their place beside a sparkline of 12 checks or more;
	// in a narrower window the sparkline takes the room, and the times go.
	if n := utf8.RuneCountInString(times.text); room-n >= 12 {
		room -= n
	}
	recent := t.Recent
	if room < len(recent) {
		recent = recent[len(recent)-max(room, 0):]
	}
	spans := append(head, sparkline(recent, sc.UTF8)...)
	spans = append(spans, times, span{fmt.Sprintf("  since %s: %s", t.Since.Format("15:04:05"), sanitize.Printable(t.SinceWhy)), ""})
	return spans
}

func stateColor(s probe.State) string {
	switch s {
	case probe.Healthy:
		return green
	case probe.Draining:
		return yellow
	}
	return red
}

// Sparkline characters: eight heights, and the mark of a check that failed.
var (
	blocks      = []string{"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"}
	asciiBlocks = []string{"_", ".", "-", "~", "=", "+", "*", "#"}
)

// sparkline draws the recent checks' times, scaled to the slowest, a
// failure as a red ✗ (x in ASCII), a drain as a yellow !.
func sparkline(samples []watch.Sample, utf bool) []span {
	levels, fail := blocks, "✗"
	if !utf {
		levels, fail = asciiBlocks, "x"
	}
	var slowest time.Duration
	for _, s := range samples {
		slowest = max(slowest, s.Duration)
	}
	var out []span
	for _, s := range samples {
		switch s.State {
		case probe.Healthy:
			level := 0
			if slowest > 0 {
				level = int(math.Ceil(float64(s.Duration)/float64(slowest)*float64(len(levels)))) - 1
			}
			out = append(out, span{levels[min(max(level, 0), len(levels)-1)], ""})
		case probe.Draining:
			out = append(out, span{"!", yellow})
		default:
			out = append(out, span{fail, red})
		}
	}
	return out
}

// fit joins spans into a line of at most width-1 columns (the last column
// would make some terminals wrap), coloured when color is set.
func fit(spans []span, width int, color bool) string {
	room := max(width-1, 1)
	var b strings.Builder
	for _, s := range spans {
		if room <= 0 {
			break
		}
		t := s.text
		if n := utf8.RuneCountInString(t); n > room {
			t = cutRunes(t, room)
		}
		room -= utf8.RuneCountInString(t)
		if color && s.color != "" {
			b.WriteString(s.color + t + reset)
		} else {
			b.WriteString(t)
		}
	}
	return b.String()
}

// cutRunes keeps the first n runes of s.
func cutRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// WatchChange writes the line of a log that marks a change of state.
func WatchChange(w io.Writer, at time.Time, r probe.Result) {
	fmt.Fprintln(w, sanitize.Clip(sanitize.Printable(at.Format("2006-01-02T15:04:05.000Z07:00")+" "+WatchChangeMsg(r)), maxLine))
}

// WatchChangeMsg is what WatchChange says of a change, without the time:
// the message of a --log-format record.
func WatchChangeMsg(r probe.Result) string {
	return fmt.Sprintf("%s %s in %s: %s", r.State, r.Target, text.Duration(r.Duration), r.Detail)
}

// WatchMinute writes a log's line a minute for each target: its counts.
func WatchMinute(w io.Writer, at time.Time, tallies []watch.Tally) {
	for _, t := range tallies {
		fmt.Fprintln(w, sanitize.Clip(sanitize.Printable(at.Format("2006-01-02T15:04:05.000Z07:00")+" "+WatchMinuteMsg(t)), maxLine))
	}
}

// WatchMinuteMsg is what WatchMinute says of a target, without the time.
func WatchMinuteMsg(t watch.Tally) string {
	return fmt.Sprintf("%s %s: %d checks, %d failed (%.2f%% available), p50 %s p95 %s over the last %d",
		t.State, t.Target, t.Checks, t.Failures, 100*t.Availability(), text.Duration(t.RecentP50), text.Duration(t.RecentP95), len(t.Recent))
}

// WatchSummary writes what probe watch saw of each target: checks,
// failures, availability, times, the longest outage and every change of
// state kept.
func WatchSummary(w io.Writer, elapsed time.Duration, now time.Time, tallies []watch.Tally) error {
	var b strings.Builder
	var checks uint64
	for _, t := range tallies {
		checks += t.Checks
	}
	fmt.Fprintf(&b, "probe watch: %s of %s over %s\n", text.Plural(int(checks), "check"), text.Plural(len(tallies), "target"), text.Duration(elapsed))
	line := func(format string, args ...any) {
		b.WriteString(sanitize.Clip(sanitize.Printable(fmt.Sprintf(format, args...)), maxLine) + "\n")
	}
	for _, t := range tallies {
		line("%s (%s): %s", t.Target, t.Kind, lastWords(t))
		line("  %d checks, %d failed: %.2f%% available", t.Checks, t.Failures, 100*t.Availability())
		if t.Checks > 0 {
			line("  time: min %s, p50 %s, p95 %s, p99 %s, max %s", text.Duration(t.Min), text.Duration(t.P50), text.Duration(t.P95), text.Duration(t.P99), text.Duration(t.Max))
		}
		if o := t.Longest; !o.Start.IsZero() {
			end := "still down"
			if !o.End.IsZero() {
				end = "to " + o.End.Format("15:04:05.000")
			}
			line("  longest outage: %s (%s), from %s %s: %s", text.Duration(o.Length(now)), text.Plural(int(o.Checks), "check"), o.Start.Format("15:04:05.000"), end, o.Detail)
		}
		if t.ChangesDropped > 0 {
			line("  changes of state (the first %d not kept):", t.ChangesDropped)
		} else {
			line("  changes of state:")
		}
		for _, c := range t.Changes {
			line("    %s %s: %s", c.At.Format("15:04:05.000"), c.State, c.Detail)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func lastWords(t watch.Tally) string {
	if t.Last == nil {
		return "never checked"
	}
	return fmt.Sprintf("%s at the last check", t.Last.State)
}

// watchJSON is probe watch's summary as one document.
type watchJSON struct {
	Checks   uint64        `json:"checks"`
	Seconds  float64       `json:"seconds"`
	Healthy  bool          `json:"healthy"` // the last check of every target passed
	Targets  []watchTarget `json:"targets"`
	Interval string        `json:"interval"`
}

type watchTarget struct {
	Target         string        `json:"target"`
	Kind           string        `json:"kind"`
	State          string        `json:"state"`
	Detail         string        `json:"detail"`
	Checks         uint64        `json:"checks"`
	Failures       uint64        `json:"failures"`
	Availability   float64       `json:"availability"`
	MinMs          float64       `json:"min_ms"`
	P50Ms          float64       `json:"p50_ms"`
	P95Ms          float64       `json:"p95_ms"`
	P99Ms          float64       `json:"p99_ms"`
	MaxMs          float64       `json:"max_ms"`
	LongestOutage  *watchOutage  `json:"longest_outage,omitempty"`
	Changes        []watchChange `json:"changes"`
	ChangesDropped uint64        `json:"changes_dropped"`
}

type watchOutage struct {
	Start   time.Time  `json:"start"`
	End     *time.Time `json:"end"` // null while it lasts
	Seconds float64    `json:"seconds"`
	Checks  uint64     `json:"checks"`
	Detail  string     `json:"detail"`
}

type watchChange struct {
	At     time.Time `json:"at"`
	State  string    `json:"state"`
	Detail string    `json:"detail"`
}

// WatchJSON writes the summary as one JSON document.
func WatchJSON(w io.Writer, elapsed, interval time.Duration, now time.Time, tallies []watch.Tally) error {
	doc := watchJSON{Seconds: elapsed.Seconds(), Healthy: WatchHealthy(tallies), Interval: interval.String(), Targets: []watchTarget{}}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for _, t := range tallies {
		doc.Checks += t.Checks
		wt := watchTarget{Target: t.Target, Kind: t.Kind, State: string(t.State), Detail: t.SinceWhy, Checks: t.Checks, Failures: t.Failures,
			Availability: t.Availability(), MinMs: ms(t.Min), P50Ms: ms(t.P50), P95Ms: ms(t.P95), P99Ms: ms(t.P99), MaxMs: ms(t.Max),
			Changes: []watchChange{}, ChangesDropped: t.ChangesDropped}
		if t.Last != nil {
			wt.Detail = t.Last.Detail
		}
		if o := t.Longest; !o.Start.IsZero() {
			wo := &watchOutage{Start: o.Start.UTC(), Seconds: o.Length(now).Seconds(), Checks: o.Checks, Detail: o.Detail}
			if !o.End.IsZero() {
				end := o.End.UTC()
				wo.End = &end
			}
			wt.LongestOutage = wo
		}
		for _, c := range t.Changes {
			wt.Changes = append(wt.Changes, watchChange{At: c.At.UTC(), State: string(c.State), Detail: c.Detail})
		}
		doc.Targets = append(doc.Targets, wt)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// WatchHealthy reports whether the last check of every target passed.
func WatchHealthy(tallies []watch.Tally) bool {
	for _, t := range tallies {
		if t.Last == nil || t.Last.State != probe.Healthy {
			return false
		}
	}
	return len(tallies) > 0
}
