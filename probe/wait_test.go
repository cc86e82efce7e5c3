package probe_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/probe"
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

func tcpTarget(addr string) probe.Target {
	host, port, _ := net.SplitHostPort(addr)
	return probe.Target{Name: "tcp://" + addr, Kind: "tcp", Check: &checks.TCP{Host: host, Port: port}}
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
	var rounds, ticks int
	var last probe.WaitProgress
	w := &probe.Waiter{Targets: []probe.Target{tcpTarget(addr)}, Timeout: 10 * time.Second,
		Options: probe.Options{Timeout: time.Second}, MaxDelay: 200 * time.Millisecond,
		Progress: func(p probe.WaitProgress) {
			if len(p.Checked) == 0 {
				ticks++
				return
			}
			rounds++
			last = p
		}}
	r, err := w.Wait(context.Background())
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	res := r.Results[0]
	if r.State != probe.Healthy || res.Attempts < 2 || res.Duration < 400*time.Millisecond {
		t.Fatalf("state %s after %d attempts in %s, want healthy after several attempts", r.State, res.Attempts, res.Duration)
	}
	if rounds != res.Attempts || !last.Passed[0] || last.Results[0].State != probe.Healthy || last.Checked[0] != 0 {
		t.Fatalf("Progress saw %d rounds for %d attempts, the last %+v", rounds, res.Attempts, last)
	}
}

func TestWaitGivesUpNamingWhatFailed(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	ok := checkFunc(func(context.Context) error { return nil })
	w := &probe.Waiter{Targets: []probe.Target{target("fine", ok), tcpTarget(addr)}, Timeout: 500 * time.Millisecond,
		Options: probe.Options{Timeout: time.Second}, MaxDelay: 100 * time.Millisecond}
	start := time.Now()
	r, err := w.Wait(context.Background())
	if err == nil || r.State != probe.Unhealthy {
		t.Fatalf("Wait = %v, state %s; want an error", err, r.State)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("Wait took %s with a 500ms timeout", took)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "gave up after ") || !strings.Contains(msg, ": tcp://"+addr+" is still unhealthy after ") || !errors.Is(err, context.DeadlineExceeded) ||
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
	w := &probe.Waiter{Targets: []probe.Target{tcpTarget(freeAddr(t))}, Timeout: time.Minute,
		Options: probe.Options{Timeout: time.Second}, MaxDelay: time.Second}
	_, err := w.Wait(ctx)
	if err == nil || !strings.HasPrefix(err.Error(), "stopped after ") || !strings.Contains(err.Error(), "(received SIGTERM)") {
		t.Fatalf("Wait = %v, want it stopped by the signal", err)
	}
}

func TestWaitProgressNamesTargetsNotCheckedYet(t *testing.T) {
	t.Parallel()
	var first *probe.WaitProgress
	slow := checkFunc(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	w := &probe.Waiter{Targets: []probe.Target{target("slow", slow)}, Timeout: 300 * time.Millisecond,
		Options: probe.Options{Timeout: time.Second},
		Progress: func(p probe.WaitProgress) {
			if first == nil {
				first = &p
			}
		}}
	if _, err := w.Wait(context.Background()); err == nil {
		t.Fatal("a target that never passes passed")
	}
	if first == nil || first.Results[0].Target != "slow" {
		t.Fatalf("first progress %+v, want the target named", first)
	}
}
