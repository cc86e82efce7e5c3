package checks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/probe-sh/probe/internal/procinfo"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/sockdiag"
	"github.com/probe-sh/probe/internal/text"
)

// Listen passes when a TCP socket is in LISTEN state on Port, read from
// /proc/net/tcp and /proc/net/tcp6: no packet is sent, so nothing shows in
// the app's logs and a slow handler cannot fail it. With UDP, when a UDP
// socket is bound to Port and not connected (so it takes datagrams from
// anyone), from /proc/net/udp and /proc/net/udp6: a DNS server, WireGuard,
// a game server, which a packet could not check without speaking their
// protocol.
//
// An IPv6 wildcard socket ([::]) serves an IPv4 Addr unless it has
// IPV6_V6ONLY set, which /proc does not show: for that case alone, when no
// IPv4 socket serves Addr, the flag is read from the kernel's sock_diag
// netlink interface. Where sock_diag cannot answer (gVisor, a kernel
// without it, a Proc other than /proc), the socket counts, as /proc says,
// and the result says the flag could not be read.
type Listen struct {
	Proc string     // where the proc filesystem is mounted: /proc when empty
	Addr netip.Addr // the zero Addr matches any address
	Port uint16
	UDP  bool
}

// serves reports whether a listener bound to bound accepts connections to
// want: the same address, or a wildcard of its family (an IPv6 wildcard
// also takes IPv4, as Go's ":8080" does, unless the socket is v6-only,
// which /proc does not tell: see viaV6).
func serves(bound, want netip.Addr) bool {
	switch {
	case !want.IsValid() || bound == want:
		return true
	case bound.IsUnspecified():
		return bound.Is6() || want.Is4()
	}
	return false
}

// viaV6 reports whether bound serves want only if the socket is not
// v6-only: an IPv6 wildcard asked for an IPv4 address.
func viaV6(bound, want netip.Addr) bool {
	return want.Is4() && bound.Is6() && bound.IsUnspecified()
}

// Run passes when a matching socket listens.
func (l Listen) Run(ctx context.Context, tr *Trace) (string, error) {
	tr.Enter(PhaseProc)
	read, proto, verb := procinfo.Sockets, "TCP", "listening"
	if l.UDP {
		read, proto, verb = procinfo.UDPSockets, "UDP", "bound"
	}
	socks, err := read(cmp.Or(l.Proc, "/proc"))
	if err != nil {
		return "", &StateError{Msg: err.Error(), Err: err}
	}
	tr.Finish()
	found := func(a netip.AddrPort) string {
		if l.UDP {
			return "UDP socket bound to " + a.String()
		}
		return "listening on " + a.String()
	}
	want := l.Addr.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1, as /proc's addresses are read
	var others []int
	var elsewhere []string          // the port listens, on other addresses
	var wildcards []procinfo.Socket // IPv6 wildcards, for an IPv4 address: they serve it unless v6-only
	connected := 0
	for _, s := range socks {
		switch {
		case s.Addr.Port() == l.Port && s.Listen && viaV6(s.Addr.Addr(), want):
			wildcards = append(wildcards, s)
		case s.Addr.Port() == l.Port && s.Listen && serves(s.Addr.Addr(), want):
			return found(s.Addr), nil
		case s.Addr.Port() == l.Port && s.Listen:
			elsewhere = append(elsewhere, s.Addr.String())
		case s.Addr.Port() == l.Port:
			connected++
		case s.Listen:
			others = append(others, int(s.Addr.Port()))
		}
	}
	v6only := false
	if len(wildcards) > 0 {
		// Only here, when the answer depends on it, is the flag read.
		switch a, stack, err := l.dualStack(ctx, wildcards); stack {
		case sockdiag.DualStack:
			return found(a), nil
		case sockdiag.Unknown:
			// /proc's answer, and the line says what it rests on.
			return found(a) + ", which takes IPv4 unless IPV6_V6ONLY is set, and that could not be read: " + err.Error(), nil
		}
		v6only = true
		elsewhere = append(elsewhere, wildcards[0].Addr.String())
	}
	what := "port " + strconv.Itoa(int(l.Port))
	if want.IsValid() {
		what = netip.AddrPortFrom(want, l.Port).String()
	}
	msg := "nothing listens on " + what
	if l.UDP {
		msg = "no UDP socket is bound to " + what
	}
	if len(elsewhere) > 0 {
		// Bound to loopback, say, while the check wants every address.
		slices.Sort(elsewhere)
		on := strings.Join(slices.Compact(elsewhere), " and ")
		if l.UDP {
			msg = fmt.Sprintf("%s: port %d is bound on %s only", msg, l.Port, on)
		} else {
			msg = fmt.Sprintf("%s: port %d listens on %s only", msg, l.Port, on)
		}
		if v6only {
			msg += ", which has IPV6_V6ONLY set (by the app, or net.ipv6.bindv6only=1): IPv4 clients cannot reach it"
		}
		return "", &StateError{Msg: msg}
	}
	switch {
	case connected > 0 && l.UDP:
		msg += " (it has " + text.Plural(connected, "connected socket") + ", which take datagrams from one peer only)"
	case connected > 0:
		msg += " (it has " + text.Plural(connected, "socket") + " that " + isAre(connected) + " not listening)"
	}
	slices.Sort(others)
	others = slices.Compact(others)
	if len(others) == 0 {
		return "", &StateError{Msg: fmt.Sprintf("%s; no %s port is %s at all", msg, proto, verb)}
	}
	var ports []string
	for _, p := range others[:min(len(others), 8)] {
		ports = append(ports, strconv.Itoa(p))
	}
	if l.UDP {
		msg += "; UDP ports bound: " + strings.Join(ports, ", ")
	} else {
		msg += "; ports listening: " + strings.Join(ports, ", ")
	}
	if len(others) > 8 {
		msg += fmt.Sprintf(" and %d more", len(others)-8)
	}
	return "", &StateError{Msg: msg}
}

// dualStack reads the IPV6_V6ONLY flag of the IPv6 wildcard sockets on the
// port through sock_diag: the socket's own flag, which /proc does not show
// and net.ipv6.bindv6only only sets the default of. It returns a socket
// that takes IPv4, DualStack; IPv6Only when each is v6-only; or Unknown and
// why, when none is known to take IPv4 and the flag of one is not known.
func (l Listen) dualStack(ctx context.Context, wildcards []procinfo.Socket) (netip.AddrPort, sockdiag.Stack, error) {
	first := wildcards[0].Addr
	if l.Proc != "" && filepath.Clean(l.Proc) != "/proc" {
		// A fixture or another namespace's /proc: netlink would answer
		// for probe's own network namespace, not that one.
		return first, sockdiag.Unknown, errors.New("sock_diag answers for probe's own network namespace, not " + sanitize.Printable(l.Proc) + "'s")
	}
	proto := uint8(syscall.IPPROTO_TCP)
	if l.UDP {
		proto = syscall.IPPROTO_UDP
	}
	timeout := time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = min(timeout, max(time.Until(d), time.Millisecond))
	}
	flags, err := sockdiag.V6Only(proto, l.Port, timeout)
	if err != nil {
		return first, sockdiag.Unknown, err
	}
	var why error
	for _, s := range wildcards {
		switch stack, ok := flags[s.Inode]; {
		case stack == sockdiag.DualStack:
			return s.Addr, stack, nil
		case !ok:
			// Closed since /proc was read, or another took its place.
			why = fmt.Errorf("sock_diag does not show socket %d, which /proc did", s.Inode)
		case stack == sockdiag.Unknown:
			why = errors.New("this kernel's sock_diag does not send the flag (INET_DIAG_SKV6ONLY)")
		}
	}
	if why != nil {
		return first, sockdiag.Unknown, why
	}
	return first, sockdiag.IPv6Only, nil
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
