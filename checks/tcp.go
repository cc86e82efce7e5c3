package checks

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"time"

	"github.com/probe-sh/probe/internal/sanitize"
)

// TCP checks that a TCP port accepts connections. With TLS it also completes
// a verified handshake; with Send it writes bytes; with Expect it reads until
// a line of the reply matches each pattern, and fails at once when a line
// matches a Reject pattern (a server's error reply, on a connection it keeps
// open). Patterns match one line at a time (linePattern).
type TCP struct {
	Host, Port string
	Socket     string      // a Unix socket to connect to, in place of Host:Port
	TLS        *tls.Config // tls:// targets; nil for plain TCP
	Send       []byte
	Expect     []*regexp.Regexp
	Reject     []*regexp.Regexp
	MaxRead    int           // bytes read while waiting for Expect; 64 KiB when zero
	CertExpiry time.Duration // with TLS: fail when a certificate expires within it
}

// Run connects and, when asked, talks.
func (t TCP) Run(ctx context.Context, tr *Trace) (string, error) {
	conn, err := dialTo(ctx, tr, t.Socket, t.Host, t.Port)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	// Deadlines on the socket, and a close when ctx ends early, so no read
	// outlives the run's deadline. The socket's, not conn's: conn becomes
	// the TLS connection, and closing the socket ends a TLS read too.
	_ = conn.SetDeadline(deadline(ctx))
	sock := conn
	stop := context.AfterFunc(ctx, func() { sock.Close() })
	defer stop()

	if t.TLS != nil {
		tc, err := handshake(ctx, tr, conn, t.TLS, t.Host, t.CertExpiry)
		if err != nil {
			return "", err
		}
		conn = tc
		defer tc.Close()
	}
	if len(t.Send) > 0 {
		tr.Enter(PhaseFirstByte)
		if _, err := conn.Write(t.Send); err != nil {
			return "", t.ioError(ctx, "send", err)
		}
	}
	if len(t.Expect) == 0 {
		tr.Finish()
		return "connected", nil
	}
	tr.Enter(PhaseExpect)
	max := t.MaxRead
	if max <= 0 {
		max = 64 << 10
	}
	expect, reject := linePatterns(t.Expect), linePatterns(t.Reject)
	buf := make([]byte, 0, 512)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := conn.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if n > 0 {
			// Kept as it grows: a timeout reports what came, even when
			// the engine stops waiting for this check.
			tr.SetPartial(quoteLines(buf))
			tr.SetReply(sanitize.Excerpt(buf, 200))
		}
		// The connection's end ends its last line, \n or not.
		ended := errors.Is(err, io.EOF)
		for _, p := range reject {
			if line, ok := p.match(buf, ended); ok {
				return "", &ReplyError{Field: "Reject", Msg: fmt.Sprintf("the reply matches %q: %s", p.re, sanitize.Excerpt(line, 60))}
			}
		}
		missing := unmatched(expect, buf, ended)
		if missing == nil {
			tr.Finish()
			return "reply matched", nil
		}
		if ended {
			return "", &ReplyError{Field: "Expect", Msg: fmt.Sprintf("connection closed before a line matched %q; got %s", missing, quoteLines(buf)), Err: io.EOF}
		}
		if len(buf) >= max {
			return "", &ReplyError{Field: "Expect", Msg: fmt.Sprintf("read %s without a line that matches %q: %s", Size(len(buf)), missing, quoteLines(buf))}
		}
		if err != nil {
			if IsTimeout(err) || ctx.Err() != nil {
				return "", context.DeadlineExceeded
			}
			return "", t.ioError(ctx, "read", err)
		}
	}
}

// unmatched returns the first pattern that no line of text matches yet.
func unmatched(ps []linePattern, text []byte, ended bool) *regexp.Regexp {
	for _, p := range ps {
		if _, ok := p.match(text, ended); !ok {
			return p.re
		}
	}
	return nil
}

// A linePattern is an --expect or --reject of a reply or a file, matched
// one line at a time, as blackbox_exporter's query_response matches: a line
// ends at \n, and neither the \n nor a \r before it is part of it
// (bufio.ScanLines), so ^ and $ are its start and end.
type linePattern struct {
	re *regexp.Regexp
	// lookahead: the pattern asserts what follows a position ($, \z, \b,
	// \B), so a match that reaches the end of a line still arriving may
	// not hold once the rest of it comes: "220 ready" matches ^220 ready$
	// until " to go away" follows.
	lookahead bool
}

func linePatterns(res []*regexp.Regexp) []linePattern {
	out := make([]linePattern, len(res))
	for i, re := range res {
		out[i] = linePattern{re: re, lookahead: looksAhead(re)}
	}
	return out
}

// looksAhead reports whether re holds an assertion about what follows a
// position; true when it cannot tell.
func looksAhead(re *regexp.Regexp) bool {
	tree, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return true
	}
	var walk func(*syntax.Regexp) bool
	walk = func(r *syntax.Regexp) bool {
		switch r.Op {
		case syntax.OpEndLine, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
			return true
		}
		return slices.ContainsFunc(r.Sub, walk)
	}
	return walk(tree)
}

// match returns the first line of text that p matches. ended says that
// text is all there is, so its last line is whole without a \n; until
// then, that line is still arriving, and a match in it counts only when
// nothing that follows can undo it.
func (p linePattern) match(text []byte, ended bool) ([]byte, bool) {
	for len(text) > 0 {
		line, rest, whole := bytes.Cut(text, []byte("\n"))
		text = rest
		if whole || ended {
			line = bytes.TrimSuffix(line, []byte("\r"))
			if p.re.Match(line) {
				return line, true
			}
			continue
		}
		if loc := p.re.FindIndex(line); loc != nil && (loc[1] < len(line) || !p.lookahead) {
			return line, true
		}
	}
	return nil, false
}

// quoteLines quotes the lines of text for a message, as the patterns saw
// them: the first three, each cut at 60 bytes, and how many there are.
func quoteLines(text []byte) string {
	var lines []string
	count := 0
	for len(text) > 0 {
		line, rest, _ := bytes.Cut(text, []byte("\n"))
		text = rest
		if count++; count <= 3 {
			lines = append(lines, sanitize.Excerpt(bytes.TrimSuffix(line, []byte("\r")), 60))
		}
	}
	switch {
	case count == 0:
		return "nothing"
	case count == 1:
		return lines[0]
	case count > 3:
		lines = append(lines, "...")
	}
	return fmt.Sprintf("%d lines: %s", count, strings.Join(lines, ", "))
}

func (t TCP) ioError(ctx context.Context, op string, err error) error {
	if IsTimeout(err) || ctx.Err() != nil {
		return context.DeadlineExceeded
	}
	cause := err
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		cause = opErr.Err
	}
	return &ConnError{Op: op, Host: t.Host, Msg: op + ": " + strings.TrimPrefix(cause.Error(), op+": "), Err: err}
}
