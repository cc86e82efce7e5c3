package probe_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/probe"
)

// cleartextNATS is a NATS server that offers no TLS; it answers CONNECT and
// PING, and sends on got what it read once the connection ends.
func cleartextNATS(t *testing.T) (string, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		var read bytes.Buffer
		defer func() { got <- read.String() }()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write([]byte("INFO {\"version\":\"2.10.1\"}\r\n"))
		br := bufio.NewReader(io.TeeReader(c, &read))
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			switch {
			case strings.HasPrefix(line, "CONNECT "):
				c.Write([]byte("+OK\r\n"))
			case line == "PING\r\n":
				c.Write([]byte("PONG\r\n"))
			}
		}
	}()
	return ln.Addr().String(), got
}

// TestNATSInsistsOnTLS: nats+tls://, or a template that asks for TLS
// (RequireTLS, which a TLS flag sets, or CertExpiry) on nats://, never
// sends a password to a server that stopped offering TLS; nats:// without
// checks a cleartext server in clear.
func TestNATSInsistsOnTLS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		scheme   string
		template checks.NATS
		healthy  bool
	}{
		{name: "nats:// with RequireTLS (--ca)", scheme: "nats", template: checks.NATS{TLS: &tls.Config{RootCAs: x509.NewCertPool()}, RequireTLS: true}},
		{name: "nats:// with RequireTLS (--insecure)", scheme: "nats", template: checks.NATS{TLS: &tls.Config{InsecureSkipVerify: true}, RequireTLS: true}},
		{name: "nats:// with CertExpiry", scheme: "nats", template: checks.NATS{CertExpiry: 24 * time.Hour}},
		{name: "nats+tls://", scheme: "nats+tls", template: checks.NATS{TLS: &tls.Config{}}},
		{name: "nats:// with TLS but not RequireTLS", scheme: "nats", template: checks.NATS{TLS: &tls.Config{}}, healthy: true},
		{name: "nats:// with no template", scheme: "nats", healthy: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr, got := cleartextNATS(t)
			target, err := probe.ParseTarget(tc.scheme+"://probe:s3cret-pw@"+addr, tc.template)
			if err != nil {
				t.Fatal(err)
			}
			r := runBounded(t, []probe.Target{target}, probe.Options{Timeout: time.Second})
			res := r.Results[0]
			read := <-got
			if tc.healthy {
				if res.State != probe.Healthy {
					t.Errorf("%s: %s, want healthy", res.State, res.Detail)
				}
				return
			}
			if res.State == probe.Healthy || !strings.Contains(res.Detail, "does not offer TLS") {
				t.Errorf("%s: %s; want unhealthy, the server offering no TLS", res.State, res.Detail)
			}
			if strings.Contains(read, "s3cret-pw") || strings.Contains(read, "CONNECT") {
				t.Errorf("the server read %q", read)
			}
		})
	}
}

// TestMongoDBTLSAsked: a template with TLS or CertExpiry (a TLS flag), or
// an option naming a certificate file (which the driver takes for
// tls=true), speaks TLS to mongodb://; tls=false with either is refused.
func TestMongoDBTLSAsked(t *testing.T) {
	t.Parallel()
	flag := checks.MongoDB{TLS: &tls.Config{RootCAs: x509.NewCertPool()}}
	none := checks.MongoDB{}
	for _, tc := range []struct {
		name, target string
		template     checks.MongoDB
		tls          bool
		err          string
	}{
		{name: "no TLS", target: "mongodb://127.0.0.1", template: none},
		{name: "tls=true", target: "mongodb://127.0.0.1/?tls=true", template: none, tls: true},
		{name: "TLS (--ca)", target: "mongodb://127.0.0.1", template: flag, tls: true},
		{name: "CertExpiry", target: "mongodb://127.0.0.1", template: checks.MongoDB{CertExpiry: time.Hour}, tls: true},
		{name: "tlsCAFile", target: "mongodb://127.0.0.1/?tlsCAFile=/etc/ssl/ca.pem", template: none, tls: true},
		{name: "tls=false and TLS", target: "mongodb://127.0.0.1/?tls=false", template: flag, err: `target "mongodb://127.0.0.1/?tls=false": tls=false, and TLS asked for by the template's TLS or CertExpiry: choose one`},
		{name: "tls=false and tlsCAFile", target: "mongodb://127.0.0.1/?tls=false&tlsCAFile=/ca.pem", template: none, err: "tls=false, and TLS asked for by a certificate option"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target, err := probe.ParseTarget(tc.target, tc.template)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("%v, want an error with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m := target.Check.(checks.MongoDB); (m.TLS != nil) != tc.tls {
				t.Errorf("TLS %v, want %v", m.TLS != nil, tc.tls)
			}
		})
	}
}
