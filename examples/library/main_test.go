package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/probe-sh/probe/probe"
)

// The service and its healthcheck subcommand, in one process: healthy while
// it serves, draining from the moment SIGTERM comes, unhealthy once gone.
func TestHealthcheckFollowsTheService(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close() // a free port, for the service to take
	marker := filepath.Join(t.TempDir(), "draining")
	check := func() (int, string) {
		var out bytes.Buffer
		code := healthcheck(&out, port, marker)
		return code, out.String()
	}

	done := make(chan error, 1)
	drain := &probe.Drain{Marker: marker, Min: 100 * time.Millisecond, Logf: t.Logf}
	go func() { done <- serve("127.0.0.1:"+port, drain) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, out := check()
		if code == 0 {
			if out != "healthy http://127.0.0.1:"+port+"/healthz: HTTP 200 OK\n" {
				t.Fatalf("healthy, but said %q", out)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never healthy: %s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A reply that pauses mid-body at SIGTERM: the drain waits for it.
	work := make(chan string, 1)
	go func() { work <- get("http://127.0.0.1:" + port + "/work?ms=1000") }()
	for deadline := time.Now().Add(2 * time.Second); !strings.Contains(get("http://127.0.0.1:"+port+"/readyz"), "200 ready"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("never ready")
		}
	}
	time.Sleep(100 * time.Millisecond) // the /work request has come

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no shutdown marker after SIGTERM")
		}
	}
	if code, out := check(); code != 1 || !strings.HasPrefix(out, "draining http://127.0.0.1:"+port+"/healthz: shutdown marker ") {
		t.Fatalf("while draining: exit %d, %q", code, out)
	}
	if got := get("http://127.0.0.1:" + port + "/readyz"); got != "503 draining\n" {
		t.Errorf("/readyz while draining: %q", got)
	}
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if got := <-work; got != "200 working\ndone after 1000ms\n" {
		t.Errorf("the request paused mid-body at SIGTERM got %q", got)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the marker outlived the service")
	}
	if code, out := check(); code != 1 || !strings.Contains(out, "connection refused") {
		t.Fatalf("after it stopped: exit %d, %q", code, out)
	}
}

// get returns the status and the body, or the error.
func get(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Sprintf("%d %q, then %v", resp.StatusCode, b, err)
	}
	return fmt.Sprintf("%d %s", resp.StatusCode, b)
}
