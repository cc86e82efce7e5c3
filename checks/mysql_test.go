package checks_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
)

// mysqlLogin is what a scripted MySQL server read of one login: the
// HandshakeResponse41's fields, and every byte the client sent after it,
// until the client closed the connection.
type mysqlLogin struct {
	caps                 uint32
	user, auth, db, name string // name: the authentication method claimed
	after                []byte
}

// mysqlServer greets with greeting, reads the login, answers it with
// answer, then records what the client sends until it closes the
// connection, and hands it over.
func mysqlServer(t *testing.T, greeting, answer []byte) (string, string, <-chan mysqlLogin) {
	t.Helper()
	logins := make(chan mysqlLogin, 1)
	host, port := hostile(t, func(c net.Conn) {
		var l mysqlLogin
		defer func() { logins <- l }()
		c.Write(greeting)
		var head [4]byte
		if _, err := io.ReadFull(c, head[:]); err != nil || head[3] != 1 {
			return
		}
		p := make([]byte, int(head[0])|int(head[1])<<8|int(head[2])<<16)
		if _, err := io.ReadFull(c, p); err != nil || len(p) < 32 {
			return
		}
		l.caps = binary.LittleEndian.Uint32(p)
		rest := p[32:]
		user, rest, _ := bytes.Cut(rest, []byte{0})
		l.user = string(user)
		if len(rest) == 0 || int(rest[0]) >= len(rest) {
			return
		}
		l.auth, rest = string(rest[1:1+rest[0]]), rest[1+rest[0]:]
		if l.caps&8 != 0 {
			db, r, _ := bytes.Cut(rest, []byte{0})
			l.db, rest = string(db), r
		}
		name, _, _ := bytes.Cut(rest, []byte{0})
		l.name = string(name)
		c.Write(answer)
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		l.after, _ = io.ReadAll(c)
	})
	return host, port, logins
}

// mysqlAnswer is packet 2, the server's answer to the login.
func mysqlAnswer(payload []byte) []byte {
	p := mysqlPacket(payload)
	p[3] = 2
	return p
}

func mysqlErr(code uint16, msg string) []byte {
	return mysqlAnswer(append(binary.LittleEndian.AppendUint16([]byte{0xff}, code), "#28000"+msg...))
}

var (
	mysqlSwitch = mysqlAnswer([]byte("\xfemysql_native_password\x00abcdefghijklmnopqrst\x00"))
	mysqlOK     = mysqlAnswer([]byte{0, 0, 0, 2, 0, 0, 0})
	mysqlQuit   = []byte{1, 0, 0, 0, 1}
)

// TestMySQLLogin: after the greeting the check logs in with no password,
// claiming a method no server has, so that the server asks for its own;
// it stops there, says "logged in" only on an OK packet (and then ends the
// session with COM_QUIT), and says what an error packet says.
func TestMySQLLogin(t *testing.T) {
	t.Parallel()
	greeting := mysqlPacket(mysqlGreeting("5.5.5-10.11.19-MariaDB-0+deb12u1"))
	for _, tc := range []struct {
		name     string
		check    checks.MySQL
		greeting []byte
		answer   []byte
		seen     string
		err      string
		want     mysqlLogin // user, db, name, after
	}{
		{name: "asked to authenticate: stops there", answer: mysqlSwitch,
			seen: "accepting connections: greeting from 10.11.19-MariaDB-0+deb12u1; it asks user root to authenticate (mysql_native_password); probe sends no password and stops there",
			want: mysqlLogin{user: "root"}},
		{name: "a user and a database", check: checks.MySQL{User: "app", Database: "shop"}, answer: mysqlSwitch,
			seen: "it asks user app to authenticate (mysql_native_password)", want: mysqlLogin{user: "app", db: "shop"}},
		{name: "an old server's switch to old passwords", answer: mysqlAnswer([]byte{0xfe}),
			seen: "it asks user root to authenticate (mysql_old_password)", want: mysqlLogin{user: "root"}},
		{name: "more data for the server's own method", answer: mysqlAnswer([]byte{1, 4}),
			seen: "it asks user root to authenticate (caching_sha2_password)", want: mysqlLogin{user: "root"}},
		{name: "let in: logged in, then COM_QUIT", check: checks.MySQL{User: "app", Database: "shop"}, answer: mysqlOK,
			seen: "accepting connections: greeting from 10.11.19-MariaDB-0+deb12u1; logged in as app to database shop",
			want: mysqlLogin{user: "app", db: "shop", after: mysqlQuit}},
		{name: "access denied", answer: mysqlErr(1698, "Access denied for user 'sock'@'localhost'"), check: checks.MySQL{User: "sock"},
			err:  "the server is up, but refused the login of user sock: Access denied for user 'sock'@'localhost' (error 1698); name a user it asks for a password",
			want: mysqlLogin{user: "sock"}},
		{name: "no such database", answer: mysqlErr(1049, "Unknown database 'shop'"), check: checks.MySQL{Database: "shop"},
			err: "refused the login of user root: Unknown database 'shop' (error 1049); name a database that exists", want: mysqlLogin{user: "root", db: "shop"}},
		{name: "too many connections, after the login", answer: mysqlErr(1040, "Too many connections"),
			err: "refused the login of user root: Too many connections (error 1040)", want: mysqlLogin{user: "root"}},
		{name: "shutting down", answer: mysqlErr(1053, "Server shutdown in progress"),
			err: "not accepting connections: Server shutdown in progress (error 1053)", want: mysqlLogin{user: "root"}},
		{name: "a blocked host, in place of the greeting", greeting: mysqlPacket(append([]byte{0xff, 0x69, 0x04},
			"Host '10.0.0.7' is blocked because of many connection errors; unblock with 'mariadb-admin flush-hosts'"...)),
			err: "the server refused the connection: Host '10.0.0.7' is blocked because of many connection errors; unblock with 'mariadb-admin flush-hosts' (error 1129); every connection from a host other than loopback"},
		{name: "too many connections, in place of the greeting", greeting: mysqlPacket(append([]byte{0xff, 0x10, 0x04}, "Too many connections"...)),
			err: "the server refused the connection: Too many connections (error 1040)"},
		{name: "a server older than 5.5: the greeting only", greeting: mysqlPacket(append([]byte{0x0a}, "5.1.73\x00\x01\x00\x00\x00abcdefgh\x00\xff\xf7"...)),
			seen: "greeting from 5.1.73 (a server older than MySQL 5.5: probe stops at the greeting)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			host, port, logins := mysqlServer(t, cmpOr(tc.greeting, greeting), tc.answer)
			c := tc.check
			c.Host, c.Port = host, port
			seen, err := run(t, c)
			if tc.err != "" {
				var se *checks.ServerError
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.As(err, &se) {
					t.Fatalf("got %q, %v; want a *checks.ServerError with %q", seen, err, tc.err)
				}
			} else if err != nil || !strings.Contains(seen, tc.seen) {
				t.Fatalf("got %q, %v; want %q", seen, err, tc.seen)
			}
			l := <-logins
			if l.user != tc.want.user || l.db != tc.want.db || !bytes.Equal(l.after, tc.want.after) {
				t.Errorf("the login named user %q, database %q, and the client sent %q after it; want %q, %q, %q",
					l.user, l.db, l.after, tc.want.user, tc.want.db, tc.want.after)
			}
			if l.user != "" && (l.auth != "" || l.name != "probe_sends_no_password") {
				t.Errorf("the login answered with %q, as %q: want no password, and a method no server has", l.auth, l.name)
			}
		})
	}
}

func cmpOr(a, b []byte) []byte {
	if a != nil {
		return a
	}
	return b
}
