package cli

import (
	"fmt"
	"strings"
	"sync"

	"github.com/probe-sh/probe/internal/logline"
	"github.com/probe-sh/probe/internal/notify"
	"github.com/probe-sh/probe/internal/sanitize"
)

// notifier is probe exec's --notify-fd and --sd-notify: it tells the
// supervisor once that the app is ready, and, over sd_notify, that it
// stops. Nothing is said to be ready once the drain has begun.
type notifier struct {
	fd     *notify.FD
	socket *notify.Socket
	log    *logline.Logger

	mu       sync.Mutex
	said     bool
	draining bool
}

// notifier opens what --notify-fd and --sd-notify name, and returns the
// app's environment: without NOTIFY_SOCKET under --sd-notify, since probe
// speaks for the app. It returns nil when neither flag is given.
func (c *ExecCmd) notifier(environ []string) (*notifier, []string, error) {
	if c.NotifyFD == 0 && !c.SdNotify {
		return nil, environ, nil
	}
	n := &notifier{}
	if c.NotifyFD != 0 {
		fd, err := notify.OpenFD(c.NotifyFD)
		if err != nil {
			return nil, nil, fmt.Errorf("--notify-fd %d: %w", c.NotifyFD, err)
		}
		n.fd = fd
	}
	if c.SdNotify {
		value := ""
		kept := environ[:0:0]
		for _, kv := range environ {
			if v, ok := strings.CutPrefix(kv, notify.Env+"="); ok {
				value = v
				continue
			}
			kept = append(kept, kv)
		}
		socket, err := notify.OpenSocket(value)
		if err != nil {
			return nil, nil, fmt.Errorf("--sd-notify: %w", err)
		}
		n.socket, environ = socket, kept
	}
	return n, environ, nil
}

// ready says, once, that the app is ready, why being what made it so.
func (n *notifier) ready(why string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.said || n.draining {
		return
	}
	n.said = true
	if n.fd != nil {
		if err := n.fd.Ready(); err != nil {
			n.log.Warnf("cannot write the readiness newline to --notify-fd: %s", sanitize.Printable(err.Error()))
		} else {
			n.log.Printf("%s: ready, said on --notify-fd", why)
		}
	}
	if n.socket != nil {
		if err := n.socket.Send("READY=1", "STATUS="+sanitize.Printable(why)); err != nil {
			n.log.Warnf("cannot send READY=1 to NOTIFY_SOCKET (--sd-notify): %s", sanitize.Printable(err.Error()))
		} else {
			n.log.Printf("%s: READY=1 sent to NOTIFY_SOCKET", why)
		}
	}
}

// stopping says that the drain has begun: STOPPING=1 over sd_notify.
func (n *notifier) stopping(why string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.draining = true
	if n.socket != nil {
		if err := n.socket.Send("STOPPING=1", "STATUS="+sanitize.Printable(why)); err != nil {
			n.log.Warnf("cannot send STOPPING=1 to NOTIFY_SOCKET (--sd-notify): %s", sanitize.Printable(err.Error()))
		}
	}
}
