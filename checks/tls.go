package checks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/text"
)

// handshake runs the TLS client handshake on conn for serverName and returns
// an error that says what was wrong with the certificate and how to fix it.
// With expiry above zero, it also fails when a certificate the server
// presented, the leaf or any in its chain, expires within expiry.
func handshake(ctx context.Context, tr *Trace, conn net.Conn, base *tls.Config, serverName string, expiry time.Duration) (*tls.Conn, error) {
	tr.Enter(PhaseTLS)
	cfg := base.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = serverName
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		if ctx.Err() != nil {
			// Cut by the deadline, whoever closed the connection first:
			// the engine names the phase.
			return nil, context.DeadlineExceeded
		}
		return nil, tlsError(err, cfg)
	}
	cs := tc.ConnectionState()
	tr.SetNote("tls", describeTLS(cs))
	if first := firstExpiry(counted(cs)); first != nil {
		tr.SetCertExpiry(first.NotAfter)
		if left := time.Until(first.NotAfter); expiry > 0 && left < expiry {
			tc.Close()
			return nil, &TLSError{Field: "CertExpiry", Msg: fmt.Sprintf("certificate %s expires %s (%s), within %s",
				certName(first), first.NotAfter.UTC().Format(time.RFC3339), inDuration(left), text.Days(expiry))}
		}
	}
	return tc, nil
}

// counted are the certificates --cert-expiry judges: those the server
// presented, and those of the chain it was verified by, up to its root (a
// --ca root that expires tomorrow ends every connection tomorrow). Of
// several chains (a cross-signed intermediate), the one that lasts longest
// counts, as a client keeps using it.
func counted(cs tls.ConnectionState) []*x509.Certificate {
	var best []*x509.Certificate
	var bestEnd time.Time
	for _, chain := range cs.VerifiedChains {
		if first := firstExpiry(chain); first != nil && (best == nil || first.NotAfter.After(bestEnd)) {
			best, bestEnd = chain, first.NotAfter
		}
	}
	return append(cs.PeerCertificates[:len(cs.PeerCertificates):len(cs.PeerCertificates)], best...)
}

// firstExpiry is the certificate of chain that expires first.
func firstExpiry(chain []*x509.Certificate) *x509.Certificate {
	var first *x509.Certificate
	for _, c := range chain {
		if first == nil || c.NotAfter.Before(first.NotAfter) {
			first = c
		}
	}
	return first
}

// certName names a certificate: for "api.example.com", or its subject.
func certName(c *x509.Certificate) string {
	if len(c.DNSNames) > 0 {
		return fmt.Sprintf("for %q", c.DNSNames[0])
	}
	return fmt.Sprintf("%q", c.Subject.CommonName)
}

func inDuration(left time.Duration) string {
	if left < 48*time.Hour {
		return fmt.Sprintf("in %dh", int(left.Hours()))
	}
	return fmt.Sprintf("in %d days", int(left.Hours()/24))
}

// describeTLS says what an incident needs to know of a TLS session: the
// version, the cipher suite, whom the certificate names and when it expires.
func describeTLS(cs tls.ConnectionState) string {
	s := tls.VersionName(cs.Version) + ", " + tls.CipherSuiteName(cs.CipherSuite)
	if len(cs.PeerCertificates) > 0 {
		leaf := cs.PeerCertificates[0]
		name := leaf.Subject.CommonName
		if len(leaf.DNSNames) > 0 {
			name = leaf.DNSNames[0]
		}
		s += fmt.Sprintf(", certificate for %q expires %s (%s)", name, leaf.NotAfter.UTC().Format("2006-01-02"), inDuration(time.Until(leaf.NotAfter)))
	}
	return s
}

func tlsError(err error, cfg *tls.Config) error {
	if IsTimeout(err) {
		return context.DeadlineExceeded
	}
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	var notTLS tls.RecordHeaderError
	var remote *net.OpError
	switch {
	case errors.As(err, &unknown):
		msg := "certificate signed by unknown authority"
		if cfg.RootCAs == nil && !systemRoots() {
			msg += "; this system has no CA bundle"
		}
		return &TLSError{Field: "RootCAs", Msg: msg, Err: err}
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		if time.Now().Before(invalid.Cert.NotBefore) {
			return &TLSError{Msg: fmt.Sprintf("certificate is not valid before %s (is the clock right?)", invalid.Cert.NotBefore.UTC().Format(time.RFC3339)), Err: err}
		}
		return &TLSError{Msg: fmt.Sprintf("certificate expired at %s", invalid.Cert.NotAfter.UTC().Format(time.RFC3339)), Err: err}
	case errors.As(err, &notTLS):
		return &TLSError{Msg: fmt.Sprintf("the server did not answer with TLS: it sent %s%s", sanitize.Excerpt(notTLS.RecordHeader[:], 5), notTLSHint(notTLS.RecordHeader[:])), Err: err}
	case errors.As(err, &remote) && remote.Op == "remote error" && net.ParseIP(cfg.ServerName) != nil:
		// Go sends no server name (SNI) for an IP address, and servers
		// with one certificate per name (Caddy, Traefik) refuse that.
		return &TLSError{Field: "ServerName", Msg: fmt.Sprintf("the server refused the handshake: %s; no server name was sent, as the target is an IP address",
			strings.TrimPrefix(remote.Err.Error(), "tls: ")), Err: err}
	case errors.As(err, &host):
		return &TLSError{Field: "ServerName", Msg: fmt.Sprintf("certificate is not valid for %q", host.Host), Err: err}
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF):
		// A cleartext server that reads a ClientHello as garbage hangs up.
		return &TLSError{Msg: "the server hung up during the handshake (is the port cleartext, such as plain HTTP/2?)", Err: err}
	}
	return &TLSError{Msg: strings.TrimPrefix(err.Error(), "tls: "), Err: err}
}

// refusedAfterHandshake is a TLS alert that came after the handshake, at the
// first read: in TLS 1.3, a server that wants a client certificate says so
// only then.
func refusedAfterHandshake(remote *net.OpError) error {
	return &TLSError{Field: "Certificates", Msg: fmt.Sprintf("the server refused the connection: %s; does it want a client certificate?",
		strings.TrimPrefix(remote.Err.Error(), "tls: ")), Err: remote}
}

// notTLSHint guesses, from a reply's first bytes, what answered instead of
// TLS.
func notTLSHint(head []byte) string {
	switch h := string(head); {
	case strings.HasPrefix(h, "HTTP"):
		return " (plain HTTP: use http://)"
	case len(head) >= 4 && head[0] == 0 && head[3] == 4:
		return " (an HTTP/2 SETTINGS frame: cleartext HTTP/2, use grpc://, or http:// over HTTP/2)"
	case strings.HasPrefix(h, "SSH-"):
		return " (an SSH server)"
	case strings.HasPrefix(h, "220"):
		return " (a mail or FTP greeting: for STARTTLS, check it with tcp:// and an expected reply)"
	case strings.HasPrefix(h, "-ERR"), strings.HasPrefix(h, "+"):
		return " (a plain Redis or POP3 reply)"
	}
	return " (is it plain TCP?)"
}

// systemRoots reports whether the system has any CA certificates.
func systemRoots() bool {
	pool, err := x509.SystemCertPool()
	return err == nil && !pool.Equal(x509.NewCertPool())
}
