package runner_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/checks"
	"github.com/probe-sh/probe/internal/runner"
)

// freeAddr returns a loopback address that nothing listens on, for now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func tcpTarget(addr string) runner.Target {
	host, port, _ := net.SplitHostPort(addr)
	return runner.Target{Name: "tcp://" + addr, Kind: "tcp", Check: &checks.TCP{Host: host, Port: port}}
}

func TestWaitForAServerThatStartsLate(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	go func() {
		time.Sleep(400 * time.Millisecond)
		ln, err := net.Listen("tcp4", addr)
		if err != nil {
			t.Error(err)
			return
		}
		t.Cleanup(func() { ln.Close() })
	}()
	var out bytes.Buffer
	w := &runner.Waiter{Targets: []runner.Target{tcpTarget(addr)}, Timeout: 10 * time.Second,
		Options: runner.Options{Timeout: time.Second}, MaxDelay: 200 * time.Millisecond, Out: &out}
	r, err := w.Wait(context.Background())
	if err != nil {
		t.Fatalf("Wait: %v\n%s", err, out.String())
	}
	res := r.Results[0]
	if r.State != runner.Healthy || res.Attempts < 2 || res.Duration < 400*time.Millisecond {
		t.Fatalf("state %s after %d attempts in %s, want healthy after several attempts", r.State, res.Attempts, res.Duration)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "probe: waiting for tcp://"+addr+": connect: connection refused") ||
		!strings.HasPrefix(lines[1], "probe: tcp://"+addr+" is healthy after ") {
		t.Fatalf("want one line per change of state, got:\n%s", out.String())
	}
}

func TestWaitGivesUpNamingWhatFailed(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	ok := checkFunc(func(context.Context) error { return nil })
	w := &runner.Waiter{Targets: []runner.Target{target("fine", ok), tcpTarget(addr)}, Timeout: 500 * time.Millisecond,
		Options: runner.Options{Timeout: time.Second}, MaxDelay: 100 * time.Millisecond}
	start := time.Now()
	r, err := w.Wait(context.Background())
	if err == nil || r.State != runner.Unhealthy {
		t.Fatalf("Wait = %v, state %s; want an error", err, r.State)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("Wait took %s with a 500ms timeout", took)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "gave up after ") || !strings.Contains(msg, "(--timeout 500ms): tcp://"+addr+" is still unhealthy after ") ||
		!strings.HasSuffix(msg, "connect: connection refused ("+addr+")") || strings.Contains(msg, "fine") {
		t.Fatalf("error %q should name only the failing target and why", msg)
	}
	if n := r.Results[0].Attempts; n != 1 {
		t.Fatalf("a target that passed was checked %d times, want once", n)
	}
}

func TestWaitStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(200*time.Millisecond, func() { cancel(errors.New("received SIGTERM")) })
	w := &runner.Waiter{Targets: []runner.Target{tcpTarget(freeAddr(t))}, Timeout: time.Minute,
		Options: runner.Options{Timeout: time.Second}, MaxDelay: time.Second}
	_, err := w.Wait(ctx)
	if err == nil || !strings.HasPrefix(err.Error(), "stopped after ") || !strings.Contains(err.Error(), "(received SIGTERM)") {
		t.Fatalf("Wait = %v, want it stopped by the signal", err)
	}
}

func TestWaitLiveRedrawsInPlace(t *testing.T) {
	t.Parallel()
	ok := checkFunc(func(context.Context) error { return nil })
	var out bytes.Buffer
	w := &runner.Waiter{Targets: []runner.Target{target("a", ok), target("b", ok)}, Timeout: time.Second,
		Options: runner.Options{Timeout: time.Second}, Out: &out, Live: true}
	if _, err := w.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.Contains(s, "\r\x1b[Kprobe: waiting ") || !strings.Contains(s, "  ok a: ") || !strings.Contains(s, "  ok b: ") {
		t.Fatalf("live output %q lacks the status block", s)
	}
	if strings.Contains(s, "is healthy after") {
		t.Fatalf("live output %q also logged lines", s)
	}
}
