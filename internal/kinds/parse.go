package kinds

import (
	"cmp"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/wire/dns"
)

// Target is a target as Parse reads it: probe.Target's fields.
type Target struct {
	Name    string // as written, its secrets masked
	Kind    string
	Check   Check
	Secrets []string
}

// FieldError is an error about the fields of a template, not about the
// URL: its message names the fields through a function, so that the
// command line names its flags where a library's caller reads the fields'
// names.
type FieldError struct {
	text func(name func(field string) string) string
	// named: the message is about one target, which Parse names.
	named  bool
	target string
}

func fieldError(text func(name func(field string) string) string) *FieldError {
	return &FieldError{text: text}
}

func (e *FieldError) Error() string { return e.Text(nil) }

// Text writes the message with each field named by name, or by its Go name
// when name is nil.
func (e *FieldError) Text(name func(field string) string) string {
	if name == nil {
		name = func(field string) string { return field }
	}
	if e.named {
		return fmt.Sprintf("target %q: %s", e.target, e.text(name))
	}
	return e.text(name)
}

// Parse reads one target, a URL whose scheme names its kind, and builds its
// check from the template of the kind's type among templates (its zero
// value when there is none): what the URL says is the URL's, the rest the
// template's. The target is named as written, its secrets masked, and
// lists them: those of the URL and of the template (headers, passwords).
func Parse[C Check](raw string, templates []C) (Target, error) {
	shown := sanitize.RedactText(raw)
	kind, scheme, u, err := parseURL(raw, shown)
	if err != nil {
		return Target{}, err
	}
	template, err := pick(kind, templates)
	if err != nil {
		return Target{}, err
	}
	socket := socketOf(template)
	if !kind.Local && scheme.Port == "" && u.Port() == "" && socket == "" {
		return Target{}, fmt.Errorf("target %q needs a port, as in %s://%s:%s", shown, u.Scheme, u.Hostname(), kind.examplePort)
	}
	port := u.Port()
	if port == "" {
		port = scheme.Port
	}
	check, err := kind.build(u, port, template)
	var fe *FieldError
	switch {
	case errors.As(err, &fe):
		fe.target = shown
		return Target{}, err
	case err != nil:
		return Target{}, fmt.Errorf("target %q: %w", shown, err)
	}
	t := Target{Name: sanitize.Redact(u), Kind: kind.Name, Check: check, Secrets: secrets(u, check)}
	if kind.display != nil {
		t.Name = kind.display(u)
	}
	// RedactText as well: a URL inside the name, in a path (file:/a://u:p@h),
	// is masked as it would be when printed.
	t.Name = sanitize.RedactText(sanitize.Mask(t.Name, t.Secrets))
	return t, nil
}

// pick returns the template of kind's type, or its zero value. Every
// template must be the check of a kind, and no two of one type: a check
// must never keep one of two conditions.
func pick[C Check](kind *Kind, templates []C) (Check, error) {
	var found Check
	want := typeOf(kind.zero)
	for i, t := range templates {
		switch typeOf(t) {
		case want:
			if found != nil {
				return nil, fmt.Errorf("two templates of type %T: give one", t)
			}
			found = t
		case 0:
			return nil, fmt.Errorf("template %d is a %T, not the check of a target kind (such as checks.HTTP or checks.TCP, by value)", i+1, t)
		}
	}
	if found == nil {
		return kind.zero, nil
	}
	return found, nil
}

// typeOf numbers the types of the kinds' checks, 0 for any other: a type
// switch, where reflect would resolve each type at every start.
func typeOf(c Check) int {
	switch c.(type) {
	case checks.HTTP:
		return 1
	case checks.GRPC:
		return 2
	case checks.TCP:
		return 3
	case checks.Postgres:
		return 4
	case checks.Redis:
		return 5
	case checks.MySQL:
		return 6
	case checks.Memcached:
		return 7
	case checks.AMQP:
		return 8
	case checks.NATS:
		return 9
	case checks.MQTT:
		return 10
	case checks.MongoDB:
		return 11
	case checks.Kafka:
		return 12
	case checks.DNS:
		return 13
	case checks.File:
		return 14
	case checks.Listen:
		return 15
	}
	return 0
}

// socketOf is a template's Unix socket, which takes the place of a port.
func socketOf(template Check) string {
	switch c := template.(type) {
	case checks.HTTP:
		return c.Socket
	case checks.GRPC:
		return c.Socket
	case checks.TCP:
		return c.Socket
	case checks.Postgres:
		return c.Socket
	case checks.Redis:
		return c.Socket
	case checks.MySQL:
		return c.Socket
	case checks.Memcached:
		return c.Socket
	case checks.AMQP:
		return c.Socket
	case checks.NATS:
		return c.Socket
	case checks.MQTT:
		return c.Socket
	case checks.MongoDB:
		return c.Socket
	case checks.Kafka:
		return c.Socket
	}
	return ""
}

// parseURL finds the kind of raw and parses it, with the checks every
// target of a network kind passes.
func parseURL(raw, shown string) (*Kind, *Scheme, *url.URL, error) {
	name, rest, _ := strings.Cut(raw, ":")
	if kind, scheme, ok := Lookup(name); ok && kind.Opaque {
		if kind.zero == nil {
			return nil, nil, nil, omitted(kind, shown)
		}
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
	if kind.zero == nil {
		return nil, nil, nil, omitted(kind, shown)
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

// omitted is the error for a target of a kind this build leaves out: not
// an unknown scheme, which would send the user looking for a typo.
func omitted(kind *Kind, shown string) error {
	return fmt.Errorf("target %q: this build of probe leaves out the %s kind: use the full build", shown, kind.Name)
}

// Each build function below is one row's: it reads what the URL says into
// a copy of the template.

func buildHTTP(u *url.URL, _ string, t Check) (Check, error) {
	h := t.(checks.HTTP)
	h.URL = u
	h.Method = strings.ToUpper(cmp.Or(h.Method, "GET"))
	return h, nil
}

func buildGRPC(u *url.URL, port string, t Check) (Check, error) {
	if strings.Count(u.Path, "/") > 1 || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("a " + u.Scheme + " target is only " + u.Scheme + "://HOST:PORT[/SERVICE], such as " + u.Scheme + "://localhost:50051/my.package.Service")
	}
	g := t.(checks.GRPC)
	g.Host, g.Port, g.Service = u.Hostname(), port, strings.TrimPrefix(u.Path, "/")
	if u.Scheme == "grpcs" {
		g.TLS = tlsOr(g.TLS)
	} else {
		g.TLS = nil
	}
	metadata := g.Metadata
	g.Metadata = nil
	for _, h := range metadata {
		name := strings.ToLower(h.Name)
		switch {
		case name == "host":
			g.Authority = h.Value
		case name == "content-type" || name == "te" || strings.HasPrefix(name, "grpc-"):
			return nil, fieldError(func(n func(string) string) string {
				return fmt.Sprintf("%s %s: gRPC reserves this header; probe sets what it needs", n("Metadata"), h.Name)
			})
		case strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != "":
			// What grpc-go lets through (its metadata.ValidatePair), and
			// gRPC's PROTOCOL-HTTP2 allows.
			return nil, fieldError(func(n func(string) string) string {
				return fmt.Sprintf("%s %s: a gRPC metadata name has only letters, digits and - _ . (grpc-go refuses others)", n("Metadata"), h.Name)
			})
		case name != "user-agent" && !strings.HasSuffix(name, "-bin") && strings.IndexFunc(h.Value, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0:
			return nil, fieldError(func(n func(string) string) string {
				return fmt.Sprintf("%s %s: a gRPC metadata value is printable ASCII; send other bytes under a name that ends in -bin", n("Metadata"), h.Name)
			})
		default:
			g.Metadata = append(g.Metadata, checks.Header{Name: name, Value: h.Value})
		}
	}
	return g, nil
}

func buildTCP(u *url.URL, port string, t Check) (Check, error) {
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return nil, errors.New("a " + u.Scheme + " target is only " + u.Scheme + "://HOST:PORT")
	}
	c := t.(checks.TCP)
	if err := linePatterns(c.Expect, c.Reject, true); err != nil {
		return nil, err
	}
	c.Host, c.Port = u.Hostname(), port
	if u.Scheme == "tls" {
		c.TLS = tlsOr(c.TLS)
	} else {
		c.TLS = nil
	}
	return c, nil
}

// buildUnix reads the forms gRPC names a Unix socket by: unix:///ABSOLUTE/PATH,
// unix:PATH, unix:@NAME and unix-abstract:NAME (a Linux abstract socket).
// It leaves u as unix:PATH, @NAME for an abstract socket, for its name. The
// template's Socket, Host, Port and TLS are not a unix: target's.
func buildUnix(u *url.URL, _ string, t Check) (Check, error) {
	path := u.Opaque
	if u.Scheme == "unix" && strings.HasPrefix(path, "//") {
		if !strings.HasPrefix(path, "///") {
			return nil, errors.New("write unix:///ABSOLUTE/PATH (three slashes), unix:RELATIVE/PATH or unix-abstract:NAME")
		}
		path = path[2:]
	}
	if u.Scheme == "unix-abstract" {
		path = "@" + path
	}
	if path == "" || path == "@" {
		return nil, errors.New("the socket path is empty")
	}
	if err := ValidateSocketPath(path); err != nil {
		return nil, err
	}
	c := t.(checks.TCP)
	if err := linePatterns(c.Expect, c.Reject, true); err != nil {
		return nil, err
	}
	u.Scheme, u.Opaque = "unix", path
	c.Socket, c.Host, c.Port, c.TLS, c.CertExpiry = path, "", "", nil, 0
	return c, nil
}

// tlsOr is the TLS configuration of a scheme that speaks TLS: the checks
// take a nil one to mean cleartext.
func tlsOr(c *tls.Config) *tls.Config {
	if c == nil {
		return &tls.Config{}
	}
	return c
}

// linePatterns refuses, where Expect and Reject match one line at a time
// (tcp://, tls://, unix:, file://), a pattern that holds a line break: it
// could never match; and, on a connection (conn), a Reject without an
// Expect: the check could not tell when the reply is complete.
func linePatterns(expect, reject []*regexp.Regexp, conn bool) error {
	if conn && len(reject) > 0 && len(expect) == 0 {
		return fieldError(func(n func(string) string) string {
			return n("Reject") + " needs " + n("Expect") + " on a tcp://, tls:// or unix: target: without it, probe cannot tell when the reply is complete"
		})
	}
	for _, set := range []struct {
		field string
		res   []*regexp.Regexp
	}{{"Expect", expect}, {"Reject", reject}} {
		for _, re := range set.res {
			if matchesLineBreak(re) {
				return fieldError(func(n func(string) string) string {
					return fmt.Sprintf("%s %q holds a line break, but %s and %s match one line at a time, without its \\r\\n: write ^ and $ for a line's start and end",
						n(set.field), re, n("Expect"), n("Reject"))
				})
			}
		}
	}
	return nil
}

// userinfo is the user and password of the URL, or else the template's.
func userinfo(u *url.URL, user, pass string) (string, string) {
	if u.User == nil {
		return user, pass
	}
	p, _ := u.User.Password()
	return u.User.Username(), p
}

func buildPostgres(u *url.URL, port string, t Check) (Check, error) {
	if err := databaseForm(u); err != nil {
		return nil, err
	}
	p := t.(checks.Postgres)
	p.Host, p.Port = u.Hostname(), port
	p.User = cmp.Or(u.User.Username(), p.User)
	p.Database = cmp.Or(strings.TrimPrefix(u.Path, "/"), p.Database)
	return p, nil
}

func buildRedis(u *url.URL, port string, t Check) (Check, error) {
	if err := databaseForm(u); err != nil {
		return nil, err
	}
	r := t.(checks.Redis)
	r.Host, r.Port = u.Hostname(), port
	r.User, r.Password = userinfo(u, r.User, r.Password)
	if u.Scheme == "rediss" {
		r.TLS = tlsOr(r.TLS)
	} else {
		r.TLS = nil
	}
	return r, nil
}

func buildMySQL(u *url.URL, port string, t Check) (Check, error) {
	if err := databaseForm(u); err != nil {
		return nil, err
	}
	m := t.(checks.MySQL)
	m.Host, m.Port = u.Hostname(), port
	m.User = cmp.Or(u.User.Username(), m.User)
	m.Database = cmp.Or(strings.TrimPrefix(u.Path, "/"), m.Database)
	return m, nil
}

func buildMemcached(u *url.URL, port string, t Check) (Check, error) {
	if err := databaseForm(u); err != nil {
		return nil, err
	}
	m := t.(checks.Memcached)
	m.Host, m.Port = u.Hostname(), port
	return m, nil
}

func buildAMQP(u *url.URL, port string, t Check) (Check, error) {
	if err := databaseForm(u); err != nil {
		return nil, err
	}
	a := t.(checks.AMQP)
	a.Host, a.Port = u.Hostname(), port
	a.User, a.Password = userinfo(u, a.User, a.Password)
	a.VHost = cmp.Or(strings.TrimPrefix(u.Path, "/"), a.VHost)
	if u.Scheme == "amqps" {
		a.TLS = tlsOr(a.TLS)
	} else {
		a.TLS = nil
	}
	return a, nil
}

// buildNATS: nats+tls://, a template that asks for TLS (RequireTLS, which
// the command line sets for a TLS flag) or CertExpiry insists on TLS, as
// nats.go's tls:// scheme and its RootCAs and ClientCert options do: a
// server whose INFO offers none is refused before anything, a password
// least of all, is sent in clear.
func buildNATS(u *url.URL, port string, t Check) (Check, error) {
	if err := databaseForm(u); err != nil {
		return nil, err
	}
	if u.Path != "" && u.Path != "/" {
		return nil, errors.New("a nats target is only " + u.Scheme + "://[USER[:PASSWORD]@|TOKEN@]HOST[:PORT]")
	}
	n := t.(checks.NATS)
	n.Host, n.Port = u.Hostname(), port
	n.User, n.Pass = userinfo(u, n.User, n.Pass)
	n.RequireTLS = n.RequireTLS || u.Scheme == "nats+tls" || n.CertExpiry > 0
	return n, nil
}

func buildMQTT(u *url.URL, port string, t Check) (Check, error) {
	if err := databaseForm(u); err != nil {
		return nil, err
	}
	if u.Path != "" && u.Path != "/" {
		return nil, errors.New("a " + u.Scheme + " target is only " + u.Scheme + "://[USER[:PASSWORD]@]HOST[:PORT]")
	}
	m := t.(checks.MQTT)
	m.Host, m.Port = u.Hostname(), port
	m.User, m.Pass = userinfo(u, m.User, m.Pass)
	if len(m.User) > 65535 || len(m.Pass) > 65535 {
		return nil, errors.New("an MQTT user name or password holds at most 65,535 bytes")
	}
	if u.Scheme == "mqtts" {
		m.TLS = tlsOr(m.TLS)
	} else {
		m.TLS = nil
	}
	return m, nil
}

// buildMongoDB reads a MongoDB connection string as its users write it, for
// one host: of its options, tls (or ssl), those that name a certificate
// file (TLS on, as the driver has it) and readPreference=primary count;
// the others (authSource, replicaSet...) are a driver's, and are ignored,
// so that a connection string can be pasted as it is. A template with TLS
// or CertExpiry (the command line's TLS flags) turns TLS on too.
func buildMongoDB(u *url.URL, port string, t Check) (Check, error) {
	if strings.Contains(u.Host, ",") {
		return nil, errors.New("a mongodb target names one host: check each member of a replica set as its own target")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil || u.Fragment != "" || strings.Count(u.Path, "/") > 1 {
		return nil, errors.New("a mongodb target is mongodb://[USER:PASSWORD@]HOST[:PORT][/DB][?tls=true&readPreference=primary]")
	}
	m := t.(checks.MongoDB)
	m.Host, m.Port = u.Hostname(), port
	m.Primary = m.Primary || strings.EqualFold(q.Get("readPreference"), "primary")
	// TLS as the driver turns it on: tls=true, or an option naming a
	// certificate file (probe reads none: the template's TLS does).
	on := q.Get("tls") == "true" || q.Get("ssl") == "true"
	for _, k := range []string{"tlsCAFile", "tlsCertificateKeyFile", "tlsCertificateFile", "tlsPrivateKeyFile",
		"sslCertificateAuthorityFile", "sslClientCertificateKeyFile"} {
		on = on || q.Has(k)
	}
	off := q.Get("tls") == "false" || q.Get("ssl") == "false"
	asked := m.TLS != nil || m.CertExpiry > 0
	switch {
	case off && asked:
		return nil, &FieldError{named: true, text: func(n func(string) string) string {
			who := n("TLS")
			if who == "TLS" { // the fields' own names: a library's caller
				who = "the template's TLS or CertExpiry"
			}
			return "tls=false, and TLS asked for by " + who + ": choose one"
		}}
	case off && on:
		return nil, errors.New("tls=false, and TLS asked for by a certificate option: choose one")
	case on || asked:
		m.TLS = tlsOr(m.TLS)
	}
	return m, nil
}

func buildKafka(u *url.URL, port string, t Check) (Check, error) {
	if err := databaseForm(u); err != nil {
		return nil, err
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") {
		return nil, errors.New("a kafka target is only kafka://HOST[:PORT]: probe speaks neither SASL nor TLS to Kafka")
	}
	k := t.(checks.Kafka)
	k.Host, k.Port = u.Hostname(), port
	return k, nil
}

func buildDNS(u *url.URL, port string, t Check) (Check, error) {
	form := errors.New("a dns target is dns://SERVER[:PORT]/NAME[?type=A|AAAA|CNAME|MX|NS|PTR|SOA|SRV|TXT][&proto=tcp], such as dns://127.0.0.1/example.com?type=AAAA")
	q, err := url.ParseQuery(u.RawQuery)
	name := strings.TrimPrefix(u.Path, "/")
	if err != nil || u.User != nil || u.Fragment != "" || name == "" || strings.Contains(name, "/") {
		return nil, form
	}
	typ, tcp := "A", false
	for k, v := range q {
		switch {
		case len(v) != 1:
			return nil, form
		case k == "type":
			typ = strings.ToUpper(v[0])
		case k == "proto" && (v[0] == "udp" || v[0] == "tcp"):
			// As listen://...?proto=udp: UDP first, then TCP when the
			// answer is truncated, unless TCP is asked for.
			tcp = v[0] == "tcp"
		default:
			return nil, form
		}
	}
	if _, ok := dns.Type(typ); !ok {
		return nil, fmt.Errorf("unknown DNS record type %q: use A, AAAA, CNAME, MX, NS, PTR, SOA, SRV or TXT", sanitize.Printable(typ))
	}
	d := t.(checks.DNS)
	d.Host, d.Port, d.Name, d.Type, d.TCP = u.Hostname(), port, name, typ, tcp
	return d, nil
}

func buildFile(u *url.URL, _ string, t Check) (Check, error) {
	if (u.Host != "" && u.Host != "localhost") || !strings.HasPrefix(u.Path, "/") || u.RawQuery != "" || u.User != nil {
		return nil, errors.New("a file target is file:///ABSOLUTE/PATH")
	}
	f := t.(checks.File)
	if err := linePatterns(f.Expect, f.Reject, false); err != nil {
		return nil, err
	}
	f.Path = u.Path
	return f, nil
}

// buildListen reads the address; it does not read /proc, which the check
// does when it runs.
func buildListen(u *url.URL, _ string, t Check) (Check, error) {
	addr, port, err := ParseListen(u.Host)
	if err != nil {
		return nil, err
	}
	udp := false
	switch u.RawQuery {
	case "", "proto=tcp":
	case "proto=udp":
		udp = true
	default:
		return nil, errors.New("a listen target is only listen://[ADDR]:PORT, with ?proto=udp for a UDP socket")
	}
	if u.Path != "" || u.User != nil || u.Fragment != "" {
		return nil, errors.New("a listen target is only listen://[ADDR]:PORT, with ?proto=udp for a UDP socket")
	}
	l := t.(checks.Listen)
	l.Addr, l.Port, l.UDP = addr, port, udp
	return l, nil
}

// databaseForm refuses what a database target cannot say: a query, a
// fragment, a path deeper than the database's name.
func databaseForm(u *url.URL) error {
	if u.RawQuery != "" || u.Fragment != "" || strings.Count(u.Path, "/") > 1 {
		return fmt.Errorf("a %s target is only %s://[USER[:PASSWORD]@]HOST[:PORT][/NAME]", u.Scheme, u.Scheme)
	}
	return nil
}

// unixName is a Unix socket target's name: unix:PATH, or unix-abstract:NAME.
func unixName(u *url.URL) string {
	if name, abstract := strings.CutPrefix(u.Opaque, "@"); abstract {
		return "unix-abstract:" + sanitize.Printable(name)
	}
	return "unix:" + sanitize.Printable(u.Opaque)
}

// secrets lists what output must never show of one target: its userinfo,
// also as the Basic credentials it becomes, its secret query values, and
// what its check sends that is secret: the values of its secret headers
// (Basic credentials decoded too) and a password or token the template
// gave.
func secrets(u *url.URL, check Check) []string {
	var out []string
	switch c := check.(type) {
	case checks.HTTP:
		out = headerSecrets(out, c.Header)
	case checks.GRPC:
		out = headerSecrets(out, c.Metadata)
	case checks.Redis:
		out = appendSet(out, c.Password)
	case checks.AMQP:
		out = appendSet(out, c.Password)
	case checks.NATS:
		if c.Pass == "" { // a token
			out = appendSet(out, c.User)
		}
		out = appendSet(out, c.Pass)
	case checks.MQTT:
		out = appendSet(out, c.Pass)
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

func appendSet(out []string, s string) []string {
	if s == "" {
		return out
	}
	return append(out, s)
}

// headerSecrets appends the values of the secret headers, and of Basic
// credentials, decoded.
func headerSecrets(out []string, headers []checks.Header) []string {
	for _, h := range headers {
		if !sanitize.IsSecretHeader(h.Name) {
			continue
		}
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
	return out
}

// orList writes "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
