package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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
	go func() { done <- serve(port, 500*time.Millisecond, marker) }()
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
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the marker outlived the service")
	}
	if code, out := check(); code != 1 || !strings.Contains(out, "connection refused") {
		t.Fatalf("after it stopped: exit %d, %q", code, out)
	}
}
