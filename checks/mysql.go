package checks

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/probe-sh/probe/internal/sanitize"
)

// MySQL checks that a MySQL or MariaDB server takes logins: it reads the
// server's greeting (protocol 10, with its version), or the error packet a
// server sends in its place when it cannot take the connection (too many
// connections, a host it blocks); then it logs in as User, with no
// password, and reads the answer.
//
//   - The server asks the user to authenticate (an AuthSwitchRequest): it is
//     up and judging logins, as mysqladmin ping would say. probe names an
//     authentication method no account uses, so that a server always asks
//     (even for a user that does not exist), sends no password, and stops
//     there: MariaDB then logs nothing for an account that takes a
//     password, where a client that leaves after the greeting, or a login
//     refused, is a warning in its log.
//   - The server lets the user in (an OK packet: an account without a
//     password, or --skip-grant-tables): probe says "logged in", and ends
//     the session with COM_QUIT, which the server does not log either.
//   - An error packet: unhealthy, and the line says what the server said
//     (Access denied, Too many connections, Server shutdown in progress, a
//     blocked host).
type MySQL struct {
	Host, Port string
	Socket     string // a Unix socket to connect to, in place of Host:Port
	// User is the account the login names: "root" when empty. A server
	// asks a user that does not exist to authenticate too, but MariaDB
	// does it as one of its accounts picked by the name's hash, and an
	// account that takes unix_socket (root@localhost in Debian's and the
	// official images) then logs "Access denied": an account that takes
	// only a password logs nothing.
	User     string
	Database string // the database the login names, if any
}

// The capabilities of the login (mysql_com.h): protocol 4.1, its long
// passwords and length-prefixed authentication data, pluggable
// authentication, a database named in the login.
const (
	mysqlLongPassword  = 1
	mysqlConnectWithDB = 8
	mysqlProtocol41    = 0x200
	mysqlSecureConn    = 0x8000
	mysqlPluginAuth    = 0x80000
)

// mysqlNoPlugin is the authentication method the login claims to answer
// with: no server has it, so the server always asks for its own (an
// AuthSwitchRequest) instead of judging an empty password.
const mysqlNoPlugin = "probe_sends_no_password"

// Run reads the greeting, then logs in.
func (m MySQL) Run(ctx context.Context, tr *Trace) (string, error) {
	c, err := dialConversation(ctx, tr, m.Socket, m.Host, m.Port, nil, 0)
	if err != nil {
		return "", err
	}
	defer c.Close()
	tr.Enter(PhaseReply)
	seq, payload, err := readMySQLPacket(c)
	if err != nil {
		return "", err
	}
	if seq != 0 { // the greeting is packet 0
		return "", notProtocol("not a MySQL server: it answered %s", sanitize.Excerpt(c.seen, 40))
	}
	switch payload[0] {
	case 0x0a:
	case 0xff:
		tr.Finish()
		return "", mysqlError(payload, "")
	default:
		return "", notProtocol("not a MySQL greeting (protocol %d): %s", payload[0], sanitize.Excerpt(c.seen, 40))
	}
	g, ok := parseMySQLGreeting(payload)
	if !ok {
		return "", notProtocol("not a MySQL greeting: protocol 10, but not its handshake: %s", sanitize.Excerpt(c.seen, 40))
	}
	// MariaDB puts "5.5.5-" first, for clients that compare versions.
	greeting := "greeting from " + sanitize.Printable(sanitize.Clip(strings.TrimPrefix(g.version, "5.5.5-"), 80))
	need := uint32(mysqlProtocol41 | mysqlSecureConn | mysqlPluginAuth)
	if g.caps&need != need {
		// Older than MySQL 5.5: no pluggable authentication, so no way to
		// ask without sending a password.
		tr.Finish()
		return greeting + " (a server older than MySQL 5.5: probe stops at the greeting)", nil
	}
	user := cmp.Or(m.User, "root")
	tr.SetNote("login", "user "+sanitize.Printable(user))
	if err := c.send(mysqlLogin(user, m.Database)); err != nil {
		return "", err
	}
	seq, payload, err = readMySQLPacket(c)
	if err != nil {
		return "", err
	}
	tr.Finish()
	if seq != 2 {
		return "", notProtocol("not a MySQL reply: packet %d in answer to the login: %s", seq, sanitize.Excerpt(payload, 40))
	}
	name := sanitize.Printable(sanitize.Clip(user, 80))
	switch payload[0] {
	case 0xfe, 0x01: // AuthSwitchRequest (or an old server's 0xfe alone); AuthMoreData
		plugin := g.plugin
		if payload[0] == 0xfe {
			plugin = "mysql_old_password"
			if end := bytes.IndexByte(payload[1:], 0); end >= 0 {
				plugin = string(payload[1 : 1+end])
			}
		}
		// Closing now, before any password, is a login the client gave up:
		// MariaDB does not log it.
		return "accepting connections: " + greeting + "; it asks user " + name + " to authenticate (" +
			sanitize.Printable(sanitize.Clip(plugin, 40)) + "); probe sends no password and stops there", nil
	case 0x00:
		// COM_QUIT, packet 0 of a new command: the server ends the session
		// without a word in its log.
		_, _ = c.conn.Write([]byte{1, 0, 0, 0, 1})
		seen := "accepting connections: " + greeting + "; logged in as " + name
		if m.Database != "" {
			seen += " to database " + sanitize.Printable(sanitize.Clip(m.Database, 80))
		}
		return seen, nil
	case 0xff:
		return "", mysqlError(payload, name)
	}
	return "", notProtocol("not a MySQL reply to a login: %s", sanitize.Excerpt(payload, 40))
}

// readMySQLPacket reads a packet: a 3-byte length, a sequence number, the
// payload (bounded: a greeting or the answer to a login is short).
func readMySQLPacket(c *conversation) (byte, []byte, error) {
	head := make([]byte, 4)
	if err := c.readFull(head); err != nil {
		return 0, nil, err
	}
	n := int(head[0]) | int(head[1])<<8 | int(head[2])<<16
	if n == 0 || n > 16<<10 {
		return 0, nil, notProtocol("not a MySQL server: it answered %s", sanitize.Excerpt(c.seen, 40))
	}
	payload := make([]byte, n)
	if err := c.readFull(payload); err != nil {
		return 0, nil, err
	}
	return head[3], payload, nil
}

type mysqlGreeting struct {
	version string
	caps    uint32
	plugin  string // the server's default authentication method
}

// parseMySQLGreeting reads protocol 10's handshake: the version ending in
// a zero byte, the connection id (4 bytes), the first 8 bytes of the
// scramble, a zero byte, the capabilities (2 bytes); then, from MySQL 4.1,
// the character set, the status (2 bytes), the capabilities' upper half,
// the scramble's length, 10 reserved bytes, the rest of the scramble, and
// the authentication method's name.
func parseMySQLGreeting(p []byte) (mysqlGreeting, bool) {
	end := bytes.IndexByte(p[1:], 0)
	at := 1 + end + 1 + 4 + 8
	if end <= 0 || len(p) < at+1+2 || p[at] != 0 {
		return mysqlGreeting{}, false
	}
	g := mysqlGreeting{version: string(p[1 : 1+end]), caps: uint32(binary.LittleEndian.Uint16(p[at+1:]))}
	rest := p[at+3:]
	if len(rest) < 1+2+2+1+10 {
		return g, true
	}
	g.caps |= uint32(binary.LittleEndian.Uint16(rest[3:])) << 16
	scramble := max(13, int(rest[5])-8)
	if rest = rest[16:]; len(rest) >= scramble {
		name, _, _ := bytes.Cut(rest[scramble:], []byte{0})
		g.plugin = string(name)
	}
	g.plugin = cmp.Or(g.plugin, "mysql_native_password")
	return g, true
}

// mysqlLogin is a HandshakeResponse41, packet 1: the capabilities, the
// largest packet, the character set (utf8), 23 zero bytes, the user, an
// empty authentication response, the database, and the method the
// response claims to be.
func mysqlLogin(user, database string) []byte {
	caps := uint32(mysqlLongPassword | mysqlProtocol41 | mysqlSecureConn | mysqlPluginAuth)
	if database != "" {
		caps |= mysqlConnectWithDB
	}
	b := []byte{0, 0, 0, 1}
	b = binary.LittleEndian.AppendUint32(b, caps)
	b = binary.LittleEndian.AppendUint32(b, 1<<24)
	b = append(b, 33)
	b = append(b, make([]byte, 23)...)
	b = append(b, user...)
	b = append(b, 0, 0) // the user's end; an authentication response of 0 bytes
	if database != "" {
		b = append(append(b, database...), 0)
	}
	b = append(append(b, mysqlNoPlugin...), 0)
	n := len(b) - 4
	b[0], b[1], b[2] = byte(n), byte(n>>8), byte(n>>16)
	return b
}

// mysqlError says what an error packet means: its code, then, from
// protocol 4.1, '#' and the SQLSTATE, then the message. user is the login's
// user, or "" for an error in place of the greeting.
func mysqlError(payload []byte, user string) error {
	if len(payload) < 3 {
		return &ServerError{Msg: "the server sent an error packet with no error"}
	}
	code := binary.LittleEndian.Uint16(payload[1:3])
	msg := payload[3:]
	if len(msg) > 6 && msg[0] == '#' {
		msg = msg[6:]
	}
	said := fmt.Sprintf("%s (error %d)", sanitize.Printable(sanitize.Clip(string(msg), 160)), code)
	errno := strconv.Itoa(int(code))
	switch code {
	case 1053: // ER_SERVER_SHUTDOWN
		return &ServerError{Code: errno, Msg: "not accepting connections: " + said}
	case 1129: // ER_HOST_IS_BLOCKED
		return &ServerError{Code: errno, Msg: "the server refused the connection: " + said + "; every connection from a host other than loopback that ends before its login counts toward max_connect_errors (checks too): set skip-name-resolve, or raise max_connect_errors"}
	}
	if user == "" {
		return &ServerError{Code: errno, Msg: "the server refused the connection: " + said}
	}
	hint, field := "", ""
	switch code {
	case 1045, 1698: // ER_ACCESS_DENIED_ERROR, ER_ACCESS_DENIED_NO_PASSWORD_ERROR
		hint, field = "; name a user it asks for a password", "User"
	case 1049: // ER_BAD_DB_ERROR
		hint, field = "; name a database that exists", "Database"
	}
	return &ServerError{Code: errno, Field: field, Msg: "the server is up, but refused the login of user " + user + ": " + said + hint}
}
