package serve

import (
	"net"
	"strings"
	"sync"
	"time"

	"github.com/probe-sh/probe/internal/sanitize"
)

// HAProxy's agent-check: HAProxy connects to the agent's port every
// agent-inter, reads one line and closes. The line is made of words:
// a health state ("up", "down") and an administrative state ("ready",
// "drain", "maint"), and, after '#', a description shown on the stats page.
// HAProxy's agent parser is tcpcheck_agent_expect_reply (src/tcpcheck.c).

// agentDescription bounds the description: HAProxy keeps the line in a
// check buffer, and the stats page shows it.
const agentDescription = 200

// agentConns bounds the connections answered at once; above it, a newcomer
// is closed unanswered, which HAProxy does not count as a failure.
const agentConns = 64

// agentConnsPerAddr is how many connections one address may hold before
// its oldest make room.
const agentConnsPerAddr = 16

// AgentReply is the agent-check line for a Verdict:
//
//   - ready: "up ready". up sets the server's health back to UP at once;
//     ready ends a drain, including one the agent set before the process
//     restarted at the same address.
//   - draining: "drain" alone: no new connections or requests, those in
//     flight and persistent ones kept. No health word: an "up" would reset
//     the regular health check's count of failures, and the server would
//     never go DOWN.
//   - not ready: "down #why".
func AgentReply(v Verdict) string {
	switch {
	case v.Draining:
		return "drain\n"
	case v.Ready:
		return "up ready\n"
	}
	return "down #" + agentText(v.Reason) + "\n"
}

// agentText makes a reason safe for the line: printable ASCII, no '\r' or
// '\n' (either ends the line), at most agentDescription bytes.
func agentText(s string) string {
	s = sanitize.Printable(s)
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= agentDescription {
			break
		}
		if r < 0x20 || r > 0x7e {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// serveAgent answers every connection on ln with the current verdict's
// agent line until ln is closed.
//
// Connections are bounded as the HTTP listener's are: at agentConns, the
// oldest connection of the address holding the most is closed (its line
// was written when it came), so 64 connections that never read cannot
// keep HAProxy out; an Accept that fails for want of file descriptors is
// retried.
func (s *Server) serveAgent(ln net.Listener) {
	var wg sync.WaitGroup
	defer wg.Wait()
	conns := newLimitListener(ln, fdBudget(agentConns, 1), agentConnsPerAddr)
	conns.onRetry = s.acceptTrouble
	defer conns.closeAll()
	for {
		conn, err := conns.Accept()
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			answerAgent(conn, AgentReply(s.readiness()))
		}()
	}
}

// answerAgent writes the line, then reads and drops whatever the peer sent
// (HAProxy's agent-send) until it closes, for at most a second: closing
// with unread bytes would send a reset, which can discard the line before
// HAProxy reads it.
func answerAgent(conn net.Conn, line string) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte(line)); err != nil {
		return
	}
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	var buf [512]byte
	for {
		if _, err := conn.Read(buf[:]); err != nil {
			return
		}
	}
}
