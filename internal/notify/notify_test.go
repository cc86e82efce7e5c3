package notify_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/notify"
)

// TestFD: Ready writes one newline to the descriptor and closes it, once;
// the descriptor is close-on-exec, so that the app does not inherit it.
func TestFD(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// os.Pipe's ends are close-on-exec; the supervisor's is not.
	fd, err := syscall.Dup(int(w.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	n, err := notify.OpenFD(fd)
	if err != nil {
		t.Fatal(err)
	}
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
	if errno != 0 || flags&syscall.FD_CLOEXEC == 0 {
		t.Errorf("fd %d flags %#x (%v): not close-on-exec", fd, flags, errno)
	}
	for range 2 {
		if err := n.Ready(); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]byte, 8)
	k, _ := r.Read(got)
	if string(got[:k]) != "\n" {
		t.Errorf("read %q, want one newline", got[:k])
	}
	if k, err := r.Read(got); k != 0 || err == nil {
		t.Errorf("after the newline: %d bytes, %v; want EOF (the descriptor closed)", k, err)
	}
}

func TestOpenFDRefuses(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	defer r.Close()
	closed, err := syscall.Dup(int(w.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	syscall.Close(closed)
	for _, tc := range []struct {
		name string
		fd   int
		want string
	}{
		{"stdout", 1, "1 is stdin, stdout or stderr, not a notification fd"},
		{"negative", -1, "-1 is stdin, stdout or stderr"},
		{"closed", closed, "is not open: run probe exec under s6-supervise"},
		{"read end", int(r.Fd()), "is open for reading only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := notify.OpenFD(tc.fd)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("OpenFD(%d) = %v, want %q", tc.fd, err, tc.want)
			}
		})
	}
}

// TestSocket: each Send is one datagram of newline-ended assignments, to a
// socket path or an abstract @name, as sd_notify(3) sends them.
func TestSocket(t *testing.T) {
	for _, name := range []string{filepath.Join(t.TempDir(), "notify"), "@probe-notify-test-" + strings.ReplaceAll(t.Name(), "/", "-") + time.Now().Format("150405.000000000")} {
		ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
		if err != nil {
			t.Fatal(err)
		}
		s, err := notify.OpenSocket(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send("READY=1", "STATUS=every --check target is up"); err != nil {
			t.Fatal(err)
		}
		if err := s.Send("STOPPING=1"); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4096)
		for _, want := range []string{"READY=1\nSTATUS=every --check target is up\n", "STOPPING=1\n"} {
			ln.SetReadDeadline(time.Now().Add(5 * time.Second))
			k, err := ln.Read(buf)
			if err != nil || string(buf[:k]) != want {
				t.Errorf("%s: datagram %q, %v; want %q", name, buf[:k], err, want)
			}
		}
		ln.Close()
	}
}

func TestOpenSocketRefuses(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{"", "NOTIFY_SOCKET is not set"},
		{"run/notify", "not an absolute path nor an @abstract name"},
		{"vsock:2:1234", "vsock address, which probe does not speak"},
	} {
		if _, err := notify.OpenSocket(tc.value); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("OpenSocket(%q) = %v, want %q", tc.value, err, tc.want)
		}
	}
}

// TestSocketReceiverNotReading: a receiver that never reads fills its
// queue; Send then fails instead of blocking the check that became ready.
func TestSocketReceiverNotReading(t *testing.T) {
	name := filepath.Join(t.TempDir(), "notify")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s, err := notify.OpenSocket(name)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100000 {
		if err := s.Send("READY=1", "STATUS="+strings.Repeat("x", 1000)); err != nil {
			t.Logf("Send %d: %v", i, err)
			return
		}
	}
	t.Fatal("100000 datagrams to a receiver that reads none were all sent")
}
