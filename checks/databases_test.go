package checks_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
)

// scripted is a server that reads what the client sends first (n bytes, or
// a line when n is -1, or nothing when n is 0), then writes reply and holds
// the connection open until the test ends. The real servers (postgres,
// redis-server, mariadbd, memcached, rabbitmq-server) are in e2e; these
// pin the parsing, and the hostile answers a real server never gives.
func scripted(t *testing.T, n int, reply []byte) (string, string) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				switch {
				case n > 0:
					io.ReadFull(br, make([]byte, n))
				case n < 0:
					br.ReadString('\n')
				}
				c.Write(reply)
				select {
				case <-done:
				case <-time.After(5 * time.Second):
				}
			}()
		}
	}()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	return host, port
}

func run(t *testing.T, c interface {
	Run(context.Context, *checks.Trace) (string, error)
}) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	return c.Run(ctx, checks.NewTrace())
}

func pgMessage(kind byte, body []byte) []byte {
	m := []byte{kind, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(m[1:], uint32(len(body)+4))
	return append(m, body...)
}

func pgError(state, msg string) []byte {
	return pgMessage('E', []byte("SFATAL\x00VFATAL\x00C"+state+"\x00M"+msg+"\x00\x00"))
}

func mysqlPacket(payload []byte) []byte {
	n := len(payload)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), 0}, payload...)
}

// mysqlGreeting is a protocol 10 handshake as MySQL 8 sends it.
func mysqlGreeting(version string) []byte {
	p := append([]byte{0x0a}, version...)
	p = append(p, 0, 0x2a, 0, 0, 0)                          // the end of the version, the connection id
	p = append(p, "abcdefgh"...)                             // the scramble's first 8 bytes
	p = append(p, 0, 0xff, 0xff, 0xff, 2, 0, 0xff, 0xdf, 21) // filler, capabilities, charset, status, capabilities, scramble length
	p = append(p, make([]byte, 10)...)
	p = append(p, "ijklmnopqrst\x00caching_sha2_password\x00"...)
	return p
}

func amqpStart() []byte {
	table := []byte{}
	add := func(k, v string) {
		table = append(table, byte(len(k)))
		table = append(table, k...)
		table = append(table, 'S', 0, 0, 0, byte(len(v)))
		table = append(table, v...)
	}
	table = append(table, 12)
	table = append(table, "capabilities"...)
	table = append(table, 'F', 0, 0, 0, 3, 1, 'x', 'V')
	add("product", "RabbitMQ")
	add("version", "3.10.8")
	payload := []byte{0, 10, 0, 10, 0, 9, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(payload[6:], uint32(len(table)))
	payload = append(payload, table...)
	frame := []byte{1, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(frame[3:], uint32(len(payload)))
	return append(append(frame, payload...), 0xce)
}

func TestDatabaseProtocols(t *testing.T) {
	t.Parallel()
	type result struct {
		seen, err string
		timeout   bool
	}
	for _, tc := range []struct {
		name string
		make func(host, port string) interface {
			Run(context.Context, *checks.Trace) (string, error)
		}
		read  int
		reply []byte
		want  result
	}{
		{"postgres asks for a password", pg, 8, pgMessage('R', []byte{0, 0, 0, 10, 'S', 'C', 'R', 'A', 'M', 0, 0}), result{seen: "accepting connections: it asks user postgres for a password (SASL, SCRAM-SHA-256); probe sends none and stops there"}},
		{"postgres lets the user in", pg, 8, pgLogin(), result{seen: "accepting connections: logged in as postgres to database postgres"}},
		{"postgres starting up", pg, 8, pgError("57P03", "the database system is starting up"), result{err: "not accepting connections: the database system is starting up (SQLSTATE 57P03)"}},
		{"postgres full", pg, 8, pgError("53300", "sorry, too many clients already"), result{err: "too many connections"}},
		{"postgres wrong password", pg, 8, pgError("28P01", `password authentication failed for user "postgres"`), result{err: "refused the login of user postgres to database postgres: password authentication failed"}},
		{"postgres notice first", pg, 8, append(pgMessage('N', []byte("SNOTICE\x00Mhi\x00\x00")), pgMessage('R', []byte{0, 0, 0, 5, 1, 2, 3, 4})...), result{seen: "(MD5)"}},
		{"not postgres", pg, 8, []byte("HTTP/1.1 400 Bad Request\r\n\r\n"), result{err: "not a PostgreSQL"}},
		{"postgres silent", pg, 8, nil, result{timeout: true}},
		{"redis pong", redis(""), -1, []byte("+PONG\r\n"), result{seen: "PONG"}},
		{"redis loading", redis(""), -1, []byte("-LOADING Redis is loading the dataset in memory\r\n"), result{err: "loading: Redis is loading its dataset into memory"}},
		{"redis noauth", redis(""), -1, []byte("-NOAUTH Authentication required.\r\n"), result{err: "it wants a password"}},
		{"redis wrong password", redis("pw"), -1, []byte("-WRONGPASS invalid username-password pair or user is disabled.\r\n"), result{err: "wrong password: -WRONGPASS"}},
		{"redis auth then pong", redis("pw"), -1, []byte("+OK\r\n+PONG\r\n"), result{seen: "PONG"}},
		{"not redis", redis(""), -1, []byte("SSH-2.0-OpenSSH\r\n"), result{err: "not a Redis server"}},
		{"mysql too many", mysql, 0, mysqlPacket(append([]byte{0xff, 0x10, 0x04}, "#08004Too many connections"...)), result{err: "the server refused the connection: Too many connections (error 1040)"}},
		{"mysql silent", mysql, 0, nil, result{timeout: true}},
		{"not mysql", mysql, 0, []byte("\x00\x00\x00\x00"), result{err: "not a MySQL server"}},
		{"memcached", memcached, -1, []byte("VERSION 1.6.18\r\n"), result{seen: "memcached 1.6.18"}},
		{"memcached error", memcached, -1, []byte("SERVER_ERROR out of memory\r\n"), result{err: "the server answered version with"}},
		{"amqp start", amqp, 8, amqpStart(), result{seen: "Connection.Start, AMQP 0-9, RabbitMQ 3.10.8"}},
		{"amqp other version", amqp, 8, []byte("AMQP\x01\x01\x00\x0a"), result{err: "the broker speaks another AMQP version"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			host, port := scripted(t, tc.read, tc.reply)
			seen, err := run(t, tc.make(host, port))
			switch {
			case tc.want.timeout:
				if !checks.IsTimeout(err) {
					t.Fatalf("got %q, %v; want a timeout", seen, err)
				}
			case tc.want.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.want.err) {
					t.Fatalf("got %q, %v; want an error with %q", seen, err, tc.want.err)
				}
				if strings.ContainsAny(err.Error(), "\r\n") {
					t.Errorf("the error spans lines: %q", err)
				}
			default:
				if err != nil || !strings.Contains(seen, tc.want.seen) {
					t.Fatalf("got %q, %v; want %q", seen, err, tc.want.seen)
				}
			}
		})
	}
}

type checker = interface {
	Run(context.Context, *checks.Trace) (string, error)
}

func pg(host, port string) checker { return &checks.Postgres{Host: host, Port: port} }
func redis(pass string) func(host, port string) checker {
	return func(host, port string) checker { return &checks.Redis{Host: host, Port: port, Password: pass} }
}
func mysql(host, port string) checker     { return &checks.MySQL{Host: host, Port: port} }
func memcached(host, port string) checker { return &checks.Memcached{Host: host, Port: port} }
func amqp(host, port string) checker      { return &checks.AMQP{Host: host, Port: port} }
func nats(host, port string) checker      { return &checks.NATS{Host: host, Port: port} }
func mqtt(host, port string) checker      { return &checks.MQTT{Host: host, Port: port} }
