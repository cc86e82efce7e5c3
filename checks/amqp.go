package checks

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/probe-sh/probe/internal/sanitize"
)

// AMQP checks that an AMQP 0-9-1 broker (RabbitMQ) takes connections: it
// sends the protocol header, and a Connection.Start method in reply means
// the broker is up. A broker of another version answers with its own
// header.
type AMQP struct {
	Host, Port string
	Socket     string      // a Unix socket to connect to, in place of Host:Port
	TLS        *tls.Config // amqps://
	CertExpiry time.Duration
}

var amqpHeader = []byte("AMQP\x00\x00\x09\x01")

// Run opens the conversation and reads the broker's first frame.
func (a AMQP) Run(ctx context.Context, tr *Trace) (string, error) {
	c, err := dialConversation(ctx, tr, a.Socket, a.Host, a.Port, a.TLS, a.CertExpiry)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.send(amqpHeader); err != nil {
		return "", err
	}
	head := make([]byte, 7)
	if err := c.readFull(head); err != nil {
		return "", err
	}
	if bytes.HasPrefix(head, []byte("AMQP")) {
		rest := make([]byte, 1)
		_ = c.readFull(rest)
		return "", &ServerError{Msg: fmt.Sprintf("the broker speaks another AMQP version: it answered %s", sanitize.Excerpt(append(head, rest...), 8))}
	}
	size := binary.BigEndian.Uint32(head[3:])
	if head[0] != 1 || size < 4 || size > 64<<10 {
		return "", fmt.Errorf("not an AMQP broker: it answered %s", sanitize.Excerpt(c.seen, 40))
	}
	frame := make([]byte, size+1) // the payload, then the frame-end octet
	if err := c.readFull(frame); err != nil {
		return "", err
	}
	tr.Finish()
	payload := frame[:size]
	if frame[size] != 0xce {
		return "", fmt.Errorf("not an AMQP broker: its first frame does not end as a frame does: %s", sanitize.Excerpt(c.seen, 40))
	}
	class, method := binary.BigEndian.Uint16(payload), binary.BigEndian.Uint16(payload[2:])
	if class != 10 || method != 10 {
		return "", fmt.Errorf("the broker's first frame is not Connection.Start (class %d, method %d)", class, method)
	}
	// The versions, then the server-properties table (its length first),
	// the mechanisms and the locales.
	if len(payload) < 4+2+4 {
		return "", fmt.Errorf("not an AMQP broker: a Connection.Start of %d bytes, cut short", len(payload))
	}
	seen := fmt.Sprintf("Connection.Start, AMQP %d-%d", payload[4], payload[5])
	if props := amqpStrings(payload[6:]); props["product"] != "" {
		seen += ", " + sanitize.Printable(sanitize.Clip(props["product"]+" "+props["version"], 80))
	}
	return seen, nil
}

// amqpStrings reads the long strings of a field table (the broker's
// server-properties), skipping the other values; it stops at a type it does
// not know.
func amqpStrings(b []byte) map[string]string {
	out := map[string]string{}
	if len(b) < 4 {
		return out
	}
	n := int(binary.BigEndian.Uint32(b))
	if n > len(b)-4 {
		return out
	}
	b = b[4 : 4+n]
	fixed := map[byte]int{'t': 1, 'b': 1, 'B': 1, 's': 2, 'u': 2, 'I': 4, 'i': 4, 'f': 4, 'l': 8, 'L': 8, 'd': 8, 'T': 8, 'D': 5, 'V': 0}
	for len(b) > 0 {
		kl := int(b[0])
		if len(b) < 2+kl {
			return out
		}
		key, typ := string(b[1:1+kl]), b[1+kl]
		b = b[2+kl:]
		if size, ok := fixed[typ]; ok {
			if len(b) < size {
				return out
			}
			b = b[size:]
			continue
		}
		switch typ {
		case 'S', 'F', 'A', 'x':
			if len(b) < 4 {
				return out
			}
			vl := int(binary.BigEndian.Uint32(b))
			if vl > len(b)-4 {
				return out
			}
			if typ == 'S' {
				out[key] = string(b[4 : 4+vl])
			}
			b = b[4+vl:]
		default:
			return out
		}
	}
	return out
}
