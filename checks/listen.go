package checks

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/probe-sh/probe/internal/procinfo"
	"github.com/probe-sh/probe/internal/text"
)

// Listen passes when a TCP socket is in LISTEN state on Port, read from
// /proc/net/tcp and /proc/net/tcp6: no packet is sent, so nothing shows in
// the app's logs and a slow handler cannot fail it. With UDP, when a UDP
// socket is bound to Port and not connected (so it takes datagrams from
// anyone), from /proc/net/udp and /proc/net/udp6: a DNS server, WireGuard,
// a game server, which a packet could not check without speaking their
// protocol.
type Listen struct {
	Proc string     // where the proc filesystem is mounted: /proc when empty
	Addr netip.Addr // the zero Addr matches any address
	Port uint16
	UDP  bool
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
	read, proto, verb := procinfo.Sockets, "TCP", "listening"
	if l.UDP {
		read, proto, verb = procinfo.UDPSockets, "UDP", "bound"
	}
	socks, err := read(cmp.Or(l.Proc, "/proc"))
	if err != nil {
		return "", &StateError{Msg: err.Error(), Err: err}
	}
	tr.Finish()
	var others []int
	var elsewhere []string // the port listens, on other addresses
	connected := 0
	for _, s := range socks {
		switch {
		case s.Addr.Port() == l.Port && s.Listen && serves(s.Addr.Addr(), l.Addr):
			if l.UDP {
				return "UDP socket bound to " + s.Addr.String(), nil
			}
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
	if l.UDP {
		msg = "no UDP socket is bound to " + what
	}
	if len(elsewhere) > 0 {
		// Bound to loopback, say, while the check wants every address.
		slices.Sort(elsewhere)
		on := strings.Join(slices.Compact(elsewhere), " and ")
		if l.UDP {
			return "", &StateError{Msg: fmt.Sprintf("%s: port %d is bound on %s only", msg, l.Port, on)}
		}
		return "", &StateError{Msg: fmt.Sprintf("%s: port %d listens on %s only", msg, l.Port, on)}
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

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
