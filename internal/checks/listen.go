package checks

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// tcpListen is the LISTEN state in /proc/net/tcp (include/net/tcp_states.h).
const tcpListen = 10

// Socket is a TCP socket read from /proc/net/tcp or /proc/net/tcp6.
type Socket struct {
	Addr   netip.AddrPort
	Listen bool
	Inode  uint64
	IPv6   bool // from tcp6: an IPv6 socket, which may take IPv4 connections too
}

// Sockets reads the TCP sockets of the network namespace whose proc
// filesystem is mounted at procRoot, from net/tcp and net/tcp6, as the
// kernel writes them (net/ipv4/tcp_ipv4.c). A missing tcp6 file means IPv6
// is off, so no sockets there. (procfs's NetTCP reads the same files, but
// is deprecated in favour of netlink, which a scratch image cannot count
// on.)
func Sockets(procRoot string) ([]Socket, error) {
	var out []Socket
	for i, name := range []string{"tcp", "tcp6"} {
		f, err := os.Open(filepath.Join(procRoot, "net", name))
		if i == 1 && errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read the sockets: %w", procError(err))
		}
		out, err = parseSockets(f, out, i == 1)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("cannot read the sockets in %s: %w", f.Name(), err)
		}
	}
	return out, nil
}

// parseSockets appends the sockets of one /proc/net/tcp{,6} file. Each line
// after the header is "sl local rem st tx:rx tr:when retrnsmt uid timeout
// inode ...", addresses as hex words in the kernel's byte order, ports as
// big-endian hex.
func parseSockets(r io.Reader, out []Socket, v6 bool) ([]Socket, error) {
	sc := bufio.NewScanner(r)
	sc.Scan() // the header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 {
			return nil, fmt.Errorf("a line with %d fields", len(f))
		}
		addr, err := parseSocketAddr(f[1])
		if err != nil {
			return nil, err
		}
		st, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("state %q: %w", f[3], err)
		}
		inode, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("inode %q: %w", f[9], err)
		}
		out = append(out, Socket{Addr: addr, Listen: st == tcpListen, Inode: inode, IPv6: v6})
	}
	return out, sc.Err()
}

// parseSocketAddr reads "0100007F:1F90" (127.0.0.1:8080) or its 32-digit
// IPv6 form: the address is 32-bit words, each in host byte order.
func parseSocketAddr(s string) (netip.AddrPort, error) {
	hexIP, hexPort, ok := strings.Cut(s, ":")
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if !ok || err != nil || (len(hexIP) != 8 && len(hexIP) != 32) {
		return netip.AddrPort{}, fmt.Errorf("address %q", s)
	}
	raw, err := hex.DecodeString(hexIP)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("address %q: %w", s, err)
	}
	for w := 0; w < len(raw); w += 4 {
		word := binary.NativeEndian.Uint32(raw[w:])
		binary.BigEndian.PutUint32(raw[w:], word)
	}
	ip, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)), nil
}

// procError says what to do when /proc cannot be read.
func procError(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w (is /proc mounted?)", err)
	}
	return err
}

// Listen passes when a TCP socket is in LISTEN state on Port, read from
// /proc/net/tcp and /proc/net/tcp6: no packet is sent, so nothing shows in
// the app's logs and a slow handler cannot fail it.
type Listen struct {
	Proc string     // where the proc filesystem is mounted: /proc
	Addr netip.Addr // the zero Addr matches any address
	Port uint16
}

// ParseListen reads a listen target's address: PORT, :PORT, ADDR:PORT or
// [ADDR6]:PORT.
func ParseListen(s string) (netip.Addr, uint16, error) {
	host, port := "", s
	if strings.Contains(s, ":") {
		var err error
		if host, port, err = net.SplitHostPort(s); err != nil {
			return netip.Addr{}, 0, fmt.Errorf("%q is not PORT, :PORT or ADDR:PORT", s)
		}
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return netip.Addr{}, 0, fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	var addr netip.Addr
	if host != "" && host != "*" {
		if addr, err = netip.ParseAddr(host); err != nil {
			return netip.Addr{}, 0, fmt.Errorf("%q is not an IP address: listen reads /proc, so it takes no host names", host)
		}
	}
	return addr.Unmap(), uint16(n), nil
}

// serves reports whether a listener bound to bound accepts connections to
// want: the same address, or a wildcard of its family (an IPv6 wildcard
// also takes IPv4, as Go's ":8080" does, unless the socket is v6-only,
// which /proc does not tell).
func serves(bound, want netip.Addr) bool {
	switch {
	case !want.IsValid() || bound == want:
		return true
	case bound.IsUnspecified():
		return bound.Is6() || want.Is4()
	}
	return false
}

// Run passes when a matching socket listens.
func (l Listen) Run(_ context.Context, tr *Trace) (string, error) {
	tr.Enter(PhaseProc)
	socks, err := Sockets(l.Proc)
	if err != nil {
		return "", err
	}
	tr.Finish()
	var others []int
	var elsewhere []string // the port listens, on other addresses
	connected := 0
	for _, s := range socks {
		switch {
		case s.Addr.Port() == l.Port && s.Listen && serves(s.Addr.Addr(), l.Addr):
			return "listening on " + s.Addr.String(), nil
		case s.Addr.Port() == l.Port && s.Listen:
			elsewhere = append(elsewhere, s.Addr.String())
		case s.Addr.Port() == l.Port:
			connected++
		case s.Listen:
			others = append(others, int(s.Addr.Port()))
		}
	}
	what := "port " + strconv.Itoa(int(l.Port))
	if l.Addr.IsValid() {
		what = netip.AddrPortFrom(l.Addr, l.Port).String()
	}
	msg := "nothing listens on " + what
	if len(elsewhere) > 0 {
		// Bound to loopback, say, while the check wants every address.
		slices.Sort(elsewhere)
		return "", fmt.Errorf("%s: port %d listens on %s only", msg, l.Port, strings.Join(slices.Compact(elsewhere), " and "))
	}
	if connected > 0 {
		msg += fmt.Sprintf(" (it has %d socket(s) that are not listening)", connected)
	}
	slices.Sort(others)
	others = slices.Compact(others)
	if len(others) == 0 {
		return "", errors.New(msg + "; no TCP port is listening at all")
	}
	var ports []string
	for _, p := range others[:min(len(others), 8)] {
		ports = append(ports, strconv.Itoa(p))
	}
	msg += "; ports listening: " + strings.Join(ports, ", ")
	if len(others) > 8 {
		msg += fmt.Sprintf(" and %d more", len(others)-8)
	}
	return "", errors.New(msg)
}
