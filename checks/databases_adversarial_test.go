package checks_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/probe-sh/probe/checks"
)

// hostile is a server that runs serve on each connection it accepts, and
// closes the connection when serve returns or the test ends.
func hostile(t *testing.T, serve func(c net.Conn)) (string, string) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	return host, port
}

// reply reads n bytes (a line when n is -1), writes b, and holds the
// connection until the client closes it.
func reply(n int, b []byte) func(net.Conn) {
	return func(c net.Conn) {
		readFirst(c, n)
		c.Write(b)
		io.Copy(io.Discard, c)
	}
}

func readFirst(c net.Conn, n int) {
	switch {
	case n == -3: // a Kafka request: its size, then that many bytes
		var h [4]byte
		if _, err := io.ReadFull(c, h[:]); err == nil {
			io.ReadFull(c, make([]byte, binary.BigEndian.Uint32(h[:])))
		}
	case n == -2: // an MQTT packet: its type, its length, then that many bytes
		var h [2]byte
		if _, err := io.ReadFull(c, h[:]); err == nil {
			io.ReadFull(c, make([]byte, h[1]))
		}
	case n > 0:
		io.ReadFull(c, make([]byte, n))
	case n < 0:
		var b [1]byte
		for {
			if _, err := c.Read(b[:]); err != nil || b[0] == '\n' {
				return
			}
		}
	}
}

// drip sends b a byte every 50 ms.
func drip(n int, b []byte) func(net.Conn) {
	return func(c net.Conn) {
		readFirst(c, n)
		for i := range b {
			if _, err := c.Write(b[i : i+1]); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		io.Copy(io.Discard, c)
	}
}

// endless sends b again and again until the client goes.
func endless(n int, b []byte) func(net.Conn) {
	return func(c net.Conn) {
		readFirst(c, n)
		for {
			if _, err := c.Write(b); err != nil {
				return
			}
		}
	}
}

// mysqlThen greets as MariaDB does, reads the login, then sends answer, and
// holds the connection, or closes it.
func mysqlThen(answer []byte, close bool) func(net.Conn) {
	return func(c net.Conn) {
		c.Write(mysqlPacket(mysqlGreeting("5.5.5-10.11.19-MariaDB")))
		var h [4]byte
		if _, err := io.ReadFull(c, h[:]); err != nil {
			return
		}
		io.ReadFull(c, make([]byte, int(h[0])|int(h[1])<<8|int(h[2])<<16))
		c.Write(answer)
		if !close {
			io.Copy(io.Discard, c)
		}
	}
}

// mysqlDrip greets, reads the login, then sends answer a byte every 50 ms.
func mysqlDrip(answer []byte) func(net.Conn) {
	return func(c net.Conn) {
		mysqlThen(nil, true)(c)
		for i := range answer {
			if _, err := c.Write(answer[i : i+1]); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		io.Copy(io.Discard, c)
	}
}

// amqpAfterStartOK offers PLAIN, reads the client's Start-Ok, sends answer,
// and holds the connection.
func amqpAfterStartOK(answer []byte) func(net.Conn) {
	return func(c net.Conn) {
		readFirst(c, 8)
		c.Write(amqpStartWith("PLAIN"))
		var h [7]byte
		if _, err := io.ReadFull(c, h[:]); err != nil {
			return
		}
		io.ReadFull(c, make([]byte, binary.BigEndian.Uint32(h[3:])+1))
		c.Write(answer)
		io.Copy(io.Discard, c)
	}
}

func amqpUser(host, port string) checker { return &checks.AMQP{Host: host, Port: port, User: "app"} }

// endlessAfter sends first, then b again and again until the client goes.
func endlessAfter(n int, first, b []byte) func(net.Conn) {
	return func(c net.Conn) {
		readFirst(c, n)
		if _, err := c.Write(first); err != nil {
			return
		}
		for {
			if _, err := c.Write(b); err != nil {
				return
			}
		}
	}
}

// closeAfter writes b and closes the connection.
func closeAfter(n int, b []byte) func(net.Conn) {
	return func(c net.Conn) {
		readFirst(c, n)
		c.Write(b)
	}
}

// TestDatabasesAdversarial: hostile Postgres, MySQL, Redis, memcached and
// AMQP servers (partial greetings, huge length fields, endless data, another
// protocol's greeting, errors with escape sequences). Each must fail, in one
// printable line, within the deadline (500 ms) plus a little, without a
// panic; none may be reported healthy.
func TestDatabasesAdversarial(t *testing.T) {
	t.Parallel()
	// A MariaDB greeting of 82 bytes: its first byte is 'R', as a
	// PostgreSQL authentication request's is.
	version := "5.5.5-10.11.6-MariaDB-0+deb12u1"
	for len(mysqlGreeting(version)) < 82 {
		version += "x"
	}
	maria := mysqlPacket(mysqlGreeting(version)[:82])
	if maria[0] != 'R' {
		t.Fatalf("the MariaDB greeting starts with %q", maria[0])
	}
	escape := "\x1b[2J\x1b]0;pwned\x07\r\nfake line\u202e"
	amqpFrame := func(payload []byte, end byte) []byte {
		f := []byte{1, 0, 0, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(f[3:], uint32(len(payload)))
		return append(append(f, payload...), end)
	}
	for _, tc := range []struct {
		name  string
		check func(host, port string) checker
		serve func(net.Conn)
		err   string
	}{
		// Postgres, after the 8-byte length and version of the startup message.
		{"pg: a MariaDB greeting", pg, reply(8, maria), "not a PostgreSQL reply: an authentication request that is not one"},
		{"pg: a MySQL 8 greeting", pg, reply(8, mysqlPacket(mysqlGreeting("8.0.36"))), "not a PostgreSQL"},
		{"pg: an authentication code it does not know", pg, reply(8, pgMessage('R', []byte{0, 0, 0x30, 0x39})), "not one"},
		{"pg: MD5 without its salt", pg, reply(8, pgMessage('R', []byte{0, 0, 0, 5})), "not one"},
		{"pg: SASL without mechanisms", pg, reply(8, pgMessage('R', []byte{0, 0, 0, 10, 0})), "not one"},
		{"pg: ok with more after it", pg, reply(8, pgMessage('R', []byte{0, 0, 0, 0, 1})), "not one"},
		{"pg: a length of 2 GiB", pg, reply(8, []byte{'R', 0x7f, 0xff, 0xff, 0xff}), "a PostgreSQL message of 2147483647 bytes"},
		{"pg: a length below its own", pg, reply(8, []byte{'R', 0, 0, 0, 2}), "a PostgreSQL message of 2 bytes"},
		{"pg: a header, then the end", pg, closeAfter(8, []byte{'R', 0, 0, 0, 12, 0, 0}), "the connection after"},
		{"pg: an error without a SQLSTATE", pg, reply(8, pgMessage('E', []byte("SFATAL\x00Mno state\x00\x00"))), "an error without a SQLSTATE"},
		{"pg: an error with escapes", pg, reply(8, pgError("57P03", escape)), `not accepting connections: \x1b[2J`},
		{"pg: endless notices", pg, endless(8, pgMessage('N', []byte("SNOTICE\x00Mhello\x00\x00"))), "not a PostgreSQL server: 256 messages (5376B) without the end of the login"},
		// After AuthenticationOk: ParameterStatus, BackendKeyData and notices
		// until ReadyForQuery or an ErrorResponse, within bounds.
		{"pg: ok, then endless ParameterStatus", pg, endlessAfter(8, pgMessage('R', []byte{0, 0, 0, 0}), pgStatus("x", "y")), "not a PostgreSQL server: 256 messages"},
		{"pg: ok, then large ParameterStatus up to the bound", pg, endlessAfter(8, pgMessage('R', []byte{0, 0, 0, 0}), pgStatus("x", strings.Repeat("y", 40<<10))), "not a PostgreSQL server: 3 messages (81945B) without the end of the login"},
		{"pg: ok, then silence: no ReadyForQuery", pg, reply(8, append(pgMessage('R', []byte{0, 0, 0, 0}), pgStatus("server_version", "15.18")...)), "deadline"},
		{"pg: ok, then a length of 2 GiB", pg, reply(8, append(pgMessage('R', []byte{0, 0, 0, 0}), 'S', 0x7f, 0xff, 0xff, 0xff)), "a PostgreSQL message of 2147483647 bytes"},
		{"pg: ok, then a data row", pg, reply(8, append(pgMessage('R', []byte{0, 0, 0, 0}), pgMessage('D', []byte{0, 0})...)), `not a PostgreSQL reply: message "D" after AuthenticationOk`},
		{"pg: ok, then a ParameterStatus without its end", pg, reply(8, append(pgMessage('R', []byte{0, 0, 0, 0}), pgMessage('S', []byte("server_version"))...)), "a ParameterStatus that is not one"},
		{"pg: ok, then an error with escapes", pg, reply(8, append(pgMessage('R', []byte{0, 0, 0, 0}), pgError("28000", escape)...)), `refused the login of user postgres to database postgres: \x1b[2J`},
		{"pg: ok, then an error without a SQLSTATE", pg, reply(8, append(pgMessage('R', []byte{0, 0, 0, 0}), pgMessage('E', []byte("SFATAL\x00Mno state\x00\x00"))...)), "an error without a SQLSTATE"},
		{"pg: ok, then ReadyForQuery a byte at a time", pg, drip(8, pgLogin()), "deadline"},
		{"pg: ok, then the end", pg, closeAfter(8, append(pgMessage('R', []byte{0, 0, 0, 0}), pgStatus("server_version", "15.18")...)), "the connection after"},
		{"pg: a reply a byte at a time", pg, drip(8, pgMessage('R', []byte{0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})), "deadline"},
		{"pg: silence", pg, reply(8, nil), "deadline"},
		{"pg: an HTTP server", pg, reply(8, []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")), "not a PostgreSQL server"},
		{"pg: one byte, then silence", pg, reply(8, []byte("N")), "deadline"},

		// MySQL speaks first.
		{"mysql: a 1-byte greeting", mysql, reply(0, mysqlPacket([]byte{0x0a})), "not a MySQL greeting"},
		{"mysql: a version with no end", mysql, reply(0, mysqlPacket(append([]byte{0x0a}, "8.0.36-no-zero-byte"...))), "not a MySQL greeting"},
		{"mysql: an empty version", mysql, reply(0, mysqlPacket(mysqlGreeting(""))), "not a MySQL greeting"},
		{"mysql: no filler after the scramble", mysql, reply(0, mysqlPacket(bytes.Replace(mysqlGreeting("8.0"), []byte("abcdefgh\x00"), []byte("abcdefghX"), 1))), "not a MySQL greeting"},
		{"mysql: packet 1 first", mysql, reply(0, append([]byte{byte(len(mysqlGreeting("8.0"))), 0, 0, 1}, mysqlGreeting("8.0")...)), "not a MySQL server"},
		{"mysql: a length of 16 MiB", mysql, reply(0, []byte{0xff, 0xff, 0xff, 0}), "not a MySQL server"},
		{"mysql: a greeting cut short", mysql, closeAfter(0, mysqlPacket(mysqlGreeting("8.0.36"))[:20]), "the connection after"},
		{"mysql: an error packet with no error", mysql, reply(0, mysqlPacket([]byte{0xff, 1})), "an error packet with no error"},
		{"mysql: an error with escapes", mysql, reply(0, mysqlPacket(append([]byte{0xff, 0x10, 0x04}, "#08004"+escape...))), `refused the connection: \x1b[2J`},
		{"mysql: a PostgreSQL error, shorter than the length it reads as", mysql, reply(0, pgError("57P03", "starting")), "deadline"},
		{"mysql: protocol 9", mysql, reply(0, mysqlPacket(append([]byte{9}, "4.0\x00"...))), "not a MySQL greeting (protocol 9)"},
		{"mysql: a greeting a byte at a time", mysql, drip(0, mysqlPacket(mysqlGreeting("8.0.36"))), "deadline"},
		// MySQL, after the login: the answer must be packet 2, short, and one
		// of AuthSwitchRequest, AuthMoreData, OK or an error.
		{"mysql: silence after the login", mysql, mysqlThen(nil, false), "deadline"},
		{"mysql: the end after the login", mysql, mysqlThen(nil, true), "the server closed the connection after"},
		{"mysql: an answer of 16 MiB", mysql, mysqlThen([]byte{0xff, 0xff, 0xff, 2}, false), "not a MySQL server"},
		{"mysql: an answer that is packet 0", mysql, mysqlThen(mysqlPacket([]byte{0}), false), "not a MySQL reply: packet 0 in answer to the login"},
		{"mysql: an answer of another kind", mysql, mysqlThen(mysqlAnswer([]byte("HTTP/1.1 400")), false), `not a MySQL reply to a login: "HTTP/1.1 400"`},
		{"mysql: an error with escapes after the login", mysql, mysqlThen(mysqlErr(1045, escape), false), `refused the login of user root: \x1b[2J`},
		{"mysql: an error with no error after the login", mysql, mysqlThen(mysqlAnswer([]byte{0xff, 1}), false), "an error packet with no error"},
		{"mysql: an answer a byte at a time", mysql, mysqlDrip(mysqlSwitch), "deadline"},

		// Redis: PING.
		{"redis: PONG and more", redis(""), reply(-1, []byte("+PONGX\r\n")), "+PONGX"},
		{"redis: a line without an end", redis(""), endless(-1, bytes.Repeat([]byte("A"), 4096)), "a reply line longer than 4KiB"},
		{"redis: an error with escapes", redis(""), reply(-1, []byte("-ERR "+strings.ReplaceAll(escape, "\r\n", "")+"\r\n")), `-ERR \x1b[2J`},
		{"redis: a bulk string for PONG", redis(""), reply(-1, []byte("$4\r\nPONG\r\n")), "not a Redis server"},
		{"redis: memcached", redis(""), reply(-1, []byte("ERROR\r\n")), "not a Redis server"},
		{"redis: OK to AUTH, nothing to PING", redis("pw"), closeAfter(-1, []byte("+OK\r\n")), "the connection after"},
		{"redis: the end mid-line", redis(""), closeAfter(-1, []byte("+PO")), "the connection after"},

		// memcached: version.
		{"memcached: VERSION with no space", memcached, reply(-1, []byte("VERSION\r\n")), "not a memcached server"},
		{"memcached: a Redis reply", memcached, reply(-1, []byte("-ERR unknown command 'version'\r\n")), "not a memcached server"},
		{"memcached: endless", memcached, endless(-1, bytes.Repeat([]byte("VERSION "), 512)), "a reply line longer than 1KiB"},
		{"memcached: silence", memcached, reply(-1, nil), "deadline"},

		// NATS speaks first: INFO, then the reply to CONNECT and PING.
		{"nats: an SSH server", nats, reply(0, []byte("SSH-2.0-OpenSSH_9.2\r\n")), "not a NATS server: it did not begin with INFO"},
		{"nats: INFO that is not JSON", nats, reply(0, []byte("INFO {nope\r\n")), "not a NATS server: its INFO is not JSON"},
		{"nats: lame duck mode", nats, natsServer(`{"ldm":true}`, "PONG\r\n"), "lame duck mode: the server is shutting down"},
		{"nats: an authorization violation", nats, natsServer(`{"auth_required":true}`, "-ERR 'Authorization Violation'\r\n"), "-ERR Authorization Violation"},
		{"nats: an error with escapes", nats, natsServer(`{}`, "-ERR '"+strings.ReplaceAll(escape, "\r\n", "")+"'\r\n"), `-ERR \x1b[2J`},
		{"nats: +OK forever", nats, natsServer(`{}`, strings.Repeat("+OK\r\n", 100)), "no PONG among the first replies"},
		{"nats: another reply", nats, natsServer(`{}`, "MSG x 1 2\r\nhi\r\n"), "not the reply to PING"},
		{"nats: INFO without end", nats, endless(0, bytes.Repeat([]byte("INFO "), 4096)), "a reply line longer than 64KiB"},
		{"nats: INFO, then the end", nats, closeAfter(0, []byte("INFO {}\r\n")), "the connection after"},
		{"nats: TLS required, then none", nats, natsServer(`{"tls_required":true}`, "PONG\r\n"), "deadline"},

		// MQTT: CONNECT, then CONNACK.
		{"mqtt: not authorized", mqtt, reply(-2, []byte{0x20, 2, 0, 5}), "CONNACK refused the connection: not authorized (code 5)"},
		{"mqtt: server unavailable", mqtt, reply(-2, []byte{0x20, 2, 0, 3}), "server unavailable: the broker takes no clients now (code 3)"},
		{"mqtt: a return code of MQTT 5", mqtt, reply(-2, []byte{0x20, 2, 0, 0x87}), "not an MQTT 3.1.1 broker: CONNACK with return code 135"},
		{"mqtt: flags it cannot have", mqtt, reply(-2, []byte{0x20, 2, 0xfe, 0}), "not an MQTT 3.1.1 broker: CONNACK with flags 0xfe"},
		{"mqtt: a CONNACK of 3 bytes", mqtt, reply(-2, []byte{0x20, 3, 0, 0, 0}), "not an MQTT broker"},
		{"mqtt: an HTTP server", mqtt, reply(-2, []byte("HTTP/1.1 400 Bad Request\r\n\r\n")), "not an MQTT broker"},
		{"mqtt: CONNACK cut short", mqtt, closeAfter(-2, []byte{0x20, 2, 0}), "the connection after"},
		{"mqtt: silence", mqtt, reply(-2, nil), "deadline"},

		// AMQP, after the 8-byte protocol header.
		{"amqp: a Connection.Start of 4 bytes", amqp, reply(8, amqpFrame([]byte{0, 10, 0, 10}, 0xce)), "a Connection.Start of 4 bytes, cut short"},
		{"amqp: a frame that does not end", amqp, reply(8, amqpFrame(amqpStart()[7:len(amqpStart())-1], 0x00)), "does not end as a frame does"},
		{"amqp: a frame of 3 bytes", amqp, reply(8, amqpFrame([]byte{0, 10, 0}, 0xce)), "not an AMQP broker"},
		{"amqp: a frame of 4 GiB", amqp, reply(8, []byte{1, 0, 0, 0xff, 0xff, 0xff, 0xff}), "not an AMQP broker"},
		{"amqp: a heartbeat first", amqp, reply(8, []byte{8, 0, 0, 0, 0, 0, 0, 0xce}), "not an AMQP broker"},
		{"amqp: another method", amqp, reply(8, amqpFrame([]byte{0, 10, 0, 50, 0, 0}, 0xce)), "not Connection.Start (class 10, method 50)"},
		{"amqp: the end mid-frame", amqp, closeAfter(8, amqpStart()[:20]), "the connection after"},
		{"amqp: an HTTP server", amqp, reply(8, []byte("HTTP/1.1 400 Bad Request\r\n\r\n")), "not an AMQP broker"},
		// AMQP, logging in: the broker's answers to Start-Ok.
		{"amqp: a refusal with escapes", amqpUser, amqpAfterStartOK(amqpClose(403, escape)), `refused the login of user app: \x1b[2J`},
		{"amqp: a Connection.Close cut short", amqpUser, amqpAfterStartOK(amqpMethodFrame(10, 50, []byte{1, 147, 200})), "a Connection.Close of 3 bytes"},
		{"amqp: a frame of 4 GiB after Start-Ok", amqpUser, amqpAfterStartOK([]byte{1, 0, 0, 0xff, 0xff, 0xff, 0xff}), "not an AMQP broker"},
		{"amqp: a frame of type 9", amqpUser, amqpAfterStartOK([]byte{9, 0, 0, 0, 0, 0, 0, 0xce}), "not an AMQP broker"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			host, port := hostile(t, tc.serve)
			start := time.Now()
			seen, err := run(t, tc.check(host, port))
			took := time.Since(start)
			if err == nil {
				t.Fatalf("healthy (%q), want an error with %q", seen, tc.err)
			}
			msg := err.Error()
			if checks.IsTimeout(err) {
				msg = "deadline"
			}
			if !strings.Contains(msg, tc.err) {
				t.Errorf("error %q, want %q", msg, tc.err)
			}
			if i := strings.IndexFunc(msg, func(r rune) bool { return !unicode.IsPrint(r) }); i >= 0 {
				t.Errorf("the error holds an unprintable character at %d: %q", i, msg)
			}
			if took > 700*time.Millisecond {
				t.Errorf("took %s, with a deadline of 500 ms", took)
			}
		})
	}
}

// natsServer sends INFO with info, waits for PING, then sends after.
func natsServer(info, after string) func(net.Conn) {
	return func(c net.Conn) {
		c.Write([]byte("INFO " + info + "\r\n"))
		var got []byte
		b := make([]byte, 512)
		for !bytes.Contains(got, []byte("PING\r\n")) {
			n, err := c.Read(b)
			if err != nil {
				return
			}
			got = append(got, b[:n]...)
		}
		c.Write([]byte(after))
		io.Copy(io.Discard, c)
	}
}
