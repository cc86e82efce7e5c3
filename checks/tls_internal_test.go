package checks

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
)

// expired is a context past its deadline whose Done channel crypto/tls
// does not watch: the connection under the handshake closed before the
// handshake noticed the deadline, as when the deadline's own closer (the
// ctxConn, a check's AfterFunc) wins the race.
type expired struct{ context.Context }

func (expired) Done() <-chan struct{} { return nil }
func (expired) Err() error            { return context.DeadlineExceeded }

// TestHandshakeCutByTheDeadline: a handshake whose connection closed
// because the deadline came is a timeout, which the engine names in its
// phase ("timeout after 300ms in the TLS handshake"), not a TLS failure
// ("tls: use of closed network connection"; errors.txtar saw it at times).
func TestHandshakeCutByTheDeadline(t *testing.T) {
	client, server := net.Pipe()
	server.Close()
	client.Close()
	_, err := handshake(expired{context.Background()}, nil, client, &tls.Config{}, "x", 0)
	if !IsTimeout(err) {
		t.Fatalf("%v, want a timeout", err)
	}
}
