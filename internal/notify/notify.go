// Package notify tells a supervisor that the app probe exec runs is
// ready, in the supervisor's own convention: s6's notification-fd (a
// newline written to a file descriptor, which is then closed) and systemd's
// sd_notify (READY=1, STATUS= and STOPPING=1, each a datagram to the Unix
// socket named by NOTIFY_SOCKET, which Podman's --sdnotify=container passes
// on too).
package notify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// FD is s6's notification-fd: Ready writes a newline to it and closes it.
type FD struct {
	once sync.Once
	f    *os.File
}

// OpenFD takes over file descriptor fd, which the supervisor opened: it
// must be open for writing, and is kept from the app (close-on-exec), so
// that only probe says when the app is ready.
func OpenFD(fd int) (*FD, error) {
	if fd < 3 {
		return nil, fmt.Errorf("%d is stdin, stdout or stderr, not a notification fd: give the number in the service's notification-fd file (3 or above)", fd)
	}
	flags, err := fcntl(fd, syscall.F_GETFL)
	if err != nil {
		return nil, fmt.Errorf("file descriptor %d is not open: run probe exec under s6-supervise with a notification-fd file that holds %d", fd, fd)
	}
	if flags&syscall.O_ACCMODE == syscall.O_RDONLY {
		return nil, fmt.Errorf("file descriptor %d is open for reading only: a notification fd is written to", fd)
	}
	syscall.CloseOnExec(fd)
	return &FD{f: os.NewFile(uintptr(fd), "notification-fd")}, nil
}

func fcntl(fd, cmd int) (int, error) {
	r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), uintptr(cmd), 0)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}

// Ready writes the newline and closes the descriptor, once; later calls do
// nothing.
func (n *FD) Ready() (err error) {
	n.once.Do(func() {
		_, err = n.f.Write([]byte("\n"))
		if cerr := n.f.Close(); err == nil {
			err = cerr
		}
	})
	return err
}

// Socket is systemd's notification socket.
type Socket struct {
	addr *net.UnixAddr
}

// Env is the environment variable that names the socket.
const Env = "NOTIFY_SOCKET"

// OpenSocket reads the socket's address from the value of NOTIFY_SOCKET:
// a path, or @name for an abstract socket, as sd_notify(3) takes it.
func OpenSocket(value string) (*Socket, error) {
	switch {
	case value == "":
		return nil, errors.New("NOTIFY_SOCKET is not set: run probe exec under a Type=notify unit, or Podman with --sdnotify=container")
	case strings.HasPrefix(value, "vsock:"):
		return nil, fmt.Errorf("NOTIFY_SOCKET %s is a vsock address, which probe does not speak: only a Unix socket", value)
	case value[0] != '/' && value[0] != '@':
		return nil, fmt.Errorf("NOTIFY_SOCKET %q is not an absolute path nor an @abstract name", value)
	}
	return &Socket{addr: &net.UnixAddr{Name: value, Net: "unixgram"}}, nil
}

// sendTimeout bounds a Send to a receiver whose queue is full.
const sendTimeout = time.Second

// Send sends one datagram of newline-separated assignments, as
// sd_notify(3) does (READY=1, STATUS=..., STOPPING=1).
func (s *Socket) Send(lines ...string) error {
	c, err := net.DialUnix("unixgram", nil, s.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	// A receiver that does not read fills its queue: give up rather
	// than hold the check that became ready.
	_ = c.SetWriteDeadline(time.Now().Add(sendTimeout))
	_, err = c.Write([]byte(strings.Join(lines, "\n") + "\n"))
	return err
}
