package checks

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/probe-sh/probe/internal/sanitize"
)

// MySQL checks that a MySQL or MariaDB server greets new connections: on
// connect the server sends its handshake (protocol 10, with its version),
// or an error packet when it cannot take the connection (too many
// connections, a host it blocks). No login is made.
type MySQL struct {
	Host, Port string
	Socket     string // a Unix socket to connect to, in place of Host:Port
}

// Run reads the greeting.
func (m MySQL) Run(ctx context.Context, tr *Trace) (string, error) {
	c, err := dialConversation(ctx, tr, m.Socket, m.Host, m.Port, nil, 0)
	if err != nil {
		return "", err
	}
	defer c.Close()
	tr.Enter(PhaseReply)
	head := make([]byte, 4)
	if err := c.readFull(head); err != nil {
		return "", err
	}
	n := int(head[0]) | int(head[1])<<8 | int(head[2])<<16
	if n == 0 || n > 16<<10 || head[3] != 0 { // the greeting is packet 0
		return "", fmt.Errorf("not a MySQL server: it answered %s", sanitize.Excerpt(c.seen, 40))
	}
	payload := make([]byte, n)
	if err := c.readFull(payload); err != nil {
		return "", err
	}
	tr.Finish()
	switch payload[0] {
	case 0x0a:
		// Protocol 10: the version ending in a zero byte, the connection
		// id (4 bytes), the first 8 bytes of the scramble, a zero byte,
		// the capabilities (2 bytes), then more a check does not need.
		end := bytes.IndexByte(payload[1:], 0)
		if end <= 0 || len(payload) < 1+end+1+4+8+1+2 || payload[1+end+1+4+8] != 0 {
			return "", fmt.Errorf("not a MySQL greeting: protocol 10, but not its handshake: %s", sanitize.Excerpt(c.seen, 40))
		}
		version := string(payload[1 : 1+end])
		// MariaDB puts "5.5.5-" first, for clients that compare versions.
		return "greeting from " + sanitize.Printable(sanitize.Clip(strings.TrimPrefix(version, "5.5.5-"), 80)), nil
	case 0xff: // an error packet: code, then #SQLSTATE, then the message
		if len(payload) < 3 {
			return "", &ServerError{Msg: "the server sent an error packet with no error"}
		}
		code := binary.LittleEndian.Uint16(payload[1:3])
		msg := payload[3:]
		if len(msg) > 6 && msg[0] == '#' {
			msg = msg[6:]
		}
		return "", &ServerError{Msg: fmt.Sprintf("the server refused the connection: %s (error %d)", sanitize.Printable(sanitize.Clip(string(msg), 160)), code)}
	}
	return "", fmt.Errorf("not a MySQL greeting (protocol %d): %s", payload[0], sanitize.Excerpt(c.seen, 40))
}
