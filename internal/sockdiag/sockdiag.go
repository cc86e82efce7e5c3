// Package sockdiag asks the kernel for its sockets over the sock_diag
// netlink interface (linux/inet_diag.h, what ss prints), which tells what
// /proc/net/tcp cannot: an established connection's tcp_info, for the
// adaptive drain (package traffic), and an IPv6 socket's IPV6_V6ONLY
// flag, for the listen check. It needs no privilege; gVisor and kernels
// built without CONFIG_INET_DIAG do not have it.
package sockdiag

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"time"
)

// From linux/inet_diag.h, linux/sock_diag.h and include/net/tcp_states.h.
const (
	MsgLen = 72 // struct inet_diag_msg, which the attributes follow

	AttrInfo   = 2  // INET_DIAG_INFO: struct tcp_info, when Request.Ext asks for it
	AttrV6Only = 11 // INET_DIAG_SKV6ONLY: one byte, sent for every AF_INET6 socket

	StateEstablished = 1
	StateClose       = 7 // an unconnected UDP socket
	StateListen      = 10

	sockDiagByFamily = 20
	// maxMessages bounds one dump: a namespace with more sockets than
	// this is not a container's.
	maxMessages = 1 << 20
)

// Request is one dump: the sockets of a family (syscall.AF_INET or
// AF_INET6) and protocol (IPPROTO_TCP or IPPROTO_UDP) in the given states
// (1<<StateListen, ...), with the extra attributes Ext asks for
// (1<<(AttrInfo-1), ...).
type Request struct {
	Family, Protocol uint8
	Ext              uint8
	States           uint32
	Timeout          time.Duration // for each read; 1 s when zero
}

// Msg is one socket, a struct inet_diag_msg and its attributes, valid
// only during the call that it is passed to.
type Msg []byte

// Local is the socket's own address and port.
func (m Msg) Local() netip.AddrPort {
	return netip.AddrPortFrom(addr(m[0], m[8:24]), binary.BigEndian.Uint16(m[4:]))
}

// LocalPort is Local's port, read alone.
func (m Msg) LocalPort() uint16 { return binary.BigEndian.Uint16(m[4:]) }

// Remote is the peer's address and port.
func (m Msg) Remote() netip.AddrPort {
	return netip.AddrPortFrom(addr(m[0], m[24:40]), binary.BigEndian.Uint16(m[6:]))
}

// Queues are the bytes not yet read by the app, and those sent and not
// yet acknowledged (for a listener, its accept queue and backlog).
func (m Msg) Queues() (recv, send uint32) {
	return binary.NativeEndian.Uint32(m[56:]), binary.NativeEndian.Uint32(m[60:])
}

// Inode is the socket's inode, as /proc/net/tcp and /proc/PID/fd show it.
func (m Msg) Inode() uint64 { return uint64(binary.NativeEndian.Uint32(m[68:])) }

// Attr returns the payload of the first attribute of type typ.
func (m Msg) Attr(typ uint16) ([]byte, bool) {
	for a := m[MsgLen:]; len(a) >= 4; {
		l := int(binary.NativeEndian.Uint16(a))
		if l < 4 || l > len(a) {
			break
		}
		if binary.NativeEndian.Uint16(a[2:]) == typ {
			return a[4:l], true
		}
		a = a[min((l+3)&^3, len(a)):]
	}
	return nil, false
}

// Dump asks the kernel for the sockets r describes and calls fn with each
// message long enough to be one.
func Dump(r Request, fn func(Msg)) error {
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, syscall.NETLINK_INET_DIAG)
	if err != nil {
		return fmt.Errorf("cannot open a sock_diag netlink socket: %w", err)
	}
	defer syscall.Close(fd)
	// A kernel that never answers must not hold the caller.
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = time.Second
	}
	tv := syscall.NsecToTimeval(int64(timeout))
	_ = syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)

	// struct nlmsghdr, then struct inet_diag_req_v2.
	req := make([]byte, syscall.NLMSG_HDRLEN+56)
	binary.NativeEndian.PutUint32(req[0:], uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:], sockDiagByFamily)
	binary.NativeEndian.PutUint16(req[6:], syscall.NLM_F_REQUEST|syscall.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(req[8:], 1) // sequence
	b := req[syscall.NLMSG_HDRLEN:]
	b[0], b[1], b[2] = r.Family, r.Protocol, r.Ext
	binary.NativeEndian.PutUint32(b[4:], r.States)
	if err := syscall.Sendto(fd, req, 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return fmt.Errorf("cannot ask for the sockets over netlink: %w", err)
	}
	buf := make([]byte, 64<<10)
	for n := 0; n < maxMessages; {
		got, from, err := syscall.Recvfrom(fd, buf, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("cannot read the sockets over netlink: %w", err)
		}
		// Only the kernel (port 0) answers: a process of the namespace
		// with CAP_NET_ADMIN may send to this socket's port, and must not
		// make up sockets.
		if sa, ok := from.(*syscall.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:got])
		if err != nil {
			return fmt.Errorf("cannot read the sockets over netlink: %w", err)
		}
		for _, m := range msgs {
			n++
			switch m.Header.Type {
			case syscall.NLMSG_DONE:
				return nil
			case syscall.NLMSG_ERROR:
				if len(m.Data) >= 4 {
					if errno := int32(binary.NativeEndian.Uint32(m.Data)); errno < 0 {
						return fmt.Errorf("the kernel refused the socket dump: %w", syscall.Errno(-errno))
					}
				}
				return errors.New("the kernel refused the socket dump")
			}
			if len(m.Data) >= MsgLen {
				fn(Msg(m.Data))
			}
		}
	}
	return fmt.Errorf("more than %d sockets in one dump", maxMessages)
}

func addr(family uint8, b []byte) netip.Addr {
	if family == syscall.AF_INET {
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrFrom16([16]byte(b[:16])).Unmap()
}

// Stack is what an IPv6 socket's IPV6_V6ONLY flag says of it.
type Stack uint8

const (
	Unknown   Stack = iota // the kernel did not say (no such socket in the dump, or no attribute)
	DualStack              // IPV6_V6ONLY clear: IPv4 reaches it too, as ::ffff:a.b.c.d
	IPv6Only               // IPV6_V6ONLY set
)

// V6Only reads the IPV6_V6ONLY flag of the IPv6 sockets bound to port
// that take connections (TCP, in LISTEN state) or datagrams from anyone
// (UDP, not connected), by inode.
func V6Only(protocol uint8, port uint16, timeout time.Duration) (map[uint64]Stack, error) {
	states := uint32(1 << StateListen)
	if protocol == syscall.IPPROTO_UDP {
		states = 1 << StateClose
	}
	out := map[uint64]Stack{}
	err := Dump(Request{Family: syscall.AF_INET6, Protocol: protocol, States: states, Timeout: timeout}, func(m Msg) {
		if m.LocalPort() != port {
			return
		}
		v := Unknown
		if a, ok := m.Attr(AttrV6Only); ok && len(a) >= 1 {
			v = DualStack
			if a[0] != 0 {
				v = IPv6Only
			}
		}
		out[m.Inode()] = v
	})
	return out, err
}
