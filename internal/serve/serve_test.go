package serve_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/logline"
	"github.com/probe-sh/probe/internal/monitor"
	"github.com/probe-sh/probe/internal/serve"
	"github.com/probe-sh/probe/probe"
)

// app is a real HTTP server whose health the test switches.
type app struct {
	*httptest.Server
	up   atomic.Bool
	hits atomic.Int64 // requests served
}

func startApp(t *testing.T) *app {
	t.Helper()
	a := &app{}
	a.up.Store(true)
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.hits.Add(1)
		if !a.up.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "UP")
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *app) target() probe.Target {
	u, _ := url.Parse(a.URL + "/healthz")
	return probe.Target{Name: u.String(), Kind: "http", Check: &checks.HTTP{URL: u}}
}

// running is a serve.Server running on loopback.
type running struct {
	base    string
	signals chan os.Signal
	stopped chan struct{} // closed when Run returns, with err set
	err     error
}

func start(t *testing.T, s *serve.Server) *running {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &running{base: "http://" + ln.Addr().String(), signals: make(chan os.Signal, 2), stopped: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { defer close(r.stopped); r.err = s.Run(ctx, ln, r.signals) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.stopped:
		case <-time.After(15 * time.Second):
			t.Error("Server.Run did not return after its context ended")
		}
	})
	return r
}

func newServer(targets ...probe.Target) *serve.Server {
	return &serve.Server{Monitor: &monitor.Monitor{Targets: targets, Interval: 10 * time.Millisecond,
		Options: probe.Options{Timeout: time.Second}}}
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// eventually polls until GET u answers code, for up to 5s: a hang bound.
func eventually(t *testing.T, u string, code int) string {
	t.Helper()
	var got int
	var body string
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if got, body = get(t, u); got == code {
			return body
		}
	}
	t.Fatalf("GET %s: still %d %q, want %d", u, got, body, code)
	return ""
}

func TestServeFollowsTargetsAndMarker(t *testing.T) {
	t.Parallel()
	a, b := startApp(t), startApp(t)
	s := newServer(a.target(), b.target())
	s.Marker = filepath.Join(t.TempDir(), "draining")
	r := start(t, s)

	if code, body := get(t, r.base+"/livez"); code != 200 || body != "alive\n" {
		t.Fatalf("/livez = %d %q", code, body)
	}
	if body := eventually(t, r.base+"/readyz", 200); body != "ready: every target passes\n" {
		t.Fatalf("/readyz body %q", body)
	}
	b.up.Store(false)
	body := eventually(t, r.base+"/readyz", 503)
	if want := "not ready: " + b.URL + "/healthz is unhealthy: HTTP 500 Internal Server Error"; !strings.HasPrefix(body, want) || strings.Count(body, "\n") != 1 {
		t.Fatalf("/readyz body %q, want one line starting %q", body, want)
	}
	if code, hbody := get(t, r.base+"/healthz"); code != 503 || hbody != body {
		t.Fatalf("/healthz = %d %q, want the same as /readyz", code, hbody)
	}
	b.up.Store(true)
	eventually(t, r.base+"/readyz", 200)

}

// The marker counts within 50ms (markerRecheck), not at the next check,
// which is an hour away here.
func TestServeMarkerCountsWithoutACheck(t *testing.T) {
	t.Parallel()
	s := newServer(startApp(t).target())
	s.Monitor.Interval = time.Hour
	s.Marker = filepath.Join(t.TempDir(), "draining")
	r := start(t, s)
	eventually(t, r.base+"/readyz", 200)
	if err := os.WriteFile(s.Marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if body := eventually(t, r.base+"/readyz", 503); !strings.HasPrefix(body, "draining: shutdown marker "+s.Marker+" present for ") {
		t.Fatalf("with the marker: /readyz says %q", body)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("the marker took %s to count", took)
	}
	if code, _ := get(t, r.base+"/livez"); code != 200 {
		t.Fatalf("with the marker: /livez = %d, want 200", code)
	}
	os.Remove(s.Marker)
	eventually(t, r.base+"/readyz", 200)
}

func TestServeMetricsParse(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	odd := probe.Target{Name: "tcp://127.0.0.1:1 \"quoted\\\" \n", Kind: "tcp", Check: &checks.TCP{Host: "127.0.0.1", Port: "1"}}
	s := newServer(a.target(), odd)
	s.Marker = filepath.Join(t.TempDir(), "draining")
	r := start(t, s)
	eventually(t, r.base+"/readyz", 503) // odd never passes
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		_, body := get(t, r.base+"/metrics")
		parser := expfmt.NewTextParser(model.UTF8Validation)
		mf, err := parser.TextToMetricFamilies(strings.NewReader(body))
		if err != nil {
			t.Fatalf("/metrics does not parse: %v\n%s", err, body)
		}
		up := map[string]float64{}
		for _, m := range mf["probe_up"].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "target" {
					up[l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
		if up[a.URL+"/healthz"] != 1 && time.Now().Before(end) {
			continue
		}
		if len(up) != 2 || up[a.URL+"/healthz"] != 1 || up[odd.Name] != 0 {
			t.Fatalf("probe_up = %v, want the app up and the odd target down, its name intact", up)
		}
		for _, name := range []string{"probe_ready", "probe_draining", "probe_success", "probe_duration_seconds",
			"probe_last_change_timestamp_seconds", "probe_last_check_timestamp_seconds", "probe_checks_total"} {
			if mf[name] == nil {
				t.Fatalf("/metrics lacks %s", name)
			}
		}
		if v := mf["probe_ready"].GetMetric()[0].GetGauge().GetValue(); v != 0 {
			t.Fatalf("probe_ready = %v with a target down", v)
		}
		if v := mf["probe_draining"].GetMetric()[0].GetGauge().GetValue(); v != 0 {
			t.Fatalf("probe_draining = %v without a marker", v)
		}
		if c := mf["probe_checks_total"].GetMetric()[0].GetCounter().GetValue(); c < 1 {
			t.Fatalf("probe_checks_total = %v", c)
		}
		break
	}
	os.WriteFile(s.Marker, nil, 0o644)
	_, body := get(t, r.base+"/metrics")
	if !strings.Contains(body, "\nprobe_draining 1\n") {
		t.Fatalf("with the marker, /metrics says:\n%s", body)
	}
}

func TestServeStatusJSON(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	r := start(t, newServer(a.target()))
	eventually(t, r.base+"/readyz", 200)
	resp, err := http.Get(r.base + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st serve.Status
	if err := jsonDecode(resp.Body, &st); err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("Content-Type") != "application/json" || !st.Ready || st.Draining || len(st.Targets) != 1 {
		t.Fatalf("/status = %+v", st)
	}
	tg := st.Targets[0]
	if tg.Target != a.URL+"/healthz" || !tg.Up || tg.State != "healthy" || tg.Detail != "HTTP 200 OK" ||
		tg.CheckedAt == nil || tg.ConsecutiveSuccesses < 1 || tg.Checks < 1 || tg.LastChange.IsZero() || tg.DurationMS <= 0 {
		t.Fatalf("target status %+v", tg)
	}
}

// rawRequest sends req on a new connection and returns the status line.
func rawRequest(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, req)
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("no answer to %.40q: %v", req, err)
	}
	return strings.TrimSpace(line)
}

func TestServeRefusesWhatItDoesNotServe(t *testing.T) {
	t.Parallel()
	r := start(t, newServer(startApp(t).target()))
	addr := strings.TrimPrefix(r.base, "http://")
	cases := []struct {
		name, req, want string
	}{
		{"unknown path", "GET /admin HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 Not Found"},
		{"root", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 Not Found"},
		{"post", "POST /readyz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 405 Method Not Allowed"},
		{"delete", "DELETE /livez HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 405 Method Not Allowed"},
		{"get with a body", "GET /livez HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx", "HTTP/1.1 413 Request Entity Too Large"},
		{"get with a big body", "GET /livez HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("x", 100000), "HTTP/1.1 413 Request Entity Too Large"},
		{"chunked body", "GET /livez HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "HTTP/1.1 413 Request Entity Too Large"},
		{"8 KiB of headers", "GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 8<<10) + "\r\n\r\n", "HTTP/1.1 431 Request Header Fields Too Large"},
		{"head", "HEAD /livez HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := rawRequest(t, addr, tc.req); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	resp, err := http.Post(r.base+"/readyz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("405 without Allow: GET, HEAD: %v", resp.Header)
	}
}

// eventuallyBody returns the body of u once ok accepts it.
func eventuallyBody(t *testing.T, u string, ok func(string) bool) string {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, body := get(t, u); ok(body) {
			return body
		}
		if time.Now().After(end) {
			t.Fatalf("%s never gave the body wanted", u)
		}
	}
}

// slowloris opens n connections from the local address from and sends half
// a request on each, never finishing it.
func slowloris(t *testing.T, addr, from string, n int) []net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for range n {
		c, err := d.Dial("tcp4", addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "GET /readyz HTTP/1.1\r\n") // and never finish the request
		conns = append(conns, c)
	}
	return conns
}

// closedByServer counts the connections the server has closed.
func closedByServer(conns []net.Conn) int {
	n := 0
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			n++
		}
	}
	return n
}

// Connections held open cannot lock a health check out: at MaxConns, the
// oldest connection of the address holding the most is closed, and the
// newcomer is served.
func TestServeBoundsConnections(t *testing.T) {
	t.Parallel()
	s := newServer(startApp(t).target())
	s.MaxConns = 8
	r := start(t, s)
	addr := strings.TrimPrefix(r.base, "http://")
	held := slowloris(t, addr, "127.0.0.1", 8)
	time.Sleep(100 * time.Millisecond) // let the server pick them up
	if got := rawRequest(t, addr, "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"); got != "HTTP/1.1 200 OK" {
		t.Fatalf("a connection past MaxConns got %q, want 200", got)
	}
	more := slowloris(t, addr, "127.0.0.1", 8)
	time.Sleep(100 * time.Millisecond)
	if n := closedByServer(held); n != 8 {
		t.Errorf("%d of the 8 oldest connections were closed, want all 8: 8 newer ones came", n)
	}
	if n := closedByServer(more); n != 0 {
		t.Errorf("%d of the 8 newest connections were closed, want none", n)
	}
}

// One address holding many connections (slowloris, idle keep-alives) loses
// its oldest beyond the bounds, and every health check from another address
// is answered.
func TestServeOneAddressCannotStarveTheRest(t *testing.T) {
	t.Parallel()
	s := newServer(startApp(t).target())
	s.MaxConns, s.MaxConnsPerAddr = 64, 16
	r := start(t, s)
	eventually(t, r.base+"/readyz", 200)
	addr := strings.TrimPrefix(r.base, "http://")
	abusive := slowloris(t, addr, "127.0.0.2", 200)
	for i := range 50 {
		if code, body := get(t, r.base+"/readyz"); code != 200 {
			t.Fatalf("health check %d from another address, while the server takes 200 half-sent requests: %d %q", i, code, body)
		}
	}
	// Once each has aged past minAge, the address keeps MaxConns at most.
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		n := closedByServer(abusive)
		if n >= 200-64 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the server closed %d of 200 connections from one address, want all but MaxConns (64) at least", n)
		}
	}
	metrics := eventuallyBody(t, r.base+"/metrics", func(body string) bool {
		return strings.Contains(body, "\nprobe_serve_connections_closed_total ")
	})
	if !strings.Contains(metrics, "\nprobe_serve_connections ") {
		t.Errorf("/metrics lacks probe_serve_connections:\n%s", metrics)
	}
	// Idle keep-alive connections count the same.
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.3")}}
	for range 40 {
		c, err := d.Dial("tcp4", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	time.Sleep(100 * time.Millisecond)
	if code, _ := get(t, r.base+"/readyz"); code != 200 {
		t.Fatalf("with 40 idle keep-alive connections from another address, /readyz = %d", code)
	}
}

// Idle and half-sent connections do not hold the exit: the server stops
// about a second after the drain delay, whatever clients hold open.
func TestServeStopsDespiteHalfSentRequests(t *testing.T) {
	t.Parallel()
	s := newServer(startApp(t).target())
	s.DrainDelay = 200 * time.Millisecond
	r := start(t, s)
	eventually(t, r.base+"/readyz", 200)
	slowloris(t, strings.TrimPrefix(r.base, "http://"), "127.0.0.1", 50)
	time.Sleep(100 * time.Millisecond)
	signalled := time.Now()
	r.signals <- syscall.SIGTERM
	select {
	case <-r.stopped:
		if r.err != nil {
			t.Fatalf("Run = %v", r.err)
		}
		if took := time.Since(signalled); took < s.DrainDelay {
			t.Fatalf("Run returned after %s, before the drain delay", took)
		}
	case <-time.After(s.DrainDelay + 5*time.Second):
		t.Fatal("50 half-sent requests held the exit more than 5s past the drain")
	}
}

// On SIGTERM /readyz turns 503 at once, everything keeps answering for the
// drain delay, and a request in flight when the server stops completes.
func TestServeDrainsThenStopsGracefully(t *testing.T) {
	t.Parallel()
	s := newServer(startApp(t).target())
	s.DrainDelay = 500 * time.Millisecond
	r := start(t, s)
	eventually(t, r.base+"/readyz", 200)

	// A request in flight: headers half sent before the signal.
	c, err := net.Dial("tcp", strings.TrimPrefix(r.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /livez HTTP/1.1\r\nHost: x\r\n")

	signalled := time.Now()
	r.signals <- syscall.SIGTERM
	if body := eventually(t, r.base+"/readyz", 503); body != "draining: received SIGTERM\n" {
		t.Fatalf("after SIGTERM /readyz says %q", body)
	}
	if code, _ := get(t, r.base+"/livez"); code != 200 {
		t.Fatalf("during the drain /livez = %d", code)
	}
	select {
	case <-r.stopped:
		t.Fatalf("Run returned %v before the drain delay", r.err)
	case <-time.After(time.Until(signalled.Add(s.DrainDelay + 300*time.Millisecond))):
	}
	// The drain delay is over and the server is shutting down, waiting for
	// the request in flight.
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(r.base, "http://"), time.Second); err == nil {
		t.Fatal("the listener still accepts new connections after the drain")
	}
	io.WriteString(c, "\r\n")
	c.SetDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("the request in flight was cut: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "alive\n" {
		t.Fatalf("the request in flight got %d %q", resp.StatusCode, body)
	}
	select {
	case <-r.stopped:
		if r.err != nil {
			t.Fatalf("Run = %v", r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return once the last request was answered")
	}
}

func TestServeSecondSignalCutsTheDrainShort(t *testing.T) {
	t.Parallel()
	s := newServer(startApp(t).target())
	s.DrainDelay = time.Hour
	r := start(t, s)
	r.signals <- syscall.SIGTERM
	eventually(t, r.base+"/readyz", 503)
	r.signals <- syscall.SIGINT
	select {
	case <-r.stopped:
		if r.err != nil {
			t.Fatalf("Run = %v", r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a second signal did not stop the server")
	}
}

// TestServeLeavesNoGoroutines is not parallel: it counts goroutines.
func TestServeLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	a := startApp(t)
	func() {
		s := newServer(a.target(), probe.Target{Name: "tcp://127.0.0.1:1", Check: &checks.TCP{Host: "127.0.0.1", Port: "1"}})
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		signals := make(chan os.Signal, 1)
		done := make(chan error, 1)
		go func() { done <- s.Run(context.Background(), ln, signals) }()
		base := "http://" + ln.Addr().String()
		eventually(t, base+"/status", 200)
		for range 50 {
			get(t, base+"/metrics")
		}
		http.DefaultClient.CloseIdleConnections()
		signals <- syscall.SIGTERM
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}()
	a.Close()
	http.DefaultClient.CloseIdleConnections()
	var now int
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if now = runtime.NumGoroutine(); now <= before {
			return
		}
	}
	buf := make([]byte, 1<<16)
	t.Fatalf("%d goroutines before serve, %d after it stopped:\n%s", before, now, buf[:runtime.Stack(buf, true)])
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

// withAgent gives s an agent-check listener on loopback.
func withAgent(t *testing.T, s *serve.Server) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Agent = ln
	return ln
}

// agentLine connects to an agent-check port as HAProxy does, sends what
// agent-send would, and reads the line.
func agentLine(t *testing.T, addr, send string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatalf("agent-check: %v", err)
	}
	defer conn.Close()
	// Half a second: the agent half-closes after its line, as HAProxy
	// expects; without that, the end would come with its 1 s deadline.
	conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if send != "" {
		io.WriteString(conn, send)
	}
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("agent-check: reading: %v (got %q)", err, b)
	}
	return string(b)
}

func TestServeAgentCheck(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	s := newServer(a.target())
	s.Marker = filepath.Join(t.TempDir(), "draining")
	agent := withAgent(t, s)
	r := start(t, s)
	addr := agent.Addr().String()
	waitLine := func(want string) string {
		t.Helper()
		var got string
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
			if got = agentLine(t, addr, ""); strings.HasPrefix(got, want) {
				return got
			}
		}
		t.Fatalf("the agent-check answers %q, want %q", got, want)
		return ""
	}
	eventually(t, r.base+"/readyz", 200)
	if got := waitLine("up ready\n"); got != "up ready\n" {
		t.Fatalf("ready: %q", got)
	}
	// HAProxy's agent-send: what the peer sends is read and dropped.
	if got := agentLine(t, addr, "backend app\n"); got != "up ready\n" {
		t.Fatalf("with agent-send: %q", got)
	}
	a.up.Store(false)
	got := waitLine("down #")
	if want := "down #not ready: " + a.URL + "/healthz is unhealthy: HTTP 500"; !strings.HasPrefix(got, want) || strings.Count(got, "\n") != 1 || !strings.HasSuffix(got, "\n") {
		t.Fatalf("down: %q, want one line starting %q", got, want)
	}
	a.up.Store(true)
	waitLine("up ready\n")
	if err := os.WriteFile(s.Marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := waitLine("drain"); got != "drain\n" {
		t.Fatalf("draining: %q, want drain alone: an up would reset HAProxy's count of failed checks", got)
	}
	os.Remove(s.Marker)
	waitLine("up ready\n")
	// After a signal: drain, while the drain delay runs.
	s.DrainDelay = time.Hour
	r.signals <- syscall.SIGTERM
	waitLine("drain\n")
}

// A hostile reason cannot end the line early, add words or grow it.
func TestAgentReplyIsOneBoundedLine(t *testing.T) {
	t.Parallel()
	for _, reason := range []string{
		"not ready: x\r\nup ready",
		"not ready: x\n\x1b[31mready\x00",
		"not ready: " + strings.Repeat("é", 5000),
	} {
		got := serve.AgentReply(serve.Verdict{Reason: reason})
		if !strings.HasPrefix(got, "down #") || strings.Count(got, "\n") != 1 || !strings.HasSuffix(got, "\n") || strings.Contains(got, "\r") || len(got) > 220 {
			t.Errorf("reason %q: reply %q", reason, got)
		}
		for _, c := range got[:len(got)-1] {
			if c < 0x20 || c > 0x7e {
				t.Errorf("reason %q: reply %q holds %q", reason, got, c)
			}
		}
	}
	if got := serve.AgentReply(serve.Verdict{Ready: true}); got != "up ready\n" {
		t.Errorf("ready: %q", got)
	}
	if got := serve.AgentReply(serve.Verdict{Draining: true, Reason: "draining: x"}); got != "drain\n" {
		t.Errorf("draining: %q", got)
	}
}

// When the marker goes, the results from before it may be stale: probe exec
// removes it when the app has exited, and a target checked an interval ago
// still counts as up. Until every target has been checked again, /readyz
// and the agent-check say not ready, never ready.
func TestServeRechecksWhenTheMarkerGoes(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	s := newServer(a.target())
	s.Monitor.Interval = time.Hour
	s.Monitor.FailureThreshold = 3 // as probe serve's default: up for three failures more
	s.Marker = filepath.Join(t.TempDir(), "draining")
	agent := withAgent(t, s)
	r := start(t, s)
	eventually(t, r.base+"/readyz", 200)
	if err := os.WriteFile(s.Marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, r.base+"/readyz", 503)
	a.up.Store(false) // the app exits while draining
	os.Remove(s.Marker)
	for end := time.Now().Add(500 * time.Millisecond); time.Now().Before(end); {
		code, body := get(t, r.base+"/readyz")
		// Draining still, for up to 50ms (markerRecheck), then not ready.
		if code != 503 || strings.HasPrefix(body, "ready") {
			t.Fatalf("after the marker went, with the app down: /readyz = %d %q", code, body)
		}
		if line := agentLine(t, agent.Addr().String(), ""); strings.HasPrefix(line, "up") {
			t.Fatalf("after the marker went, with the app down: the agent-check says %q", line)
		}
	}
	// A fresh check ran at once, not an hour later: probe undrain by hand
	// brings a healthy app back without waiting for the interval.
	a.up.Store(true)
	if err := os.WriteFile(s.Marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, body := get(t, r.base+"/readyz"); strings.HasPrefix(body, "draining: ") {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the marker is not seen")
		}
	}
	os.Remove(s.Marker)
	if body := eventually(t, r.base+"/readyz", 200); body != "ready: every target passes\n" {
		t.Fatalf("after probe undrain: %q", body)
	}
}

// While the app drains, the sidecar leaves it alone: its checks would be
// traffic that the adaptive drain of probe exec waits to see stop.
func TestServeChecksPauseWhileDraining(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	s := newServer(a.target())
	s.Monitor.Interval = 10 * time.Millisecond
	s.Marker = filepath.Join(t.TempDir(), "draining")
	r := start(t, s)
	eventually(t, r.base+"/readyz", 200)
	if err := os.WriteFile(s.Marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, r.base+"/readyz", 503)
	time.Sleep(30 * time.Millisecond) // a check in flight ends
	before := a.hits.Load()
	time.Sleep(200 * time.Millisecond) // twenty intervals
	if n := a.hits.Load() - before; n != 0 {
		t.Fatalf("the app was checked %d times while the marker was there", n)
	}
	os.Remove(s.Marker)
	if body := eventually(t, r.base+"/readyz", 200); body != "ready: every target passes\n" {
		t.Fatalf("after the marker went: %q", body)
	}
	if a.hits.Load() == before {
		t.Fatal("the checks did not resume")
	}
}

// TestServeShowsNoControlBytes: a database whose error text holds escape
// sequences and line breaks, and a shutdown marker written with them, reach
// /readyz, /status, /metrics and the agent-check as printable text, one line.
func TestServeShowsNoControlBytes(t *testing.T) {
	t.Parallel()
	escape := "\x1b[2J\x1b]0;pwned\x07\r\nHTTP/1.1 200 OK\u202e"
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				// A MySQL server speaks first: an error packet: code 1040, SQLSTATE, message.
				msg := append([]byte{0xff, 0x10, 0x04}, "#08004"+escape...)
				c.Write(append([]byte{byte(len(msg)), 0, 0, 0}, msg...))
				io.Copy(io.Discard, c)
			}()
		}
	}()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	s := newServer(probe.Target{Name: "mysql://" + ln.Addr().String(), Kind: "mysql", Check: checks.MySQL{Host: host, Port: port}})
	s.Marker = filepath.Join(t.TempDir(), "draining")
	agent := withAgent(t, s)
	r := start(t, s)

	clean := func(where, s string) {
		t.Helper()
		s = strings.TrimSuffix(s, "\n")
		if strings.ContainsAny(s, "\x1b\x07\r\n\u202e") {
			t.Errorf("%s holds control bytes: %q", where, s)
		}
	}
	body := eventuallyBody(t, r.base+"/readyz", func(b string) bool { return strings.Contains(b, "refused the connection") })
	clean("/readyz", body)
	if !strings.Contains(body, `\x1b[2J`) {
		t.Errorf("/readyz does not show the escape as text: %q", body)
	}
	_, status := get(t, r.base+"/status")
	clean("/status", status)
	_, metrics := get(t, r.base+"/metrics")
	for _, line := range strings.Split(metrics, "\n") {
		clean("/metrics", line)
	}
	clean("the agent-check", agentLine(t, agent.Addr().String(), ""))

	if err := os.WriteFile(s.Marker, []byte("deploy "+escape), 0o644); err != nil {
		t.Fatal(err)
	}
	body = eventuallyBody(t, r.base+"/readyz", func(b string) bool { return strings.Contains(b, "draining") })
	clean("/readyz while draining", body)
	clean("the agent-check while draining", agentLine(t, agent.Addr().String(), ""))
}

// failingListener fails its first n Accepts with err, then accepts.
type failingListener struct {
	net.Listener
	n   atomic.Int32
	err error
}

func (l *failingListener) Accept() (net.Conn, error) {
	if l.n.Add(-1) >= 0 {
		return nil, l.err
	}
	return l.Listener.Accept()
}

// TestServeWaitsOutTooManyOpenFiles: an Accept that fails with EMFILE (or
// ENFILE, ECONNABORTED) is waited out, on the HTTP port and the agent-check
// port alike; it used to end the accept loop, and probe serve with it.
func TestServeWaitsOutTooManyOpenFiles(t *testing.T) {
	t.Parallel()
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ECONNABORTED} {
		t.Run(errno.Error(), func(t *testing.T) {
			t.Parallel()
			accept := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", errno)}
			ln, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			agentLn, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			httpFails := &failingListener{Listener: ln, err: accept}
			httpFails.n.Store(6)
			agentFails := &failingListener{Listener: agentLn, err: accept}
			agentFails.n.Store(6)
			var log syncBuffer
			s := newServer(startApp(t).target())
			s.Agent, s.Log = agentFails, &logline.Logger{W: &log}
			stopped := make(chan error, 1)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() { stopped <- s.Run(ctx, httpFails, nil) }()

			base := "http://" + ln.Addr().String()
			if body := eventually(t, base+"/readyz", 200); body != "ready: every target passes\n" {
				t.Errorf("/readyz = %q", body)
			}
			if line := agentLine(t, agentLn.Addr().String(), ""); !strings.HasPrefix(line, "up ready") {
				t.Errorf("the agent-check answers %q", line)
			}
			select {
			case err := <-stopped:
				t.Fatalf("Run returned: %v", err)
			default:
			}
			if !strings.Contains(log.String(), "cannot accept a connection for now (accept tcp: accept4: "+errno.Error()+"): waiting, then trying again") {
				t.Errorf("the log does not say so:\n%s", log.String())
			}
		})
	}
}

// syncBuffer is a bytes.Buffer for one writer and one reader at a time.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAgentCheckNotStarved: 100 connections from one address that never
// read nor close cannot keep HAProxy, from another address, from its line.
func TestAgentCheckNotStarved(t *testing.T) {
	t.Parallel()
	s := newServer(startApp(t).target())
	agent := withAgent(t, s)
	r := start(t, s)
	eventually(t, r.base+"/readyz", 200)
	addr := agent.Addr().String()
	hogs := slowloris(t, addr, "127.0.0.2", 100)
	time.Sleep(300 * time.Millisecond) // older than minAge: they may be closed
	for i := range 5 {
		if line := agentLine(t, addr, ""); !strings.HasPrefix(line, "up ready") {
			t.Fatalf("check %d: the agent-check answers %q while 100 connections idle", i, line)
		}
	}
	// Each got its line; those closed to make room, or after a second,
	// read to the end.
	closed := 0
	for _, c := range hogs {
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := io.Copy(io.Discard, c); err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			closed++
		}
	}
	if closed < 100-64 {
		t.Errorf("only %d of the 100 idle connections were closed", closed)
	}
}
