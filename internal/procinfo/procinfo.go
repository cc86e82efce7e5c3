// Package procinfo reads what the proc filesystem says of a container's
// sockets and processes, for the listen and process checks, the incident
// view (probe inspect) and the adaptive drain: the TCP sockets of
// /proc/net/tcp{,6}, a process's open files against their limit, and its
// state letter in words.
package procinfo

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/probe-sh/probe/internal/patched/procfs"
)

// tcpListen is the LISTEN state in /proc/net/tcp (include/net/tcp_states.h).
const tcpListen = 10

// Socket is a TCP socket read from /proc/net/tcp or /proc/net/tcp6, or a
// UDP socket from /proc/net/udp or /proc/net/udp6.
type Socket struct {
	Addr   netip.AddrPort
	Listen bool // TCP: in LISTEN state; UDP: bound and not connected, so it takes datagrams from anyone
	Inode  uint64
	IPv6   bool // from tcp6 or udp6: an IPv6 socket, which may take IPv4 too
}

// Sockets reads the TCP sockets of the network namespace whose proc
// filesystem is mounted at procRoot, from net/tcp and net/tcp6, as the
// kernel writes them (net/ipv4/tcp_ipv4.c). A missing tcp6 file means IPv6
// is off, so no sockets there. (procfs's NetTCP reads the same files, but
// is deprecated in favour of netlink, which a scratch image cannot count
// on.)
func Sockets(procRoot string) ([]Socket, error) {
	return sockets(procRoot, "tcp")
}

// UDPSockets reads the UDP sockets, as Sockets does the TCP ones, from
// net/udp and net/udp6 (net/ipv4/udp.c writes them in the same format).
func UDPSockets(procRoot string) ([]Socket, error) {
	return sockets(procRoot, "udp")
}

func sockets(procRoot, proto string) ([]Socket, error) {
	var out []Socket
	for i, name := range []string{proto, proto + "6"} {
		f, err := os.Open(filepath.Join(procRoot, "net", name))
		if i == 1 && errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read the sockets: %w", Error(err))
		}
		out, err = parseSockets(f, out, i == 1, proto == "udp")
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
func parseSockets(r io.Reader, out []Socket, v6, udp bool) ([]Socket, error) {
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
		listen := st == tcpListen
		if udp {
			remote, err := parseSocketAddr(f[2])
			if err != nil {
				return nil, err
			}
			listen = remote.Port() == 0 && remote.Addr().IsUnspecified()
		}
		out = append(out, Socket{Addr: addr, Listen: listen, Inode: inode, IPv6: v6})
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

// Error says what to do when /proc cannot be read.
func Error(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w (is /proc mounted?)", err)
	}
	return err
}

// Open opens the proc filesystem mounted at root, or says in one line why
// it cannot.
func Open(root string) (procfs.FS, error) {
	pfs, err := procfs.NewFS(root)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return procfs.FS{}, fmt.Errorf("cannot read %s: %w", root, Error(err))
	}
	return pfs, nil
}

// OpenFiles counts a process's open file descriptors and reads their soft
// limit.
func OpenFiles(proc procfs.Proc) (open int, limit uint64, err error) {
	if open, err = proc.FileDescriptorsLen(); err != nil {
		return 0, 0, err
	}
	limits, err := proc.Limits()
	if err != nil {
		return 0, 0, err
	}
	return open, limits.OpenFiles, nil
}

// Limit writes a limit from /proc/PID/limits; procfs reads "unlimited" as
// the largest uint64.
func Limit(n uint64) string {
	if n >= 1<<62 {
		return "unlimited"
	}
	return strconv.FormatUint(n, 10)
}

// StateName spells out a state letter of /proc/PID/stat, as the kernel's
// task_state_array (fs/proc/array.c) names them.
func StateName(s string) string {
	switch s {
	case "R":
		return "running"
	case "S":
		return "sleeping"
	case "D":
		return "in disk sleep"
	case "Z":
		return "a zombie"
	case "T", "t":
		return "stopped"
	case "I":
		return "idle"
	case "P":
		return "parked"
	case "X", "x":
		return "dead"
	}
	return "in state " + s
}
