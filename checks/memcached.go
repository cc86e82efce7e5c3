package checks

import (
	"context"
	"strings"

	"github.com/probe-sh/probe/internal/sanitize"
)

// Memcached checks that a memcached server answers "version".
type Memcached struct {
	Host, Port string
	Socket     string // a Unix socket to connect to, in place of Host:Port
}

// Run asks for the version.
func (m Memcached) Run(ctx context.Context, tr *Trace) (string, error) {
	c, err := dialConversation(ctx, tr, m.Socket, m.Host, m.Port, nil, 0)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.send([]byte("version\r\n")); err != nil {
		return "", err
	}
	line, err := c.readLine(1024)
	if err != nil {
		return "", err
	}
	tr.Finish()
	if v, ok := strings.CutPrefix(line, "VERSION "); ok {
		return "memcached " + sanitize.Printable(sanitize.Clip(v, 80)), nil
	}
	if strings.HasPrefix(line, "SERVER_ERROR") || line == "ERROR" {
		return "", &ServerError{Msg: "the server answered version with " + sanitize.Excerpt([]byte(line), 80)}
	}
	return "", notProtocol("not a memcached server: it answered %s", sanitize.Excerpt([]byte(line), 60))
}
