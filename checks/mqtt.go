package checks

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/probe-sh/probe/internal/sanitize"
)

// MQTT checks that an MQTT broker (Mosquitto, EMQX, HiveMQ...) takes
// clients: it sends CONNECT (MQTT 3.1.1, a clean session, the credentials
// given) and reads CONNACK, whose return code says accepted or why not,
// then disconnects. A CONNACK that says a session is present, for a clean
// session, breaks the protocol, and fails.
type MQTT struct {
	Host, Port string
	Socket     string      // a Unix socket to connect to, in place of Host:Port
	User, Pass string      // CONNECT's user name and password, when given
	TLS        *tls.Config // mqtts://
	CertExpiry time.Duration
}

// mqttRefusals are CONNACK's return codes, MQTT 3.1.1 section 3.2.2.3: an
// array, not a map, so that nothing is built at every start.
var mqttRefusals = [...]string{
	1: "the broker does not take MQTT 3.1.1 (unacceptable protocol version)",
	2: "the broker refused the client identifier",
	3: "server unavailable: the broker takes no clients now",
	4: "bad user name or password",
	5: "not authorized",
}

// Run connects, reads CONNACK and disconnects.
func (m MQTT) Run(ctx context.Context, tr *Trace) (string, error) {
	c, err := dialConversation(ctx, tr, m.Socket, m.Host, m.Port, m.TLS, m.CertExpiry)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.send(mqttConnect(m.User, m.Pass)); err != nil {
		return "", err
	}
	head := make([]byte, 4)
	if err := c.readFull(head[:2]); err != nil {
		return "", err
	}
	if head[0] != 0x20 || head[1] != 2 {
		return "", notProtocol("not an MQTT broker: the reply to CONNECT is not CONNACK: %s", sanitize.Excerpt(c.seen, 40))
	}
	if err := c.readFull(head[2:]); err != nil {
		return "", err
	}
	tr.Finish()
	_ = c.send([]byte{0xe0, 0}) // DISCONNECT, politely
	if code := head[3]; code != 0 {
		why := ""
		if int(code) < len(mqttRefusals) {
			why = mqttRefusals[code]
		}
		if why == "" {
			return "", notProtocol("not an MQTT 3.1.1 broker: CONNACK with return code %d", code)
		}
		return "", &ServerError{Code: strconv.Itoa(int(code)), Msg: fmt.Sprintf("CONNACK refused the connection: %s (code %d)", why, code)}
	}
	switch flags := head[2]; {
	case flags == 1: // MQTT 3.1.1 section 3.2.2.2: 0 for a clean session
		return "", notProtocol("not an MQTT 3.1.1 broker: CONNACK says a session is present, though probe asked for a clean session")
	case flags != 0:
		return "", notProtocol("not an MQTT 3.1.1 broker: CONNACK with flags %#x", flags)
	}
	return "CONNACK: connection accepted", nil
}

// mqttConnect is CONNECT: protocol MQTT level 4 (3.1.1), a clean session, a
// keep-alive of 10 s, a client identifier of its own (a fixed one would
// take over another probe's session), then the credentials.
func mqttConnect(user, pass string) []byte {
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	flags := byte(0x02)
	payload := mqttString(nil, "probe-"+hex.EncodeToString(id))
	if user != "" {
		flags |= 0x80
		payload = mqttString(payload, user)
		if pass != "" {
			flags |= 0x40
			payload = mqttString(payload, pass)
		}
	}
	body := append(mqttString(nil, "MQTT"), 4, flags, 0, 10)
	body = append(body, payload...)
	out := []byte{0x10}
	for n := len(body); ; { // the remaining length, 7 bits a byte
		b := byte(n % 128)
		if n /= 128; n > 0 {
			b |= 0x80
		}
		out = append(out, b)
		if n == 0 {
			break
		}
	}
	return append(out, body...)
}

// mqttString appends s with its 2-byte length.
func mqttString(b []byte, s string) []byte {
	return append(append(b, byte(len(s)>>8), byte(len(s))), s...)
}
