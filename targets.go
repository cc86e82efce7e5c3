package main

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/probe-sh/probe/internal/patched/procfs"

	"github.com/probe-sh/probe/internal/checks"
	"github.com/probe-sh/probe/internal/runner"
	"github.com/probe-sh/probe/internal/sanitize"
)

// TargetFlags are the check options of every command that takes targets.
// Before the first target, each applies to every target of its kind; after
// a target, to that target only (flags.go).
type TargetFlags struct {
	Method       string              `short:"X" default:"GET" group:"HTTP" help:"HTTP method."`
	Body         string              `short:"d" group:"HTTP" help:"Request body."`
	Header       []string            `short:"H" sep:"none" placeholder:"'NAME: VALUE'" group:"HTTP" help:"Request header, repeatable. 'Host: NAME' is sent as the Host header and used for TLS SNI."`
	Status       checks.StatusRanges `default:"200-399" group:"HTTP" help:"Accepted status codes and ranges, such as 200-299,304."`
	ExpectBody   []Pattern           `sep:"none" placeholder:"REGEXP" group:"HTTP" help:"Fail unless the body matches this regular expression; repeatable, all must match."`
	RejectBody   []Pattern           `sep:"none" placeholder:"REGEXP" group:"HTTP" help:"Fail when the body matches this regular expression; repeatable."`
	MaxBody      checks.Size         `default:"1MiB" group:"HTTP" help:"Largest body read; a larger one fails."`
	MaxRedirects int                 `default:"0" group:"HTTP" help:"Follow up to N redirects. With 0, a 3xx is judged by --status."`
	ExpectJSON   []string            `name:"expect-json" sep:"none" placeholder:"PATH=VALUE" group:"HTTP" help:"Fail unless the JSON body holds this: PATH=VALUE, PATH!=VALUE, PATH (there) or !PATH (absent); gjson paths such as components.db.status or checks.0.status; repeatable, all must hold."`
	ExpectHeader []string            `sep:"none" placeholder:"'NAME: REGEXP'" group:"HTTP" help:"Fail unless the reply has this header, matching the regular expression if one is given; repeatable."`
	RejectHeader []string            `sep:"none" placeholder:"'NAME[: REGEXP]'" group:"HTTP" help:"Fail when the reply has this header (matching the regular expression, if one is given); repeatable."`
	HTTP2        bool                `name:"http2" env:"PROBE_HTTP2" group:"HTTP" help:"Speak HTTP/2: with prior knowledge (h2c) to http://, by ALPN h2 to https://. For servers that speak only HTTP/2; without it, probe speaks HTTP/1.1."`

	Insecure   bool        `short:"k" group:"TLS" help:"Do not verify the server's certificate."`
	CA         string      `placeholder:"FILE" group:"TLS" help:"PEM file of trusted CAs, in place of the system's (SSL_CERT_FILE also works)."`
	Cert       string      `placeholder:"FILE" group:"TLS" help:"Client certificate (PEM), for mTLS."`
	Key        string      `placeholder:"FILE" group:"TLS" help:"Client key (PEM), for mTLS."`
	CertExpiry checks.Days `placeholder:"DURATION" group:"TLS" help:"Fail when a certificate the server presents, the leaf or any in its chain, expires within this, such as 14d."`

	Send   string    `placeholder:"BYTES" group:"TCP" help:"Bytes to send after connecting; \\r, \\n, \\t, \\0 and \\xHH are escapes."`
	Expect []Pattern `sep:"none" placeholder:"REGEXP" group:"TCP" help:"Read until the reply matches this regular expression, and fail if it does not; repeatable, all must match."`
	Reject []Pattern `sep:"none" placeholder:"REGEXP" group:"TCP" help:"With --expect: fail at once when the reply matches this, such as -NOAUTH or ERROR; repeatable."`

	UnixSocket string `name:"unix-socket" placeholder:"PATH" group:"SOCKET" help:"Connect to this Unix socket in place of the target's host and port, as curl does; @NAME is a Linux abstract socket. For http(s)://, grpc(s)://, tcp://, tls:// and the database targets; the target's host still names the server (Host, :authority, TLS)."`

	MaxAge checks.Days `placeholder:"DURATION" group:"FILE" help:"file:// targets: fail when the file was last modified longer ago than this, such as 30s (a heartbeat). --expect and --reject also match a file's content (its first 64 KiB)."`

	// perTarget are the flags of the targets that have their own, by
	// index; see flags.go.
	perTarget []*TargetFlags
}

func regexps(ps []Pattern) []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(ps))
	for i, p := range ps {
		out[i] = p.Regexp
	}
	return out
}

// Pattern is a regular expression flag. Text that does not compile as one,
// such as the '+PONG' of a Redis check, is matched literally instead, so the
// obvious one-liner works.
type Pattern struct{ *regexp.Regexp }

// UnmarshalText compiles text, falling back to a literal match.
func (p *Pattern) UnmarshalText(text []byte) error {
	if !utf8.Valid(text) {
		return errors.New("not valid UTF-8: a pattern is text (use \\xHH for a byte's code point)")
	}
	re, err := regexp.Compile(string(text))
	if err != nil {
		re = regexp.MustCompile(regexp.QuoteMeta(string(text)))
	}
	p.Regexp = re
	return nil
}

// flagsFor returns the flags of target i: its own, when flags followed it
// on the command line, or else these, the defaults.
func (f *TargetFlags) flagsFor(i int) *TargetFlags {
	if i < len(f.perTarget) && f.perTarget[i] != nil {
		return f.perTarget[i]
	}
	return f
}

// builder builds the targets of a command, with the secrets to mask, for
// Globals.prepare.
func (f *TargetFlags) builder(raw []string, procRoot string) func() ([]runner.Target, []string, error) {
	return func() ([]runner.Target, []string, error) {
		return f.Build(raw, procRoot)
	}
}

// secrets lists what output must never show of one target: the values of
// its secret headers, its userinfo, also as the Basic credentials it
// becomes, and its secret query values.
func secrets(u *url.URL, headers []checks.Header) []string {
	var out []string
	for _, h := range headers {
		if sanitize.IsSecretHeader(h.Name) {
			out = append(out, h.Value)
			if _, cred, ok := strings.Cut(h.Value, " "); ok { // "Bearer TOKEN"
				out = append(out, strings.TrimSpace(cred))
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

// compiled is what a set of target flags turns into, once.
type compiled struct {
	headers      []checks.Header
	send         []byte
	tls          *tls.Config
	json         []checks.JSONAssertion
	expectHeader []checks.HeaderMatch
	rejectHeader []checks.HeaderMatch
}

// compile checks the flags and turns them into what the checks take.
func (f *TargetFlags) compile() (*compiled, error) {
	if f.MaxRedirects < 0 {
		return nil, errors.New("--max-redirects cannot be negative")
	}
	if f.MaxBody <= 0 {
		return nil, errors.New("--max-body must be above zero")
	}
	if !isToken(f.Method) {
		return nil, fmt.Errorf("-X %q is not an HTTP method: one word of letters, such as GET, HEAD or POST", f.Method)
	}
	headers, err := parseHeaders(f.Header)
	if err != nil {
		return nil, err
	}
	send, err := checks.Unescape(f.Send)
	if err != nil {
		return nil, fmt.Errorf("--send: %w", err)
	}
	// Built even for http:// targets, which may redirect to https://.
	tlsCfg, err := checks.TLSOptions{Insecure: f.Insecure, CA: f.CA, Cert: f.Cert, Key: f.Key}.Config()
	if err != nil {
		return nil, err
	}
	if err := checkSocketPath(f.UnixSocket); err != nil {
		return nil, err
	}
	if f.HTTP2 && len(f.Body) > 65535 {
		return nil, fmt.Errorf("-d: over HTTP/2 (--http2), probe sends a body of at most 65535 bytes, the first window; this one has %d", len(f.Body))
	}
	c := &compiled{headers: headers, send: send, tls: tlsCfg}
	for _, s := range f.ExpectJSON {
		a, err := checks.ParseJSONAssertion(s)
		if err != nil {
			return nil, err
		}
		c.json = append(c.json, a)
	}
	if c.expectHeader, err = headerMatches("--expect-header", f.ExpectHeader); err != nil {
		return nil, err
	}
	if c.rejectHeader, err = headerMatches("--reject-header", f.RejectHeader); err != nil {
		return nil, err
	}
	return c, nil
}

// headerMatches reads --expect-header and --reject-header: NAME, or
// NAME: REGEXP (text that is not a regular expression matches literally).
func headerMatches(flag string, raw []string) ([]checks.HeaderMatch, error) {
	var out []checks.HeaderMatch
	for _, h := range raw {
		name, pattern, hasPattern := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !isToken(name) {
			return nil, fmt.Errorf("%s %q: want NAME or 'NAME: REGEXP', with a header name", flag, sanitize.Clip(h, 40))
		}
		m := checks.HeaderMatch{Name: name}
		if pattern = strings.TrimSpace(pattern); hasPattern && pattern != "" {
			var p Pattern
			if err := p.UnmarshalText([]byte(pattern)); err != nil {
				return nil, fmt.Errorf("%s %s: %w", flag, name, err)
			}
			m.Pattern = p.Regexp
		}
		out = append(out, m)
	}
	return out, nil
}

// Build turns target URLs into checks, with the secrets output must mask,
// or says which target or flag is wrong. Each target takes its own flags, or
// the defaults. listen:// targets read the proc filesystem mounted at
// procRoot.
func (f *TargetFlags) Build(raw []string, procRoot string) ([]runner.Target, []string, error) {
	var secretValues []string
	procOpened := false // checked once, for the first listen:// target
	done := map[*TargetFlags]*compiled{}
	targets := make([]runner.Target, 0, len(raw))
	for i, r := range raw {
		flags := f.flagsFor(i)
		c, ok := done[flags]
		if !ok {
			var err error
			if c, err = flags.compile(); err != nil {
				if flags != f {
					err = fmt.Errorf("for %s: %w", sanitize.RedactText(r), err)
				}
				return nil, nil, err
			}
			done[flags] = c
		}
		u, err := ParseTarget(r)
		if err != nil {
			return nil, nil, err
		}
		secretValues = append(secretValues, secrets(u, c.headers)...)
		t := runner.Target{Name: sanitize.Redact(u), Kind: u.Scheme}
		socket := flags.UnixSocket
		if socket != "" && (u.Scheme == "listen" || u.Scheme == "file" || u.Scheme == "unix") {
			return nil, nil, fmt.Errorf("--unix-socket does not apply to %s: it replaces the host and port of a network target", sanitize.RedactText(r))
		}
		if example := needsPort[u.Scheme]; example != "" && u.Port() == "" && socket == "" {
			return nil, nil, fmt.Errorf("target %q needs a port, as in %s://%s:%s", sanitize.RedactText(r), u.Scheme, u.Hostname(), example)
		}
		if (u.Scheme == "tcp" || u.Scheme == "tls" || u.Scheme == "unix") && len(flags.Reject) > 0 && len(flags.Expect) == 0 {
			return nil, nil, errors.New("--reject needs --expect on a tcp://, tls:// or unix: target: without it, probe cannot tell when the reply is complete")
		}
		switch u.Scheme {
		case "http", "https":
			t.Kind = "http"
			t.Check = &checks.HTTP{URL: u, Method: strings.ToUpper(flags.Method), Body: flags.Body, Header: c.headers,
				Status: flags.Status, ExpectBody: regexps(flags.ExpectBody), RejectBody: regexps(flags.RejectBody),
				MaxBody: int(flags.MaxBody), MaxRedirects: flags.MaxRedirects, TLS: c.tls, UserAgent: userAgent(),
				ExpectJSON: c.json, ExpectHeader: c.expectHeader, RejectHeader: c.rejectHeader, CertExpiry: time.Duration(flags.CertExpiry),
				Socket: socket, HTTP2: flags.HTTP2}
		case "grpc", "grpcs":
			t.Kind = "grpc"
			g, err := grpcTarget(u, c, flags, socket)
			if err != nil {
				return nil, nil, err
			}
			t.Check = g
		case "unix":
			t.Kind = "unix"
			t.Name = "unix:" + sanitize.Printable(u.Opaque) // the socket's path
			if name, abstract := strings.CutPrefix(u.Opaque, "@"); abstract {
				t.Name = "unix-abstract:" + sanitize.Printable(name)
			}
			t.Check = &checks.TCP{Socket: u.Opaque, Send: c.send, Expect: regexps(flags.Expect), Reject: regexps(flags.Reject)}
		case "listen":
			if !procOpened {
				if _, err := openProc(procRoot); err != nil {
					return nil, nil, err
				}
				procOpened = true
			}
			if t, err = listenTarget(procRoot, u.Host); err != nil {
				return nil, nil, err
			}
		case "postgres", "postgresql":
			t.Kind = "postgres"
			t.Check = &checks.Postgres{Socket: socket, Host: u.Hostname(), Port: portOr(u, "5432"), User: u.User.Username(), Database: strings.TrimPrefix(u.Path, "/")}
		case "redis", "rediss":
			t.Kind = "redis"
			pass, _ := u.User.Password()
			rc := &checks.Redis{Socket: socket, Host: u.Hostname(), Port: portOr(u, "6379"), User: u.User.Username(), Password: pass, CertExpiry: time.Duration(flags.CertExpiry)}
			if u.Scheme == "rediss" {
				rc.TLS = c.tls
			}
			t.Check = rc
		case "mysql", "mariadb":
			t.Kind = "mysql"
			t.Check = &checks.MySQL{Socket: socket, Host: u.Hostname(), Port: portOr(u, "3306")}
		case "memcached":
			t.Check = &checks.Memcached{Socket: socket, Host: u.Hostname(), Port: portOr(u, "11211")}
		case "amqp", "amqps":
			t.Kind = "amqp"
			ac := &checks.AMQP{Socket: socket, Host: u.Hostname(), Port: portOr(u, "5672"), CertExpiry: time.Duration(flags.CertExpiry)}
			if u.Scheme == "amqps" {
				ac.TLS, ac.Port = c.tls, portOr(u, "5671")
			}
			t.Check = ac
		case "file":
			t.Name = "file://" + u.Path
			t.Check = checks.File{Path: u.Path, MaxAge: time.Duration(flags.MaxAge), Expect: regexps(flags.Expect), Reject: regexps(flags.Reject)}
		case "tcp", "tls":
			tc := &checks.TCP{Host: u.Hostname(), Port: u.Port(), Socket: socket, Send: c.send, Expect: regexps(flags.Expect), Reject: regexps(flags.Reject),
				CertExpiry: time.Duration(flags.CertExpiry)}
			if u.Scheme == "tls" {
				tc.TLS = c.tls
			}
			t.Check = tc
		}
		targets = append(targets, t)
	}
	return targets, secretValues, nil
}

// ParseTarget parses and validates one target URL. Its errors never echo
// the URL's userinfo.
func ParseTarget(raw string) (*url.URL, error) {
	shown := sanitize.RedactText(raw)
	if strings.HasPrefix(raw, "unix:") || strings.HasPrefix(raw, "unix-abstract:") {
		return parseUnixTarget(raw, shown)
	}
	if !strings.Contains(raw, "://") {
		// "localhost:8080" would parse as scheme "localhost"; say what is meant.
		return nil, fmt.Errorf("target %q has no scheme: write %q or %q", shown, "http://"+shown, "tcp://"+shown)
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("invalid target %q: %v", shown, err)
	}
	switch u.Scheme {
	case "http", "https", "tcp", "tls", "grpc", "grpcs", "postgres", "postgresql", "redis", "rediss", "mysql", "mariadb", "memcached", "amqp", "amqps":
	case "file":
		if (u.Host != "" && u.Host != "localhost") || !strings.HasPrefix(u.Path, "/") || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("target %q: a file target is file:///ABSOLUTE/PATH", shown)
		}
		return u, nil
	case "listen":
		if _, _, err := checks.ParseListen(u.Host); err != nil {
			return nil, fmt.Errorf("target %q: %w", shown, err)
		}
		if u.Path != "" || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("target %q: a listen target is only listen://[ADDR]:PORT", shown)
		}
		return u, nil
	default:
		return nil, fmt.Errorf("target %q has an unknown scheme %q: use http, https, grpc, grpcs, tcp, tls, unix, postgres, redis, rediss, mysql, memcached, amqp, amqps, file or listen", shown, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("target %q has no host", shown)
	}
	if strings.IndexFunc(u.Hostname(), func(r rune) bool { return r >= 0x80 }) >= 0 {
		// probe would send it raw, as no DNS server or certificate knows
		// it; converting it takes IDNA tables probe does not carry.
		return nil, fmt.Errorf("target %q: the host name is not ASCII: write it as DNS has it, in punycode (xn--...)", shown)
	}
	port := u.Port()
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("target %q: port %s is out of range 1-65535", shown, port)
		}
	}
	if databaseSchemes[u.Scheme] && (u.RawQuery != "" || u.Fragment != "" || strings.Count(u.Path, "/") > 1) {
		return nil, fmt.Errorf("target %q: a %s target is only %s://[USER[:PASSWORD]@]HOST[:PORT][/NAME]", shown, u.Scheme, u.Scheme)
	}
	if u.Scheme == "tcp" || u.Scheme == "tls" {
		if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("target %q: a %s target is only %s://HOST:PORT", shown, u.Scheme, u.Scheme)
		}
	}
	if u.Scheme == "grpc" || u.Scheme == "grpcs" {
		if strings.Count(u.Path, "/") > 1 || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return nil, fmt.Errorf("target %q: a %s target is only %s://HOST:PORT[/SERVICE], such as %s://localhost:50051/my.package.Service", shown, u.Scheme, u.Scheme, u.Scheme)
		}
	}
	return u, nil
}

// needsPort holds the schemes with no port of their own, and a port to show
// in the message that asks for one.
var needsPort = map[string]string{"tcp": "6379", "tls": "6379", "grpc": "50051"}

// parseUnixTarget reads the forms gRPC names a Unix socket by:
// unix:///ABSOLUTE/PATH, unix:PATH, unix:@NAME and unix-abstract:NAME (a
// Linux abstract socket).
func parseUnixTarget(raw, shown string) (*url.URL, error) {
	scheme, rest, _ := strings.Cut(raw, ":")
	path := rest
	if scheme == "unix" && strings.HasPrefix(rest, "//") {
		if !strings.HasPrefix(rest, "///") {
			return nil, fmt.Errorf("target %q: write unix:///ABSOLUTE/PATH (three slashes), unix:RELATIVE/PATH or unix-abstract:NAME", shown)
		}
		path = rest[2:]
	}
	if scheme == "unix-abstract" {
		path = "@" + rest
	}
	if err := checkSocketPath(path); err != nil || path == "" || path == "@" {
		if err == nil {
			err = errors.New("the socket path is empty")
		}
		return nil, fmt.Errorf("target %q: %w", shown, err)
	}
	return &url.URL{Scheme: "unix", Opaque: path}, nil
}

// checkSocketPath refuses a --unix-socket path that no socket can have.
func checkSocketPath(path string) error {
	switch {
	case strings.IndexByte(path, 0) >= 0:
		return errors.New("--unix-socket: the path holds a NUL byte")
	case len(path) > 108:
		// sun_path is 108 bytes on Linux; Go would say "invalid argument".
		return fmt.Errorf("--unix-socket: the path is %d bytes, longer than the 108 a Unix socket address holds: use a shorter path, or a symbolic link's directory", len(path))
	}
	return nil
}

// grpcTarget is the gRPC health check of a grpc:// or grpcs:// target.
func grpcTarget(u *url.URL, c *compiled, flags *TargetFlags, socket string) (*checks.GRPC, error) {
	port := u.Port()
	if port == "" && u.Scheme == "grpcs" {
		port = "443"
	}
	g := &checks.GRPC{Host: u.Hostname(), Port: port, Socket: socket, Service: strings.TrimPrefix(u.Path, "/"),
		UserAgent: userAgent(), CertExpiry: time.Duration(flags.CertExpiry)}
	if u.Scheme == "grpcs" {
		g.TLS = c.tls
	}
	for _, h := range c.headers {
		name := strings.ToLower(h.Name)
		switch {
		case name == "host":
			g.Authority = h.Value
		case grpcReserved[name] || strings.HasPrefix(name, "grpc-"):
			return nil, fmt.Errorf("-H %s: gRPC reserves this header; probe sets what it needs", h.Name)
		default:
			g.Metadata = append(g.Metadata, checks.Header{Name: name, Value: h.Value})
		}
	}
	return g, nil
}

// grpcReserved are request headers the gRPC protocol sets itself.
var grpcReserved = map[string]bool{"content-type": true, "te": true}

// parseHeaders splits each -H "Name: value". Its errors never echo a value.
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
		if why := managedHeaders[strings.ToLower(name)]; why != "" {
			return nil, fmt.Errorf("-H %s: %s", name, why)
		}
		out = append(out, checks.Header{Name: name, Value: value})
	}
	return out, nil
}

// managedHeaders are the headers probe sets itself, one connection per
// check: sent from -H too, they would go out twice, or contradict the
// request (issue 19: -H 'Connection: keep-alive' went out beside probe's
// Connection: close).
var managedHeaders = map[string]string{
	"connection":        "probe opens one connection per check and closes it, and says so itself",
	"keep-alive":        "probe opens one connection per check and closes it",
	"proxy-connection":  "probe opens one connection per check and closes it",
	"transfer-encoding": "probe sends the body of -d with its length",
	"content-length":    "probe sets it from the body of -d",
	"te":                "probe reads the reply as it comes",
	"trailer":           "probe sends no trailers",
	"upgrade":           "probe checks with HTTP/1.1 and does not switch protocols",
}

// isToken reports whether s is an HTTP token (RFC 9110, 5.6.2): a method or
// a header name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// databaseSchemes are the targets that speak a server's own protocol.
var databaseSchemes = map[string]bool{"postgres": true, "postgresql": true, "redis": true, "rediss": true,
	"mysql": true, "mariadb": true, "memcached": true, "amqp": true, "amqps": true}

// portOr is the URL's port, or the scheme's own.
func portOr(u *url.URL, def string) string {
	if p := u.Port(); p != "" {
		return p
	}
	return def
}

// listenTarget is the listen:// target for [ADDR]:PORT.
func listenTarget(procRoot, hostport string) (runner.Target, error) {
	addr, port, err := checks.ParseListen(hostport)
	if err != nil {
		return runner.Target{}, err
	}
	return runner.Target{Name: "listen://" + hostport, Kind: "listen", Check: checks.Listen{Proc: procRoot, Addr: addr, Port: port}}, nil
}

// pathCause drops the operation and path that an *fs.PathError repeats,
// for messages that name the path themselves.
func pathCause(err error) error {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err
	}
	return err
}

// openProc opens the proc filesystem for the /proc checks.
func openProc(root string) (procfs.FS, error) {
	pfs, err := procfs.NewFS(root)
	if err != nil {
		err = pathCause(err)
		if errors.Is(err, fs.ErrNotExist) {
			return procfs.FS{}, fmt.Errorf("cannot read %s: %w (is /proc mounted?)", root, err)
		}
		return procfs.FS{}, fmt.Errorf("cannot read %s: %w", root, err)
	}
	return pfs, nil
}
