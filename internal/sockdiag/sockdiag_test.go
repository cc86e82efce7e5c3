package sockdiag

import (
	"context"
	"encoding/binary"
	"net"
	"syscall"
	"testing"
)

// bind opens an IPv6 wildcard socket with IPV6_V6ONLY set to on, and
// returns its port and inode.
func bind(t *testing.T, network string, on int) (uint16, uint64) {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, on)
		}); cerr != nil {
			return cerr
		}
		return err
	}}
	var raw syscall.RawConn
	var port uint16
	if network == "tcp6" {
		ln, err := lc.Listen(context.Background(), network, "[::]:0")
		if err != nil {
			t.Skipf("no IPv6 here: %v", err)
		}
		t.Cleanup(func() { ln.Close() })
		raw, _ = ln.(*net.TCPListener).SyscallConn()
		port = uint16(ln.Addr().(*net.TCPAddr).Port)
	} else {
		c, err := lc.ListenPacket(context.Background(), network, "[::]:0")
		if err != nil {
			t.Skipf("no IPv6 here: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		raw, _ = c.(*net.UDPConn).SyscallConn()
		port = uint16(c.LocalAddr().(*net.UDPAddr).Port)
	}
	var st syscall.Stat_t
	var err error
	if cerr := raw.Control(func(fd uintptr) { err = syscall.Fstat(int(fd), &st) }); cerr != nil || err != nil {
		t.Fatal(cerr, err)
	}
	return port, st.Ino
}

// The flag as the socket has it, read by inode, for TCP listeners and
// unconnected UDP sockets.
func TestV6Only(t *testing.T) {
	for _, tc := range []struct {
		name    string
		network string
		proto   uint8
		on      int
		want    Stack
	}{
		{"tcp, v6-only", "tcp6", syscall.IPPROTO_TCP, 1, IPv6Only},
		{"tcp, dual stack", "tcp6", syscall.IPPROTO_TCP, 0, DualStack},
		{"udp, v6-only", "udp6", syscall.IPPROTO_UDP, 1, IPv6Only},
		{"udp, dual stack", "udp6", syscall.IPPROTO_UDP, 0, DualStack},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port, inode := bind(t, tc.network, tc.on)
			flags, err := V6Only(tc.proto, port, 0)
			if err != nil {
				t.Fatal(err)
			}
			if flags[inode] != tc.want || len(flags) != 1 {
				t.Fatalf("got %v for inode %d on port %d, want only it, %v", flags, inode, port, tc.want)
			}
		})
	}
	t.Run("other protocol", func(t *testing.T) {
		port, _ := bind(t, "tcp6", 1)
		flags, err := V6Only(syscall.IPPROTO_UDP, port, 0)
		if err != nil || len(flags) != 0 {
			t.Fatalf("the UDP sockets on TCP port %d: %v, %v", port, flags, err)
		}
	})
}

// A dump from a hostile or buggy kernel: attributes whose length runs past
// the end or is zero; Attr must not panic or loop.
func FuzzAttr(f *testing.F) {
	msg := make([]byte, MsgLen+8)
	binary.NativeEndian.PutUint16(msg[MsgLen:], 5)
	binary.NativeEndian.PutUint16(msg[MsgLen+2:], AttrV6Only)
	msg[MsgLen+4] = 1
	f.Add(msg)
	f.Add(msg[:MsgLen+3])
	f.Add(msg[:MsgLen])
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < MsgLen {
			return
		}
		m := Msg(b)
		if v, ok := m.Attr(AttrV6Only); ok && len(v) > len(b)-MsgLen-4 {
			t.Errorf("an attribute of %d bytes in a message of %d", len(v), len(b))
		}
		_, _, _, _ = m.Local(), m.Remote(), m.Inode(), m.LocalPort()
	})
}
