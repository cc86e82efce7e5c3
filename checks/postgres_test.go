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

// pgSession is what a scripted PostgreSQL server saw of one connection:
// the startup message's parameters, and every byte the client sent after
// it, until the client closed the connection.
type pgSession struct {
	params map[string]string
	after  []byte
}

// pgServer answers one StartupMessage with script, then records what the
// client sends until it closes the connection, and hands it over.
func pgServer(t *testing.T, script []byte) (string, string, <-chan pgSession) {
	t.Helper()
	sessions := make(chan pgSession, 1)
	host, port := hostile(t, func(c net.Conn) {
		var s pgSession
		defer func() { sessions <- s }()
		var head [4]byte
		if _, err := io.ReadFull(c, head[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(head[:])
		if n < 8 || n > 10000 {
			return
		}
		body := make([]byte, n-4)
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		s.params = map[string]string{}
		fields := bytes.Split(bytes.TrimRight(body[4:], "\x00"), []byte{0})
		for i := 0; i+1 < len(fields); i += 2 {
			s.params[string(fields[i])] = string(fields[i+1])
		}
		c.Write(script)
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		s.after, _ = io.ReadAll(c)
	})
	return host, port, sessions
}

func pgStatus(name, value string) []byte { return pgMessage('S', []byte(name+"\x00"+value+"\x00")) }

// pgLogin is what PostgreSQL 15 sends a user it lets in: AuthenticationOk,
// its parameters, BackendKeyData, ReadyForQuery.
func pgLogin(extra ...[]byte) []byte {
	b := pgMessage('R', []byte{0, 0, 0, 0})
	for _, p := range [][2]string{{"application_name", "probe"}, {"client_encoding", "UTF8"}, {"in_hot_standby", "off"},
		{"is_superuser", "on"}, {"server_version", "15.18 (Debian 15.18-0+deb12u1)"}, {"session_authorization", "app"}} {
		b = append(b, pgStatus(p[0], p[1])...)
	}
	for _, e := range extra {
		b = append(b, e...)
	}
	b = append(b, pgMessage('K', []byte{0, 0, 0x30, 0x39, 1, 2, 3, 4})...)
	return append(b, pgMessage('Z', []byte("I"))...)
}

var pgTerminate = []byte{'X', 0, 0, 0, 4}

// TestPostgresLogin: the check reads a login to its end, ReadyForQuery or
// an ErrorResponse, and says which; it ends a session it was let into with
// Terminate, and sends nothing when asked for a password, so that the
// server logs neither.
func TestPostgresLogin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		check    checks.Postgres
		script   []byte
		seen     string // the line, when healthy
		err      string // or the error
		wantUser string
		wantDB   string
		after    []byte // what the client sends after the startup message
	}{
		{name: "trust: logged in", check: checks.Postgres{User: "app", Database: "app"}, script: pgLogin(),
			seen:     "accepting connections: logged in as app to database app, PostgreSQL 15.18 (Debian 15.18-0+deb12u1)",
			wantUser: "app", wantDB: "app", after: pgTerminate},
		{name: "the defaults: postgres, postgres", script: pgLogin(),
			seen:     "accepting connections: logged in as postgres to database postgres, PostgreSQL 15.18",
			wantUser: "postgres", wantDB: "postgres", after: pgTerminate},
		{name: "a notice before ReadyForQuery", script: pgLogin(pgMessage('N', []byte("SNOTICE\x00C00000\x00Mhello\x00\x00"))),
			seen: "accepting connections: logged in as postgres", wantUser: "postgres", wantDB: "postgres", after: pgTerminate},
		{name: "a hot standby", script: pgLogin(pgStatus("in_hot_standby", "on")),
			seen: "PostgreSQL 15.18 (Debian 15.18-0+deb12u1), a hot standby: read-only", wantUser: "postgres", wantDB: "postgres", after: pgTerminate},
		{name: "no such role, after AuthenticationOk (trust)", check: checks.Postgres{}, script: append(pgMessage('R', []byte{0, 0, 0, 0}),
			pgError("28000", `role "postgres" does not exist`)...),
			err:      `the server is up, but refused the login of user postgres to database postgres: role "postgres" does not exist (SQLSTATE 28000); name a user it lets in`,
			wantUser: "postgres", wantDB: "postgres", after: []byte{}},
		{name: "no such database, after AuthenticationOk", check: checks.Postgres{User: "app", Database: "app"},
			script:   append(pgMessage('R', []byte{0, 0, 0, 0}), pgError("3D000", `database "app" does not exist`)...),
			err:      `the server is up, but refused the login of user app to database app: database "app" does not exist (SQLSTATE 3D000); name a database that exists`,
			wantUser: "app", wantDB: "app", after: []byte{}},
		{name: "no CONNECT privilege, after some parameters", script: append(append(pgMessage('R', []byte{0, 0, 0, 0}), pgStatus("server_version", "15.18")...),
			pgError("42501", `permission denied for database "postgres"`)...),
			err:      `the server is up, but refused the login of user postgres to database postgres: permission denied for database "postgres" (SQLSTATE 42501)`,
			wantUser: "postgres", wantDB: "postgres", after: []byte{}},
		{name: "pg_hba.conf refuses, before any authentication", script: pgError("28000", `no pg_hba.conf entry for host "127.0.0.1", user "postgres", database "postgres", no encryption`),
			err: `refused the login of user postgres to database postgres: no pg_hba.conf entry for host "127.0.0.1"`, wantUser: "postgres", wantDB: "postgres", after: []byte{}},
		{name: "a wrong password", script: pgError("28P01", `password authentication failed for user "postgres"`),
			err: `password authentication failed for user "postgres" (SQLSTATE 28P01); check the password`, wantUser: "postgres", wantDB: "postgres", after: []byte{}},
		{name: "starting up", script: pgError("57P03", "the database system is starting up"),
			err: "not accepting connections: the database system is starting up (SQLSTATE 57P03)", wantUser: "postgres", wantDB: "postgres", after: []byte{}},
		{name: "SCRAM: a password, none sent", check: checks.Postgres{User: "app"}, script: pgMessage('R', []byte("\x00\x00\x00\x0aSCRAM-SHA-256\x00\x00")),
			seen:     "accepting connections: it asks user app for a password (SASL, SCRAM-SHA-256); probe sends none and stops there",
			wantUser: "app", wantDB: "postgres", after: []byte{}},
		{name: "MD5: a password, none sent", script: pgMessage('R', []byte{0, 0, 0, 5, 1, 2, 3, 4}),
			seen: "it asks user postgres for a password (MD5)", wantUser: "postgres", wantDB: "postgres", after: []byte{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			host, port, sessions := pgServer(t, tc.script)
			c := tc.check
			c.Host, c.Port = host, port
			seen, err := run(t, c)
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %q, %v; want an error with %q", seen, err, tc.err)
				}
				var se *checks.ServerError
				if !errors.As(err, &se) {
					t.Errorf("%T, want a *checks.ServerError", err)
				}
			default:
				if err != nil || !strings.Contains(seen, tc.seen) {
					t.Fatalf("got %q, %v; want %q", seen, err, tc.seen)
				}
			}
			s := <-sessions
			if s.params["user"] != tc.wantUser || s.params["database"] != tc.wantDB {
				t.Errorf("the startup message named user %q, database %q; want %q, %q", s.params["user"], s.params["database"], tc.wantUser, tc.wantDB)
			}
			if !bytes.Equal(s.after, tc.after) {
				t.Errorf("after the startup message, the client sent %q; want %q", s.after, tc.after)
			}
		})
	}
}
