package probe

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/sanitize"
)

// Defaults are what a target's URL does not say: the target flags of
// probe's command line, typed. ParseTarget reads the groups that apply to
// the target's scheme (Scheme.Flags) and ignores the others. The zero
// Defaults check as probe does with no flag: GET, 200-399 accepted, bodies
// up to 1 MiB, certificates verified against the system's roots.
type Defaults struct {
	// HTTPFlags
	Method       string // GET when empty
	Body         string
	Status       checks.StatusRanges // 200-399 when empty
	ExpectBody   []*regexp.Regexp
	RejectBody   []*regexp.Regexp
	MaxBody      checks.Size // 1 MiB when zero
	MaxRedirects int
	ExpectJSON   []checks.JSONAssertion
	ExpectHeader []checks.HeaderMatch
	RejectHeader []checks.HeaderMatch
	HTTP2        bool
	UserAgent    string // "probe" when empty

	// SameHostRedirects: redirects to another host are not followed
	// (checks.HTTP.SameHostRedirects).
	SameHostRedirects bool

	// HeaderFlags: request headers, and gRPC's metadata.
	Header []checks.Header

	// TLSFlags
	TLS        *tls.Config // verified against the system's roots when nil
	CertExpiry time.Duration

	// SendFlags and MatchFlags
	Send   []byte
	Expect []*regexp.Regexp
	Reject []*regexp.Regexp

	// SocketFlags: a Unix socket to connect to in place of the host and port.
	UnixSocket string

	// FileFlags
	MaxAge time.Duration

	// DNSFlags: the response codes a dns:// check accepts (checks.DNS.Rcodes).
	Rcodes []int

	// Proc is where the proc filesystem is mounted, for listen://; /proc
	// when empty.
	Proc string

	// Getenv reads the environment the database kinds take the defaults of
	// their clients from (PGUSER, POSTGRES_USER, MYSQL_USER...:
	// docs/databases.md); none is read when nil. The command line passes
	// os.Getenv.
	Getenv func(name string) string
}

// env returns the first of the variables names that is set and not empty.
func (d *Defaults) env(names ...string) string {
	if d.Getenv == nil {
		return ""
	}
	for _, name := range names {
		if v := d.Getenv(name); v != "" {
			return v
		}
	}
	return ""
}

// tlsConfig is the TLS configuration of a scheme that speaks TLS: the
// checks take a nil one to mean cleartext.
func (d *Defaults) tlsConfig() *tls.Config {
	if d.TLS == nil {
		return &tls.Config{}
	}
	return d.TLS
}

// rejectNeedsExpect refuses a Reject without an Expect on a connection: the
// check could not tell when the reply is complete.
func (d *Defaults) rejectNeedsExpect() error {
	if len(d.Reject) > 0 && len(d.Expect) == 0 {
		return flagError{errors.New("--reject needs --expect on a tcp://, tls:// or unix: target: without it, probe cannot tell when the reply is complete")}
	}
	return nil
}

// oneLine refuses an --expect or --reject that holds a line break where
// they match one line at a time (tcp://, tls://, unix:, file://): it could
// never match.
func (d *Defaults) oneLine() error {
	for _, set := range []struct {
		flag string
		res  []*regexp.Regexp
	}{{"--expect", d.Expect}, {"--reject", d.Reject}} {
		for _, re := range set.res {
			if checks.MatchesLineBreak(re) {
				return flagError{fmt.Errorf("%s %q holds a line break, but --expect and --reject match one line at a time, without its \\r\\n: write ^ and $ for a line's start and end", set.flag, re)}
			}
		}
	}
	return nil
}

// flagError is a Build error about the Defaults, not the URL: ParseTarget
// does not name the target in it.
type flagError struct{ error }

func (e flagError) Unwrap() error { return e.error }

// ParseTarget reads one target, a URL whose scheme names its kind (Kinds),
// and builds its check with the Defaults that apply. The Target it returns
// is named as the user wrote it, its secrets masked, and lists them for Run
// to mask in results. Its errors say what is wrong in one printable line,
// and never show the URL's userinfo.
func ParseTarget(raw string, d Defaults) (Target, error) {
	t, err := parseTarget(raw, d)
	if err != nil {
		return Target{}, printable(err)
	}
	return t, nil
}

// printable makes err one printable line, keeping what it wraps: a target
// is anyone's text, and a message that quotes it may carry a line break or
// an escape code (a kind's error, a flag's value).
func printable(err error) error {
	msg := err.Error()
	if line := sanitize.Printable(msg); line != msg {
		return &lineError{line, err}
	}
	return err
}

// lineError is an error with its message made printable.
type lineError struct {
	msg string
	err error
}

func (e *lineError) Error() string { return e.msg }
func (e *lineError) Unwrap() error { return e.err }

func parseTarget(raw string, d Defaults) (Target, error) {
	shown := sanitize.RedactText(raw)
	kind, scheme, u, err := parseURL(raw, shown)
	if err != nil {
		return Target{}, err
	}
	if d.UnixSocket != "" && kind.Local {
		return Target{}, fmt.Errorf("--unix-socket does not apply to %s: it replaces the host and port of a network target", shown)
	}
	if !kind.Local && scheme.Port == "" && u.Port() == "" && d.UnixSocket == "" {
		return Target{}, fmt.Errorf("target %q needs a port, as in %s://%s:%s", shown, u.Scheme, u.Hostname(), kind.ExamplePort)
	}
	port := u.Port()
	if port == "" {
		port = scheme.Port
	}
	check, err := kind.Build(u, port, &d)
	var fe flagError
	switch {
	case errors.As(err, &fe):
		return Target{}, fe.error
	case err != nil:
		return Target{}, fmt.Errorf("target %q: %w", shown, err)
	}
	t := Target{Name: sanitize.Redact(u), Kind: kind.Name, Check: check, Secrets: secrets(u, d.Header)}
	if kind.Display != nil {
		t.Name = kind.Display(u)
	}
	t.Name = sanitize.Mask(t.Name, t.Secrets)
	return t, nil
}

// parseURL finds the kind of raw and parses it, with the checks every
// target of a network kind passes.
func parseURL(raw, shown string) (*Kind, *Scheme, *url.URL, error) {
	name, rest, _ := strings.Cut(raw, ":")
	if kind, scheme, ok := Lookup(name); ok && kind.Opaque {
		return kind, scheme, &url.URL{Scheme: scheme.Name, Opaque: rest}, nil
	}
	if !strings.Contains(raw, "://") {
		// "localhost:8080" would parse as scheme "localhost"; say what is meant.
		return nil, nil, nil, fmt.Errorf("target %q has no scheme: write %q or %q", shown, "http://"+shown, "tcp://"+shown)
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, nil, fmt.Errorf("invalid target %q: %v", shown, err)
	}
	kind, scheme, ok := Lookup(u.Scheme)
	if !ok || kind.Opaque {
		return nil, nil, nil, fmt.Errorf("target %q has an unknown scheme %q: use %s", shown, u.Scheme, orList(Schemes()))
	}
	if kind.Local {
		return kind, scheme, u, nil
	}
	if u.Hostname() == "" {
		return nil, nil, nil, fmt.Errorf("target %q has no host", shown)
	}
	if strings.IndexFunc(u.Hostname(), func(r rune) bool { return r >= 0x80 }) >= 0 {
		// probe would send it raw, as no DNS server or certificate knows
		// it; converting it takes IDNA tables probe does not carry.
		return nil, nil, nil, fmt.Errorf("target %q: the host name is not ASCII: write it as DNS has it, in punycode (xn--...)", shown)
	}
	if port := u.Port(); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return nil, nil, nil, fmt.Errorf("target %q: port %s is out of range 1-65535", shown, port)
		}
	}
	return kind, scheme, u, nil
}

// secrets lists what output must never show of one target: the values of
// its secret headers (and Basic credentials decoded), its userinfo, also as
// the Basic credentials it becomes, and its secret query values.
func secrets(u *url.URL, headers []checks.Header) []string {
	var out []string
	for _, h := range headers {
		if sanitize.IsSecretHeader(h.Name) {
			out = append(out, h.Value)
			scheme, cred, ok := strings.Cut(h.Value, " ")
			if !ok { // "Bearer TOKEN"
				continue
			}
			cred = strings.TrimSpace(cred)
			out = append(out, cred)
			// A server may echo Basic credentials decoded.
			if decoded, err := base64.StdEncoding.DecodeString(cred); err == nil && strings.EqualFold(scheme, "basic") {
				out = append(out, string(decoded))
				if _, pass, ok := strings.Cut(string(decoded), ":"); ok && pass != "" {
					out = append(out, pass)
				}
			}
		}
	}
	out = append(out, sanitize.SecretParams(u)...)
	if u.User != nil {
		name := u.User.Username()
		if pass, ok := u.User.Password(); ok {
			out = append(out, pass, base64.StdEncoding.EncodeToString([]byte(name+":"+pass)))
		} else {
			out = append(out, name, base64.StdEncoding.EncodeToString([]byte(name+":")))
		}
	}
	return out
}

// orList writes "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
