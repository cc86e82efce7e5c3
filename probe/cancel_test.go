package probe_test

import (
	"context"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/kinds"
	"github.com/probe-sh/probe/probe"
)

// hangingPeer accepts every connection (TCP and a Unix socket), takes every
// datagram (UDP) and answers nothing, ever: the peer behind a check that
// only its context can end. seen gets a value for each one.
type hangingPeer struct {
	tcp, unix net.Listener
	udp       net.PacketConn
	seen      chan struct{}
	mu        sync.Mutex
	conns     []net.Conn
}

func newHangingPeer(t *testing.T) *hangingPeer {
	t.Helper()
	p := &hangingPeer{seen: make(chan struct{}, 64)}
	var err error
	if p.tcp, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if p.unix, err = net.Listen("unix", filepath.Join(t.TempDir(), "s")); err != nil {
		t.Fatal(err)
	}
	if p.udp, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	for _, ln := range []net.Listener{p.tcp, p.unix} {
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				p.mu.Lock()
				p.conns = append(p.conns, c)
				p.mu.Unlock()
				p.note()
			}
		}()
	}
	go func() {
		buf := make([]byte, 64<<10)
		for {
			if _, _, err := p.udp.ReadFrom(buf); err != nil {
				return
			}
			p.note()
		}
	}()
	t.Cleanup(func() {
		p.tcp.Close()
		p.unix.Close()
		p.udp.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			c.Close()
		}
	})
	return p
}

func (p *hangingPeer) note() {
	select {
	case p.seen <- struct{}{}:
	default:
	}
}

// TestEveryKindObeysCancel: cancelling a check's context, with no deadline
// near, ends it at once, whatever kind it is, while its peer says nothing
// (the HTTP/1.1 path used to wait out the deadline: probe watch ignored
// Ctrl-C). Every scheme of probe.Kinds is here, so a kind added later is
// too.
func TestEveryKindObeysCancel(t *testing.T) {
	t.Parallel()
	p := newHangingPeer(t)
	tcpAddr, udpAddr := p.tcp.Addr().String(), p.udp.LocalAddr().String()
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	type tc struct {
		name, target string
		template     probe.Check
		local        bool // reaches no peer: cancel after a moment
		mayPass      bool // may finish first: a cancel need not fail it
	}
	// tcp:// and unix:// wait only with --send and --expect; file:// with
	// --expect reads, and opening a FIFO that no one writes blocks.
	talk := checks.TCP{Send: []byte("PING\r\n"), Expect: []*regexp.Regexp{regexp.MustCompile("PONG")}}
	var cases []tc
	for _, s := range kinds.Schemes() {
		c := tc{name: s, target: s + "://" + tcpAddr}
		switch s {
		case "http", "https":
			c.target += "/healthz"
		case "tcp":
			c.template = talk
		case "dns":
			c.target = "dns://" + udpAddr + "/probe.test"
		case "unix":
			c.target, c.template = "unix:"+p.unix.Addr().String(), talk
		case "file":
			c.target, c.template, c.local = "file://"+fifo, checks.File{Expect: talk.Expect}, true
		case "listen":
			c.local, c.mayPass = true, true // /proc answers at once
		}
		cases = append(cases, c)
	}
	cases = append(cases,
		tc{name: "http --http2", target: "http://" + tcpAddr + "/healthz", template: checks.HTTP{HTTP2: true}},
		tc{name: "https --http2", target: "https://" + tcpAddr + "/healthz", template: checks.HTTP{HTTP2: true}},
		tc{name: "http --unix-socket", target: "http://app/healthz", template: checks.HTTP{Socket: p.unix.Addr().String()}},
		tc{name: "postgres --unix-socket", target: "postgres://app", template: checks.Postgres{Socket: p.unix.Addr().String()}},
	)
	for _, c := range cases {
		var templates []probe.Check
		if c.template != nil {
			templates = append(templates, c.template)
		}
		target, err := probe.ParseTarget(c.target, templates...)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		// One at a time: which check the peer saw must be this one.
		for len(p.seen) > 0 {
			<-p.seen
		}
		ctx, cancel := context.WithCancel(context.Background())
		tr := checks.NewTrace()
		done := make(chan error, 1)
		go func() {
			_, err := target.Check.Run(ctx, tr)
			done <- err
		}()
		if !c.local {
			// Cancel once the check is past connecting, waiting on a peer
			// that will never answer, not while it still dials.
			select {
			case <-p.seen:
			case <-time.After(10 * time.Second):
				t.Errorf("%s: never reached the peer", c.name)
			}
			for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
				if ph := tr.Snapshot().LastPhase; ph != checks.PhaseDNS && ph != checks.PhaseConnect {
					break
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
		select {
		case err := <-done:
			if !c.local {
				t.Errorf("%s: returned before cancel: %v", c.name, err)
			}
			cancel()
			continue
		default:
		}
		cancel()
		// A bound far below the minute a check without a deadline waits
		// for (checks.deadline): a hang check, not a measurement.
		select {
		case err := <-done:
			if err == nil && !c.mayPass {
				t.Errorf("%s: healthy after cancel", c.name)
			} else if err != nil && strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("%s: %q is not one line", c.name, err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s: still running 10s after its context was cancelled", c.name)
		}
	}
}
