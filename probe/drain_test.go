package probe

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/patched/fasthttp"
)

// drainLog collects a Drain's lines.
type drainLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *drainLog) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *drainLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// pausingServer is a net/http server under d whose /pause reply sends its
// first line, then waits for release before the rest: a reply that pauses
// mid-body, which only the server sees in flight. /ready is 503 while d
// drains; every reply says Connection: close while it does.
func pausingServer(t *testing.T, d *Drain) (*pausing, string) {
	t.Helper()
	release, done := releaser(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/pause", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "first")
		w.(http.Flusher).Flush()
		<-release
		fmt.Fprintln(w, "rest")
	})
	mux.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) {
		if d.Draining() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.Draining() {
			w.Header().Set("Connection", "close")
		}
		mux.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 5 * time.Second}
	srv.ConnState = ConnState[http.ConnState](d)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &pausing{srv, done}, "http://" + ln.Addr().String()
}

// pausing is a server whose paused replies go on once release is called.
type pausing struct {
	*http.Server
	release func()
}

// startPause starts a /pause request and returns once its first line has
// come; the channel gets the whole reply, or the error.
func startPause(t *testing.T, base string) <-chan string {
	t.Helper()
	resp, err := http.Get(base + "/pause")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(resp.Body)
	first, err := br.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		defer resp.Body.Close()
		rest, err := io.ReadAll(br)
		if err != nil {
			got <- fmt.Sprintf("%q, then %v", first+string(rest), err)
			return
		}
		got <- first + string(rest)
	}()
	return got
}

// releaser returns the channel a paused reply waits on and the func that
// closes it, once; the test's end closes it too, so that a failing test
// leaves no handler waiting, and no shutdown waiting for it.
func releaser(t *testing.T) (<-chan struct{}, func()) {
	c := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(c) }) }
	t.Cleanup(release)
	return c, release
}

// stillDraining fails the test if the drain has ended, or the server no
// longer takes requests.
func stillDraining(t *testing.T, log *drainLog, base string) {
	t.Helper()
	if strings.Contains(log.String(), "shutting down") {
		t.Fatalf("the drain ended with a reply paused mid-body:\n%s", log)
	}
	resp, err := http.Get(base + "/ready")
	if err != nil {
		t.Fatalf("the server stopped serving with a reply paused mid-body: %v\n%s", err, log)
	}
	resp.Body.Close()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("never %s", what)
		}
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// The reply that pauses mid-body holds the drain: the server keeps serving
// with the marker in place and readiness 503, and once the reply has gone,
// the drain ends on the quiet, the server shuts down, the marker goes.
func TestDrainWaitsForAReplyThatPausesMidBody(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "draining")
	var log drainLog
	d := &Drain{Marker: marker, Min: time.Millisecond, Max: time.Minute, Quiet: 50 * time.Millisecond, Logf: log.logf}
	srv, base := pausingServer(t, d)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, srv.Shutdown) }()

	if d.Draining() {
		t.Fatal("draining before the drain began")
	}
	reply := startPause(t, base)
	cancel()
	waitFor(t, "draining", d.Draining)
	waitFor(t, "a shutdown marker", func() bool { return exists(marker) })
	resp, err := http.Get(base + "/ready")
	if err != nil {
		t.Fatalf("the server stopped serving during the drain: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !resp.Close {
		t.Errorf("/ready during the drain: %d, Connection: close %v; want 503 and close", resp.StatusCode, resp.Close)
	}
	// Many quiet periods later, the paused reply still holds the drain:
	// the server still takes new connections (a shutdown would close its
	// listener, and wait for the reply all the same).
	time.Sleep(300 * time.Millisecond)
	stillDraining(t, &log, base)
	if !exists(marker) {
		t.Fatal("the marker went before the drain ended")
	}

	srv.release()
	if got := <-reply; got != "first\nrest\n" {
		t.Errorf("the paused reply got %s", got)
	}
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if exists(marker) {
		t.Error("the marker outlived the drain")
	}
	if !d.Draining() {
		t.Error("Draining turned false after the drain")
	}
	lines := log.String()
	if !strings.Contains(lines, "asked to drain (context canceled): draining until no request is in flight and none has come for 50ms (at least 1ms, at most 1m0s); shutdown marker "+marker+" created") ||
		!strings.Contains(lines, "the app's traffic stopped after ") || !strings.Contains(lines, ", none in flight, ") {
		t.Errorf("the drain said:\n%s", lines)
	}
}

// Max ends the drain with a request in flight, and says so.
func TestDrainMaximum(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "draining")
	var log drainLog
	d := &Drain{Marker: marker, Min: time.Millisecond, Max: 200 * time.Millisecond, Quiet: 50 * time.Millisecond, Logf: log.logf}
	srv, base := pausingServer(t, d)
	ctx, cancel := context.WithCancel(context.Background())
	startPause(t, base)
	cancel()
	// The request outlives the shutdown too: a deadline of the caller's
	// own bounds it.
	err := d.Run(ctx, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		return srv.Shutdown(ctx)
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run: %v, want the shutdown's deadline", err)
	}
	if want := "drain maximum of 200ms reached with 1 request in flight and 1 connection open"; !strings.Contains(log.String(), want) {
		t.Errorf("the drain said:\n%s\nwant %q", &log, want)
	}
	if exists(marker) {
		t.Error("the marker outlived the drain")
	}
}

// A second signal ends the drain at once; a marker that was there before
// the drain began is someone else's, and stays; one left by an earlier run
// is removed at the start.
func TestDrainSecondSignalAndMarkers(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "draining")
	if err := os.WriteFile(marker, []byte("an earlier run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var log drainLog
	d := &Drain{Marker: marker, Min: time.Millisecond, Max: time.Minute, Logf: log.logf}
	srv, base := pausingServer(t, d)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- d.Run(ctx, func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			return srv.Shutdown(ctx)
		})
	}()
	waitFor(t, "the earlier run's marker removed", func() bool { return !exists(marker) })
	startPause(t, base)
	// probe exec, or another process, drains first.
	if _, err := (Marker{Path: marker}).Create("someone else"); err != nil {
		t.Fatal(err)
	}
	cancel()
	waitFor(t, "draining", d.Draining)
	// Run listens for signals from its start: this one cuts the drain
	// short, with the request in flight and a minute to go.
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run: %v, want the shutdown's deadline", err)
	}
	lines := log.String()
	for _, want := range []string{
		"removed the shutdown marker " + marker + " left by an earlier run",
		"shutdown marker " + marker + " already there",
		"received SIGTERM after ",
		", with 1 request in flight: shutting down",
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("the drain said:\n%s\nwant %q", lines, want)
		}
	}
	if !exists(marker) {
		t.Error("the drain removed a marker it did not create")
	}
}

func TestDrainRefusesBadBounds(t *testing.T) {
	for _, c := range []struct {
		name string
		d    *Drain
		want string
	}{
		{"negative", &Drain{Quiet: -time.Second}, "drain: negative bounds (minimum 0s, maximum 0s, quiet -1s)"},
		{"minimum above the maximum", &Drain{Min: 10 * time.Second}, "drain: the minimum 10s is above the maximum 8s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.d.Run(context.Background(), func(context.Context) error { return nil })
			if err == nil || err.Error() != c.want {
				t.Errorf("Run: %v, want %q", err, c.want)
			}
		})
	}
}

// The drain's view, on a virtual clock: requests come and go through the
// ConnState hook, and decide says when the drain is over and why.
func TestDrainDecides(t *testing.T) {
	ms := time.Millisecond
	type event struct {
		at    time.Duration // from the drain's start
		conn  int
		state http.ConnState
	}
	for _, c := range []struct {
		name   string
		events []event
		at     time.Duration
		want   string // the start of the reason; "" while not over
	}{
		{"idle keep-alive connections", []event{{-time.Minute, 1, http.StateNew}, {-time.Minute, 1, http.StateActive}, {-time.Minute, 1, http.StateIdle}, {-time.Minute, 2, http.StateNew}},
			2 * time.Second, "the app's traffic stopped after 2s of the drain: no request for 1m2s, none in flight, 2 idle connections open"},
		{"before the minimum", nil, 1900 * ms, ""},
		{"a request in flight", []event{{-ms, 1, http.StateActive}}, 7 * time.Second, ""},
		{"a request in flight at the maximum", []event{{-ms, 1, http.StateActive}}, 8 * time.Second,
			"drain maximum of 8s reached with 1 request in flight and 1 connection open (a request last came or ended 8.001s ago)"},
		{"a request just ended", []event{{0, 1, http.StateActive}, {2800 * ms, 1, http.StateIdle}}, 3 * time.Second, ""},
		{"a request ended 500ms ago", []event{{0, 1, http.StateActive}, {2500 * ms, 1, http.StateIdle}}, 3 * time.Second,
			"the app's traffic stopped after 3s of the drain: no request for 500ms, none in flight, 1 idle connection open"},
		{"a hijacked connection is not in flight", []event{{0, 1, http.StateActive}, {ms, 1, http.StateHijacked}}, 3 * time.Second,
			"the app's traffic stopped after 3s of the drain: no request for 2.999s, none in flight, 0 idle connections open"},
		// A request every second during the drain: quiet means 2s without one.
		{"a slow stream of requests, 1.5s after the last", []event{
			{0, 1, http.StateActive}, {10 * ms, 1, http.StateClosed},
			{time.Second, 2, http.StateActive}, {1010 * ms, 2, http.StateClosed},
			{2 * time.Second, 3, http.StateActive}, {2010 * ms, 3, http.StateClosed},
		}, 3510 * ms, ""},
		{"a slow stream of requests, 2s after the last", []event{
			{0, 1, http.StateActive}, {10 * ms, 1, http.StateClosed},
			{time.Second, 2, http.StateActive}, {1010 * ms, 2, http.StateClosed},
			{2 * time.Second, 3, http.StateActive}, {2010 * ms, 3, http.StateClosed},
		}, 4010 * ms, "the app's traffic stopped after 4.01s of the drain: no request for 2s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Unix(1_700_000_000, 0)
			d := &Drain{}
			conns := map[int]net.Conn{}
			hook := func(e event) {
				if conns[e.conn] == nil {
					a, b := net.Pipe()
					defer b.Close()
					conns[e.conn] = a
				}
				d.track(conns[e.conn], int(e.state), start.Add(e.at))
			}
			for _, e := range c.events {
				if e.at < 0 {
					hook(e)
				}
			}
			d.start = start
			for _, e := range c.events {
				if e.at >= 0 {
					hook(e)
				}
			}
			got, next := d.decide(d.bounds(), start.Add(c.at))
			if c.want == "" && got != "" || !strings.HasPrefix(got, c.want) {
				t.Errorf("at %s: %q, want %q", c.at, got, c.want)
			}
			if got == "" && next <= 0 {
				t.Errorf("not over, but decide again in %s", next)
			}
		})
	}
}

// The hook is generic over the connection state's type: fasthttp's works
// as net/http's does. A fasthttp reply whose body pauses holds the drain,
// and the server shuts down once it has gone.
func TestDrainFasthttp(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "draining")
	var log drainLog
	d := &Drain{Marker: marker, Min: time.Millisecond, Max: time.Minute, Quiet: 50 * time.Millisecond, Logf: log.logf}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var srv *fasthttp.Server
	t.Cleanup(func() { srv.Shutdown() })
	release, free := releaser(t) // cleaned up first
	srv = &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			if d.Draining() {
				ctx.SetConnectionClose()
			}
			ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
				fmt.Fprintln(w, "first")
				w.Flush()
				<-release
				fmt.Fprintln(w, "rest")
			})
		},
		ConnState: ConnState[fasthttp.ConnState](d),
	}
	go srv.Serve(ln)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, srv.ShutdownWithContext) }()
	reply := startPause(t, "http://"+ln.Addr().String())
	cancel()
	waitFor(t, "draining", d.Draining)
	time.Sleep(300 * time.Millisecond)
	stillDraining(t, &log, "http://"+ln.Addr().String())
	free()
	if got := <-reply; got != "first\nrest\n" {
		t.Errorf("the paused reply got %s", got)
	}
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if !strings.Contains(log.String(), "the app's traffic stopped after ") || exists(marker) {
		t.Errorf("marker left: %v; the drain said:\n%s", exists(marker), &log)
	}
}
