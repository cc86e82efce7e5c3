// Package netpolicy carries what a run may connect to, from the command
// line to the one place every check connects (checks/dial.go), as a value
// of the run's context: --loopback-only.
//
// A context value, not a field of each check: the policy is the run's, not
// a check's; every connection of every kind is made with its check's
// context, which Run derives from the caller's, so one value set where the
// command line makes its context reaches every dial, the resolver's and a
// redirect's included, and no exported name of probe or checks changes. The
// commands that start a context of their own derive it from Globals'
// (internal/cli), and a test of each command pins it.
package netpolicy

import (
	"context"
	"errors"
	"net/netip"
)

type loopbackKey struct{}

// WithLoopbackOnly returns ctx with the policy set: nothing but loopback
// addresses and Unix sockets may be connected to.
func WithLoopbackOnly(ctx context.Context) context.Context {
	return context.WithValue(ctx, loopbackKey{}, true)
}

// LoopbackOnly reports whether ctx carries the policy.
func LoopbackOnly(ctx context.Context) bool {
	on, _ := ctx.Value(loopbackKey{}).(bool)
	return on
}

// ErrNotLoopback is what a refused connection's error unwraps to; the
// command line names --loopback-only after it.
var ErrNotLoopback = errors.New("not a loopback address")

// Allowed reports whether a connection over network to address (as
// net.Dial takes them) is allowed under the policy of ctx: any, without
// it; with it, a Unix socket, or an IP address (not a name: a name is
// resolved first) that is loopback, 127.0.0.0/8 or ::1, an IPv4-mapped
// one included.
func Allowed(ctx context.Context, network, address string) bool {
	if !LoopbackOnly(ctx) {
		return true
	}
	switch network {
	case "unix", "unixgram", "unixpacket":
		return true
	}
	ap, err := netip.ParseAddrPort(address)
	return err == nil && ap.Addr().Unmap().IsLoopback()
}
