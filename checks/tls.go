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

	"github.com/probe-sh/probe/internal/files"
	"github.com/probe-sh/probe/internal/sanitize"
)

// TLSOptions are the TLS settings shared by every target that speaks TLS.
type TLSOptions struct {
	Insecure bool   // skip certificate verification
	CA       string // PEM file of trusted CAs; replaces the system roots
	Cert     string // client certificate (PEM), for mTLS
	Key      string // client key (PEM), for mTLS
	// ServerName is the server's name in TLS: sent as SNI and verified
	// against its certificate, in place of the target's host.
	ServerName string
}

// isHostName reports whether s is a DNS name in ASCII: labels of letters,
// digits, hyphens and underscores, of at most 63 bytes each, 253 in all.
func isHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || strings.IndexFunc(label, func(r rune) bool {
			return !(r == '-' || r == '_' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
		}) >= 0 {
			return false
		}
	}
	return true
}

// maxPEM bounds a CA bundle, certificate or key read from a file; the
// whole Mozilla bundle is about 220 KB.
const maxPEM = 8 << 20

// Config builds the tls.Config for opts. Without CA it uses the system roots,
// which Go reads from SSL_CERT_FILE and SSL_CERT_DIR when they are set.
func (o TLSOptions) Config() (*tls.Config, error) {
	cfg := &tls.Config{InsecureSkipVerify: o.Insecure} //nolint:gosec // only with --insecure
	if o.ServerName != "" {
		name := strings.TrimSuffix(o.ServerName, ".")
		if net.ParseIP(name) == nil && !isHostName(name) {
			return nil, fmt.Errorf("--server-name %q is not a host name: give the name alone, such as api.example.com", sanitize.Clip(sanitize.Printable(o.ServerName), 80))
		}
		cfg.ServerName = name
	}
	if o.CA != "" {
		pem, err := files.ReadSmall(o.CA, maxPEM)
		if err != nil {
			return nil, fmt.Errorf("--ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca: no PEM certificate in %s", o.CA)
		}
		cfg.RootCAs = pool
	}
	if (o.Cert == "") != (o.Key == "") {
		return nil, errors.New("--cert and --key go together: give both for mTLS")
	}
	if o.Cert != "" {
		cert, err := files.ReadSmall(o.Cert, maxPEM)
		if err != nil {
			return nil, fmt.Errorf("--cert: %w", err)
		}
		key, err := files.ReadSmall(o.Key, maxPEM)
		if err != nil {
			return nil, fmt.Errorf("--key: %w", err)
		}
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("--cert/--key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

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
		return nil, tlsError(err, cfg)
	}
	cs := tc.ConnectionState()
	tr.SetNote("tls", describeTLS(cs))
	if first := firstExpiry(counted(cs)); first != nil {
		tr.SetCertExpiry(first.NotAfter)
		if left := time.Until(first.NotAfter); expiry > 0 && left < expiry {
			tc.Close()
			return nil, &TLSError{Msg: fmt.Sprintf("certificate %s expires %s (%s), within --cert-expiry %s",
				certName(first), first.NotAfter.UTC().Format(time.RFC3339), inDuration(left), Duration(expiry))}
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
		hint := "use --ca FILE, SSL_CERT_FILE or --insecure"
		if cfg.RootCAs == nil && !systemRoots() {
			hint = "no CA bundle on this system; " + hint
		}
		return &TLSError{Msg: fmt.Sprintf("certificate signed by unknown authority (%s)", hint)}
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		if time.Now().Before(invalid.Cert.NotBefore) {
			return &TLSError{Msg: fmt.Sprintf("certificate is not valid before %s (is the clock right?)", invalid.Cert.NotBefore.UTC().Format(time.RFC3339))}
		}
		return &TLSError{Msg: fmt.Sprintf("certificate expired at %s", invalid.Cert.NotAfter.UTC().Format(time.RFC3339))}
	case errors.As(err, &notTLS):
		return &TLSError{Msg: fmt.Sprintf("the server did not answer with TLS: it sent %s%s", sanitize.Excerpt(notTLS.RecordHeader[:], 5), notTLSHint(notTLS.RecordHeader[:]))}
	case errors.As(err, &remote) && remote.Op == "remote error" && net.ParseIP(cfg.ServerName) != nil:
		// Go sends no server name (SNI) for an IP address, and servers
		// with one certificate per name (Caddy, Traefik) refuse that.
		return &TLSError{Msg: fmt.Sprintf("the server refused the handshake: %s; no server name was sent, as the target is an IP address: name it with --server-name NAME",
			strings.TrimPrefix(remote.Err.Error(), "tls: "))}
	case errors.As(err, &host):
		return &TLSError{Msg: fmt.Sprintf("certificate is not valid for %q (name the server it was issued for with --server-name NAME, or use --insecure)", host.Host)}
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF):
		// A cleartext server that reads a ClientHello as garbage hangs up.
		return &TLSError{Msg: "the server hung up during the handshake (is the port cleartext, such as plain HTTP/2?)"}
	}
	return &TLSError{Msg: strings.TrimPrefix(err.Error(), "tls: ")}
}

// refusedAfterHandshake is a TLS alert that came after the handshake, at the
// first read: in TLS 1.3, a server that wants a client certificate says so
// only then.
func refusedAfterHandshake(remote *net.OpError) error {
	return &TLSError{Msg: fmt.Sprintf("the server refused the connection: %s (does it want a client certificate? see --cert and --key)",
		strings.TrimPrefix(remote.Err.Error(), "tls: "))}
}

// notTLSHint guesses, from a reply's first bytes, what answered instead of
// TLS.
func notTLSHint(head []byte) string {
	switch h := string(head); {
	case strings.HasPrefix(h, "HTTP"):
		return " (plain HTTP: use http://)"
	case len(head) >= 4 && head[0] == 0 && head[3] == 4:
		return " (an HTTP/2 SETTINGS frame: cleartext HTTP/2, use grpc:// or http:// with --http2)"
	case strings.HasPrefix(h, "SSH-"):
		return " (an SSH server)"
	case strings.HasPrefix(h, "220"):
		return " (a mail or FTP greeting: for STARTTLS, check it with tcp:// and --expect)"
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
