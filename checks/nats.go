package checks

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/probe-sh/probe/internal/sanitize"
)

// NATS checks that a NATS server takes clients: it reads the server's INFO,
// upgrades to TLS when the server requires it, sends CONNECT (with the
// credentials given) and PING, and wants PONG. A server in lame duck mode
// (shutting down, moving its clients away) is not ready; -ERR (an
// authorization violation, too many connections) says why.
type NATS struct {
	Host, Port string
	Socket     string      // a Unix socket to connect to, in place of Host:Port
	User, Pass string      // CONNECT's user and pass; a user with no password is a token
	TLS        *tls.Config // for a server that requires TLS; its defaults when nil
	CertExpiry time.Duration
	Version    string // probe's version, sent in CONNECT
}

// natsInfo is what a check reads of the server's INFO.
type natsInfo struct {
	ServerName   string `json:"server_name"`
	Version      string `json:"version"`
	Proto        int    `json:"proto"`
	TLSRequired  bool   `json:"tls_required"`
	AuthRequired bool   `json:"auth_required"`
	LameDuck     bool   `json:"ldm"`
	JetStream    bool   `json:"jetstream"`
}

// natsLine bounds a line of the protocol: INFO lists the cluster's URLs.
const natsLine = 64 << 10

// Run checks the server.
func (n NATS) Run(ctx context.Context, tr *Trace) (string, error) {
	c, err := dialConversation(ctx, tr, n.Socket, n.Host, n.Port, nil, 0)
	if err != nil {
		return "", err
	}
	defer c.Close()
	tr.Enter(PhaseReply)
	line, err := c.readLine(natsLine)
	if err != nil {
		return "", err
	}
	rest, ok := strings.CutPrefix(line, "INFO ")
	if !ok {
		return "", fmt.Errorf("not a NATS server: it did not begin with INFO: %s", sanitize.Excerpt([]byte(line), 60))
	}
	var info natsInfo
	if err := json.Unmarshal([]byte(rest), &info); err != nil {
		return "", fmt.Errorf("not a NATS server: its INFO is not JSON: %s", sanitize.Excerpt([]byte(rest), 60))
	}
	if info.LameDuck {
		tr.Finish()
		return "", &ServerError{Msg: "lame duck mode: the server is shutting down and moving its clients away"}
	}
	if info.TLSRequired {
		cfg := n.TLS
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if err := c.upgradeTLS(ctx, cfg, n.Host, n.CertExpiry); err != nil {
			return "", err
		}
	}
	if err := c.send(natsConnect(n.User, n.Pass, n.Version)); err != nil {
		return "", err
	}
	for range 4 { // +OK in verbose mode, or a second INFO, may come first
		line, err = c.readLine(natsLine)
		if err != nil {
			return "", err
		}
		switch {
		case line == "PONG":
			tr.Finish()
			return natsSeen(info), nil
		case strings.HasPrefix(line, "-ERR"):
			tr.Finish()
			msg := strings.Trim(strings.TrimSpace(strings.TrimPrefix(line, "-ERR")), "'")
			return "", &ServerError{Msg: "-ERR " + sanitize.Printable(sanitize.Clip(msg, 160))}
		case line == "+OK", strings.HasPrefix(line, "INFO "), line == "PING":
			continue
		default:
			return "", fmt.Errorf("not the reply to PING: %s", sanitize.Excerpt([]byte(line), 60))
		}
	}
	return "", fmt.Errorf("no PONG among the first replies: %s", sanitize.Excerpt(c.seen, 60))
}

// natsConnect is CONNECT, then PING. A user with no password is a token.
func natsConnect(user, pass, version string) []byte {
	opts := map[string]any{"verbose": false, "pedantic": false, "name": "probe", "lang": "go", "version": version, "protocol": 1}
	switch {
	case user != "" && pass != "":
		opts["user"], opts["pass"] = user, pass
	case user != "":
		opts["auth_token"] = user
	}
	b, _ := json.Marshal(opts)
	return []byte("CONNECT " + string(b) + "\r\nPING\r\n")
}

// natsSeen says what a ready server is.
func natsSeen(info natsInfo) string {
	s := "PONG"
	if info.Version != "" {
		s += " from nats-server " + sanitize.Printable(sanitize.Clip(info.Version, 40))
	}
	if info.ServerName != "" {
		s += " (" + sanitize.Printable(sanitize.Clip(info.ServerName, 60)) + ")"
	}
	if info.JetStream {
		s += ", JetStream on"
	}
	return s
}
