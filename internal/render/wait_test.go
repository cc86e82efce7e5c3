package render_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/logline"
	"github.com/probe-sh/probe/internal/render"
	"github.com/probe-sh/probe/probe"
)

// progress is a wait of two targets: a fails its first attempt, then both
// pass.
var progress = []probe.WaitProgress{
	{Elapsed: 100 * time.Millisecond, Checked: []int{0, 1}, Passed: []bool{false, true}, Results: []probe.Result{
		{Target: "tcp://db:5432", State: probe.Unhealthy, Detail: "connect: connection refused", Attempts: 1},
		{Target: "http://a/", State: probe.Healthy, Detail: "HTTP 200 OK", Attempts: 1, Duration: 3 * time.Millisecond}}},
	{Elapsed: 350 * time.Millisecond, Passed: []bool{false, true}, Results: []probe.Result{
		{Target: "tcp://db:5432", State: probe.Unhealthy, Detail: "connect: connection refused", Attempts: 1},
		{Target: "http://a/", State: probe.Healthy, Detail: "HTTP 200 OK", Attempts: 1, Duration: 3 * time.Millisecond}}},
	{Elapsed: 400 * time.Millisecond, Checked: []int{0}, Passed: []bool{true, true}, Results: []probe.Result{
		{Target: "tcp://db:5432", State: probe.Healthy, Detail: "connected", Attempts: 2, Duration: 400 * time.Millisecond},
		{Target: "http://a/", State: probe.Healthy, Detail: "HTTP 200 OK", Attempts: 1, Duration: 3 * time.Millisecond}}},
}

func TestWaitLogOneLinePerChange(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	show := render.WaitLog(&logline.Logger{W: &out})
	for _, p := range progress {
		show(p)
	}
	want := "probe: waiting for tcp://db:5432: connect: connection refused\n" +
		"probe: http://a/ is healthy after 3.0ms (1 attempt): HTTP 200 OK\n" +
		"probe: tcp://db:5432 is healthy after 400.0ms (2 attempts): connected\n"
	if out.String() != want {
		t.Fatalf("log:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestWaitLiveRedrawsInPlace(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	show := render.WaitLive(&out)
	for _, p := range progress {
		show(p)
	}
	s := out.String()
	if strings.Count(s, "\r\x1b[Kprobe: waiting ") != 3 || strings.Count(s, "\x1b[3A") != 2 {
		t.Fatalf("live output %q: want three blocks, each after the first moving up over the last", s)
	}
	if !strings.HasSuffix(s, "  ok tcp://db:5432: connected after 2 attempts\n\r\x1b[K  ok http://a/: HTTP 200 OK after 1 attempt\n") {
		t.Fatalf("live output %q does not end with both targets ok", s)
	}
	if strings.Contains(s, "is healthy after") {
		t.Fatalf("live output %q also logged lines", s)
	}
}

// A hostile target name or detail cannot act on the terminal.
func TestWaitLiveIsPrintable(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	render.WaitLive(&out)(probe.WaitProgress{Passed: []bool{false}, Results: []probe.Result{
		{Target: "tcp://x:1", Attempts: 1, Detail: "evil \x1b]0;owned\x07 " + strings.Repeat("y", 500)}}})
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		line = strings.TrimPrefix(line, "\r\x1b[K")
		if strings.ContainsAny(line, "\x1b\x07") || len(line) > 160 {
			t.Fatalf("line %q: raw control bytes or over 160 bytes", line)
		}
	}
}
