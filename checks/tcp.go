package checks

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/probe-sh/probe/internal/sanitize"
)

// TCP checks that a TCP port accepts connections. With TLS it also completes
// a verified handshake; with Send it writes bytes; with Expect it reads until
// the reply matches every pattern, and fails at once when it matches a
// Reject pattern (a server's error reply, on a connection it keeps open).
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
			tr.SetPartial(sanitize.Excerpt(buf, 60))
			tr.SetReply(sanitize.Excerpt(buf, 200))
		}
		for _, re := range t.Reject {
			if loc := re.FindIndex(buf); loc != nil {
				return "", &ReplyError{Pattern: re, Reject: true, Excerpt: sanitize.Excerpt(buf[loc[0]:], 60)}
			}
		}
		missing := t.unmatched(buf)
		if missing == nil {
			tr.Finish()
			return "reply matched --expect", nil
		}
		if len(buf) >= max {
			return "", &ReplyError{Pattern: missing, Read: Size(len(buf)), Excerpt: sanitize.Excerpt(buf, 60)}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", &ReplyError{Pattern: missing, Closed: true, Excerpt: sanitize.Excerpt(buf, 60)}
			}
			if IsTimeout(err) || ctx.Err() != nil {
				return "", context.DeadlineExceeded
			}
			return "", t.ioError(ctx, "read", err)
		}
	}
}

// unmatched returns the first Expect pattern that buf does not match yet.
func (t TCP) unmatched(buf []byte) *regexp.Regexp {
	for _, re := range t.Expect {
		if !re.Match(buf) {
			return re
		}
	}
	return nil
}

func (t TCP) ioError(ctx context.Context, op string, err error) error {
	if IsTimeout(err) || ctx.Err() != nil {
		return context.DeadlineExceeded
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		err = opErr.Err
	}
	return fmt.Errorf("%s: %s", op, strings.TrimPrefix(err.Error(), op+": "))
}

// Unescape turns the escape sequences of --send into bytes: \r, \n, \t, \0,
// \\, \xHH and the other Go escapes.
func Unescape(s string) ([]byte, error) {
	var out []byte
	for len(s) > 0 {
		if s[0] != '\\' {
			// Bytes pass through as they are, even when they are not UTF-8.
			out, s = append(out, s[0]), s[1:]
			continue
		}
		if len(s) > 1 && s[1] == '0' && (len(s) == 2 || s[2] < '0' || s[2] > '7') {
			out, s = append(out, 0), s[2:]
			continue
		}
		r, multibyte, tail, err := strconv.UnquoteChar(s, 0)
		if err != nil {
			bad := s
			if len(bad) > 4 {
				bad = bad[:4]
			}
			return nil, fmt.Errorf("invalid escape sequence %q: use \\r, \\n, \\t, \\0, \\\\ or \\xHH", bad)
		}
		if multibyte {
			out = append(out, string(r)...)
		} else {
			out = append(out, byte(r))
		}
		s = tail
	}
	return out, nil
}
