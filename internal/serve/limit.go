package serve

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// limitListener keeps the sidecar answerable when someone holds connections
// open: slowloris, idle keep-alives, a flood. It bounds the connections from
// one address (perAddr) and in all (max). At either bound it closes the
// oldest connection of the address that holds the most, once that one has
// had minAge to send its request, never the newcomer. So a health check from
// a quiet address (the load balancer, the kubelet) is always accepted and
// served, however many connections another address holds; those only churn.
// When every connection is younger than minAge (a burst of real requests,
// each answered in microseconds), Accept waits for one to end instead, and
// the newcomers queue in the kernel's backlog rather than being cut.
// (Issue 19: 1,100 slowloris connections from one address took all 1,024
// slots, and every /readyz got 503.)
//
// An Accept that fails for want of resources (EMFILE, ENFILE, ENOBUFS,
// ENOMEM) or because a client gave up (ECONNABORTED) is retried after a
// pause, 5 ms doubling to a second, as net/http does: one such error ended
// the accept loop, and the sidecar stopped answering for good while the app
// ran on (issue 29). onRetry hears of each episode's first.
type limitListener struct {
	net.Listener
	max, perAddr int
	onRetry      func(error)

	mu     sync.Mutex
	byAddr map[netip.Addr][]*limitedConn // each address's connections, oldest first
	total  int
	closed bool

	evicted atomic.Uint64 // connections closed to make room
}

// minAge is how long a connection keeps its slot whatever comes: enough for
// any client to send a request, short next to a health check's timeout.
const minAge = 250 * time.Millisecond

func newLimitListener(ln net.Listener, max, perAddr int) *limitListener {
	return &limitListener{Listener: ln, max: max, perAddr: perAddr, byAddr: map[netip.Addr][]*limitedConn{}}
}

// Accept returns the next connection, after making room for it.
func (l *limitListener) Accept() (net.Conn, error) {
	c, err := l.accept()
	if err != nil {
		return nil, err
	}
	addr := remoteAddr(c)
	lc := &limitedConn{Conn: c, l: l, addr: addr}
	var evict []*limitedConn
	l.mu.Lock()
	for {
		if l.closed {
			l.mu.Unlock()
			c.Close()
			return nil, net.ErrClosed
		}
		now := time.Now()
		if own := l.byAddr[addr]; len(own) >= l.perAddr && now.Sub(own[0].since) >= minAge {
			evict = append(evict, l.removeLocked(own[0]))
		}
		if l.total < l.max {
			break
		}
		if h := l.heaviestLocked(); h != nil && now.Sub(h.since) >= minAge {
			evict = append(evict, l.removeLocked(h))
			break
		}
		// Every connection is young: wait for one to end or to age.
		l.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		l.mu.Lock()
	}
	lc.since = time.Now()
	l.byAddr[addr] = append(l.byAddr[addr], lc)
	l.total++
	l.mu.Unlock()
	for _, e := range evict {
		e.Conn.Close()
	}
	l.evicted.Add(uint64(len(evict)))
	return lc, nil
}

// accept is the listener's Accept, retried while it fails for a reason
// that passes.
func (l *limitListener) accept() (net.Conn, error) {
	var pause time.Duration
	for {
		c, err := l.Listener.Accept()
		if err == nil || !passing(err) {
			return c, err
		}
		if pause == 0 && l.onRetry != nil {
			l.onRetry(err)
		}
		pause = min(max(2*pause, 5*time.Millisecond), time.Second)
		time.Sleep(pause)
		l.mu.Lock()
		closed := l.closed
		l.mu.Unlock()
		if closed {
			return nil, net.ErrClosed
		}
	}
}

// passing reports whether an Accept error is one to wait out.
func passing(err error) bool {
	var ne net.Error
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ENOBUFS) ||
		errors.Is(err, syscall.ENOMEM) || errors.Is(err, syscall.ECONNABORTED) || errors.As(err, &ne) && ne.Timeout()
}

// fdBudget bounds the connections a listener holds by the process's open
// file limit: eighths of it, 3 for the HTTP port and 1 for the
// agent-check's, so that half stays for the checks and everything else.
// Under nofile=1024, 1,024 connections (the default bound) left none, and
// Accept failed with EMFILE; under nofile=128, the checks' own sockets did.
func fdBudget(want, eighths int) int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur == 0 {
		return want
	}
	return min(want, max(4, int(min(lim.Cur, 1<<20)/8)*eighths))
}

// heaviestLocked is the oldest connection of the address with the most.
func (l *limitListener) heaviestLocked() *limitedConn {
	var worst []*limitedConn
	for _, conns := range l.byAddr {
		if len(conns) > len(worst) {
			worst = conns
		}
	}
	if len(worst) == 0 {
		return nil
	}
	return worst[0]
}

// removeLocked forgets c and returns it; it is a no-op for a connection
// already forgotten.
func (l *limitListener) removeLocked(c *limitedConn) *limitedConn {
	conns := l.byAddr[c.addr]
	for i, o := range conns {
		if o == c {
			conns = append(conns[:i:i], conns[i+1:]...)
			l.total--
			if len(conns) == 0 {
				delete(l.byAddr, c.addr)
			} else {
				l.byAddr[c.addr] = conns
			}
			break
		}
	}
	return c
}

// open counts the connections held, for tests and metrics.
func (l *limitListener) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// closeAll closes every connection still open: at shutdown, after handlers
// (which answer from memory) have had their moment, only idle and half-sent
// requests remain, and they must not hold the exit.
func (l *limitListener) closeAll() {
	l.mu.Lock()
	var all []*limitedConn
	for _, conns := range l.byAddr {
		all = append(all, conns...)
	}
	l.byAddr, l.total, l.closed = map[netip.Addr][]*limitedConn{}, 0, true
	l.mu.Unlock()
	for _, c := range all {
		c.Conn.Close()
	}
}

func remoteAddr(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{} // not TCP: all such connections count as one address
}

// limitedConn forgets itself when closed.
type limitedConn struct {
	net.Conn
	l     *limitListener
	addr  netip.Addr
	since time.Time
	once  sync.Once
}

func (c *limitedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		c.l.removeLocked(c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

// CloseWrite half-closes a TCP connection, as the agent-check does after
// its line.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
