package checks

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/wire/amqp"
)

// AMQP checks that an AMQP 0-9-1 broker (RabbitMQ) takes connections: it
// sends the protocol header, and a Connection.Start method in reply means
// the broker is up. A broker of another version answers with its own
// header.
//
// With a User, it then logs in as a client does (PLAIN): Start-Ok, Tune-Ok,
// Open of the virtual host, and Close once the broker says Open-Ok; a
// login or a virtual host the broker refuses is unhealthy, and said.
// RabbitMQ logs a connection that logs in and closes at info level only;
// one that leaves after Connection.Start, as a check without a user does,
// is a warning in its log ("client unexpectedly closed TCP connection"),
// and a login refused is an error.
type AMQP struct {
	Host, Port string
	Socket     string      // a Unix socket to connect to, in place of Host:Port
	TLS        *tls.Config // amqps://
	CertExpiry time.Duration
	User       string // log in as User, with Password; "" stops at Connection.Start
	Password   string
	VHost      string // the virtual host to open: "/" when empty
}

// The bound of the frames a login reads after Connection.Start
// (heartbeats among them).
const amqpMaxFrames = 16

// Run opens the conversation and reads the broker's first frame, then logs
// in when there is a user.
func (a AMQP) Run(ctx context.Context, tr *Trace) (string, error) {
	c, err := dialConversation(ctx, tr, a.Socket, a.Host, a.Port, a.TLS, a.CertExpiry)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.send(amqp.ProtocolHeader); err != nil {
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
	typ, payload, err := readAMQPFrame(c, head)
	if err != nil {
		return "", err
	}
	if typ != 1 {
		return "", notProtocol("not an AMQP broker: it answered %s", sanitize.Excerpt(c.seen, 40))
	}
	class, method := binary.BigEndian.Uint16(payload), binary.BigEndian.Uint16(payload[2:])
	if class != 10 || method != 10 {
		tr.Finish()
		return "", notProtocol("the broker's first frame is not Connection.Start (class %d, method %d)", class, method)
	}
	// The versions, then the server-properties table (its length first),
	// the mechanisms and the locales.
	if len(payload) < 4+2+4 {
		tr.Finish()
		return "", notProtocol("not an AMQP broker: a Connection.Start of %d bytes, cut short", len(payload))
	}
	seen := fmt.Sprintf("Connection.Start, AMQP %d-%d", payload[4], payload[5])
	if props := amqp.Strings(payload[6:]); props["product"] != "" {
		seen += ", " + sanitize.Printable(sanitize.Clip(props["product"]+" "+props["version"], 80))
	}
	if a.User == "" {
		tr.Finish()
		return seen, nil
	}
	if err := a.login(c, payload[6:]); err != nil {
		tr.Finish()
		return "", err
	}
	tr.Finish()
	return seen + "; logged in as " + sanitize.Printable(sanitize.Clip(a.User, 80)) + " to virtual host " + sanitize.Printable(sanitize.Clip(cmp.Or(a.VHost, "/"), 80)), nil
}

// readAMQPFrame reads the rest of a frame whose 7-byte header is head (the
// type, the channel, the payload's size): the payload, then the frame-end
// octet.
func readAMQPFrame(c *conversation, head []byte) (byte, []byte, error) {
	size := binary.BigEndian.Uint32(head[3:])
	if head[0] < 1 || head[0] > 8 || size > 64<<10 || head[0] == 1 && size < 4 {
		return 0, nil, notProtocol("not an AMQP broker: it answered %s", sanitize.Excerpt(c.seen, 40))
	}
	frame := make([]byte, size+1)
	if err := c.readFull(frame); err != nil {
		return 0, nil, err
	}
	if frame[size] != amqp.FrameEnd {
		return 0, nil, notProtocol("not an AMQP broker: a frame that does not end as a frame does: %s", sanitize.Excerpt(c.seen, 40))
	}
	return head[0], frame[:size], nil
}

// login answers Connection.Start (whose arguments after the versions are
// start) with PLAIN, tunes, opens the virtual host, and closes.
func (a AMQP) login(c *conversation, start []byte) error {
	user := sanitize.Printable(sanitize.Clip(a.User, 80))
	mechanisms := amqp.Mechanisms(start)
	if !slices.Contains(strings.Fields(mechanisms), "PLAIN") {
		return &ServerError{Msg: "the broker offers no PLAIN login (it offers " + sanitize.Excerpt([]byte(mechanisms), 60) + ")"}
	}
	// Start-Ok: the client's properties (a capability that makes the
	// broker say why a login is refused, instead of closing), the
	// mechanism, the response, the locale.
	var props []byte
	props = amqp.Field(props, "product", 'S', []byte("probe"))
	props = amqp.Field(props, "capabilities", 'F', amqp.Table(amqp.Field(nil, "authentication_failure_close", 't', []byte{1})))
	args := amqp.Table(props)
	args = amqp.Short(args, "PLAIN")
	args = amqp.Long(args, "\x00"+a.User+"\x00"+a.Password)
	args = amqp.Short(args, "en_US")
	if err := c.send(amqp.Method(10, 11, args)); err != nil {
		return err
	}
	for range amqpMaxFrames {
		class, method, args, err := readAMQPMethod(c)
		if err != nil {
			return err
		}
		switch {
		case class == 10 && method == 30: // Tune: channel-max, frame-max, heartbeat
			if len(args) < 8 {
				return notProtocol("not an AMQP broker: a Connection.Tune of %d bytes", len(args))
			}
			tuneOK := append(append([]byte{}, args[:6]...), 0, 0) // the broker's limits; no heartbeats
			open := amqp.Short(amqp.Short(nil, cmp.Or(a.VHost, "/")), "")
			if err := c.send(append(amqp.Method(10, 31, tuneOK), amqp.Method(10, 40, append(open, 0))...)); err != nil {
				return err
			}
		case class == 10 && method == 41: // Open-Ok: closing, as a client does
			if err := c.send(amqp.Method(10, 50, append(amqp.Short([]byte{0, 200}, "probe: checked"), 0, 0, 0, 0))); err != nil {
				return err
			}
			for range amqpMaxFrames {
				class, method, _, err := readAMQPMethod(c)
				if err != nil || class == 10 && method == 51 { // Close-Ok
					return nil // logged in: the broker's manners after that are not the check's
				}
			}
			return nil
		case class == 10 && method == 50: // Close: the broker refuses
			_, _ = c.conn.Write(amqp.Method(10, 51, nil))
			return amqpRefused(args, user, cmp.Or(a.VHost, "/"))
		default:
			return notProtocol("not an AMQP broker: method %d.%d in answer to the login", class, method)
		}
	}
	return notProtocol("not an AMQP broker: %d frames without an answer to the login", amqpMaxFrames)
}

// readAMQPMethod reads frames until a method frame on channel 0, skipping
// heartbeats, and returns its class, method and arguments.
func readAMQPMethod(c *conversation) (uint16, uint16, []byte, error) {
	for range amqpMaxFrames {
		head := make([]byte, 7)
		if err := c.readFull(head); err != nil {
			return 0, 0, nil, err
		}
		typ, payload, err := readAMQPFrame(c, head)
		if err != nil {
			return 0, 0, nil, err
		}
		if typ == 8 { // a heartbeat
			continue
		}
		if typ != 1 || head[1] != 0 || head[2] != 0 {
			return 0, 0, nil, notProtocol("not an AMQP broker: a frame of type %d on channel %d during the login", typ, binary.BigEndian.Uint16(head[1:]))
		}
		return binary.BigEndian.Uint16(payload), binary.BigEndian.Uint16(payload[2:]), payload[4:], nil
	}
	return 0, 0, nil, notProtocol("not an AMQP broker: %d heartbeats and no method", amqpMaxFrames)
}

// amqpRefused says what a Connection.Close means: its reply code and text.
func amqpRefused(args []byte, user, vhost string) error {
	if len(args) < 3 || len(args) < 3+int(args[2]) {
		return notProtocol("not an AMQP broker: a Connection.Close of %d bytes", len(args))
	}
	code := binary.BigEndian.Uint16(args)
	text := sanitize.Printable(sanitize.Clip(string(args[3:3+int(args[2])]), 160))
	switch code {
	case 403: // ACCESS_REFUSED: the login
		return &ServerError{Code: "403", Msg: "the broker is up, but refused the login of user " + user + ": " + text + " (403); check the user and password in the target's userinfo"}
	case 530: // NOT_ALLOWED: the virtual host
		return &ServerError{Code: "530", Msg: "the broker is up, but refused user " + user + " the virtual host " + vhost + ": " + text + " (530)"}
	}
	return &ServerError{Code: strconv.Itoa(int(code)), Msg: fmt.Sprintf("the broker closed the connection during the login: %s (%d)", text, code)}
}
