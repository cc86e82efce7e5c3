package checks_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
)

// amqpMethodFrame is a method frame on channel 0.
func amqpMethodFrame(class, method uint16, args []byte) []byte {
	f := []byte{1, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(f[3:], uint32(4+len(args)))
	f = binary.BigEndian.AppendUint16(f, class)
	f = binary.BigEndian.AppendUint16(f, method)
	return append(append(f, args...), 0xce)
}

// amqpStartWith is RabbitMQ's Connection.Start, offering mechanisms.
func amqpStartWith(mechanisms string) []byte {
	start := amqpStart()
	payload := start[7 : len(start)-1]
	payload = binary.BigEndian.AppendUint32(payload, uint32(len(mechanisms)))
	payload = append(payload, mechanisms...)
	payload = append(payload, 0, 0, 0, 5)
	payload = append(payload, "en_US"...)
	return amqpMethodFrame(10, 10, payload[4:])
}

// amqpSession is what a scripted broker saw: the methods the client sent
// after the protocol header, as "class.method", the PLAIN response, the
// virtual host opened.
type amqpSession struct {
	methods       []string
	plain, vhost  string
	closedCleanly bool // the client waited for Close-Ok, and then closed
}

// amqpBroker answers the header with Connection.Start (offering
// mechanisms), then each method the client sends with answer(class,
// method), until the client closes the connection.
func amqpBroker(t *testing.T, mechanisms string, answer func(class, method uint16) []byte) (string, string, <-chan amqpSession) {
	t.Helper()
	sessions := make(chan amqpSession, 1)
	host, port := hostile(t, func(c net.Conn) {
		var s amqpSession
		defer func() { sessions <- s }()
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := io.ReadFull(c, make([]byte, 8)); err != nil {
			return
		}
		c.Write(amqpStartWith(mechanisms))
		for {
			var h [7]byte
			if _, err := io.ReadFull(c, h[:]); err != nil {
				s.closedCleanly = len(s.methods) > 0 && s.methods[len(s.methods)-1] == "10.50" && errors.Is(err, io.EOF)
				return
			}
			f := make([]byte, binary.BigEndian.Uint32(h[3:])+1)
			if _, err := io.ReadFull(c, f); err != nil || len(f) < 5 {
				return
			}
			class, method, args := binary.BigEndian.Uint16(f), binary.BigEndian.Uint16(f[2:]), f[4:len(f)-1]
			s.methods = append(s.methods, fmt.Sprintf("%d.%d", class, method))
			switch {
			case class == 10 && method == 11: // Start-Ok: a table, the mechanism, the response
				n := binary.BigEndian.Uint32(args)
				rest := args[4+n:]
				rest = rest[1+rest[0]:]
				s.plain = string(rest[4 : 4+binary.BigEndian.Uint32(rest)])
			case class == 10 && method == 40:
				s.vhost = string(args[1 : 1+args[0]])
			}
			c.Write(answer(class, method))
		}
	})
	return host, port, sessions
}

var (
	amqpTune      = amqpMethodFrame(10, 30, []byte{0x07, 0xff, 0, 2, 0, 0, 0, 60})
	amqpOpenOK    = amqpMethodFrame(10, 41, []byte{0})
	amqpCloseOK   = amqpMethodFrame(10, 51, nil)
	amqpHeartbeat = []byte{8, 0, 0, 0, 0, 0, 0, 0xce}
)

func amqpClose(code uint16, text string) []byte {
	args := binary.BigEndian.AppendUint16(nil, code)
	args = append(append(args, byte(len(text))), text...)
	return amqpMethodFrame(10, 50, append(args, 0, 10, 0, 11))
}

// rabbit answers as RabbitMQ does a login it lets in.
func rabbit(class, method uint16) []byte {
	switch {
	case class == 10 && method == 11:
		return amqpTune
	case class == 10 && method == 40:
		return amqpOpenOK
	case class == 10 && method == 50:
		return amqpCloseOK
	}
	return nil
}

// TestAMQPLogin: with a user, the check logs in as a client does (PLAIN,
// Tune-Ok, Open, Close), says "logged in" only after Open-Ok, and says
// what a broker that refuses said; without one, it stops at
// Connection.Start and claims no login.
func TestAMQPLogin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		check   checks.AMQP
		mechs   string
		answer  func(class, method uint16) []byte
		seen    string
		err     string
		methods string // what the client sent, in order
		plain   string
		vhost   string
		clean   bool
	}{
		{name: "no user: Connection.Start, no login", mechs: "AMQPLAIN PLAIN", answer: rabbit,
			seen: "Connection.Start, AMQP 0-9, RabbitMQ 3.10.8"},
		{name: "logged in", check: checks.AMQP{User: "app", Password: "s3cret"}, mechs: "AMQPLAIN PLAIN", answer: rabbit,
			seen:    "Connection.Start, AMQP 0-9, RabbitMQ 3.10.8; logged in as app to virtual host /",
			methods: "10.11 10.31 10.40 10.50", plain: "\x00app\x00s3cret", vhost: "/", clean: true},
		{name: "a virtual host", check: checks.AMQP{User: "app", VHost: "orders"}, mechs: "PLAIN", answer: rabbit,
			seen: "; logged in as app to virtual host orders", methods: "10.11 10.31 10.40 10.50", plain: "\x00app\x00", vhost: "orders", clean: true},
		{name: "heartbeats among the answers", check: checks.AMQP{User: "app"}, mechs: "PLAIN", answer: func(class, method uint16) []byte {
			return append(append([]byte{}, amqpHeartbeat...), rabbit(class, method)...)
		}, seen: "; logged in as app", methods: "10.11 10.31 10.40 10.50", plain: "\x00app\x00", vhost: "/", clean: true},
		{name: "the login refused", check: checks.AMQP{User: "app", Password: "wrong"}, mechs: "PLAIN", answer: func(class, method uint16) []byte {
			if method == 11 {
				return amqpClose(403, "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN.")
			}
			return nil
		}, err: "the broker is up, but refused the login of user app: ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. (403)",
			methods: "10.11 10.51", plain: "\x00app\x00wrong"},
		{name: "the virtual host refused", check: checks.AMQP{User: "app", VHost: "gone"}, mechs: "PLAIN", answer: func(class, method uint16) []byte {
			if method == 40 {
				return amqpClose(530, "NOT_ALLOWED - vhost gone not found")
			}
			return rabbit(class, method)
		}, err: "the broker is up, but refused user app the virtual host gone: NOT_ALLOWED - vhost gone not found (530)",
			methods: "10.11 10.31 10.40 10.51", plain: "\x00app\x00", vhost: "gone"},
		{name: "no PLAIN offered", check: checks.AMQP{User: "app"}, mechs: "EXTERNAL", answer: rabbit,
			err: `the broker offers no PLAIN login (it offers "EXTERNAL")`},
		{name: "another method in answer", check: checks.AMQP{User: "app"}, mechs: "PLAIN", answer: func(class, method uint16) []byte {
			return amqpMethodFrame(60, 60, nil)
		}, err: "not an AMQP broker: method 60.60 in answer to the login", methods: "10.11", plain: "\x00app\x00"},
		{name: "endless heartbeats", check: checks.AMQP{User: "app"}, mechs: "PLAIN", answer: func(class, method uint16) []byte {
			return bytes.Repeat(amqpHeartbeat, 100)
		}, err: "not an AMQP broker: 16 heartbeats and no method", methods: "10.11", plain: "\x00app\x00"},
		{name: "a frame on another channel", check: checks.AMQP{User: "app"}, mechs: "PLAIN", answer: func(class, method uint16) []byte {
			f := amqpMethodFrame(10, 30, []byte{0x07, 0xff, 0, 2, 0, 0, 0, 60})
			f[2] = 1
			return f
		}, err: "not an AMQP broker: a frame of type 1 on channel 1 during the login", methods: "10.11", plain: "\x00app\x00"},
		{name: "a Tune cut short", check: checks.AMQP{User: "app"}, mechs: "PLAIN", answer: func(class, method uint16) []byte {
			return amqpMethodFrame(10, 30, []byte{0})
		}, err: "not an AMQP broker: a Connection.Tune of 1 bytes", methods: "10.11", plain: "\x00app\x00"},
		{name: "silence after Start-Ok", check: checks.AMQP{User: "app"}, mechs: "PLAIN", answer: func(class, method uint16) []byte { return nil },
			err: "deadline", methods: "10.11", plain: "\x00app\x00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			host, port, sessions := amqpBroker(t, tc.mechs, tc.answer)
			c := tc.check
			c.Host, c.Port = host, port
			seen, err := run(t, c)
			switch {
			case tc.err == "deadline":
				if !checks.IsTimeout(err) {
					t.Fatalf("got %q, %v; want a timeout", seen, err)
				}
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %q, %v; want an error with %q", seen, err, tc.err)
				}
			case err != nil || !strings.Contains(seen, tc.seen):
				t.Fatalf("got %q, %v; want %q", seen, err, tc.seen)
			}
			s := <-sessions
			if got := strings.Join(s.methods, " "); got != tc.methods || s.plain != tc.plain || s.vhost != tc.vhost || s.closedCleanly != tc.clean {
				t.Errorf("the client sent %q (PLAIN %q, virtual host %q, closed after Close-Ok: %v); want %q (%q, %q, %v)",
					got, s.plain, s.vhost, s.closedCleanly, tc.methods, tc.plain, tc.vhost, tc.clean)
			}
		})
	}
}
