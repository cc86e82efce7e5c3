// Package traffic reads what an adaptive drain needs to know about the
// app's TCP traffic: the ports its processes listen on, from /proc (their
// descriptors and /proc/net/tcp), and for each established connection to
// those ports, its queues and how long ago data last came in and went out,
// from the kernel's sock_diag netlink interface (what ss -ti prints).
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

// From linux/inet_diag.h, linux/sock_diag.h and linux/tcp.h.
const (
	sockDiagByFamily = 20
	inetDiagInfo     = 2 // the attribute that carries struct tcp_info
	tcpEstablished   = 1
	diagMsgLen       = 72 // struct inet_diag_msg
	// Offsets in struct tcp_info, in milliseconds.
	tcpiLastDataSent = 44
	tcpiLastDataRecv = 52
	tcpiDataSegsIn   = 152
	tcpiDataSegsOut  = 156
	// maxMessages bounds one dump: a namespace with more established
	// sockets than this is not a container's.
	maxMessages = 1 << 20
)

// dump asks the kernel for the established TCP sockets of one family, and
// appends those on ports to out.
func dump(family uint8, ports Ports, out []Conn) ([]Conn, error) {
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, syscall.NETLINK_INET_DIAG)
	if err != nil {
		return nil, fmt.Errorf("cannot open a sock_diag netlink socket: %w", err)
	}
	defer syscall.Close(fd)
	// A kernel that never answers must not hold the drain.
	tv := syscall.NsecToTimeval(int64(time.Second))
	_ = syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)

	// struct nlmsghdr, then struct inet_diag_req_v2.
	req := make([]byte, syscall.NLMSG_HDRLEN+56)
	binary.NativeEndian.PutUint32(req[0:], uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:], sockDiagByFamily)
	binary.NativeEndian.PutUint16(req[6:], syscall.NLM_F_REQUEST|syscall.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(req[8:], 1) // sequence
	r := req[syscall.NLMSG_HDRLEN:]
	r[0], r[1], r[2] = family, syscall.IPPROTO_TCP, 1<<(inetDiagInfo-1)
	binary.NativeEndian.PutUint32(r[4:], 1<<tcpEstablished)
	if err := syscall.Sendto(fd, req, 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("cannot ask for the sockets over netlink: %w", err)
	}
	buf := make([]byte, 64<<10)
	for n := 0; n < maxMessages; {
		got, _, err := syscall.Recvfrom(fd, buf, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read the sockets over netlink: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:got])
		if err != nil {
			return nil, fmt.Errorf("cannot read the sockets over netlink: %w", err)
		}
		for _, m := range msgs {
			n++
			switch m.Header.Type {
			case syscall.NLMSG_DONE:
				return out, nil
			case syscall.NLMSG_ERROR:
				if len(m.Data) >= 4 {
					if errno := int32(binary.NativeEndian.Uint32(m.Data)); errno < 0 {
						return nil, fmt.Errorf("the kernel refused the socket dump: %w", syscall.Errno(-errno))
					}
				}
				return nil, fmt.Errorf("the kernel refused the socket dump")
			}
			if c, ok := parseConn(m.Data, ports); ok {
				out = append(out, c)
			}
		}
	}
	return nil, fmt.Errorf("more than %d sockets in one dump", maxMessages)
}

// parseConn reads one struct inet_diag_msg and its attributes; ok is false
// for a socket on another port, or a message too short to be one.
func parseConn(b []byte, ports Ports) (Conn, bool) {
	if len(b) < diagMsgLen {
		return Conn{}, false
	}
	sport := binary.BigEndian.Uint16(b[4:])
	if ports[sport] == 0 {
		return Conn{}, false
	}
	c := Conn{
		Local:  netip.AddrPortFrom(addr(b[0], b[8:24]), sport),
		Remote: netip.AddrPortFrom(addr(b[0], b[24:40]), binary.BigEndian.Uint16(b[6:])),
		RecvQ:  binary.NativeEndian.Uint32(b[56:]),
		SendQ:  binary.NativeEndian.Uint32(b[60:]),
	}
	for a := b[diagMsgLen:]; len(a) >= 4; {
		l := int(binary.NativeEndian.Uint16(a))
		if l < 4 || l > len(a) {
			break
		}
		if binary.NativeEndian.Uint16(a[2:]) == inetDiagInfo && l >= 4+tcpiLastDataRecv+4 {
			v := a[4:l]
			c.LastSent = time.Duration(binary.NativeEndian.Uint32(v[tcpiLastDataSent:])) * time.Millisecond
			c.LastRecv = time.Duration(binary.NativeEndian.Uint32(v[tcpiLastDataRecv:])) * time.Millisecond
			if len(v) >= tcpiDataSegsOut+4 {
				c.DataSegsIn = binary.NativeEndian.Uint32(v[tcpiDataSegsIn:])
				c.DataSegsOut = binary.NativeEndian.Uint32(v[tcpiDataSegsOut:])
			}
		}
		a = a[min((l+3)&^3, len(a)):]
	}
	// Without tcp_info both times stay 0: the connection counts as just
	// active, so that it holds the drain rather than ends it.
	return c, true
}

func addr(family uint8, b []byte) netip.Addr {
	if family == syscall.AF_INET {
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrFrom16([16]byte(b[:16])).Unmap()
}
