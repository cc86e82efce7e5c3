package cli

import (
	"cmp"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/files"
	"github.com/probe-sh/probe/internal/kinds"
	"github.com/probe-sh/probe/internal/procinfo"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/probe"
)

// TargetFlags are the check options of every command that takes targets.
// Before the first target, each applies to every target of its kind; after
// a target, to that target only (flags.go).
type TargetFlags struct {
	Method       string              `short:"X" default:"GET" group:"HTTP" help:"HTTP method."`
	Body         string              `short:"d" group:"HTTP" help:"Request body; @FILE reads it from a file (at most 1 MiB, read once at start), as curl does."`
	DataRaw      string              `name:"data-raw" placeholder:"TEXT" group:"HTTP" help:"Request body sent as given, a leading @ included (curl's --data-raw); in place of -d."`
	Header       []string            `short:"H" sep:"none" placeholder:"'NAME: VALUE'" group:"HTTP" help:"Request header, repeatable. 'Host: NAME' is sent as the Host header and used for TLS SNI."`
	Status       checks.StatusRanges `default:"200-399" group:"HTTP" help:"Accepted status codes and ranges, such as 200-299,304."`
	ExpectBody   []Pattern           `sep:"none" placeholder:"REGEXP" group:"HTTP" help:"Fail unless the body matches this regular expression; repeatable, all must match."`
	RejectBody   []Pattern           `sep:"none" placeholder:"REGEXP" group:"HTTP" help:"Fail when the body matches this regular expression; repeatable."`
	MaxBody      checks.Size         `default:"1MiB" group:"HTTP" help:"Largest body read; a larger one fails."`
	MaxRedirects int                 `default:"0" group:"HTTP" help:"Follow up to N redirects. With 0, a 3xx is judged by --status."`
	Redirects    string              `placeholder:"POLICY" group:"HTTP" help:"kubelet: follow redirects as a Kubernetes httpGet probe does, to the same host name only (any port), up to 10 or --max-redirects; a redirect to another host is not followed, and its 3xx is judged by --status, which passes it by default."`
	ExpectJSON   []string            `name:"expect-json" sep:"none" placeholder:"PATH=VALUE" group:"HTTP" help:"Fail unless the JSON body holds this: PATH=VALUE, PATH!=VALUE, PATH (there) or !PATH (absent); gjson paths such as components.db.status or checks.0.status; repeatable, all must hold."`
	ExpectHeader []string            `sep:"none" placeholder:"'NAME[?][: REGEXP]'" group:"HTTP" help:"Fail unless the reply has this header, a value matching the regular expression if one is given; NAME? lets it be absent, but a value present must match; repeatable."`
	RejectHeader []string            `sep:"none" placeholder:"'NAME[: REGEXP]'" group:"HTTP" help:"Fail when the reply has this header (matching the regular expression, if one is given); repeatable."`
	HTTP2        bool                `name:"http2" env:"PROBE_HTTP2" group:"HTTP" help:"Speak HTTP/2: with prior knowledge (h2c) to http://, by ALPN h2 to https://. For servers that speak only HTTP/2; without it, probe speaks HTTP/1.1."`

	Insecure   bool     `short:"k" group:"TLS" help:"Do not verify the server's certificate."`
	CA         string   `placeholder:"FILE" group:"TLS" help:"PEM file of trusted CAs, in place of the system's (SSL_CERT_FILE also works)."`
	Cert       string   `placeholder:"FILE" group:"TLS" help:"Client certificate (PEM), for mTLS."`
	Key        string   `placeholder:"FILE" group:"TLS" help:"Client key (PEM), for mTLS."`
	CertExpiry Duration `placeholder:"DURATION" group:"TLS" help:"Fail when a certificate the server presents, the leaf or any in its chain, expires within this, such as 14d."`
	ServerName string   `placeholder:"NAME" group:"TLS" help:"The server's name in TLS, sent as SNI and verified against its certificate, in place of the target's host: for every TLS target (https://, grpcs://, tls://, the databases); on grpcs:// also :authority, unless -H Host sets it."`

	Send   string    `placeholder:"BYTES" group:"TCP" help:"Bytes to send after connecting; \\r, \\n, \\t, \\0 and \\xHH are escapes."`
	Expect []Pattern `sep:"none" placeholder:"REGEXP" group:"TCP" help:"Read until the reply matches this regular expression, and fail if it does not; repeatable, all must match."`
	Reject []Pattern `sep:"none" placeholder:"REGEXP" group:"TCP" help:"With --expect: fail at once when the reply matches this, such as -NOAUTH or ERROR; repeatable."`

	UnixSocket string `name:"unix-socket" placeholder:"PATH" group:"SOCKET" help:"Connect to this Unix socket in place of the target's host and port, as curl does; @NAME is a Linux abstract socket. For http(s)://, grpc(s)://, tcp://, tls:// and the database targets; the target's host still names the server (Host, :authority, TLS)."`

	MaxAge Duration `placeholder:"DURATION" group:"FILE" help:"file:// targets: fail when the file was last modified longer ago than this, such as 30s (a heartbeat). --expect and --reject also match a file's content (its first 64 KiB)."`

	Rcode []string `placeholder:"CODE" group:"DNS" help:"dns:// targets: accept this response code, such as NXDOMAIN for a name that must not exist; repeatable or a comma list. Without it, only NOERROR with a record of the type passes. --expect and --reject match each record of the answer, as its data or as the whole record."`

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
// obvious one-liner works (compilePattern).
type Pattern struct{ *regexp.Regexp }

// UnmarshalText compiles text, falling back to a literal match.
func (p *Pattern) UnmarshalText(text []byte) error {
	re, err := compilePattern(string(text))
	p.Regexp = re
	return err
}

// flagsFor returns the flags of target i: its own, when flags followed it
// on the command line, or else these, the defaults.
func (f *TargetFlags) flagsFor(i int) *TargetFlags {
	if i < len(f.perTarget) && f.perTarget[i] != nil {
		return f.perTarget[i]
	}
	return f
}

// options are the target flags, checked, as the checks take them.
type options struct {
	f                          *TargetFlags
	userAgent, body            string
	headers                    []checks.Header
	send                       []byte
	tls                        *tls.Config
	tlsAsked, sameHost         bool
	maxRedirects               int
	expectJSON                 []checks.JSONAssertion
	expectHeader, rejectHeader []checks.HeaderMatch
	rcodes                     []int
	procRoot                   string
}

// options checks the flags and turns them into what the checks take.
// Every flag is checked, whatever kind of target follows, so that a
// mistake is never silently ignored.
func (f *TargetFlags) options(stamp Stamp, procRoot string) (*options, error) {
	o := &options{f: f, userAgent: userAgent(stamp), procRoot: procRoot, maxRedirects: f.MaxRedirects}
	if f.MaxRedirects < 0 {
		return nil, errors.New("--max-redirects cannot be negative")
	}
	if f.MaxBody <= 0 {
		return nil, errors.New("--max-body must be above zero")
	}
	if !isToken(f.Method) {
		return nil, fmt.Errorf("-X %q is not an HTTP method: one word of letters, such as GET, HEAD or POST", f.Method)
	}
	var err error
	if o.headers, err = parseHeaders(f.Header); err != nil {
		return nil, err
	}
	if o.send, err = unescape(f.Send); err != nil {
		return nil, fmt.Errorf("--send: %w", err)
	}
	// Built even for http:// targets, which may redirect to https://.
	if o.tls, err = (tlsOptions{Insecure: f.Insecure, CA: f.CA, Cert: f.Cert, Key: f.Key, ServerName: f.ServerName}).config(); err != nil {
		return nil, err
	}
	// A TLS flag asks for TLS where a scheme leaves it open (nats://,
	// mongodb://): the config built for every target says nothing.
	o.tlsAsked = f.Insecure || f.CA != "" || f.Cert != "" || f.Key != "" || f.ServerName != "" || f.CertExpiry > 0
	if err := kinds.ValidateSocketPath(f.UnixSocket); err != nil {
		return nil, fmt.Errorf("--unix-socket: %w", err)
	}
	if o.body, err = requestBody(f.Body, f.DataRaw); err != nil {
		return nil, err
	}
	if f.HTTP2 && len(o.body) > 65535 {
		return nil, fmt.Errorf("-d: over HTTP/2 (--http2), probe sends a body of at most 65535 bytes, the first window; this one has %d", len(o.body))
	}
	switch f.Redirects {
	case "":
	case "kubelet":
		o.sameHost, o.maxRedirects = true, cmp.Or(f.MaxRedirects, 10)
	default:
		return nil, fmt.Errorf("--redirects %q: the one policy is kubelet (same host only, up to 10)", sanitize.Clip(f.Redirects, 20))
	}
	for _, s := range f.ExpectJSON {
		a, err := checks.ParseJSONAssertion(s)
		if err != nil {
			return nil, fmt.Errorf("--expect-json %w", err)
		}
		o.expectJSON = append(o.expectJSON, a)
	}
	if o.expectHeader, err = headerMatches("--expect-header", f.ExpectHeader); err != nil {
		return nil, err
	}
	if o.rejectHeader, err = headerMatches("--reject-header", f.RejectHeader); err != nil {
		return nil, err
	}
	for _, m := range o.rejectHeader {
		if m.Optional {
			return nil, fmt.Errorf("--reject-header %s?: a header --reject-header names may always be absent; drop the ?", m.Name)
		}
	}
	for _, s := range f.Rcode {
		rcode, err := parseDNSRcode(s)
		if err != nil {
			return nil, fmt.Errorf("--rcode: %w", err)
		}
		o.rcodes = append(o.rcodes, rcode)
	}
	return o, nil
}

// template is the template of probe.ParseTarget for a target of kind: its
// check, with the options the flags set. It is the one place that says
// which flag is which check's field; only the kind a target names is
// built, at every start. nil for a kind it does not know, or that this
// build leaves out: the constant that says so ends the case before its
// check is made, so that the compiler drops the rest and the check is not
// linked (a lite build, docs/development.md).
func (o *options) template(kind *kinds.Kind) probe.Check {
	f, socket, expiry := o.f, o.f.UnixSocket, time.Duration(o.f.CertExpiry)
	switch kind.Zero().(type) {
	case checks.HTTP:
		return checks.HTTP{Method: f.Method, Body: o.body, Header: o.headers, Status: f.Status, ExpectBody: regexps(f.ExpectBody),
			RejectBody: regexps(f.RejectBody), MaxBody: int(f.MaxBody), MaxRedirects: o.maxRedirects, TLS: o.tls,
			UserAgent: o.userAgent, ExpectJSON: o.expectJSON, ExpectHeader: o.expectHeader, RejectHeader: o.rejectHeader,
			CertExpiry: expiry, Socket: socket, HTTP2: f.HTTP2, SameHostRedirects: o.sameHost}
	case checks.GRPC:
		if !kinds.GRPC {
			return nil // left out of this build: see above
		}
		return checks.GRPC{Socket: socket, TLS: o.tls, Metadata: o.headers, UserAgent: o.userAgent, CertExpiry: expiry}
	case checks.TCP:
		return checks.TCP{Socket: socket, TLS: o.tls, Send: o.send, Expect: regexps(f.Expect), Reject: regexps(f.Reject), CertExpiry: expiry}
	case checks.Postgres:
		if !kinds.Databases {
			return nil // left out of this build: see above
		}
		// What a database target's URL does not name, the user and the
		// database, comes from the variables its clients read, then from
		// the ones the official image sets in the container the check
		// runs in (docs/databases.md).
		return checks.Postgres{Socket: socket, User: getenv("PGUSER", "POSTGRES_USER"), Database: getenv("PGDATABASE", "POSTGRES_DB")}
	case checks.Redis:
		if !kinds.Databases {
			return nil // left out of this build: see above
		}
		// redis-cli's own variable, for a URL with no userinfo: the
		// password reaches the server and is masked as the URL's would be.
		return checks.Redis{Socket: socket, TLS: o.tls, CertExpiry: expiry, Password: getenv("REDISCLI_AUTH")}
	case checks.MySQL:
		if !kinds.Databases {
			return nil // left out of this build: see above
		}
		return checks.MySQL{Socket: socket, User: getenv("MARIADB_USER", "MYSQL_USER")}
	case checks.Memcached:
		if !kinds.Databases {
			return nil // left out of this build: see above
		}
		return checks.Memcached{Socket: socket}
	case checks.AMQP:
		if !kinds.Databases {
			return nil // left out of this build: see above
		}
		return checks.AMQP{Socket: socket, TLS: o.tls, CertExpiry: expiry}
	case checks.NATS:
		if !kinds.Databases {
			return nil // left out of this build: see above
		}
		return checks.NATS{Socket: socket, TLS: o.tls, RequireTLS: o.tlsAsked, CertExpiry: expiry, Version: strings.TrimPrefix(o.userAgent, "probe/")}
	case checks.MQTT:
		if !kinds.Databases {
			return nil // left out of this build: see above
		}
		return checks.MQTT{Socket: socket, TLS: o.tls, CertExpiry: expiry}
	case checks.MongoDB:
		if !kinds.Databases {
			return nil // left out of this build: see above
		}
		m := checks.MongoDB{Socket: socket, CertExpiry: expiry}
		if o.tlsAsked {
			m.TLS = o.tls
		}
		return m
	case checks.Kafka:
		if !kinds.Databases {
			return nil // left out of this build: see above
		}
		return checks.Kafka{Socket: socket}
	case checks.DNS:
		if !kinds.DNS {
			return nil // left out of this build: see above
		}
		return checks.DNS{Rcodes: o.rcodes, Expect: regexps(f.Expect), Reject: regexps(f.Reject)}
	case checks.File:
		return checks.File{MaxAge: time.Duration(f.MaxAge), Expect: regexps(f.Expect), Reject: regexps(f.Reject)}
	case checks.Listen:
		return checks.Listen{Proc: o.procRoot}
	}
	return nil // a kind without its case here: TestEveryKindHasATemplate
}

// getenv returns the first of the variables names that is set and not
// empty.
func getenv(names ...string) string {
	for _, name := range names {
		if v := os.Getenv(name); v != "" {
			return v
		}
	}
	return ""
}

// maxBodyFile bounds the request body -d @FILE reads.
const maxBodyFile = 1 << 20

// requestBody is the body of -d, or of --data-raw: -d @FILE reads FILE,
// a regular file of at most 1 MiB, once, when probe starts.
func requestBody(body, raw string) (string, error) {
	if body != "" && raw != "" {
		return "", errors.New("-d and --data-raw both give the request body: keep one")
	}
	path, isFile := strings.CutPrefix(body, "@")
	if raw != "" || !isFile {
		return body + raw, nil
	}
	if path == "-" {
		return "", errors.New("-d @-: probe does not read a body from standard input, which a health check does not have: write it to a file and use -d @FILE")
	}
	if path == "" {
		return "", errors.New("-d @: name the file, as in -d @body.json (--data-raw sends a leading @ as it is)")
	}
	b, err := files.ReadSmall(path, maxBodyFile)
	if err != nil {
		return "", fmt.Errorf("-d: cannot read the request body from %w", err)
	}
	return string(b), nil
}

func headerMatches(flag string, raw []string) ([]checks.HeaderMatch, error) {
	var out []checks.HeaderMatch
	for _, h := range raw {
		m, err := parseHeaderMatch(h)
		if err != nil {
			return nil, fmt.Errorf("%s %w", flag, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// build turns target URLs into targets (probe.ParseTarget), or says which
// target or flag is wrong. Each target takes its own flags, or the
// defaults; the proc filesystem is mounted at procRoot.
func (f *TargetFlags) build(raw []string, procRoot string, stamp Stamp) ([]probe.Target, error) {
	done := map[*TargetFlags]*options{}
	targets := make([]probe.Target, 0, len(raw))
	procRead := false
	for i, r := range raw {
		flags := f.flagsFor(i)
		o, ok := done[flags]
		if !ok {
			var err error
			if o, err = flags.options(stamp, procRoot); err != nil {
				if flags != f {
					err = fmt.Errorf("for %s: %w", sanitize.RedactText(r), err)
				}
				return nil, err
			}
			done[flags] = o
		}
		var templates []probe.Check
		scheme, _, _ := strings.Cut(r, ":")
		if kind, _, ok := kinds.Lookup(scheme); ok {
			if tmpl := o.template(kind); tmpl != nil {
				templates = append(templates, tmpl)
			}
		}
		t, err := probe.ParseTarget(r, templates...)
		if err != nil {
			return nil, templateError(err)
		}
		if kind, _, _ := kinds.Lookup(t.Kind); kind.Local && flags.UnixSocket != "" {
			return nil, fmt.Errorf("--unix-socket does not apply to %s: it replaces the host and port of a network target", sanitize.Printable(sanitize.RedactText(r)))
		}
		if _, ok := t.Check.(checks.Listen); ok && !procRead {
			// Said once, now, rather than as every check's failure.
			if _, err := procinfo.Open(procRoot); err != nil {
				return nil, err
			}
			procRead = true
		}
		targets = append(targets, t)
	}
	return targets, nil
}

// templateError names the flags of an error about a template's fields
// (kinds.FieldError), where ParseTarget names the fields.
func templateError(err error) error {
	var fe *kinds.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	return errors.New(sanitize.Printable(fe.Text(func(field string) string {
		switch field {
		case "Metadata":
			return "-H"
		case "TLS":
			return "a TLS flag"
		}
		return flagOf(field)
	})))
}
