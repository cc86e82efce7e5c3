package checks

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"github.com/probe-sh/probe/internal/sanitize"
)

// Redis checks that a Redis server (or Valkey, KeyDB) serves commands: it
// sends PING, after AUTH when a password is given, and wants +PONG. A
// server loading its dataset (-LOADING), a replica without its master
// (-MASTERDOWN), one busy with a script (-BUSY) or one that wants a password
// (-NOAUTH) is not ready, and says why.
type Redis struct {
	Host, Port string
	Socket     string // a Unix socket to connect to, in place of Host:Port
	User       string // for AUTH with a user (Redis 6 ACLs); "" for the default user
	Password   string // "" for none
	TLS        *tls.Config
	CertExpiry time.Duration
}

// Run checks the server.
func (r Redis) Run(ctx context.Context, tr *Trace) (string, error) {
	c, err := dialConversation(ctx, tr, r.Socket, r.Host, r.Port, r.TLS, r.CertExpiry)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if r.Password != "" {
		if err := c.send(respCommand(authArgs(r.User, r.Password)...)); err != nil {
			return "", err
		}
		line, err := c.readLine(4096)
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(line, "+OK") {
			return "", redisError(tr, line, true)
		}
	}
	if err := c.send(respCommand("PING")); err != nil {
		return "", err
	}
	line, err := c.readLine(4096)
	if err != nil {
		return "", err
	}
	if line != "+PONG" {
		return "", redisError(tr, line, false)
	}
	tr.Finish()
	return "PONG", nil
}

func authArgs(user, password string) []string {
	if user != "" {
		return []string{"AUTH", user, password}
	}
	return []string{"AUTH", password}
}

// respCommand encodes a command as a RESP array of bulk strings, so that
// a password may hold any byte.
func respCommand(args ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return []byte(b.String())
}

// redisError says what a reply other than +PONG (or +OK to AUTH) means.
func redisError(tr *Trace, line string, auth bool) error {
	tr.Finish()
	code, _, _ := strings.Cut(strings.TrimPrefix(line, "-"), " ")
	msg := sanitize.Printable(sanitize.Clip(strings.TrimPrefix(line, "-"), 160))
	switch {
	case !strings.HasPrefix(line, "-"):
		return notProtocol("not a Redis server, or not the reply to PING: %s", sanitize.Excerpt([]byte(line), 60))
	case code == "LOADING":
		return &ServerError{Code: code, Msg: "loading: Redis is loading its dataset into memory (-" + msg + ")"}
	case code == "MASTERDOWN":
		return &ServerError{Code: code, Msg: "a replica whose master is down: -" + msg}
	case code == "BUSY":
		return &ServerError{Code: code, Msg: "busy running a script: -" + msg}
	case code == "NOAUTH":
		return &ServerError{Code: code, Field: "Password", Msg: "it wants a password: -" + msg}
	case code == "WRONGPASS" || auth && strings.Contains(strings.ToLower(msg), "password"):
		return &ServerError{Code: code, Field: "Password", Msg: "wrong password: -" + msg}
	}
	return &ServerError{Code: code, Msg: "-" + msg}
}
