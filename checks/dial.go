package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/probe-sh/probe/internal/files"
	"github.com/probe-sh/probe/internal/netpolicy"
	"github.com/probe-sh/probe/internal/sanitize"
)

// fallbackDelay is how long a dial waits on one address before it starts the
// next in parallel (RFC 8305 suggests 250 ms; loopback answers far sooner).
const fallbackDelay = 100 * time.Millisecond

// isLocalhost reports whether host is localhost or a name under .localhost,
// which RFC 6761 reserves for this machine.
func isLocalhost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// resolver resolves names other than localhost; tests replace it.
var resolver = net.DefaultResolver

// dialNet is the one place a check opens a socket: every TCP, UDP and Unix
// connection of every kind (dialRace, dialUnix, dns:// over UDP) and the
// resolver's own queries (resolverFor) go through it, and so does the
// policy of the run's context: with --loopback-only (netpolicy), an
// address that is not loopback is refused here, before a packet is sent.
func dialNet(ctx context.Context, network, address string) (net.Conn, error) {
	if !netpolicy.Allowed(ctx, network, address) {
		return nil, notLoopback(address)
	}
	// The policy is checked again where the socket connects, on the address
	// it connects to: a name given here is resolved by then.
	d := net.Dialer{Control: guard(ctx)}
	return d.DialContext(ctx, network, address)
}

// guard is the dialer's Control under ctx's policy: it runs after the
// socket is made and before it connects, with the address it connects to.
func guard(ctx context.Context) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		if !netpolicy.Allowed(ctx, network, address) {
			return notLoopback(address)
		}
		return nil
	}
}

// notLoopback is the error of a connection --loopback-only refused.
func notLoopback(address string) error {
	return &ConnError{Op: "connect", Host: address,
		Msg: "connect: " + sanitize.Printable(address) + " is not a loopback address: refused, nothing sent",
		Err: netpolicy.ErrNotLoopback}
}

// resolverFor is the resolver of a check under ctx's policy: the usual one,
// or, with --loopback-only, Go's own resolver asking its name servers
// through dialNet, so that /etc/hosts still answers and a name server that
// is not loopback (Docker's 127.0.0.11 is; a cluster's 10.96.0.10 is not)
// is never asked: a name cannot carry anything out. refused is set to the
// server a query was refused to; the resolver asks for A and AAAA at once,
// so it is an atomic. (A resolver the tests set dials their own server on
// loopback, wherever /etc/resolv.conf points.)
func resolverFor(ctx context.Context, refused *atomic.Pointer[string]) *net.Resolver {
	if !netpolicy.LoopbackOnly(ctx) {
		return resolver
	}
	if resolver.Dial != nil {
		return resolver
	}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		conn, err := dialNet(ctx, network, address)
		if errors.Is(err, netpolicy.ErrNotLoopback) {
			refused.Store(&address)
		}
		return conn, err
	}}
}

// resolve returns the addresses of host. localhost resolves to 127.0.0.1 and
// ::1 without DNS and without /etc/hosts, which a scratch image run outside
// Docker does not have.
func resolve(ctx context.Context, tr *Trace, host string) ([]netip.Addr, error) {
	if isLocalhost(host) {
		return []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()}, nil
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{addr}, nil
	}
	tr.Enter(PhaseDNS)
	var refused atomic.Pointer[string]
	addrs, err := resolverFor(ctx, &refused).LookupNetIP(ctx, "ip", host)
	if err != nil {
		if server := refused.Load(); server != nil && ctx.Err() == nil {
			return nil, &ConnError{Op: "dns", Host: host, Err: netpolicy.ErrNotLoopback,
				Msg: fmt.Sprintf("dns: %q is not in /etc/hosts, and its name server %s is not a loopback address: refused, nothing sent", host, sanitize.Printable(*server))}
		}
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return nil, &ConnError{Op: "dns", Host: host, Msg: fmt.Sprintf("dns: no such host %q", host), Err: err}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &ConnError{Op: "dns", Host: host, Msg: fmt.Sprintf("dns: cannot resolve %q: %s", host, dnsCause(err)), Err: err}
	}
	if len(addrs) == 0 {
		return nil, &ConnError{Op: "dns", Host: host, Msg: fmt.Sprintf("dns: cannot resolve %q: no addresses", host),
			Err: &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}}
	}
	// Prefer IPv4 first, as most container apps listen there, then race.
	v4, v6 := []netip.Addr{}, []netip.Addr{}
	for _, a := range addrs {
		if a.Unmap().Is4() {
			v4 = append(v4, a.Unmap())
		} else {
			v6 = append(v6, a)
		}
	}
	return append(v4, v6...), nil
}

// dnsCause shortens "read udp [::1]:47521->[::1]:53: read: connection
// refused" to "connection refused (server [::1]:53)".
func dnsCause(err error) string {
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) {
		return err.Error()
	}
	cause := dnsErr.Err
	if i := strings.LastIndex(cause, ": "); i >= 0 {
		cause = cause[i+2:]
	}
	if dnsErr.Server != "" {
		cause += " (server " + dnsErr.Server + ")"
	}
	return cause
}

// dial connects to host:port over TCP. It tries every address of host, in
// the manner of Happy Eyeballs: the next address starts when the previous
// one fails or after fallbackDelay, and the first to connect wins. So an
// IPv4-only and an IPv6-only server both pass through "localhost".
func dial(ctx context.Context, tr *Trace, host, port string) (net.Conn, error) {
	addrs, err := resolve(ctx, tr, host)
	if err != nil {
		return nil, err
	}
	tr.Enter(PhaseConnect)
	conn, err := dialRace(ctx, addrs, port)
	if err != nil {
		if ce, ok := err.(*ConnError); ok {
			ce.Host = host
		}
		return nil, err
	}
	tr.SetNote("address", conn.RemoteAddr().String())
	return watchConn(ctx, conn), nil
}

// ctxConn is a connection that closes when its context ends, deadline or
// cancel, so that every read and write on it returns at once, whoever
// waits in it: the one path by which cancelling reaches every kind, the
// HTTP/1.1 client's (fasthttp has no context) among them.
type ctxConn struct {
	net.Conn
	stop func() bool
}

// watchConn ties conn to ctx; closing it unties it.
func watchConn(ctx context.Context, conn net.Conn) net.Conn {
	return &ctxConn{Conn: conn, stop: context.AfterFunc(ctx, func() { conn.Close() })}
}

func (c *ctxConn) Close() error {
	c.stop()
	return c.Conn.Close()
}

type dialResult struct {
	conn net.Conn
	err  error
}

func dialRace(ctx context.Context, addrs []netip.Addr, port string) (net.Conn, error) {
	if len(addrs) == 1 {
		// One address has no race to run: it is dialled here, without a
		// goroutine whose stack would grow for it (an IP address, the
		// common health check, is one).
		c, err := dialNet(ctx, "tcp", net.JoinHostPort(addrs[0].String(), port))
		if err == nil {
			return c, nil
		}
		if ctx.Err() != nil && errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
			return nil, context.DeadlineExceeded
		}
		return nil, dialError([]error{err})
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan dialResult, len(addrs))
	next, pending := 0, 0
	start := func() {
		addr := net.JoinHostPort(addrs[next].String(), port)
		next++
		pending++
		go func() {
			c, err := dialNet(ctx, "tcp", addr)
			results <- dialResult{c, err}
		}()
	}
	start()
	timer := time.NewTimer(fallbackDelay)
	defer timer.Stop()
	var errs []error
	for pending > 0 {
		select {
		case r := <-results:
			pending--
			if r.err == nil {
				cancel()
				// Close the connections that lose the race.
				go func(n int) {
					for range n {
						if l := <-results; l.conn != nil {
							l.conn.Close()
						}
					}
				}(pending)
				return r.conn, nil
			}
			errs = append(errs, r.err)
			if next < len(addrs) {
				start()
				timer.Reset(fallbackDelay)
			}
		case <-timer.C:
			if next < len(addrs) {
				start()
				timer.Reset(fallbackDelay)
			}
		}
	}
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		return nil, context.DeadlineExceeded
	}
	return nil, dialError(errs)
}

// dialError folds the errors of every address into one: "connect:
// connection refused (127.0.0.1:8080, [::1]:8080)", each distinct reason
// with the addresses that gave it; it unwraps to each address's error.
func dialError(errs []error) error {
	type reason struct {
		cause string
		addrs []string
	}
	var reasons []reason
	for _, err := range errs {
		if IsTimeout(err) {
			return context.DeadlineExceeded
		}
		if errors.Is(err, netpolicy.ErrNotLoopback) && len(errs) == 1 {
			return err
		}
		cause, addr := err.Error(), ""
		if ce, ok := err.(*ConnError); ok && errors.Is(err, netpolicy.ErrNotLoopback) {
			cause, addr = "not a loopback address: refused, nothing sent", ce.Host
		}
		var op *net.OpError
		if errors.As(err, &op) {
			if op.Addr != nil {
				addr = op.Addr.String()
			}
			cause = strings.TrimPrefix(op.Err.Error(), "connect: ")
		}
		i := slices.IndexFunc(reasons, func(r reason) bool { return r.cause == cause })
		if i < 0 {
			i = len(reasons)
			reasons = append(reasons, reason{cause: cause})
		}
		reasons[i].addrs = append(reasons[i].addrs, addr)
	}
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = r.cause + " (" + strings.Join(r.addrs, ", ") + ")"
	}
	return &ConnError{Op: "connect", Msg: "connect: " + strings.Join(parts, "; "), Err: errors.Join(errs...)}
}

// IsTimeout reports whether err means the deadline ran out, whichever layer
// noticed it first.
func IsTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	// fasthttp's ErrTimeout has Timeout but not Temporary, so it is no net.Error.
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

// authorityOf is host:port, or host alone when the port is not known (a
// Unix socket), for the Host header or :authority.
func authorityOf(host, port string) string {
	if port == "" {
		if strings.Contains(host, ":") {
			return "[" + host + "]"
		}
		return host
	}
	return net.JoinHostPort(host, port)
}

// dialTo connects to the Unix socket when one is given (--unix-socket), and
// to host:port otherwise.
func dialTo(ctx context.Context, tr *Trace, socket, host, port string) (net.Conn, error) {
	if socket == "" {
		return dial(ctx, tr, host, port)
	}
	return dialUnix(ctx, tr, socket)
}

// dialUnix connects to the Unix stream socket at path; a path that starts
// with @ names a Linux abstract socket.
func dialUnix(ctx context.Context, tr *Trace, path string) (net.Conn, error) {
	tr.Enter(PhaseConnect)
	conn, err := dialNet(ctx, "unix", path)
	if err != nil {
		return nil, unixDialError(ctx, path, err)
	}
	tr.SetNote("address", "unix:"+path)
	return watchConn(ctx, conn), nil
}

// unixDialError says why connecting to a Unix socket failed, in terms of
// the file: missing, closed to this user, not a socket, or a socket file
// that no server holds.
func unixDialError(ctx context.Context, path string, err error) error {
	if IsTimeout(err) || ctx.Err() != nil {
		return context.DeadlineExceeded
	}
	cause := err.Error()
	var op *net.OpError
	if errors.As(err, &op) {
		cause = strings.TrimPrefix(op.Err.Error(), "connect: ")
	}
	abstract := strings.HasPrefix(path, "@")
	switch {
	case errors.Is(err, syscall.ENOENT):
		cause = "no such socket"
	case errors.Is(err, syscall.ENOTDIR):
		cause = "no such socket: a part of the path is not a directory"
	case errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM):
		cause = "permission denied: " + socketAccess(path)
	case errors.Is(err, syscall.ECONNREFUSED) && abstract:
		cause = "connection refused: no server listens on this abstract socket"
	case errors.Is(err, syscall.ECONNREFUSED):
		if fi, serr := os.Stat(path); serr == nil && fi.Mode()&fs.ModeSocket == 0 {
			cause = "not a socket: the path is a " + files.Kind(fi.Mode())
		} else {
			cause = "connection refused: a socket file that no server listens on (left over from a server that stopped?)"
		}
	case errors.Is(err, syscall.EAGAIN):
		cause = "the server's queue of connections to accept is full"
	case errors.Is(err, syscall.EPROTOTYPE):
		cause = "not a stream socket (a datagram socket?)"
	}
	return &ConnError{Op: "connect", Host: path, Msg: "connect: " + cause + " (" + sanitize.Printable(path) + ")", Err: err}
}

// socketAccess says who may use the socket, and who probe runs as.
func socketAccess(path string) string {
	me := fmt.Sprintf("probe runs as uid %d gid %d", os.Getuid(), os.Getgid())
	fi, err := os.Stat(path)
	if err != nil {
		return "a directory on the path is closed to this user; " + me
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("the socket's mode is %04o, owner uid %d gid %d; %s", fi.Mode().Perm(), st.Uid, st.Gid, me)
	}
	return fmt.Sprintf("the socket's mode is %04o; %s", fi.Mode().Perm(), me)
}
