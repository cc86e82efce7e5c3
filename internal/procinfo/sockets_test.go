package procinfo_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/probe-sh/probe/internal/procfixture"
	"github.com/probe-sh/probe/internal/procinfo"
)

const (
	tcpHeader = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
	udpHeader = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops"
)

// line writes one socket as net/ipv4/tcp_ipv4.c does, the addresses as
// given: hex words as the kernel prints them on a little-endian machine.
func line(local, remote, state, inode string) string {
	return fmt.Sprintf("   0: %s %s %s 00000000:00000000 00:00000000 00000000     0        0 %s 1 0000000000000000 100 0 0 10 0", local, remote, state, inode)
}

// littleEndian skips a test whose hex words are written as a little-endian
// kernel writes them: a big-endian one writes each word the other way.
func littleEndian(t *testing.T) {
	t.Helper()
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the fixtures' hex words are as a little-endian kernel writes them")
	}
}

// procTree writes net/NAME files under a new root: a nil content leaves
// the file out.
func procTree(t *testing.T, files map[string][]string) string {
	t.Helper()
	root := t.TempDir()
	for name, lines := range files {
		if lines != nil {
			procfixture.WriteFile(t, filepath.Join(root, "net", name), strings.Join(lines, "\n")+"\n")
		}
	}
	return root
}

func TestSocketsAddresses(t *testing.T) {
	t.Parallel()
	littleEndian(t)
	zero4, zero6 := "00000000:0000", "00000000000000000000000000000000:0000"
	tests := []struct {
		name  string
		file  string // tcp or tcp6
		local string
		want  string
		v6    bool
	}{
		{"IPv4 loopback", "tcp", "0100007F:1F90", "127.0.0.1:8080", false},
		{"IPv4 any", "tcp", "00000000:0050", "0.0.0.0:80", false},
		{"IPv4 private, each byte in place", "tcp", "0302A8C0:FFFF", "192.168.2.3:65535", false},
		{"IPv4 lower-case hex", "tcp", "0302a8c0:1f90", "192.168.2.3:8080", false},
		{"IPv6 loopback", "tcp6", "00000000000000000000000001000000:0016", "[::1]:22", true},
		{"IPv6 any", "tcp6", "00000000000000000000000000000000:1F90", "[::]:8080", true},
		{"IPv6 documentation prefix", "tcp6", "B80D0120000000000000000001000000:01BB", "[2001:db8::1]:443", true},
		{"IPv6 link-local, every word", "tcp6", "000080FE00000000FF000002010000FE:0035", "[fe80::200:ff:fe00:1]:53", true},
		{"IPv4-mapped IPv6 reads as IPv4, from tcp6", "tcp6", "0000000000000000FFFF00000100007F:1F90", "127.0.0.1:8080", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			remote := zero4
			if tc.file == "tcp6" {
				remote = zero6
			}
			files := map[string][]string{"tcp": {tcpHeader}, "tcp6": {tcpHeader}}
			files[tc.file] = append(files[tc.file], line(tc.local, remote, "0A", "4242"))
			got, err := procinfo.Sockets(procTree(t, files))
			if err != nil {
				t.Fatal(err)
			}
			want := []procinfo.Socket{{Addr: netip.MustParseAddrPort(tc.want), Listen: true, Inode: 4242, IPv6: tc.v6}}
			if !slices.Equal(got, want) {
				t.Fatalf("got %+v, want %+v", got, want)
			}
		})
	}
}

// The state column: only LISTEN (0A) listens over TCP; over UDP, a socket
// listens when no peer is connected, whatever its state.
func TestSocketsStates(t *testing.T) {
	t.Parallel()
	littleEndian(t)
	const local, any4, peer = "0100007F:1F90", "00000000:0000", "0200007F:D431"
	tests := []struct {
		name          string
		file          string
		remote, state string
		listen        bool
	}{
		{"tcp LISTEN", "tcp", any4, "0A", true},
		{"tcp LISTEN in lower case", "tcp", any4, "0a", true},
		{"tcp ESTABLISHED", "tcp", peer, "01", false},
		{"tcp TIME_WAIT", "tcp", peer, "06", false},
		{"tcp CLOSE", "tcp", any4, "07", false},
		{"tcp SYN_RECV", "tcp", peer, "03", false},
		{"tcp CLOSE_WAIT", "tcp", peer, "08", false},
		{"tcp CLOSING", "tcp", peer, "0B", false},
		{"tcp NEW_SYN_RECV", "tcp", peer, "0C", false},
		{"udp unconnected (CLOSE)", "udp", any4, "07", true},
		{"udp connected (ESTABLISHED)", "udp", peer, "01", false},
		{"udp with a peer address but no port", "udp", "0200007F:0000", "07", false},
		{"udp with a peer port but no address", "udp", "00000000:D431", "07", false},
		{"udp in state 0A is no TCP listener", "udp", peer, "0A", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			read := procinfo.Sockets
			if tc.file == "udp" {
				read = procinfo.UDPSockets
			}
			root := procTree(t, map[string][]string{tc.file: {tcpHeader, line(local, tc.remote, tc.state, "77")}})
			got, err := read(root)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Listen != tc.listen || got[0].Inode != 77 || got[0].Addr != netip.MustParseAddrPort("127.0.0.1:8080") {
				t.Fatalf("got %+v, want one socket on 127.0.0.1:8080, inode 77, listening %v", got, tc.listen)
			}
		})
	}
}

// Both files are read, tcp then tcp6, and tcp6 may be absent (IPv6 off);
// udp reads udp and udp6, never the TCP files.
func TestSocketsFiles(t *testing.T) {
	t.Parallel()
	littleEndian(t)
	v4 := line("0100007F:0050", "00000000:0000", "0A", "1")
	v6 := line("00000000000000000000000001000000:0050", "00000000000000000000000000000000:0000", "0A", "2")
	udp4 := line("0100007F:0035", "00000000:0000", "07", "3")
	udp6 := line("00000000000000000000000001000000:0035", "00000000000000000000000000000000:0000", "07", "4")
	inodes := func(socks []procinfo.Socket) []uint64 {
		var out []uint64
		for _, s := range socks {
			out = append(out, s.Inode)
		}
		return out
	}
	tests := []struct {
		name       string
		files      map[string][]string
		tcp, udp   []uint64
		tcpE, udpE string // the error, when one
	}{
		{"all four", map[string][]string{"tcp": {tcpHeader, v4}, "tcp6": {tcpHeader, v6}, "udp": {udpHeader, udp4}, "udp6": {udpHeader, udp6}},
			[]uint64{1, 2}, []uint64{3, 4}, "", ""},
		{"no IPv6 files: IPv6 is off", map[string][]string{"tcp": {tcpHeader, v4}, "udp": {udpHeader, udp4}},
			[]uint64{1}, []uint64{3}, "", ""},
		{"headers only", map[string][]string{"tcp": {tcpHeader}, "tcp6": {tcpHeader}, "udp": {udpHeader}, "udp6": {udpHeader}},
			nil, nil, "", ""},
		{"empty files", map[string][]string{"tcp": {""}, "tcp6": {""}, "udp": {""}, "udp6": {""}},
			nil, nil, "", ""},
		{"no IPv4 file", map[string][]string{"tcp6": {tcpHeader, v6}, "udp6": {udpHeader, udp6}},
			nil, nil, "cannot read the sockets: open ROOT/net/tcp: no such file or directory (is /proc mounted?)",
			"cannot read the sockets: open ROOT/net/udp: no such file or directory (is /proc mounted?)"},
		{"no net directory", map[string][]string{},
			nil, nil, "cannot read the sockets: open ROOT/net/tcp: no such file or directory (is /proc mounted?)",
			"cannot read the sockets: open ROOT/net/udp: no such file or directory (is /proc mounted?)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := procTree(t, tc.files)
			for _, c := range []struct {
				read func(string) ([]procinfo.Socket, error)
				want []uint64
				err  string
			}{{procinfo.Sockets, tc.tcp, tc.tcpE}, {procinfo.UDPSockets, tc.udp, tc.udpE}} {
				got, err := c.read(root)
				if c.err != "" {
					if err == nil || err.Error() != strings.ReplaceAll(c.err, "ROOT", root) || !errors.Is(err, fs.ErrNotExist) {
						t.Fatalf("got %+v, %v; want the error %q, an fs.ErrNotExist", got, err, c.err)
					}
					continue
				}
				if err != nil || !slices.Equal(inodes(got), c.want) {
					t.Fatalf("got %+v, %v; want the inodes %v", got, err, c.want)
				}
			}
		})
	}
	t.Run("the files are directories", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		if err := os.MkdirAll(filepath.Join(root, "net", "tcp"), 0o755); err != nil {
			t.Fatal(err)
		}
		if got, err := procinfo.Sockets(root); err == nil || !errors.Is(err, syscall.EISDIR) {
			t.Fatalf("got %+v, %v; want an error: a directory", got, err)
		}
	})
	t.Run("tcp6 unreadable, not absent", func(t *testing.T) {
		t.Parallel()
		root := procTree(t, map[string][]string{"tcp": {tcpHeader, v4}})
		if err := os.MkdirAll(filepath.Join(root, "net", "tcp6"), 0o755); err != nil {
			t.Fatal(err)
		}
		if got, err := procinfo.Sockets(root); err == nil {
			t.Fatalf("got %+v; want an error: tcp6 is a directory", got)
		}
	})
}

// A line the kernel would not write fails the whole read, saying which
// file and what: half a table must not pass for a whole one.
func TestSocketsMalformed(t *testing.T) {
	t.Parallel()
	littleEndian(t)
	const any4 = "00000000:0000"
	tests := []struct {
		name, file, line, want string
	}{
		{"too few fields", "tcp", "   0: 0100007F:1F90 00000000:0000 0A", "a line with 4 fields"},
		{"a blank line", "tcp", "", "a line with 0 fields"},
		{"no port", "tcp", line("0100007F", any4, "0A", "1"), `address "0100007F"`},
		{"an empty port", "tcp", line("0100007F:", any4, "0A", "1"), `address "0100007F:"`},
		{"a port of 17 bits", "tcp", line("0100007F:10000", any4, "0A", "1"), `address "0100007F:10000"`},
		{"a port with a sign", "tcp", line("0100007F:+050", any4, "0A", "1"), `address "0100007F:+050"`},
		{"a port in 0x form", "tcp", line("0100007F:0x50", any4, "0A", "1"), `address "0100007F:0x50"`},
		{"an address of 6 digits", "tcp", line("00007F:0050", any4, "0A", "1"), `address "00007F:0050"`},
		{"an address of 16 digits", "tcp6", line("0000000001000000:0050", any4, "0A", "1"), `address "0000000001000000:0050"`},
		{"an address that is not hex", "tcp", line("0100007G:0050", any4, "0A", "1"), `address "0100007G:0050": encoding/hex: invalid byte: U+0047 'G'`},
		{"an address with a control byte", "tcp", line("0100007\x1b:0050", any4, "0A", "1"), `address "0100007\x1b:0050": encoding/hex: invalid byte: U+001B`},
		{"a state that is not hex", "tcp", line("0100007F:0050", any4, "LISTEN", "1"), `state "LISTEN"`},
		{"a state of 9 bits", "tcp", line("0100007F:0050", any4, "10A", "1"), `state "10A"`},
		{"an inode that is not a number", "tcp", line("0100007F:0050", any4, "0A", "x1"), `inode "x1"`},
		{"an inode in hex", "tcp", line("0100007F:0050", any4, "0A", "1F"), `inode "1F"`},
		{"a negative inode", "tcp", line("0100007F:0050", any4, "0A", "-1"), `inode "-1"`},
		{"an inode of 65 bits", "tcp", line("0100007F:0050", any4, "0A", "18446744073709551616"), `inode "18446744073709551616"`},
		{"a bad remote address over UDP", "udp", line("0100007F:0050", "0000000:0000", "07", "1"), `address "0000000:0000"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			read, header := procinfo.Sockets, tcpHeader
			if tc.file == "udp" {
				read, header = procinfo.UDPSockets, udpHeader
			}
			good := line("0100007F:0016", any4, "0A", "9")
			if strings.HasSuffix(tc.file, "6") {
				good = line("00000000000000000000000001000000:0016", "00000000000000000000000000000000:0000", "0A", "9")
			}
			files := map[string][]string{tc.file: {header, good, tc.line, good}}
			if tc.file == "tcp6" {
				files["tcp"] = []string{header}
			}
			root := procTree(t, files)
			got, err := read(root)
			want := "cannot read the sockets in " + filepath.Join(root, "net", tc.file) + ": " + tc.want
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("got %+v, %v; want an error starting %q", got, err, want)
			}
			if got != nil {
				t.Fatalf("got %+v beside the error, want none", got)
			}
			if msg := err.Error(); strings.ContainsFunc(msg, func(r rune) bool { return r < ' ' || r == 0x7f }) {
				t.Fatalf("the error holds a control byte: %q", msg)
			}
		})
	}
}

// The largest inode and an inode of 0 (a socket in TIME_WAIT has none).
func TestSocketsInodes(t *testing.T) {
	t.Parallel()
	littleEndian(t)
	root := procTree(t, map[string][]string{"tcp": {tcpHeader,
		line("0100007F:0050", "00000000:0000", "0A", "18446744073709551615"),
		line("0100007F:0050", "0200007F:D431", "06", "0"),
	}})
	got, err := procinfo.Sockets(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Inode != 1<<64-1 || got[1].Inode != 0 {
		t.Fatalf("got %+v, want the inodes 18446744073709551615 and 0", got)
	}
}

// A host with many connections writes a long table: each socket is read
// (the kernel writes /proc/net/tcp a page at a time); a line longer than
// any the kernel writes fails, without a panic.
func TestSocketsHuge(t *testing.T) {
	t.Parallel()
	littleEndian(t)
	const n = 100_000
	var b strings.Builder
	b.WriteString(tcpHeader + "\n")
	for i := range n {
		port := 1024 + i%60000
		fmt.Fprintf(&b, "%s\n", line(fmt.Sprintf("0100007F:%04X", port), "0200007F:1F90", "01", strconv.Itoa(i+1)))
	}
	b.WriteString(line("00000000:1F90", "00000000:0000", "0A", "999999") + "\n")
	root := t.TempDir()
	procfixture.WriteFile(t, filepath.Join(root, "net", "tcp"), b.String())
	got, err := procinfo.Sockets(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n+1 || got[n-1].Inode != n || got[n].Addr != netip.MustParseAddrPort("0.0.0.0:8080") || !got[n].Listen {
		t.Fatalf("got %d sockets, the last %+v; want %d, the last listening on 0.0.0.0:8080", len(got), got[len(got)-1], n+1)
	}

	long := line("0100007F:0050", "00000000:0000", "0A", "1") + strings.Repeat(" 0", 64<<10)
	procfixture.WriteFile(t, filepath.Join(root, "net", "tcp"), tcpHeader+"\n"+long+"\n")
	if got, err := procinfo.Sockets(root); err == nil {
		t.Fatalf("a line of %d bytes: got %d sockets, want an error", len(long), len(got))
	}
}

// The sockets the test itself opens, in the real /proc: each listener with
// its inode (as /proc/self/fd names it), a connection that does not
// listen, and dual-stack sockets in tcp6 with their IPv4-mapped peers.
func TestSocketsOwn(t *testing.T) {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("no /proc here:", err)
	}
	find := func(t *testing.T, read func(string) ([]procinfo.Socket, error), addr netip.AddrPort) []procinfo.Socket {
		t.Helper()
		socks, err := read("/proc")
		if err != nil {
			t.Fatal(err)
		}
		var out []procinfo.Socket
		for _, s := range socks {
			if s.Addr == addr {
				out = append(out, s)
			}
		}
		return out
	}
	want := func(t *testing.T, got []procinfo.Socket, want procinfo.Socket) {
		t.Helper()
		if !slices.Contains(got, want) {
			t.Fatalf("got %+v, want among them %+v", got, want)
		}
	}

	t.Run("tcp, IPv4", func(t *testing.T) {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		addr := netip.MustParseAddrPort(l.Addr().String())
		want(t, find(t, procinfo.Sockets, addr), procinfo.Socket{Addr: addr, Listen: true, Inode: inode(t, l)})

		c, err := net.Dial("tcp4", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		local := netip.MustParseAddrPort(c.LocalAddr().String())
		want(t, find(t, procinfo.Sockets, local), procinfo.Socket{Addr: local, Listen: false, Inode: inode(t, c)})
	})

	t.Run("tcp, dual stack", func(t *testing.T) {
		l, err := net.Listen("tcp", "[::]:0")
		if err != nil {
			t.Skip("no IPv6:", err)
		}
		defer l.Close()
		port := uint16(l.Addr().(*net.TCPAddr).Port)
		any6 := netip.AddrPortFrom(netip.IPv6Unspecified(), port)
		want(t, find(t, procinfo.Sockets, any6), procinfo.Socket{Addr: any6, Listen: true, Inode: inode(t, l), IPv6: true})

		// An IPv4 client of a dual-stack listener: the accepted socket sits
		// in tcp6 with the address ::ffff:127.0.0.1, read as 127.0.0.1.
		c, err := net.Dial("tcp4", netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port).String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		mapped := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
		want(t, find(t, procinfo.Sockets, mapped), procinfo.Socket{Addr: mapped, Listen: false, Inode: inode(t, s), IPv6: true})
	})

	t.Run("tcp, IPv6 loopback", func(t *testing.T) {
		l, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			t.Skip("no IPv6 loopback:", err)
		}
		defer l.Close()
		addr := netip.MustParseAddrPort(l.Addr().String())
		want(t, find(t, procinfo.Sockets, addr), procinfo.Socket{Addr: addr, Listen: true, Inode: inode(t, l), IPv6: true})
	})

	t.Run("udp", func(t *testing.T) {
		bound, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer bound.Close()
		addr := netip.MustParseAddrPort(bound.LocalAddr().String())
		want(t, find(t, procinfo.UDPSockets, addr), procinfo.Socket{Addr: addr, Listen: true, Inode: inode(t, bound)})
		if got := find(t, procinfo.Sockets, addr); len(got) != 0 {
			t.Fatalf("a UDP socket among the TCP ones: %+v", got)
		}

		c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(addr))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		local := netip.MustParseAddrPort(c.LocalAddr().String())
		want(t, find(t, procinfo.UDPSockets, local), procinfo.Socket{Addr: local, Listen: false, Inode: inode(t, c)})
	})

	t.Run("udp, IPv6", func(t *testing.T) {
		bound, err := net.ListenPacket("udp6", "[::1]:0")
		if err != nil {
			t.Skip("no IPv6 loopback:", err)
		}
		defer bound.Close()
		addr := netip.MustParseAddrPort(bound.LocalAddr().String())
		want(t, find(t, procinfo.UDPSockets, addr), procinfo.Socket{Addr: addr, Listen: true, Inode: inode(t, bound), IPv6: true})
	})
}

// inode reads a socket's inode as /proc/self/fd names it: socket:[N].
func inode(t *testing.T, c any) uint64 {
	t.Helper()
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var link string
	if err := rc.Control(func(fd uintptr) {
		link, err = os.Readlink("/proc/self/fd/" + strconv.Itoa(int(fd)))
	}); err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	n, ok := strings.CutPrefix(link, "socket:[")
	ino, err := strconv.ParseUint(strings.TrimSuffix(n, "]"), 10, 64)
	if !ok || err != nil {
		t.Fatalf("fd links to %q, not a socket", link)
	}
	return ino
}
