//go:build e2e

package e2e

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// flapper is an HTTP server whose /healthz flips through a cycle of ten
// requests: six healthy and fast, two healthy and slow (150 ms), two down
// (HTTP 500).
func flapper(t *testing.T) string {
	t.Helper()
	var n atomic.Int64
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch i := n.Add(1) % 10; {
		case i >= 8:
			http.Error(w, "flapping", http.StatusInternalServerError)
		case i >= 6:
			time.Sleep(150 * time.Millisecond)
			fmt.Fprint(w, "slow")
		default:
			fmt.Fprint(w, "UP")
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/healthz"
}

// tmux runs tmux on a server of the test's own (-L), with no user config.
func tmux(t *testing.T, bin, sock string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, append([]string{"-L", sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestWatchInATerminal runs probe watch in a real terminal (tmux, 150x12,
// a UTF-8 locale) against a target that flaps, reads the screen as a person
// would see it, then presses Ctrl-C and reads the summary.
func TestWatchInATerminal(t *testing.T) {
	tm := requireTool(t, "tmux", "tmux", "probe watch's terminal test")
	dir := t.TempDir()
	probe := build(t, dir, "probe", ".")
	url := flapper(t)
	sock := fmt.Sprintf("probe-watch-%d", os.Getpid())
	cmd := fmt.Sprintf("%s watch --no-marker --interval 100ms %s tcp://%s", probe, url, strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/healthz"))
	tmux(t, tm, sock, "new-session", "-d", "-s", "w", "-x", "150", "-y", "12", "-e", "LANG=C.UTF-8", "-e", "NO_COLOR=", "-e", "TERM=xterm-256color", cmd)
	t.Cleanup(func() { exec.Command(tm, "-L", sock, "kill-server").Run() })
	tmux(t, tm, sock, "set-option", "-t", "w", "remain-on-exit", "on")

	// After 25 checks or so, both lines are drawn, the HTTP target has
	// failed some, and its sparkline marks them.
	var screen string
	deadline := time.Now().Add(15 * time.Second)
	for ; time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		screen = tmux(t, tm, sock, "capture-pane", "-p", "-t", "w")
		if strings.Contains(screen, "✗") && regexp.MustCompile(`[1-9]\d*/[2-9]\d+ failed`).MatchString(screen) {
			break
		}
	}
	t.Logf("the pane while the target flaps:\n%s", screen)
	if err := os.WriteFile(filepath.Join(dir, "pane.txt"), []byte(screen), 0o644); err == nil && os.Getenv("PROBE_WATCH_PANE") != "" {
		os.WriteFile(os.Getenv("PROBE_WATCH_PANE"), []byte(screen), 0o644)
	}
	lines := strings.Split(strings.TrimRight(screen, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "probe watch: every 100ms, ") || !strings.Contains(lines[0], "(Ctrl-C for the summary)") {
		t.Errorf("the header line: %q", lines[0])
	}
	httpLine := regexp.MustCompile(`^(healthy|unhealthy) +http://127\.0\.0\.1:\d+/healthz  [1-9]\d*/\d+ failed  [▁▂▃▄▅▆▇█✗]+  \S+  p50 \S+ p95 \S+  since \d\d:\d\d:\d\d: (HTTP 200 OK|HTTP 500 Internal Server Error.*)$`)
	tcpLine := regexp.MustCompile(`^healthy +tcp://127\.0\.0\.1:\d+  0/\d+ failed  [▁▂▃▄▅▆▇█]+  \S+  p50 \S+ p95 \S+  since \d\d:\d\d:\d\d: connected$`)
	if len(lines) < 3 || !httpLine.MatchString(lines[1]) || !tcpLine.MatchString(lines[2]) {
		t.Errorf("the target lines do not read as they should:\n%s", screen)
	}
	for _, l := range lines {
		if n := len([]rune(l)); n >= 150 {
			t.Errorf("a line of %d columns in a 150-column window: %q", n, l)
		}
	}
	// The slow checks (150 ms) are the sparkline's tallest blocks.
	if !strings.Contains(lines[1], "█") || !strings.Contains(lines[1], "▁") {
		t.Errorf("the sparkline does not tell slow from fast: %q", lines[1])
	}

	tmux(t, tm, sock, "send-keys", "-t", "w", "C-c")
	var summary string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		summary = tmux(t, tm, sock, "capture-pane", "-p", "-t", "w", "-S", "-50")
		if regexp.MustCompile(`tcp://\S+ \(tcp\): healthy at the last check\n(.*\n){3}    \S+ healthy: connected`).MatchString(summary) {
			break
		}
	}
	t.Logf("the pane after Ctrl-C:\n%s", summary)
	if os.Getenv("PROBE_WATCH_SUMMARY") != "" {
		os.WriteFile(os.Getenv("PROBE_WATCH_SUMMARY"), []byte(summary), 0o644)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`probe watch: \d+ checks of 2 targets over \d`),
		regexp.MustCompile(`http://127\.0\.0\.1:\d+/healthz \(http\): (un)?healthy at the last check`),
		regexp.MustCompile(`  (\d+) checks, [1-9]\d* failed: \d+\.\d\d% available`),
		regexp.MustCompile(`  time: min \S+, p50 \S+, p95 \S+, p99 \S+, max \S+`),
		regexp.MustCompile(`  longest outage: \S+ \([12] checks?\), from \d\d:\d\d:\d\d\.\d{3} (to \d\d:\d\d:\d\d\.\d{3}|still down): HTTP 500 Internal Server Error`),
		regexp.MustCompile(`    \d\d:\d\d:\d\d\.\d{3} unhealthy: HTTP 500 Internal Server Error`),
		regexp.MustCompile(`tcp://127\.0\.0\.1:\d+ \(tcp\): healthy at the last check\n  \d+ checks, 0 failed: 100\.00% available`),
	} {
		if !want.MatchString(summary) {
			t.Errorf("the summary lacks %s", want)
		}
	}
	// It exited: the pane's process is gone.
	if dead := tmux(t, tm, sock, "display-message", "-p", "-t", "w", "#{pane_dead}"); strings.TrimSpace(dead) != "1" {
		t.Errorf("probe watch still runs after Ctrl-C (pane_dead %q)", dead)
	}
}

// TestWatchInALog: piped to a file, probe watch writes a line per change of
// state and a summary, no escape sequence, and exits 1 when the last check
// of a target failed.
func TestWatchInALog(t *testing.T) {
	dir := t.TempDir()
	probe := build(t, dir, "probe", ".")
	url := flapper(t)
	out, err := exec.Command(probe, "watch", "--no-marker", "--interval", "20ms", "--count", "30", url).Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	t.Logf("probe watch | cat, exit %d:\n%s", code, text)
	// Thirty checks run through the cycle three times: healthy from the
	// first, down at the 8th, 18th and 28th, up again at the 10th, 20th and
	// 30th: seven changes, and the last check passed.
	change := regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (healthy|unhealthy) http://127\.0\.0\.1:\d+/healthz in \S+: (HTTP 200 OK|HTTP 500 Internal Server Error, want 200-399 \(--status\))$`)
	if n := len(change.FindAllString(text, -1)); n != 7 {
		t.Errorf("%d lines of changes, want 7 (healthy first, then each flip)", n)
	}
	if strings.ContainsAny(text, "\x1b\r") {
		t.Error("escape sequences in a log")
	}
	if !strings.Contains(text, "probe watch: 30 checks of 1 target over ") || !strings.Contains(text, "  30 checks, 6 failed: 80.00% available") {
		t.Errorf("the summary's counts are not 30 checks, 6 failed")
	}
	last := "healthy"
	if m := change.FindAllStringSubmatch(text, -1); len(m) > 0 {
		last = m[len(m)-1][1]
	}
	if want := map[string]int{"healthy": 0, "unhealthy": 1}[last]; code != want {
		t.Errorf("exit %d after a last check that was %s", code, last)
	}
}

// TestWatchSoak runs probe watch at --interval 100ms for 90 s against a
// target that flaps, and reads its RSS from /proc every 5 s once it has
// warmed up (its heap grows to the garbage collector's goal in the first
// 30 s or so, measured: 11.9 MB at 10 s, 15.5 MB from 40 s on, flat to
// 180 s): from 40 s to 90 s memory stays flat (a fixed window, a fixed
// histogram, changes bounded), within 1 MB.
func TestWatchSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("90 s long")
	}
	dir := t.TempDir()
	probe := build(t, dir, "probe", ".")
	url := flapper(t)
	cmd := exec.Command(probe, "watch", "--no-marker", "--interval", "100ms", url)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	rss := func() int {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`VmRSS:\s+(\d+) kB`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("no VmRSS in %s", b)
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}
	time.Sleep(10 * time.Second)
	early := rss()
	time.Sleep(30 * time.Second)
	low, high := math.MaxInt, 0
	var samples []int
	for range 11 {
		n := rss()
		samples = append(samples, n)
		low, high = min(low, n), max(high, n)
		time.Sleep(5 * time.Second)
	}
	t.Logf("probe watch --interval 100ms: RSS %d kB at 10 s; from 40 s to 90 s (about 500 checks): %v kB", early, samples)
	if high-low > 1024 {
		t.Errorf("RSS moved by %d kB from 40 s to 90 s: %v", high-low, samples)
	}
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() > 1 {
			t.Errorf("probe watch after SIGINT: %v", err)
		}
	}
}

// TestWatchTerminalFallbacks: colours unless NO_COLOR is set, block
// characters only in a UTF-8 locale, and lines cut to a narrow window.
func TestWatchTerminalFallbacks(t *testing.T) {
	tm := requireTool(t, "tmux", "tmux", "probe watch's terminal test")
	dir := t.TempDir()
	probe := build(t, dir, "probe", ".")
	url := flapper(t)
	for _, tc := range []struct {
		name, lang, noColor string
		width               int
		color, utf          bool
	}{
		{"colour, UTF-8, 150 columns", "C.UTF-8", "", 150, true, true},
		{"NO_COLOR, the C locale, 60 columns", "C", "1", 60, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sock := fmt.Sprintf("probe-watch-fb-%d-%d", os.Getpid(), tc.width)
			cmd := fmt.Sprintf("%s watch --no-marker --interval 50ms %s", probe, url)
			tmux(t, tm, sock, "new-session", "-d", "-s", "w", "-x", strconv.Itoa(tc.width), "-y", "6",
				"-e", "LANG="+tc.lang, "-e", "LC_ALL=", "-e", "NO_COLOR="+tc.noColor, "-e", "TERM=xterm-256color", cmd)
			t.Cleanup(func() { exec.Command(tm, "-L", sock, "kill-server").Run() })
			var plain, escaped string
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				plain = tmux(t, tm, sock, "capture-pane", "-p", "-t", "w")
				escaped = tmux(t, tm, sock, "capture-pane", "-p", "-e", "-t", "w")
				if regexp.MustCompile(`[1-9]\d*/\d+ failed  \S*(✗|x)`).MatchString(plain) {
					break
				}
			}
			t.Logf("the pane:\n%s", plain)
			if got := strings.Contains(escaped, "\x1b[31m") || strings.Contains(escaped, "\x1b[32m"); got != tc.color {
				t.Errorf("colours: %v, want %v", got, tc.color)
			}
			if got := strings.ContainsAny(plain, "▁█✗"); got != tc.utf {
				t.Errorf("block characters: %v, want %v", got, tc.utf)
			}
			// The failures and some of the sparkline fit even in 60 columns.
			if !regexp.MustCompile(`(?m)^(un)?healthy +http://\S+  [1-9]\d*/\d+ failed  [_.\-~=+*#x▁▂▃▄▅▆▇█✗]{4,}`).MatchString(plain) {
				t.Errorf("no failures and sparkline in the line:\n%s", plain)
			}
			for _, l := range strings.Split(plain, "\n") {
				if n := len([]rune(l)); n >= tc.width {
					t.Errorf("a line of %d columns in a window of %d: %q", n, tc.width, l)
				}
			}
		})
	}
}
