package probe

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/procinfo"
	"github.com/probe-sh/probe/internal/sanitize"
)

// Kind is one kind of target: the URL schemes that name it, and how a
// parsed target and the Defaults become its check. Kinds is the one table
// of them, which ParseTarget, the command line's flag binding, its help and
// the error for an unknown scheme all read: adding a kind is its file in
// package checks and a row here.
type Kind struct {
	Name    string   // what Result.Kind says: http, grpc, tcp...
	Schemes []Scheme // the schemes that name it
	// Local kinds check this machine (a file, a socket path, /proc): their
	// targets name no host and take no port, and --unix-socket does not
	// apply.
	Local bool
	// Opaque kinds are written SCHEME:REST, not SCHEME://: unix:PATH.
	Opaque bool
	// Build makes the check of a target, or says what is wrong with it. u
	// has passed the checks every target passes: a known scheme, and for a
	// kind that is not Local, an ASCII host and a port in range; port is
	// its port, or its scheme's.
	Build func(u *url.URL, port string, d *Defaults) (Check, error)
	// Display, when set, is the name a target is reported under; the URL
	// with its secrets masked when not.
	Display func(u *url.URL) string
	// ExamplePort is a port to show when a target must name one.
	ExamplePort string
}

// Scheme is one URL scheme of a kind.
type Scheme struct {
	Name string
	// Port is the port a target of this scheme has when it names none;
	// "" when it must name one.
	Port string
	// Flags are the groups of Defaults that apply to its targets.
	Flags Flags
	// Alias marks another name for the scheme before it (postgresql for
	// postgres), which help and errors do not list.
	Alias bool
}

// Flags are groups of Defaults, as the command line groups its flags: the
// groups that apply to a scheme are the ones ParseTarget reads for it, and
// the command line refuses a flag, after a target, that its scheme does not
// take.
type Flags uint8

const (
	// HTTPFlags: Method, Body, Status, ExpectBody, RejectBody, MaxBody,
	// MaxRedirects, SameHostRedirects, ExpectJSON, ExpectHeader,
	// RejectHeader, HTTP2.
	HTTPFlags Flags = 1 << iota
	// HeaderFlags: Header, the request headers (gRPC's metadata too).
	HeaderFlags
	// TLSFlags: TLS, CertExpiry.
	TLSFlags
	// SendFlags: Send, the bytes a TCP check writes.
	SendFlags
	// MatchFlags: Expect and Reject, on a reply or a file's content.
	MatchFlags
	// SocketFlags: UnixSocket, a Unix socket in place of the host and port.
	SocketFlags
	// FileFlags: MaxAge.
	FileFlags
	// DNSFlags: Rcodes.
	DNSFlags
)

const (
	httpFlags     = HTTPFlags | HeaderFlags | TLSFlags | SocketFlags // TLS on http://: a redirect may lead to https://
	tcpFlags      = SendFlags | MatchFlags | SocketFlags
	databaseFlags = SocketFlags
)

// Kinds is every kind of target, one row each.
var Kinds = []Kind{
	{Name: "http", Schemes: []Scheme{{Name: "http", Port: "80", Flags: httpFlags}, {Name: "https", Port: "443", Flags: httpFlags}},
		Build: buildHTTP},
	{Name: "grpc", Schemes: []Scheme{{Name: "grpc", Flags: HeaderFlags | SocketFlags}, {Name: "grpcs", Port: "443", Flags: HeaderFlags | SocketFlags | TLSFlags}},
		ExamplePort: "50051", Build: buildGRPC},
	{Name: "tcp", Schemes: []Scheme{{Name: "tcp", Flags: tcpFlags}},
		ExamplePort: "6379", Build: buildTCP},
	{Name: "tls", Schemes: []Scheme{{Name: "tls", Flags: tcpFlags | TLSFlags}},
		ExamplePort: "6379", Build: buildTCP},
	{Name: "unix", Schemes: []Scheme{{Name: "unix", Flags: SendFlags | MatchFlags}, {Name: "unix-abstract", Flags: SendFlags | MatchFlags, Alias: true}},
		Local: true, Opaque: true, Build: buildUnix, Display: unixName},
	{Name: "postgres", Schemes: []Scheme{{Name: "postgres", Port: "5432", Flags: databaseFlags}, {Name: "postgresql", Port: "5432", Flags: databaseFlags, Alias: true}},
		Build: buildPostgres},
	{Name: "redis", Schemes: []Scheme{{Name: "redis", Port: "6379", Flags: databaseFlags}, {Name: "rediss", Port: "6379", Flags: databaseFlags | TLSFlags}},
		Build: buildRedis},
	{Name: "mysql", Schemes: []Scheme{{Name: "mysql", Port: "3306", Flags: databaseFlags}, {Name: "mariadb", Port: "3306", Flags: databaseFlags, Alias: true}},
		Build: buildMySQL},
	{Name: "memcached", Schemes: []Scheme{{Name: "memcached", Port: "11211", Flags: databaseFlags}},
		Build: buildMemcached},
	{Name: "amqp", Schemes: []Scheme{{Name: "amqp", Port: "5672", Flags: databaseFlags}, {Name: "amqps", Port: "5671", Flags: databaseFlags | TLSFlags}},
		Build: buildAMQP},
	{Name: "nats", Schemes: []Scheme{{Name: "nats", Port: "4222", Flags: databaseFlags | TLSFlags},
		{Name: "nats+tls", Port: "4222", Flags: databaseFlags | TLSFlags}},
		Build: buildNATS},
	{Name: "mqtt", Schemes: []Scheme{{Name: "mqtt", Port: "1883", Flags: databaseFlags}, {Name: "mqtts", Port: "8883", Flags: databaseFlags | TLSFlags}},
		Build: buildMQTT},
	{Name: "mongodb", Schemes: []Scheme{{Name: "mongodb", Port: "27017", Flags: databaseFlags | TLSFlags}},
		Build: buildMongoDB},
	{Name: "kafka", Schemes: []Scheme{{Name: "kafka", Port: "9092", Flags: databaseFlags}},
		Build: buildKafka},
	{Name: "dns", Schemes: []Scheme{{Name: "dns", Port: "53", Flags: MatchFlags | DNSFlags}},
		Build: buildDNS},
	{Name: "file", Schemes: []Scheme{{Name: "file", Flags: FileFlags | MatchFlags}},
		Local: true, Build: buildFile, Display: func(u *url.URL) string { return "file://" + u.Path }},
	{Name: "listen", Schemes: []Scheme{{Name: "listen"}},
		Local: true, Build: buildListen, Display: func(u *url.URL) string {
			if u.RawQuery == "proto=udp" {
				return "listen://" + u.Host + "?proto=udp"
			}
			return "listen://" + u.Host
		}},
}

// Lookup returns the kind and the scheme that scheme names, in any case.
func Lookup(scheme string) (*Kind, *Scheme, bool) {
	for i := range Kinds {
		for j := range Kinds[i].Schemes {
			if strings.EqualFold(Kinds[i].Schemes[j].Name, scheme) {
				return &Kinds[i], &Kinds[i].Schemes[j], true
			}
		}
	}
	return nil, nil, false
}

// Schemes lists the schemes of every kind, aliases left out, for help and
// errors.
func Schemes() []string {
	var names []string
	for _, k := range Kinds {
		for _, s := range k.Schemes {
			if !s.Alias {
				names = append(names, s.Name)
			}
		}
	}
	return names
}

// Each build function below is one row's: it reads what the URL says and
// the Defaults that apply, and returns the check of package checks.

func buildHTTP(u *url.URL, port string, d *Defaults) (Check, error) {
	return checks.HTTP{URL: u, Method: strings.ToUpper(cmp.Or(d.Method, "GET")), Body: d.Body, Header: d.Header,
		Status: d.Status, ExpectBody: d.ExpectBody, RejectBody: d.RejectBody, MaxBody: int(d.MaxBody),
		MaxRedirects: d.MaxRedirects, TLS: d.TLS, UserAgent: d.UserAgent, ExpectJSON: d.ExpectJSON,
		ExpectHeader: d.ExpectHeader, RejectHeader: d.RejectHeader, CertExpiry: d.CertExpiry,
		Socket: d.UnixSocket, HTTP2: d.HTTP2, SameHostRedirects: d.SameHostRedirects}, nil
}

func buildGRPC(u *url.URL, port string, d *Defaults) (Check, error) {
	if strings.Count(u.Path, "/") > 1 || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("a " + u.Scheme + " target is only " + u.Scheme + "://HOST:PORT[/SERVICE], such as " + u.Scheme + "://localhost:50051/my.package.Service")
	}
	g := checks.GRPC{Host: u.Hostname(), Port: port, Socket: d.UnixSocket, Service: strings.TrimPrefix(u.Path, "/"),
		UserAgent: d.UserAgent, CertExpiry: d.CertExpiry}
	if u.Scheme == "grpcs" {
		g.TLS = d.tlsConfig()
	}
	for _, h := range d.Header {
		name := strings.ToLower(h.Name)
		switch {
		case name == "host":
			g.Authority = h.Value
		case name == "content-type" || name == "te" || strings.HasPrefix(name, "grpc-"):
			return nil, flagError{fmt.Errorf("-H %s: gRPC reserves this header; probe sets what it needs", h.Name)}
		case strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != "":
			// What grpc-go lets through (its metadata.ValidatePair), and
			// gRPC's PROTOCOL-HTTP2 allows.
			return nil, flagError{fmt.Errorf("-H %s: a gRPC metadata name has only letters, digits and - _ . (grpc-go refuses others)", h.Name)}
		case name != "user-agent" && !strings.HasSuffix(name, "-bin") && strings.IndexFunc(h.Value, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0:
			return nil, flagError{fmt.Errorf("-H %s: a gRPC metadata value is printable ASCII; send other bytes under a name that ends in -bin", h.Name)}
		default:
			g.Metadata = append(g.Metadata, checks.Header{Name: name, Value: h.Value})
		}
	}
	return g, nil
}

func buildTCP(u *url.URL, port string, d *Defaults) (Check, error) {
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return nil, errors.New("a " + u.Scheme + " target is only " + u.Scheme + "://HOST:PORT")
	}
	if err := d.rejectNeedsExpect(); err != nil {
		return nil, err
	}
	if err := d.oneLine(); err != nil {
		return nil, err
	}
	t := checks.TCP{Host: u.Hostname(), Port: port, Socket: d.UnixSocket, Send: d.Send, Expect: d.Expect,
		Reject: d.Reject, CertExpiry: d.CertExpiry}
	if u.Scheme == "tls" {
		t.TLS = d.tlsConfig()
	}
	return t, nil
}

// buildUnix reads the forms gRPC names a Unix socket by: unix:///ABSOLUTE/PATH,
// unix:PATH, unix:@NAME and unix-abstract:NAME (a Linux abstract socket).
// It leaves u as unix:PATH, @NAME for an abstract socket, for its name.
func buildUnix(u *url.URL, port string, d *Defaults) (Check, error) {
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
	if err := checks.ValidateSocketPath(path); err != nil {
		return nil, err
	}
	if err := d.rejectNeedsExpect(); err != nil {
		return nil, err
	}
	if err := d.oneLine(); err != nil {
		return nil, err
	}
	u.Scheme, u.Opaque = "unix", path
	return checks.TCP{Socket: path, Send: d.Send, Expect: d.Expect, Reject: d.Reject}, nil
}

func buildPostgres(u *url.URL, port string, d *Defaults) (Check, error) {
	if err := databaseForm(u); err != nil {
		return nil, err
	}
	// libpq's variables first, then the official image's, which it sets
	// in the container a health check runs in.
	user := cmp.Or(u.User.Username(), d.env("PGUSER", "POSTGRES_USER"))
	db := cmp.Or(strings.TrimPrefix(u.Path, "/"), d.env("PGDATABASE", "POSTGRES_DB"))
	return checks.Postgres{Socket: d.UnixSocket, Host: u.Hostname(), Port: port, User: user, Database: db}, nil
}

func buildRedis(u *url.URL, port string, d *Defaults) (Check, error) {
	if err := databaseForm(u); err != nil {
		return nil, err
	}
	pass, _ := u.User.Password()
	r := checks.Redis{Socket: d.UnixSocket, Host: u.Hostname(), Port: port, User: u.User.Username(),
		Password: pass, CertExpiry: d.CertExpiry}
	if u.Scheme == "rediss" {
		r.TLS = d.tlsConfig()
	}
	return r, nil
}

func buildMySQL(u *url.URL, port string, d *Defaults) (Check, error) {
	if err := databaseForm(u); err != nil {
		return nil, err
	}
	// The official images' variables: the account they make for the app.
	user := cmp.Or(u.User.Username(), d.env("MARIADB_USER", "MYSQL_USER"))
	return checks.MySQL{Socket: d.UnixSocket, Host: u.Hostname(), Port: port, User: user, Database: strings.TrimPrefix(u.Path, "/")}, nil
}

func buildMemcached(u *url.URL, port string, d *Defaults) (Check, error) {
	if err := databaseForm(u); err != nil {
		return nil, err
	}
	return checks.Memcached{Socket: d.UnixSocket, Host: u.Hostname(), Port: port}, nil
}

func buildAMQP(u *url.URL, port string, d *Defaults) (Check, error) {
	if err := databaseForm(u); err != nil {
		return nil, err
	}
	pass, _ := u.User.Password()
	a := checks.AMQP{Socket: d.UnixSocket, Host: u.Hostname(), Port: port, CertExpiry: d.CertExpiry,
		User: u.User.Username(), Password: pass, VHost: strings.TrimPrefix(u.Path, "/")}
	if u.Scheme == "amqps" {
		a.TLS = d.tlsConfig()
	}
	return a, nil
}

// buildNATS: nats+tls://, or a TLS flag, insists on TLS, as nats.go's
// tls:// scheme and its RootCAs and ClientCert options do: a server whose
// INFO offers none is refused before anything, a password least of all, is
// sent in clear.
func buildNATS(u *url.URL, port string, d *Defaults) (Check, error) {
	if err := databaseForm(u); err != nil {
		return nil, err
	}
	if u.Path != "" && u.Path != "/" {
		return nil, errors.New("a nats target is only " + u.Scheme + "://[USER[:PASSWORD]@|TOKEN@]HOST[:PORT]")
	}
	pass, _ := u.User.Password()
	return checks.NATS{Socket: d.UnixSocket, Host: u.Hostname(), Port: port, User: u.User.Username(), Pass: pass,
		TLS: d.tlsConfig(), RequireTLS: u.Scheme == "nats+tls" || d.tlsAsked(), CertExpiry: d.CertExpiry,
		Version: strings.TrimPrefix(d.UserAgent, "probe/")}, nil
}

// tlsAsked says whether a TLS flag was given: --ca, --cert and --key,
// --insecure or --cert-expiry. The command line builds a TLS config for
// every target, so its presence says nothing.
func (d *Defaults) tlsAsked() bool {
	c := d.TLS
	return d.CertExpiry > 0 || c != nil && (c.InsecureSkipVerify || c.RootCAs != nil || len(c.Certificates) > 0 ||
		c.GetClientCertificate != nil || c.VerifyPeerCertificate != nil || c.ServerName != "")
}

func buildMQTT(u *url.URL, port string, d *Defaults) (Check, error) {
	if err := databaseForm(u); err != nil {
		return nil, err
	}
	if u.Path != "" && u.Path != "/" {
		return nil, errors.New("a " + u.Scheme + " target is only " + u.Scheme + "://[USER[:PASSWORD]@]HOST[:PORT]")
	}
	pass, _ := u.User.Password()
	if len(u.User.Username()) > 65535 || len(pass) > 65535 {
		return nil, errors.New("an MQTT user name or password holds at most 65,535 bytes")
	}
	m := checks.MQTT{Socket: d.UnixSocket, Host: u.Hostname(), Port: port, User: u.User.Username(), Pass: pass, CertExpiry: d.CertExpiry}
	if u.Scheme == "mqtts" {
		m.TLS = d.tlsConfig()
	}
	return m, nil
}

// buildMongoDB reads a MongoDB connection string as its users write it, for
// one host: of its options, tls (or ssl), those that name a certificate
// file (TLS on, as the driver has it) and readPreference=primary count;
// the others (authSource, replicaSet...) are a driver's, and are ignored,
// so that a connection string can be pasted as it is. A TLS flag turns TLS
// on too.
func buildMongoDB(u *url.URL, port string, d *Defaults) (Check, error) {
	if strings.Contains(u.Host, ",") {
		return nil, errors.New("a mongodb target names one host: check each member of a replica set as its own target")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil || u.Fragment != "" || strings.Count(u.Path, "/") > 1 {
		return nil, errors.New("a mongodb target is mongodb://[USER:PASSWORD@]HOST[:PORT][/DB][?tls=true&readPreference=primary]")
	}
	m := checks.MongoDB{Socket: d.UnixSocket, Host: u.Hostname(), Port: port, CertExpiry: d.CertExpiry,
		Primary: strings.EqualFold(q.Get("readPreference"), "primary")}
	// TLS as the driver turns it on: tls=true, or an option naming a
	// certificate file (probe reads none: --ca, --cert and --key do), and
	// also a TLS flag.
	on := q.Get("tls") == "true" || q.Get("ssl") == "true" || d.tlsAsked()
	for _, k := range []string{"tlsCAFile", "tlsCertificateKeyFile", "tlsCertificateFile", "tlsPrivateKeyFile",
		"sslCertificateAuthorityFile", "sslClientCertificateKeyFile"} {
		on = on || q.Has(k)
	}
	if on && (q.Get("tls") == "false" || q.Get("ssl") == "false") {
		return nil, errors.New("tls=false, and TLS asked for by a TLS flag or a certificate option: choose one")
	}
	if on {
		m.TLS = d.tlsConfig()
	}
	return m, nil
}

func buildKafka(u *url.URL, port string, d *Defaults) (Check, error) {
	if err := databaseForm(u); err != nil {
		return nil, err
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") {
		return nil, errors.New("a kafka target is only kafka://HOST[:PORT]: probe speaks neither SASL nor TLS to Kafka")
	}
	return checks.Kafka{Socket: d.UnixSocket, Host: u.Hostname(), Port: port}, nil
}

func buildDNS(u *url.URL, port string, d *Defaults) (Check, error) {
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
	if _, ok := checks.DNSType(typ); !ok {
		return nil, fmt.Errorf("unknown DNS record type %q: use A, AAAA, CNAME, MX, NS, PTR, SOA, SRV or TXT", sanitize.Printable(typ))
	}
	return checks.DNS{Host: u.Hostname(), Port: port, Name: name, Type: typ, TCP: tcp, Rcodes: d.Rcodes, Expect: d.Expect, Reject: d.Reject}, nil
}

func buildFile(u *url.URL, port string, d *Defaults) (Check, error) {
	if (u.Host != "" && u.Host != "localhost") || !strings.HasPrefix(u.Path, "/") || u.RawQuery != "" || u.User != nil {
		return nil, errors.New("a file target is file:///ABSOLUTE/PATH")
	}
	if err := d.oneLine(); err != nil {
		return nil, err
	}
	return checks.File{Path: u.Path, MaxAge: d.MaxAge, Expect: d.Expect, Reject: d.Reject}, nil
}

func buildListen(u *url.URL, _ string, d *Defaults) (Check, error) {
	addr, port, err := checks.ParseListen(u.Host)
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
	// Said once, now, rather than as every check's failure.
	if _, err := procinfo.Open(cmp.Or(d.Proc, "/proc")); err != nil {
		return nil, flagError{err}
	}
	return checks.Listen{Proc: d.Proc, Addr: addr, Port: port, UDP: udp}, nil
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
