package checks

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/probe-sh/probe/internal/sanitize"
)

// The database and queue checks (postgres.go, redis.go, mysql.go,
// memcached.go, amqp.go) speak just enough of each protocol to tell a
// server that is ready from one that is starting, full or refusing, with no
// driver. They share a conversation: one connection, under the run's
// deadline, whose replies are read with a bound and recorded as they come.

// PhaseReply is waiting for a server's reply to what was sent, or for its
// greeting.
const PhaseReply = "reply"

// conversation is one connection to a server, bounded by the run's
// deadline: a read past it fails, and ctx ending closes the connection.
type conversation struct {
	ctx  context.Context
	tr   *Trace
	conn net.Conn
	r    *bufio.Reader
	seen []byte // what the server sent, for -v and timeouts
	stop func() bool
}

// dialConversation connects to the Unix socket, or else to host:port, with
// TLS when cfg is not nil.
func dialConversation(ctx context.Context, tr *Trace, socket, host, port string, cfg *tls.Config, expiry time.Duration) (*conversation, error) {
	conn, err := dialTo(ctx, tr, socket, host, port)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(deadline(ctx))
	// The socket's close, not conn's: conn becomes the TLS connection.
	sock := conn
	stop := context.AfterFunc(ctx, func() { sock.Close() })
	if cfg != nil {
		tc, err := handshake(ctx, tr, conn, cfg, host, expiry)
		if err != nil {
			stop()
			conn.Close()
			return nil, err
		}
		conn = tc
	}
	c := &conversation{ctx: ctx, tr: tr, conn: conn, stop: stop}
	c.r = bufio.NewReaderSize(readRecorder{c}, 4096)
	return c, nil
}

func (c *conversation) Close() {
	c.stop()
	c.conn.Close()
}

// readRecorder records what the server sends, as it comes, so that a
// timeout reports it.
type readRecorder struct{ c *conversation }

func (r readRecorder) Read(p []byte) (int, error) {
	n, err := r.c.conn.Read(p)
	if n > 0 && len(r.c.seen) < 512 {
		r.c.seen = append(r.c.seen, p[:min(n, 512-len(r.c.seen))]...)
		r.c.tr.SetPartial(sanitize.Excerpt(r.c.seen, 60))
		r.c.tr.SetReply(sanitize.Excerpt(r.c.seen, 200))
	}
	return n, err
}

// send writes b, and enters the phase of waiting for the reply.
func (c *conversation) send(b []byte) error {
	c.tr.Enter(PhaseReply)
	if _, err := c.conn.Write(b); err != nil {
		return c.ioError("send", err)
	}
	return nil
}

// readFull reads exactly len(b) bytes.
func (c *conversation) readFull(b []byte) error {
	c.tr.Enter(PhaseReply)
	if _, err := io.ReadFull(c.r, b); err != nil {
		return c.ioError("read", err)
	}
	return nil
}

// readLine reads a line ending in \r\n (or \n), without it, at most max
// bytes.
func (c *conversation) readLine(max int) (string, error) {
	c.tr.Enter(PhaseReply)
	var line []byte
	for {
		chunk, err := c.r.ReadSlice('\n')
		line = append(line, chunk...)
		if err == nil {
			return strings.TrimRight(string(line), "\r\n"), nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", c.ioError("read", err)
		}
		if len(line) > max {
			return "", &ProtocolError{Msg: fmt.Sprintf("a reply line longer than %s: %s", Size(max), sanitize.Excerpt(line, 60))}
		}
	}
}

// ioError names what failed: the deadline (the engine names the phase),
// the server closing the connection, or the socket's own error.
func (c *conversation) ioError(op string, err error) error {
	if IsTimeout(err) || c.ctx.Err() != nil {
		return context.DeadlineExceeded
	}
	closed := "closed"
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		closed = "reset"
	}
	if closed == "reset" || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		if len(c.seen) == 0 {
			return &ConnError{Op: op, Msg: "the server " + closed + " the connection without a word", Err: err}
		}
		return &ConnError{Op: op, Msg: fmt.Sprintf("the server %s the connection after %s", closed, sanitize.Excerpt(c.seen, 60)), Err: err}
	}
	cause := err
	var op2 *net.OpError
	if errors.As(err, &op2) {
		cause = op2.Err
	}
	return &ConnError{Op: op, Msg: op + ": " + strings.TrimPrefix(cause.Error(), op+": "), Err: err}
}

// upgradeTLS runs the TLS handshake on the connection, for a protocol that
// begins in the clear (NATS, after its INFO): what follows is read and
// written through TLS.
func (c *conversation) upgradeTLS(ctx context.Context, cfg *tls.Config, host string, expiry time.Duration) error {
	if c.r.Buffered() > 0 {
		return &ProtocolError{Msg: fmt.Sprintf("the server sent more before the TLS handshake: %s", sanitize.Excerpt(c.seen, 60))}
	}
	tc, err := handshake(ctx, c.tr, c.conn, cfg, host, expiry)
	if err != nil {
		return err
	}
	c.conn = tc
	c.r = bufio.NewReaderSize(readRecorder{c}, 4096)
	return nil
}
