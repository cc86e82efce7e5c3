package checks_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/testserver"
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
		{"nats: PING forever", nats, natsServer(`{}`, strings.Repeat("PING\r\n", 100)), "no PONG among the first 16 replies"},
		{"nats: another reply", nats, natsServer(`{}`, "+OK\r\nSUB x 1\r\n"), `not the reply to CONNECT and PING: "SUB x 1"`},
		{"nats: INFO without end", nats, endless(0, bytes.Repeat([]byte("INFO "), 4096)), "a reply line longer than 64KiB"},
		{"nats: INFO, then the end", nats, closeAfter(0, []byte("INFO {}\r\n")), "the connection after"},
		{"nats: INFO a byte at a time", nats, drip(0, []byte("INFO {\"server_id\":\"NDRIP\"}\r\n")), "deadline"},
		{"nats: +OK, then the end", nats, func(c net.Conn) {
			c.Write([]byte("INFO {}\r\n"))
			readFirst(c, -1)
			c.Write([]byte("+OK\r\n"))
		}, "the connection after"},
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
		{"mqtt: a session present, for a clean session", mqtt, reply(-2, []byte{0x20, 2, 1, 0}), "not an MQTT 3.1.1 broker: CONNACK says a session is present, though probe asked for a clean session"},
		{"mqtt: a refusal with a session present", mqtt, reply(-2, []byte{0x20, 2, 1, 5}), "CONNACK refused the connection: not authorized (code 5)"},
		{"mqtt: PUBLISH before CONNACK", mqtt, reply(-2, []byte{0x30, 2, 0, 0}), "not an MQTT broker: the reply to CONNECT is not CONNACK"},
		{"mqtt: a length of 2 in two bytes", mqtt, reply(-2, []byte{0x20, 0x82, 0, 0, 0}), "not an MQTT broker: the reply to CONNECT is not CONNACK"},

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
			if !typed(err) {
				t.Errorf("%T %q: not one of the package's error types", err, err)
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
			// A check that ignored its deadline would hang; the margin is
			// wide, for a loaded machine running the race detector.
			if took > 3*time.Second {
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

// TestNATSHostilePeers: what a NATS server may send between CONNECT and
// PONG (+OK, INFO, PING), and what it must not. The PONG must follow the
// +OK that verbose mode sends for CONNECT, or it is not the reply to
// probe's PING; an INFO with ldm, wherever it comes, is lame duck mode.
func TestNATSHostilePeers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		serve func(net.Conn)
		seen  string
		err   string
	}{
		{name: "+OK, then PONG", serve: natsServer(`{"version":"2.10.1","server_name":"n1"}`, "+OK\r\nPONG\r\n"), seen: "PONG from nats-server 2.10.1 (n1)"},
		{name: "an INFO of the cluster's URLs between", serve: natsServer(`{"version":"2.10.1"}`, "+OK\r\nINFO {\"connect_urls\":[\"10.0.0.2:4222\"]}\r\nPONG\r\n"), seen: "PONG from nats-server 2.10.1"},
		{name: "verbs in lower case", serve: natsServer(`{"version":"2.10.1"}`, "+ok\r\npong\r\n"), seen: "PONG from nats-server 2.10.1"},
		{name: "the server's PING, answered", serve: natsPinging, seen: "PONG from nats-server 2.10.1"},

		{name: "lame duck mode after CONNECT", serve: natsServer(`{}`, "+OK\r\nINFO {\"server_id\":\"N\",\"ldm\":true}\r\nPONG\r\n"), err: "lame duck mode: the server is shutting down"},
		{name: "lame duck mode before the +OK", serve: natsServer(`{}`, "INFO {\"ldm\":true}\r\n+OK\r\nPONG\r\n"), err: "lame duck mode"},
		{name: "PONG before probe's PING", serve: func(c net.Conn) {
			c.Write([]byte("INFO {}\r\nPONG\r\n"))
			io.Copy(io.Discard, c)
		}, err: "not a NATS server: PONG before the +OK to CONNECT"},
		{name: "PONG with no +OK", serve: natsServer(`{}`, "PONG\r\n"), err: "PONG before the +OK to CONNECT, so not the reply to probe's PING"},
		{name: "+OK and PONG before probe spoke", serve: func(c net.Conn) {
			c.Write([]byte("INFO {}\r\n+OK\r\n+OK\r\nPONG\r\n"))
			io.Copy(io.Discard, c)
		}, err: "+OK to nothing probe sent"},
		{name: "+OK twice", serve: natsServer(`{}`, "+OK\r\n+OK\r\nPONG\r\n"), err: "+OK to nothing probe sent"},
		{name: "an INFO that is not JSON after CONNECT", serve: natsServer(`{}`, "+OK\r\nINFO {\"ldm\r\nPONG\r\n"), err: "not a NATS server: its INFO is not JSON"},
		{name: "a message", serve: natsServer(`{}`, "+OK\r\nMSG x 1 2\r\nhi\r\nPONG\r\n"), err: `a message, though probe subscribed to nothing: "MSG x 1 2"`},
		{name: "INFO forever", serve: natsServer(`{}`, strings.Repeat("INFO {}\r\n", 100)), err: "no PONG among the first 16 replies"},
		{name: "an -ERR after +OK", serve: natsServer(`{}`, "+OK\r\n-ERR 'Maximum Connections Exceeded'\r\n"), err: "-ERR Maximum Connections Exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			host, port := hostile(t, tc.serve)
			seen, err := run(t, checks.NATS{Host: host, Port: port})
			switch {
			case tc.err == "" && (err != nil || seen != tc.seen):
				t.Errorf("%q, %v; want %q", seen, err, tc.seen)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("%q, %v; want an error with %q", seen, err, tc.err)
			}
			if err != nil && strings.IndexFunc(err.Error(), func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
				t.Errorf("unprintable: %q", err)
			}
		})
	}
}

// natsPinging pings the client after its CONNECT and PING, and answers
// them only once the client has answered its PING.
func natsPinging(c net.Conn) {
	c.Write([]byte("INFO {\"version\":\"2.10.1\"}\r\n"))
	br := bufio.NewReader(c)
	for _, want := range []string{"CONNECT", "PING"} {
		if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, want) {
			return
		}
	}
	c.Write([]byte("PING\r\n"))
	if line, err := br.ReadString('\n'); err != nil || line != "PONG\r\n" {
		return
	}
	c.Write([]byte("+OK\r\nPONG\r\n"))
	io.Copy(io.Discard, c)
}

// TestNATSEchoShowsNoCredential: a server that echoes CONNECT back gets an
// error quoting the line, which must not reach the password or the token.
func TestNATSEchoShowsNoCredential(t *testing.T) {
	t.Parallel()
	host, port := hostile(t, func(c net.Conn) {
		c.Write([]byte("INFO {}\r\n"))
		io.Copy(c, c)
	})
	for _, tc := range []struct{ user, pass string }{{"probe", "s3cr<t&pw"}, {"t0ken<&>", ""}} {
		_, err := run(t, checks.NATS{Host: host, Port: port, User: tc.user, Pass: tc.pass})
		if err == nil || strings.Contains(err.Error(), "s3cr") || strings.Contains(err.Error(), "t0ken") {
			t.Errorf("%v; want an error without the credential", err)
		}
	}
}

// natsTLSPeer sends INFO with info, and speaks TLS when the client's first
// byte opens a TLS handshake (as nats-server does when it offers TLS); it
// answers CONNECT and PING with +OK and PONG, and sends on got the bytes it
// read off the wire, once the connection ends.
func natsTLSPeer(info string, got chan<- string) func(net.Conn) {
	return func(c net.Conn) {
		var clear bytes.Buffer
		defer func() { got <- clear.String() }()
		c.Write([]byte("INFO " + info + "\r\n"))
		br := bufio.NewReader(io.TeeReader(c, &clear))
		first, err := br.Peek(1)
		if err != nil {
			return
		}
		var rw io.ReadWriter = struct {
			io.Reader
			io.Writer
		}{br, c}
		if first[0] == 0x16 {
			tc := tls.Server(peekedConn{c, br}, &tls.Config{Certificates: []tls.Certificate{testserver.Certs().Good}})
			if tc.Handshake() != nil {
				return
			}
			rw = tc
		}
		lines := bufio.NewReader(rw)
		for {
			line, err := lines.ReadString('\n')
			if err != nil {
				return
			}
			switch {
			case strings.HasPrefix(line, "CONNECT "):
				rw.Write([]byte("+OK\r\n"))
			case line == "PING\r\n":
				rw.Write([]byte("PONG\r\n"))
			}
		}
	}
}

// peekedConn reads through r, which has read ahead of the connection.
type peekedConn struct {
	net.Conn
	r io.Reader
}

func (p peekedConn) Read(b []byte) (int, error) { return p.r.Read(b) }

// TestNATSRequireTLS: with RequireTLS (nats+tls://, or TLS flags), a server
// that offers no TLS gets nothing, credentials least of all; one that
// offers it (tls_available) or requires it is spoken to over TLS.
func TestNATSRequireTLS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		info    string
		require bool
		seen    string
		err     string
		clear   string // what the server read in the clear, "" when nothing
	}{
		{name: "no TLS offered, TLS required", info: `{"version":"2.10.1"}`, require: true,
			err: "tls: the server does not offer TLS (its INFO has neither tls_required nor tls_available), and TLS is required: nothing was sent"},
		{name: "TLS offered, TLS required", info: `{"version":"2.10.1","tls_available":true}`, require: true, seen: "PONG from nats-server 2.10.1"},
		{name: "TLS required by the server", info: `{"version":"2.10.1","tls_required":true}`, require: true, seen: "PONG from nats-server 2.10.1"},
		{name: "TLS offered, not required: in clear, as nats.go does", info: `{"version":"2.10.1","tls_available":true}`, seen: "PONG from nats-server 2.10.1", clear: "CONNECT "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan string, 1)
			host, port := hostile(t, natsTLSPeer(tc.info, got))
			seen, err := run(t, checks.NATS{Host: host, Port: port, User: "probe", Pass: "s3cret-pw", TLS: caConfig(), RequireTLS: tc.require})
			switch {
			case tc.err == "" && (err != nil || seen != tc.seen):
				t.Errorf("%q, %v; want %q", seen, err, tc.seen)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("%q, %v; want an error with %q", seen, err, tc.err)
			}
			clear := <-got
			switch {
			case tc.clear == "" && strings.Contains(clear, "s3cret-pw"), tc.clear == "" && strings.Contains(clear, "CONNECT"):
				t.Errorf("the server read in the clear: %q", clear)
			case !strings.HasPrefix(clear, tc.clear):
				t.Errorf("the server read in the clear %q, want %q first", clear, tc.clear)
			}
		})
	}
}
