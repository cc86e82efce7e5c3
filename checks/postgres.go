package checks

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/probe-sh/probe/internal/sanitize"
)

// Postgres checks that a PostgreSQL server accepts connections, as
// pg_isready does: it sends a StartupMessage and reads the first reply. An
// authentication request means the server is ready (it asks for a password,
// or lets the user in); so does an authentication failure, or a database
// that does not exist, since a server that judges a login is up. A server
// that is starting, recovering, shutting down or full says so, and is not.
type Postgres struct {
	Host, Port string
	Socket     string // a Unix socket to connect to, in place of Host:Port
	User       string // "postgres" when empty
	Database   string // the user's name when empty
}

// Run checks the server.
func (p Postgres) Run(ctx context.Context, tr *Trace) (string, error) {
	c, err := dialConversation(ctx, tr, p.Socket, p.Host, p.Port, nil, 0)
	if err != nil {
		return "", err
	}
	defer c.Close()
	user := p.User
	if user == "" {
		user = "postgres"
	}
	if err := c.send(startupMessage(user, p.Database)); err != nil {
		return "", err
	}
	for range 8 { // a notice may come first
		kind, body, err := readPostgresMessage(c)
		if err != nil {
			return "", err
		}
		switch kind {
		case 'R':
			tr.Finish()
			auth, ok := postgresAuthRequest(body)
			switch {
			case !ok:
				return "", fmt.Errorf("not a PostgreSQL reply: an authentication request that is not one: %s", sanitize.Excerpt(c.seen, 40))
			case auth == 0:
				return "accepting connections: user " + user + " logged in with no password", nil
			}
			return "accepting connections: it asks for a password (" + postgresAuth(auth) + ")", nil
		case 'E':
			f := postgresFields(body)
			if !isSQLState(f['C']) {
				return "", fmt.Errorf("not a PostgreSQL reply: an error without a SQLSTATE: %s", sanitize.Excerpt(c.seen, 40))
			}
			return postgresVerdict(tr, f)
		case 'N': // NoticeResponse: read on
		default:
			return "", fmt.Errorf("not a PostgreSQL reply: message %q first", string(rune(kind)))
		}
	}
	return "", fmt.Errorf("no answer to the startup message among the first replies: %s", sanitize.Excerpt(c.seen, 60))
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
			return 0, nil, fmt.Errorf("not a PostgreSQL server: it answered %s", sanitize.Excerpt(c.seen, 40))
		}
		return 0, nil, fmt.Errorf("a PostgreSQL message of %d bytes: not a PostgreSQL server?", n)
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

// postgresVerdict judges an error reply by its SQLSTATE.
func postgresVerdict(tr *Trace, f map[byte]string) (string, error) {
	state, msg := f['C'], sanitize.Printable(sanitize.Clip(f['M'], 160))
	tr.Finish()
	switch {
	case state == "57P03":
		// cannot_connect_now: starting up, recovering, shutting down, or
		// a standby that takes no connections.
		return "", &ServerError{Msg: "not accepting connections: " + msg + " (SQLSTATE 57P03)"}
	case state == "53300":
		return "", &ServerError{Msg: "not accepting connections: " + msg + " (SQLSTATE 53300, too many connections)"}
	case strings.HasPrefix(state, "57P"):
		return "", &ServerError{Msg: "not accepting connections: " + msg + " (SQLSTATE " + state + ")"}
	case strings.HasPrefix(state, "28"), state == "3D000":
		// An authentication failure, a pg_hba.conf refusal, a database
		// that does not exist: the server is up and judging logins.
		return "accepting connections (it refused this login: " + msg + ", SQLSTATE " + state + ")", nil
	}
	return "", &ServerError{Msg: "the server refused the connection: " + msg + " (SQLSTATE " + state + ")"}
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
