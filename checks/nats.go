package checks

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"strings"
	"time"

	"github.com/probe-sh/probe/internal/sanitize"
)

// NATS checks that a NATS server takes clients: it reads the server's INFO,
// upgrades to TLS when the server requires it, sends CONNECT (with the
// credentials given) and PING, and wants +OK, then PONG. A server in lame
// duck mode (shutting down, moving its clients away), whether its first
// INFO says so or one that comes before the PONG, is not ready; -ERR (an
// authorization violation, too many connections) says why.
//
// The PONG must answer probe's PING: CONNECT asks for verbose mode, in
// which a server acknowledges CONNECT with +OK once it has read and
// accepted it, and answers each command in the order it came, so the reply
// to CONNECT and PING is +OK, then PONG. A PONG before that +OK was sent
// before the server read what probe sent, and fails the check. A server
// that fakes the whole exchange, +OK included, cannot be told from a real
// one by a check that asks it nothing more.
type NATS struct {
	Host, Port string
	Socket     string      // a Unix socket to connect to, in place of Host:Port
	User, Pass string      // CONNECT's user and pass; a user with no password is a token
	TLS        *tls.Config // for a server that requires TLS; its defaults when nil
	// RequireTLS speaks TLS or nothing: a server whose INFO neither
	// requires nor offers TLS is refused before anything is sent, so that
	// no credential crosses in clear (nats.go's tls:// scheme, and its
	// RootCAs and ClientCert options, do the same).
	RequireTLS bool
	CertExpiry time.Duration
	Version    string // probe's version, sent in CONNECT
}

// natsInfo is what a check reads of the server's INFO.
type natsInfo struct {
	ServerName   string `json:"server_name"`
	Version      string `json:"version"`
	Proto        int    `json:"proto"`
	TLSRequired  bool   `json:"tls_required"`
	TLSAvailable bool   `json:"tls_available"`
	AuthRequired bool   `json:"auth_required"`
	LameDuck     bool   `json:"ldm"`
	JetStream    bool   `json:"jetstream"`
}

const (
	// natsLine bounds a line of the protocol: INFO lists the cluster's URLs.
	natsLine = 64 << 10
	// natsReplies bounds the lines read for the PONG: +OK and PONG, and
	// the INFO and PING a server may send at any time.
	natsReplies = 16
)

// natsLameDuck is the error of a server in lame duck mode.
func natsLameDuck() error {
	return &ServerError{Msg: "lame duck mode: the server is shutting down and moving its clients away"}
}

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
		return "", notProtocol("not a NATS server: it did not begin with INFO: %s", sanitize.Excerpt([]byte(line), 60))
	}
	info, err := natsParseInfo(rest)
	if err != nil {
		return "", err
	}
	if info.LameDuck {
		tr.Finish()
		return "", natsLameDuck()
	}
	secure := info.TLSRequired || n.RequireTLS && info.TLSAvailable
	if n.RequireTLS && !secure {
		tr.Finish()
		return "", &TLSError{Msg: "the server does not offer TLS (its INFO has neither tls_required nor tls_available), and TLS is required: nothing was sent (nats:// with no TLS flag checks it in clear)"}
	}
	if secure {
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
	acked := false // the +OK to CONNECT came
	for range natsReplies {
		line, err = c.readLine(natsLine)
		if err != nil {
			return "", err
		}
		// Verbs are case-insensitive (the protocol's documentation).
		verb, args, _ := strings.Cut(strings.TrimRight(line, " \t"), " ")
		switch strings.ToUpper(verb) {
		case "+OK":
			if acked || args != "" {
				return "", notProtocol("not a NATS server: +OK to nothing probe sent: %s", sanitize.Excerpt([]byte(line), 60))
			}
			acked = true
		case "PONG":
			if !acked || args != "" {
				return "", notProtocol("not a NATS server: PONG before the +OK to CONNECT, so not the reply to probe's PING: %s", sanitize.Excerpt([]byte(line), 60))
			}
			tr.Finish()
			return natsSeen(info), nil
		case "INFO": // sent at any time: the cluster changed, or lame duck mode
			later, err := natsParseInfo(args)
			if err != nil {
				return "", err
			}
			if later.LameDuck {
				tr.Finish()
				return "", natsLameDuck()
			}
		case "-ERR":
			tr.Finish()
			msg := strings.Trim(strings.TrimSpace(args), "'")
			return "", &ServerError{Msg: "-ERR " + sanitize.Printable(sanitize.Clip(msg, 160))}
		case "PING": // the server's keep-alive: a client answers it
			if err := c.send([]byte("PONG\r\n")); err != nil {
				return "", err
			}
		case "MSG", "HMSG":
			return "", notProtocol("not a NATS server: a message, though probe subscribed to nothing: %s", sanitize.Excerpt([]byte(line), 60))
		default:
			return "", notProtocol("not the reply to CONNECT and PING: %s", sanitize.Excerpt([]byte(line), 60))
		}
	}
	return "", notProtocol("no PONG among the first %d replies: %s", natsReplies, sanitize.Excerpt(c.seen, 60))
}

// natsParseInfo reads INFO's JSON.
func natsParseInfo(s string) (natsInfo, error) {
	var info natsInfo
	if err := json.Unmarshal([]byte(s), &info); err != nil {
		return info, notProtocol("not a NATS server: its INFO is not JSON: %s", sanitize.Excerpt([]byte(s), 60))
	}
	return info, nil
}

// natsConnect is CONNECT, then PING. A user with no password is a token.
// verbose asks for the +OK that shows CONNECT was read (NATS). The
// credentials come last, written as they are (no HTML escapes), so that a
// server echoing CONNECT shows none of them in an excerpt of its first 60
// bytes, and the engine masks them where more is shown.
func natsConnect(user, pass, version string) []byte {
	opts := struct {
		Verbose  bool   `json:"verbose"`
		Pedantic bool   `json:"pedantic"`
		Name     string `json:"name"`
		Lang     string `json:"lang"`
		Version  string `json:"version"`
		Protocol int    `json:"protocol"`
		User     string `json:"user,omitempty"`
		Pass     string `json:"pass,omitempty"`
		Token    string `json:"auth_token,omitempty"`
	}{Verbose: true, Name: "probe", Lang: "go", Version: version, Protocol: 1}
	switch {
	case user != "" && pass != "":
		opts.User, opts.Pass = user, pass
	case user != "":
		opts.Token = user
	}
	var b bytes.Buffer
	b.WriteString("CONNECT ")
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(opts) // it ends in \n
	b.Truncate(b.Len() - 1)
	b.WriteString("\r\nPING\r\n")
	return b.Bytes()
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
