// Package procfixture builds small /proc and cgroup trees in a directory,
// for tests of the /proc checks and of probe inspect.
package procfixture

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// BootTime is the fixture's boot time, in /proc/stat's btime.
const BootTime = 1_700_000_000

// Proc describes one fixture process.
type Proc struct {
	PID, PPID   int
	PGID        int    // process group, in stat's fifth field
	Comm, State string // State is the letter: S, R, Z...
	Threads     int
	RSSPages    int    // resident pages of os.Getpagesize() bytes
	UTime       int    // clock ticks
	StartTicks  int    // since boot, in clock ticks (100 Hz)
	FDs         int    // open descriptors; -1 makes fd a file, so it cannot be listed
	Sockets     []int  // socket inodes among the descriptors
	FileLimit   string // soft limit of open files; 1024 when empty
	SigCgt      uint64 // caught signals, bit n-1 for signal n
	Cgroup      string // the whole /proc/PID/cgroup; "0::/\n" when empty
}

// Socket is one line of /proc/net/tcp or tcp6.
type Socket struct {
	Addr   netip.AddrPort
	Listen bool
	Inode  int
}

// Write writes the tree under root: /proc/stat, net/tcp and net/tcp6 (tcp6
// only when a socket is IPv6 or withTCP6 is set), and each process.
func Write(t testing.TB, root string, procs []Proc, sockets []Socket, withTCP6 bool) {
	t.Helper()
	write(t, filepath.Join(root, "stat"), fmt.Sprintf("cpu  1 0 1 100 0 0 0 0 0 0\nbtime %d\n", BootTime))
	tcp := []string{"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"}
	tcp6 := []string{tcp[0]}
	for i, s := range sockets {
		st := "01"
		if s.Listen {
			st = "0A"
		}
		line := fmt.Sprintf("%4d: %s:%04X %s:0000 %s 00000000:00000000 00:00000000 00000000     0        0 %d 1 0000000000000000 100 0 0 10 0",
			i, hexAddr(s.Addr.Addr()), s.Addr.Port(), hexAddr(zero(s.Addr.Addr())), st, s.Inode)
		if s.Addr.Addr().Is4() {
			tcp = append(tcp, line)
		} else {
			tcp6 = append(tcp6, line)
			withTCP6 = true
		}
	}
	write(t, filepath.Join(root, "net", "tcp"), strings.Join(tcp, "\n")+"\n")
	if withTCP6 {
		write(t, filepath.Join(root, "net", "tcp6"), strings.Join(tcp6, "\n")+"\n")
	}
	for _, p := range procs {
		dir := filepath.Join(root, strconv.Itoa(p.PID))
		fields := make([]string, 52)
		for i := range fields {
			fields[i] = "0"
		}
		threads := max(p.Threads, 1)
		fields[0], fields[1], fields[2], fields[3] = strconv.Itoa(p.PID), "("+p.Comm+")", p.State, strconv.Itoa(p.PPID)
		fields[4] = strconv.Itoa(p.PGID)
		fields[13], fields[19], fields[21], fields[23] = strconv.Itoa(p.UTime), strconv.Itoa(threads), strconv.Itoa(p.StartTicks), strconv.Itoa(p.RSSPages)
		write(t, filepath.Join(dir, "stat"), strings.Join(fields, " ")+"\n")
		write(t, filepath.Join(dir, "comm"), p.Comm+"\n")
		write(t, filepath.Join(dir, "status"), fmt.Sprintf("Name:\t%s\nState:\t%s\nPid:\t%d\nPPid:\t%d\nThreads:\t%d\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSigCgt:\t%016x\n",
			p.Comm, p.State, p.PID, p.PPID, threads, p.SigCgt))
		limit := p.FileLimit
		if limit == "" {
			limit = "1024"
		}
		write(t, filepath.Join(dir, "limits"), "Limit                     Soft Limit           Hard Limit           Units     \n"+
			fmt.Sprintf("Max open files            %-20s %-20s files     \n", limit, "4096"))
		cgroup := p.Cgroup
		if cgroup == "" {
			cgroup = "0::/\n"
		}
		write(t, filepath.Join(dir, "cgroup"), cgroup)
		fd := filepath.Join(dir, "fd")
		if p.FDs < 0 {
			// Root may read any directory, whatever its mode, and CI runs as
			// root: a file in its place fails for everyone.
			write(t, fd, "")
			continue
		}
		if err := os.MkdirAll(fd, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < p.FDs; i++ {
			target := "/dev/null"
			if i < len(p.Sockets) {
				target = fmt.Sprintf("socket:[%d]", p.Sockets[i])
			}
			if err := os.Symlink(target, filepath.Join(fd, strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// WriteFile writes one file, making its directories.
func WriteFile(t testing.TB, path, content string) { t.Helper(); write(t, path, content) }

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func zero(a netip.Addr) netip.Addr {
	if a.Is4() {
		return netip.IPv4Unspecified()
	}
	return netip.IPv6Unspecified()
}

// hexAddr writes an address as /proc/net/tcp does: each 32-bit word in host
// (little-endian) byte order.
func hexAddr(a netip.Addr) string {
	b := a.AsSlice()
	var s strings.Builder
	for w := 0; w < len(b); w += 4 {
		fmt.Fprintf(&s, "%02X%02X%02X%02X", b[w+3], b[w+2], b[w+1], b[w])
	}
	return s.String()
}
