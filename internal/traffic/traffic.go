// Package traffic reads what an adaptive drain needs to know about the
// app's TCP traffic: the ports its processes listen on, from /proc (their
// descriptors and /proc/net/tcp), and for each established connection to
// those ports, its queues and how long ago data last came in and went out,
// from the kernel's sock_diag netlink interface (what ss -ti prints,
// through package sockdiag).
//
// /proc/net/tcp alone cannot tell a keep-alive connection that a load
// balancer keeps idle in its pool from one that carries requests; the
// times since the last data can.
package traffic

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/probe-sh/probe/internal/patched/procfs"
	"github.com/probe-sh/probe/internal/procinfo"
	"github.com/probe-sh/probe/internal/sockdiag"
)

// Conn is one established TCP connection to a port the app listens on.
type Conn struct {
	Local, Remote netip.AddrPort
	RecvQ, SendQ  uint32        // bytes not yet read by the app; bytes sent, not yet acknowledged
	LastRecv      time.Duration // since data last came in (or since the connection was accepted)
	LastSent      time.Duration // since data last went out (or since the connection was accepted)
	// Segments that carried data, in and out; 0 on kernels before 4.6.
	DataSegsIn, DataSegsOut uint32
}

// InFlight reports whether a request seems to be in flight on c: bytes
// wait for the app to read them, or for the client to acknowledge them; or
// data came in after the last data went out (a request not answered yet).
//
// The times have a resolution of a jiffy (1 to 10 ms). When data came in
// and went out in the same one, as when a request arrives right behind the
// response before it on a keep-alive connection, or with the handshake on a
// new one, the segments that carried data decide: more in than out means a
// request is left unanswered. (A request of several segments answered within
// the jiffy then counts as in flight: the drain errs towards waiting.)
func (c Conn) InFlight() bool {
	return c.RecvQ > 0 || c.SendQ > 0 || c.LastRecv < c.LastSent ||
		(c.LastRecv == c.LastSent && c.DataSegsIn > c.DataSegsOut)
}

// Ports are the TCP ports the app listens on, each with the families of
// its listening sockets: the connections to it are of those families.
type Ports map[uint16]Family

// Family is a set of address families.
type Family uint8

const (
	IPv4 Family = 1 << iota
	IPv6        // an IPv6 socket, which takes IPv4 connections too (as ::ffff:a.b.c.d)
)

// Listening returns the TCP ports on which the descendants of pid (not pid
// itself: probe's own --listen and --agent ports are not the app's) listen,
// read from the proc filesystem at procRoot.
func Listening(procRoot string, pid int) (Ports, error) {
	fs, err := procfs.NewFS(procRoot)
	if err != nil {
		return nil, err
	}
	all, err := fs.AllProcs()
	if err != nil {
		return nil, fmt.Errorf("cannot list the processes in %s: %w", procRoot, err)
	}
	children := map[int][]procfs.Proc{}
	for _, p := range all {
		if st, err := p.Stat(); err == nil {
			children[st.PPID] = append(children[st.PPID], p)
		}
	}
	inodes := map[uint64]bool{}
	var unreadable error
	// Breadth first from pid; seen guards against a PID reused into a loop.
	seen := map[int]bool{pid: true}
	for queue := children[pid]; len(queue) > 0; queue = queue[1:] {
		p := queue[0]
		if seen[p.PID] {
			continue
		}
		seen[p.PID] = true
		queue = append(queue, children[p.PID]...)
		targets, err := p.FileDescriptorTargets()
		if err != nil {
			unreadable = err
			continue
		}
		for _, t := range targets {
			if s, ok := strings.CutPrefix(t, "socket:["); ok {
				if n, err := strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64); err == nil {
					inodes[n] = true
				}
			}
		}
	}
	socks, err := procinfo.Sockets(procRoot)
	if err != nil {
		return nil, err
	}
	ports := Ports{}
	for _, s := range socks {
		if s.Listen && inodes[s.Inode] {
			f := IPv4
			if s.IPv6 {
				f = IPv6
			}
			ports[s.Addr.Port()] |= f
		}
	}
	if len(ports) == 0 && unreadable != nil {
		return nil, fmt.Errorf("cannot read the app's descriptors: %w", unreadable)
	}
	return ports, nil
}

// Conns returns the established TCP connections whose local port is one of
// ports, in the network namespace of probe. Each dump walks the kernel's
// whole table of established sockets (about 1 ms here), so only the
// families the app listens on are asked for.
func Conns(ports Ports) ([]Conn, error) {
	var all Family
	for _, f := range ports {
		all |= f
	}
	var out []Conn
	for _, family := range []struct {
		f  Family
		af uint8
	}{{IPv4, syscall.AF_INET}, {IPv6, syscall.AF_INET6}} {
		if all&family.f == 0 {
			continue
		}
		var err error
		if out, err = dump(family.af, ports, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Offsets in struct tcp_info (linux/tcp.h), in milliseconds.
const (
	tcpiLastDataSent = 44
	tcpiLastDataRecv = 52
	tcpiDataSegsIn   = 152
	tcpiDataSegsOut  = 156
)

// dump asks the kernel for the established TCP sockets of one family, with
// their tcp_info, and appends those on ports to out.
func dump(family uint8, ports Ports, out []Conn) ([]Conn, error) {
	err := sockdiag.Dump(sockdiag.Request{
		Family: family, Protocol: syscall.IPPROTO_TCP,
		Ext: 1 << (sockdiag.AttrInfo - 1), States: 1 << sockdiag.StateEstablished,
	}, func(m sockdiag.Msg) {
		if c, ok := parseConn(m, ports); ok {
			out = append(out, c)
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// parseConn reads one struct inet_diag_msg and its attributes; ok is false
// for a socket on another port, or a message too short to be one.
func parseConn(b []byte, ports Ports) (Conn, bool) {
	if len(b) < sockdiag.MsgLen {
		return Conn{}, false
	}
	m := sockdiag.Msg(b)
	if ports[m.LocalPort()] == 0 {
		return Conn{}, false
	}
	c := Conn{Local: m.Local(), Remote: m.Remote()}
	c.RecvQ, c.SendQ = m.Queues()
	if v, ok := m.Attr(sockdiag.AttrInfo); ok && len(v) >= tcpiLastDataRecv+4 {
		c.LastSent = time.Duration(binary.NativeEndian.Uint32(v[tcpiLastDataSent:])) * time.Millisecond
		c.LastRecv = time.Duration(binary.NativeEndian.Uint32(v[tcpiLastDataRecv:])) * time.Millisecond
		if len(v) >= tcpiDataSegsOut+4 {
			c.DataSegsIn = binary.NativeEndian.Uint32(v[tcpiDataSegsIn:])
			c.DataSegsOut = binary.NativeEndian.Uint32(v[tcpiDataSegsOut:])
		}
	}
	// Without tcp_info both times stay 0: the connection counts as just
	// active, so that it holds the drain rather than ends it.
	return c, true
}
