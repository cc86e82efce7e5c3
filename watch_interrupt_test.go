package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// holdingListener accepts connections and answers nothing; accepted gets
// a value for each.
func holdingListener(t *testing.T) (addr string, accepted chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = make(chan struct{}, 16)
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String(), accepted
}

func waitAccepted(t *testing.T, accepted chan struct{}) {
	t.Helper()
	select {
	case <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("probe never connected")
	}
	time.Sleep(50 * time.Millisecond) // into its wait for a reply
}

// TestWatchInterrupt: Ctrl-C stops probe watch whatever its checks do. The
// first ends the checks in flight and prints the summary, an http:// check
// that hangs included (it used to wait out its --timeout, 30s here); a
// second exits at once, whatever holds the summary (here a stdout that
// takes no more bytes), as most command lines do. probe wait and probe
// serve stop on a signal as promptly.
func TestWatchInterrupt(t *testing.T) {
	t.Parallel()
	bin := buildProbe(t, t.TempDir())

	t.Run("Ctrl-C ends a hanging http check", func(t *testing.T) {
		t.Parallel()
		addr, accepted := holdingListener(t)
		p := startExec(t, bin, "watch", "--timeout", "30s", "http://"+addr+"/healthz")
		waitAccepted(t, accepted)
		p.signal(syscall.SIGINT)
		if code := p.exit(10 * time.Second); code != 1 {
			t.Fatalf("exit %d, want 1 (no check finished)", code)
		}
		t.Logf("exited %s after SIGINT", p.took)
		p.waitLine("probe watch: 0 checks of 1 target", false)
	})

	// probe wait and probe serve stop on the first signal, as they did for
	// every kind but http:// (29s and 19s here, waiting out the check).
	for _, c := range []struct {
		name string
		args []string
		code int
	}{
		{"probe wait", []string{"wait", "--timeout", "60s", "--attempt-timeout", "30s"}, 1},
		{"probe serve", []string{"serve", "--listen", "127.0.0.1:0", "--drain-delay", "0s", "--timeout", "30s"}, 0},
	} {
		t.Run(c.name+": SIGTERM ends a hanging http check", func(t *testing.T) {
			t.Parallel()
			addr, accepted := holdingListener(t)
			p := startExec(t, bin, append(c.args, "http://"+addr+"/healthz")...)
			waitAccepted(t, accepted)
			p.signal(syscall.SIGTERM)
			if code := p.exit(10 * time.Second); code != c.code {
				t.Fatalf("exit %d, want %d", code, c.code)
			}
			t.Logf("exited %s after SIGTERM", p.took)
		})
	}

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run("a second "+unix.SignalName(sig)+" exits at once", func(t *testing.T) {
			t.Parallel()
			addr, accepted := holdingListener(t)
			stdout := fullPipe(t)
			p := exec.Command(bin, "watch", "--interval", "50ms", "tcp://"+addr)
			p.Env = append(os.Environ(), "PROBE_MARKER="+filepath.Join(t.TempDir(), "draining"))
			p.Stdout = stdout
			var stderr strings.Builder
			p.Stderr = &stderr
			if err := p.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- p.Wait() }()
			t.Cleanup(func() { p.Process.Kill(); <-exited })
			waitAccepted(t, accepted) // its first line now waits for room on stdout
			p.Process.Signal(sig)
			select {
			case err := <-exited:
				t.Fatalf("exited after the first signal with a full stdout: %v", err)
			case <-time.After(200 * time.Millisecond):
			}
			sent := time.Now()
			p.Process.Signal(sig)
			select {
			case err := <-exited:
				t.Logf("exited %s after the second signal", time.Since(sent))
				if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
					t.Errorf("%v, want exit status 1", err)
				}
				exited <- err
			case <-time.After(10 * time.Second):
				t.Fatal("still running 10s after a second signal")
			}
			if want := "probe: received " + unix.SignalName(sig) + " again: exiting without the summary\n"; stderr.String() != want {
				t.Errorf("stderr %q, want %q", stderr.String(), want)
			}
		})
	}
}

// fullPipe is the write end of a pipe of one page, full: a write to it
// blocks until the test ends.
func fullPipe(t *testing.T) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	fd := int(w.Fd())
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, 4096); err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := unix.Write(fd, make([]byte, 512)); err != nil {
			break // EAGAIN: full
		}
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		t.Fatal(err)
	}
	return w
}
