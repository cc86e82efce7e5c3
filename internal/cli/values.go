package cli

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/files"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/text"
	"github.com/probe-sh/probe/internal/wire/dns"
	"github.com/probe-sh/probe/internal/wire/h2"
)

// The syntax of what the target flags are given: escapes, patterns,
// header lines, durations in days, TLS files.

// unescape turns the escape sequences of --send into bytes: \r, \n, \t, \0,
// \\, \xHH and the other Go escapes.
func unescape(s string) ([]byte, error) {
	var out []byte
	for len(s) > 0 {
		if s[0] != '\\' {
			// Bytes pass through as they are, even when they are not UTF-8.
			out, s = append(out, s[0]), s[1:]
			continue
		}
		if len(s) > 1 && s[1] == '0' && (len(s) == 2 || s[2] < '0' || s[2] > '7') {
			out, s = append(out, 0), s[2:]
			continue
		}
		r, multibyte, tail, err := strconv.UnquoteChar(s, 0)
		if err != nil {
			bad := s
			if len(bad) > 4 {
				bad = bad[:4]
			}
			return nil, fmt.Errorf("invalid escape sequence %q: use \\r, \\n, \\t, \\0, \\\\ or \\xHH", bad)
		}
		if multibyte {
			out = append(out, string(r)...)
		} else {
			out = append(out, byte(r))
		}
		s = tail
	}
	return out, nil
}

// parseHeaders reads the request headers of -H, each "Name: value". Its
// errors name the header by its name or its place, never by its value,
// which may be a credential.
func parseHeaders(raw []string) ([]checks.Header, error) {
	out := make([]checks.Header, 0, len(raw))
	for i, h := range raw {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") {
			return nil, fmt.Errorf("-H number %d is not 'Name: value'", i+1)
		}
		if !isToken(name) {
			return nil, fmt.Errorf("-H number %d: a header name has letters, digits and !#$%%&'*+-.^_`|~ only", i+1)
		}
		value = strings.TrimSpace(value)
		if strings.EqualFold(name, "Host") && value == "" {
			return nil, errors.New("-H Host: the value cannot be empty")
		}
		if strings.ContainsAny(value, "\r\n") {
			return nil, fmt.Errorf("-H %s: the value cannot hold a line break", name)
		}
		if strings.IndexFunc(value, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) >= 0 {
			return nil, fmt.Errorf("-H %s: the value cannot hold control characters", name)
		}
		if why := managed(name); why != "" {
			return nil, fmt.Errorf("-H %s: %s", name, why)
		}
		out = append(out, checks.Header{Name: name, Value: value})
	}
	return out, nil
}

// managed says why probe sets a header itself, one connection per check:
// sent from -H too, it would go out twice, or contradict the request
// (issue 19: -H 'Connection: keep-alive' went out beside probe's
// Connection: close); "" for a header -H may set. A switch, not a map:
// nothing to build at every start.
func managed(name string) string {
	switch strings.ToLower(name) {
	case "connection":
		return "probe opens one connection per check and closes it, and says so itself"
	case "keep-alive", "proxy-connection":
		return "probe opens one connection per check and closes it"
	case "transfer-encoding":
		return "probe sends the body of -d with its length"
	case "content-length":
		return "probe sets it from the body of -d"
	case "te":
		return "probe reads the reply as it comes"
	case "trailer":
		return "probe sends no trailers"
	case "upgrade":
		return "probe checks with HTTP/1.1 and does not switch protocols"
	}
	return ""
}

// isToken reports whether s is an HTTP token (RFC 9110, 5.6.2): a method
// or a header name.
func isToken(s string) bool { return h2.IsToken(s) }

// parseHeaderMatch reads --expect-header and --reject-header: NAME, or
// NAME: REGEXP (text that is not a regular expression matches literally);
// NAME? or NAME?: REGEXP is Optional.
func parseHeaderMatch(s string) (checks.HeaderMatch, error) {
	name, pattern, hasPattern := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	name, optional := strings.CutSuffix(name, "?")
	if !isToken(name) {
		return checks.HeaderMatch{}, fmt.Errorf("%q: want NAME, 'NAME: REGEXP' or 'NAME?: REGEXP', with a header name", sanitize.Clip(s, 40))
	}
	m := checks.HeaderMatch{Name: name, Optional: optional}
	if pattern = strings.TrimSpace(pattern); hasPattern && pattern != "" {
		re, err := compilePattern(pattern)
		if err != nil {
			return checks.HeaderMatch{}, fmt.Errorf("%s: %w", name, err)
		}
		m.Pattern = re
	}
	if optional && m.Pattern == nil {
		return checks.HeaderMatch{}, fmt.Errorf("%s?: a header that may be absent, with any value, always holds: give the pattern a value present must match, as in '%s?: REGEXP'", name, name)
	}
	return m, nil
}

// compilePattern compiles what --expect-body, --expect and the like are given: a
// regular expression, or, when text does not compile as one (such as the
// '+PONG' of a Redis check), that text literally, so the obvious one-liner
// works. Text must be UTF-8.
func compilePattern(text string) (*regexp.Regexp, error) {
	if !utf8.ValidString(text) {
		return nil, errors.New("not valid UTF-8: a pattern is text (use \\xHH for a byte's code point)")
	}
	re, err := regexp.Compile(text)
	if err != nil {
		re = regexp.MustCompile(regexp.QuoteMeta(text))
	}
	return re, nil
}

// Duration is a time.Duration that may also be written in days, as
// certificate lifetimes and file ages are thought of: 14d, 1d12h, 36h, 30s.
// It is what --cert-expiry and --max-age take.
type Duration time.Duration

// parseDuration reads a Go duration with an optional leading number of
// days.
func parseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	var days int64
	if i := strings.IndexByte(t, 'd'); i >= 0 {
		n, err := strconv.ParseInt(t[:i], 10, 64)
		if err != nil || n < 0 || n > 36500 {
			return 0, fmt.Errorf("invalid duration %q: want a number of days (14d), a Go duration (36h, 30s), or both (1d12h)", s)
		}
		days, t = n, t[i+1:]
	}
	var rest time.Duration
	if t != "" {
		var err error
		if rest, err = time.ParseDuration(t); err != nil || rest < 0 {
			return 0, fmt.Errorf("invalid duration %q: want a number of days (14d), a Go duration (36h, 30s), or both (1d12h)", s)
		}
	}
	return Duration(time.Duration(days)*24*time.Hour + rest), nil
}

// UnmarshalText parses text as parseDuration does.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := parseDuration(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// String writes whole days as 14d, and the rest as Go does.
func (d Duration) String() string { return text.Days(time.Duration(d)) }

// tlsOptions are the TLS flags, shared by every target that speaks TLS.
type tlsOptions struct {
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

// config builds the tls.Config of the flags. Without CA it uses the system roots,
// which Go reads from SSL_CERT_FILE and SSL_CERT_DIR when they are set.
func (o tlsOptions) config() (*tls.Config, error) {
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

// parseDNSRcode reads a response code by its name, such as NXDOMAIN, in
// any case, or its number (0 to 4095, with EDNS's extended bits).
func parseDNSRcode(s string) (int, error) {
	if n, ok := dns.Rcode(s); ok {
		return n, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 4095 {
		return n, nil
	}
	return 0, fmt.Errorf("unknown DNS response code %q: use NOERROR, NXDOMAIN, SERVFAIL, REFUSED, FORMERR, NOTIMP, YXDOMAIN, YXRRSET, NXRRSET, NOTAUTH, NOTZONE, BADVERS, BADCOOKIE or a number from 0 to 4095", sanitize.Printable(sanitize.Clip(s, 40)))
}
