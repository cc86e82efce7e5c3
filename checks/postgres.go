package checks

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/probe-sh/probe/internal/sanitize"
)

// Postgres checks that a PostgreSQL server takes logins: it sends a
// StartupMessage for the user and database, and reads on to the end of the
// login.
//
//   - The server lets the user in (trust, peer): probe reads on to
//     ReadyForQuery, says "logged in", and ends the session with Terminate,
//     as psql does, so the server logs nothing.
//   - The server asks for a password: it is up and judging logins, as
//     pg_isready says too. probe sends none (it has none to send), and stops
//     there, which the server does not log either.
//   - The server answers with an ErrorResponse, before or after
//     AuthenticationOk: unhealthy, whatever the SQLSTATE, and the line says
//     what the server said. A server that is starting, recovering or
//     shutting down (57P03) or full (53300) is not ready; one that refuses
//     the login (28000: no such role, pg_hba.conf; 3D000: no such database)
//     is up, but every such check writes a FATAL line in its log, and a
//     client that logs in as the check does would fail too.
//
// pg_isready calls every answer but 57P03 "accepting connections";
// docs/databases.md has the table.
type Postgres struct {
	Host, Port string
	Socket     string // a Unix socket to connect to, in place of Host:Port
	User       string // "postgres" when empty
	Database   string // "postgres" when empty: initdb always makes it
}

// The bounds of a login: the messages a server sends between
// AuthenticationOk and ReadyForQuery (ParameterStatus, BackendKeyData,
// NoticeResponse: about 16 for PostgreSQL 15), and their bytes.
const (
	postgresMaxMessages = 256
	postgresMaxBytes    = 64 << 10
)

// Run checks the server.
func (p Postgres) Run(ctx context.Context, tr *Trace) (string, error) {
	c, err := dialConversation(ctx, tr, p.Socket, p.Host, p.Port, nil, 0)
	if err != nil {
		return "", err
	}
	defer c.Close()
	l := postgresLogin{c: c, tr: tr, user: cmp.Or(p.User, "postgres"), db: cmp.Or(p.Database, "postgres")}
	tr.SetNote("login", "user "+sanitize.Printable(l.user)+", database "+sanitize.Printable(l.db))
	if err := c.send(startupMessage(l.user, l.db)); err != nil {
		return "", err
	}
	return l.run()
}

// postgresLogin is one login's conversation, message by message.
type postgresLogin struct {
	c        *conversation
	tr       *Trace
	user, db string
	messages int // read so far
	bytes    int
	params   map[string]string // ParameterStatus: server_version, in_hot_standby
}

func (l *postgresLogin) run() (string, error) {
	// Until the server asks for a password, lets the user in, or refuses.
	for {
		kind, body, err := l.next()
		if err != nil {
			return "", err
		}
		switch kind {
		case 'R':
			auth, ok := postgresAuthRequest(body)
			switch {
			case !ok:
				return "", notProtocol("not a PostgreSQL reply: an authentication request that is not one: %s", sanitize.Excerpt(l.c.seen, 40))
			case auth != 0:
				// Closing now ends the backend silently: it logs nothing
				// for a client that goes away when asked for a password.
				l.tr.Finish()
				return "accepting connections: it asks user " + l.name(l.user) + " for a password (" + postgresAuth(auth) + "); probe sends none and stops there", nil
			}
			return l.session()
		case 'E':
			return "", l.errorResponse(body)
		case 'N': // NoticeResponse: read on
		default:
			return "", notProtocol("not a PostgreSQL reply: message %q first", string(rune(kind)))
		}
	}
}

// session reads what follows AuthenticationOk: ParameterStatus,
// BackendKeyData and notices, then ReadyForQuery, or an ErrorResponse when
// the server refuses the login after all (no such role or database under
// trust, no CONNECT privilege).
func (l *postgresLogin) session() (string, error) {
	l.params = map[string]string{}
	for {
		kind, body, err := l.next()
		if err != nil {
			return "", err
		}
		switch kind {
		case 'S':
			name, value, ok := bytes.Cut(body, []byte{0})
			if !ok || len(value) == 0 || value[len(value)-1] != 0 {
				return "", notProtocol("not a PostgreSQL reply: a ParameterStatus that is not one: %s", sanitize.Excerpt(body, 40))
			}
			if n := string(name); n == "server_version" || n == "in_hot_standby" {
				l.params[n] = string(value[:len(value)-1])
			}
		case 'K', 'N': // BackendKeyData, NoticeResponse
		case 'Z':
			l.tr.Finish()
			// Terminate: the backend exits without a word in the log.
			_, _ = l.c.conn.Write([]byte{'X', 0, 0, 0, 4})
			seen := "accepting connections: logged in as " + l.name(l.user) + " to database " + l.name(l.db)
			if v := l.params["server_version"]; v != "" {
				seen += ", PostgreSQL " + sanitize.Printable(sanitize.Clip(v, 60))
			}
			if l.params["in_hot_standby"] == "on" {
				seen += ", a hot standby: read-only"
			}
			return seen, nil
		case 'E':
			return "", l.errorResponse(body)
		default:
			return "", notProtocol("not a PostgreSQL reply: message %q after AuthenticationOk", string(rune(kind)))
		}
	}
}

// next reads a message, within the bounds of a login.
func (l *postgresLogin) next() (byte, []byte, error) {
	if l.messages >= postgresMaxMessages || l.bytes >= postgresMaxBytes {
		return 0, nil, notProtocol("not a PostgreSQL server: %d messages (%s) without the end of the login: %s",
			l.messages, Size(l.bytes), sanitize.Excerpt(l.c.seen, 40))
	}
	kind, body, err := readPostgresMessage(l.c)
	l.messages++
	l.bytes += 5 + len(body)
	return kind, body, err
}

// name shows a user or database name as the line may.
func (l *postgresLogin) name(s string) string { return sanitize.Printable(sanitize.Clip(s, 63)) }

// errorResponse says what an ErrorResponse means.
func (l *postgresLogin) errorResponse(body []byte) error {
	f := postgresFields(body)
	if !isSQLState(f['C']) {
		return notProtocol("not a PostgreSQL reply: an error without a SQLSTATE: %s", sanitize.Excerpt(l.c.seen, 40))
	}
	l.tr.Finish()
	return postgresError(f, l.name(l.user), l.name(l.db))
}

// startupMessage is protocol 3.0's: the length, the version, then
// name/value pairs, each ending in a zero byte.
func startupMessage(user, database string) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0, 0, 0, 3, 0, 0})
	for _, kv := range [][2]string{{"user", user}, {"database", database}, {"application_name", "probe"}} {
		if kv[1] == "" {
			continue
		}
		b.WriteString(kv[0] + "\x00" + kv[1] + "\x00")
	}
	b.WriteByte(0)
	msg := b.Bytes()
	binary.BigEndian.PutUint32(msg, uint32(len(msg)))
	return msg
}

// readPostgresMessage reads a message: its kind, a length that counts
// itself, and the body (bounded: a first reply is short).
func readPostgresMessage(c *conversation) (byte, []byte, error) {
	head := make([]byte, 5)
	if err := c.readFull(head); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(head[1:]))
	if n < 4 || n > 64<<10 {
		if bytes.HasPrefix(c.seen, []byte("HTTP/")) || !isLetter(head[0]) {
			return 0, nil, notProtocol("not a PostgreSQL server: it answered %s", sanitize.Excerpt(c.seen, 40))
		}
		return 0, nil, notProtocol("a PostgreSQL message of %d bytes: not a PostgreSQL server?", n)
	}
	body := make([]byte, n-4)
	if err := c.readFull(body); err != nil {
		return 0, nil, err
	}
	return head[0], body, nil
}

// postgresAuthRequest reads an AuthenticationRequest, the first reply of a
// server that is up: its code, when its length is the one the protocol
// gives that code. Another protocol's bytes seldom fit; an 82-byte MySQL
// greeting starts with 'R', as this message does.
func postgresAuthRequest(body []byte) (uint32, bool) {
	if len(body) < 4 {
		return 0, false
	}
	code, rest := binary.BigEndian.Uint32(body), body[4:]
	switch code {
	case 0, 2, 3, 7, 9: // ok, Kerberos V5, cleartext, GSSAPI, SSPI
		return code, len(rest) == 0
	case 5: // MD5, with a 4-byte salt
		return code, len(rest) == 4
	case 10: // SASL: mechanism names, each ending in a zero byte, then one more
		return code, len(rest) >= 2 && rest[len(rest)-1] == 0 && rest[len(rest)-2] == 0 && rest[0] != 0
	}
	return code, false
}

// isSQLState reports whether s is a SQLSTATE: five digits or upper-case
// letters.
func isSQLState(s string) bool {
	if len(s) != 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'A' <= s[i] && s[i] <= 'Z') {
			return false
		}
	}
	return true
}

func isLetter(b byte) bool { return 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' }

// postgresFields reads an ErrorResponse's fields: S severity, C SQLSTATE,
// M message, D detail...
func postgresFields(body []byte) map[byte]string {
	f := map[byte]string{}
	for len(body) > 1 && body[0] != 0 {
		code := body[0]
		end := bytes.IndexByte(body[1:], 0)
		if end < 0 {
			break
		}
		f[code] = string(body[1 : 1+end])
		body = body[2+end:]
	}
	return f
}

// postgresError says what an ErrorResponse means, by its SQLSTATE, with
// the server's own message and a hint where one helps.
func postgresError(f map[byte]string, user, db string) error {
	state, msg := f['C'], sanitize.Printable(sanitize.Clip(f['M'], 160))
	switch {
	case state == "57P03":
		// cannot_connect_now: starting up, recovering, shutting down, or
		// a standby that takes no connections.
		return &ServerError{Code: state, Msg: "not accepting connections: " + msg + " (SQLSTATE 57P03)"}
	case state == "53300":
		return &ServerError{Code: state, Msg: "not accepting connections: " + msg + " (SQLSTATE 53300, too many connections)"}
	case strings.HasPrefix(state, "57P"):
		return &ServerError{Code: state, Msg: "not accepting connections: " + msg + " (SQLSTATE " + state + ")"}
	}
	hint, field := "", ""
	switch {
	case state == "28P01":
		hint = "; check the password"
	case strings.HasPrefix(state, "28"):
		// No such role, or pg_hba.conf refuses it (or wants TLS, which
		// probe does not speak: a Unix socket needs none).
		hint, field = "; name a user it lets in", "User"
	case state == "3D000":
		hint, field = "; name a database that exists", "Database"
	}
	return &ServerError{Code: state, Field: field, Msg: "the server is up, but refused the login of user " + user + " to database " + db + ": " + msg + " (SQLSTATE " + state + ")" + hint}
}

func postgresAuth(code uint32) string {
	switch code {
	case 3:
		return "cleartext"
	case 5:
		return "MD5"
	case 7:
		return "GSSAPI"
	case 9:
		return "SSPI"
	case 10:
		return "SASL, SCRAM-SHA-256"
	}
	return fmt.Sprintf("method %d", code)
}
