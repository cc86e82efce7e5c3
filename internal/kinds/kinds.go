// Package kinds is the one table of target kinds: the URL schemes that name
// each kind, the groups of the command line's flags that apply to each
// scheme, and how a target URL and a template of the kind's check become
// the check. probe.ParseTarget parses through it (Parse); the command line
// reads it to bind its flags (a flag after a target must fit its scheme),
// for its help and for the error that names an unknown scheme. Adding a
// kind is its file in package checks and a row here.
package kinds

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/probe-sh/probe/checks"
)

// Check is probe.Check: what every kind in package checks implements.
type Check interface {
	Run(ctx context.Context, tr *checks.Trace) (seen string, err error)
}

// Kind is one kind of target: the URL schemes that name it, and how a
// parsed target and a template become its check.
type Kind struct {
	Name    string   // what probe.Target.Kind says: http, grpc, tcp...
	Schemes []Scheme // the schemes that name it
	// Local kinds check this machine (a file, a socket path, /proc): their
	// targets name no host and take no port, and --unix-socket does not
	// apply.
	Local bool
	// Opaque kinds are written SCHEME:REST, not SCHEME://: unix:PATH.
	Opaque bool

	*impl // its check: zero in a build that leaves the kind out
	// display, when set, is the name a target is reported under; the URL
	// with its secrets masked when not.
	display func(u *url.URL) string
	// examplePort is a port to show when a target must name one.
	examplePort string
}

// impl is what a kind links into the binary: its check and how a target
// builds it. A build that leaves the kind out (a probe_omit_ tag: grpc.go,
// dns.go, databases.go and their _omit.go twins) has the zero impl in its
// row, so that neither its check nor its wire codec is linked, and its
// targets are refused with a line that says so.
type impl struct {
	// zero is the kind's check, zero: a template of this type is the
	// kind's.
	zero Check
	// build makes the check of a target from the template, or says what is
	// wrong with it. u has passed the checks every target passes: a known
	// scheme, and for a kind that is not Local, an ASCII host and a port
	// in range; port is its port, or its scheme's.
	build func(u *url.URL, port string, template Check) (Check, error)
}

// Scheme is one URL scheme of a kind.
type Scheme struct {
	Name string
	// Port is the port a target of this scheme has when it names none;
	// "" when it must name one.
	Port string
	// Flags are the groups of flags that apply to its targets.
	Flags Flags
	// Alias marks another name for the scheme before it (postgresql for
	// postgres), which help and errors do not list.
	Alias bool
}

// Flags are groups of the command line's target flags: a flag after a
// target must be of a group its scheme takes.
type Flags uint8

const (
	// HTTPFlags: -X, -d, --status, --expect-body, --reject-body,
	// --max-body, --max-redirects, --redirects, --expect-json,
	// --expect-header, --reject-header, --http2.
	HTTPFlags Flags = 1 << iota
	// HeaderFlags: -H, request headers (gRPC's metadata too).
	HeaderFlags
	// TLSFlags: -k, --ca, --cert, --key, --cert-expiry, --server-name.
	TLSFlags
	// SendFlags: --send, the bytes a TCP check writes.
	SendFlags
	// MatchFlags: --expect and --reject, on a reply, an answer or a file's
	// content.
	MatchFlags
	// SocketFlags: --unix-socket, a Unix socket in place of the host and
	// port.
	SocketFlags
	// FileFlags: --max-age.
	FileFlags
	// DNSFlags: --rcode.
	DNSFlags
)

const (
	httpFlags     = HTTPFlags | HeaderFlags | TLSFlags | SocketFlags // TLS on http://: a redirect may lead to https://
	tcpFlags      = SendFlags | MatchFlags | SocketFlags
	databaseFlags = SocketFlags
)

// table is every kind of target, one row each.
var table = []Kind{
	{Name: "http", Schemes: []Scheme{{Name: "http", Port: "80", Flags: httpFlags}, {Name: "https", Port: "443", Flags: httpFlags}},
		impl: &impl{checks.HTTP{}, buildHTTP}},
	{Name: "grpc", Schemes: []Scheme{{Name: "grpc", Flags: HeaderFlags | SocketFlags}, {Name: "grpcs", Port: "443", Flags: HeaderFlags | SocketFlags | TLSFlags}},
		examplePort: "50051", impl: &grpcImpl},
	{Name: "tcp", Schemes: []Scheme{{Name: "tcp", Flags: tcpFlags}},
		examplePort: "6379", impl: &impl{checks.TCP{}, buildTCP}},
	{Name: "tls", Schemes: []Scheme{{Name: "tls", Flags: tcpFlags | TLSFlags}},
		examplePort: "6379", impl: &impl{checks.TCP{}, buildTCP}},
	{Name: "unix", Schemes: []Scheme{{Name: "unix", Flags: SendFlags | MatchFlags}, {Name: "unix-abstract", Flags: SendFlags | MatchFlags, Alias: true}},
		Local: true, Opaque: true, impl: &impl{checks.TCP{}, buildUnix}, display: unixName},
	{Name: "postgres", Schemes: []Scheme{{Name: "postgres", Port: "5432", Flags: databaseFlags}, {Name: "postgresql", Port: "5432", Flags: databaseFlags, Alias: true}},
		impl: &postgresImpl},
	{Name: "redis", Schemes: []Scheme{{Name: "redis", Port: "6379", Flags: databaseFlags}, {Name: "rediss", Port: "6379", Flags: databaseFlags | TLSFlags}},
		impl: &redisImpl},
	{Name: "mysql", Schemes: []Scheme{{Name: "mysql", Port: "3306", Flags: databaseFlags}, {Name: "mariadb", Port: "3306", Flags: databaseFlags, Alias: true}},
		impl: &mysqlImpl},
	{Name: "memcached", Schemes: []Scheme{{Name: "memcached", Port: "11211", Flags: databaseFlags}},
		impl: &memcachedImpl},
	{Name: "amqp", Schemes: []Scheme{{Name: "amqp", Port: "5672", Flags: databaseFlags}, {Name: "amqps", Port: "5671", Flags: databaseFlags | TLSFlags}},
		impl: &amqpImpl},
	{Name: "nats", Schemes: []Scheme{{Name: "nats", Port: "4222", Flags: databaseFlags | TLSFlags},
		{Name: "nats+tls", Port: "4222", Flags: databaseFlags | TLSFlags}},
		impl: &natsImpl},
	{Name: "mqtt", Schemes: []Scheme{{Name: "mqtt", Port: "1883", Flags: databaseFlags}, {Name: "mqtts", Port: "8883", Flags: databaseFlags | TLSFlags}},
		impl: &mqttImpl},
	{Name: "mongodb", Schemes: []Scheme{{Name: "mongodb", Port: "27017", Flags: databaseFlags | TLSFlags}},
		impl: &mongodbImpl},
	{Name: "kafka", Schemes: []Scheme{{Name: "kafka", Port: "9092", Flags: databaseFlags}},
		impl: &kafkaImpl},
	{Name: "dns", Schemes: []Scheme{{Name: "dns", Port: "53", Flags: MatchFlags | DNSFlags}},
		impl: &dnsImpl},
	{Name: "file", Schemes: []Scheme{{Name: "file", Flags: FileFlags | MatchFlags}},
		Local: true, impl: &impl{checks.File{}, buildFile}, display: func(u *url.URL) string { return "file://" + u.Path }},
	{Name: "listen", Schemes: []Scheme{{Name: "listen"}},
		Local: true, impl: &impl{checks.Listen{}, buildListen}, display: func(u *url.URL) string {
			if u.RawQuery == "proto=udp" {
				return "listen://" + u.Host + "?proto=udp"
			}
			return "listen://" + u.Host
		}},
}

// Zero is the kind's check, zero: the templates of its targets are of its
// type. nil for a kind this build leaves out.
func (k *Kind) Zero() Check { return k.zero }

// Built lists the kinds this build has, and those it leaves out
// (probe_omit_ tags), for --version; nothing when it leaves none out.
func Built() (in, out []string) {
	for _, k := range table {
		if k.zero == nil {
			out = append(out, k.Name)
		}
	}
	for _, k := range table {
		if out != nil && k.zero != nil {
			in = append(in, k.Name)
		}
	}
	return in, out
}

// Lookup returns the kind and the scheme that scheme names, in any case.
func Lookup(scheme string) (*Kind, *Scheme, bool) {
	for i := range table {
		for j := range table[i].Schemes {
			if strings.EqualFold(table[i].Schemes[j].Name, scheme) {
				return &table[i], &table[i].Schemes[j], true
			}
		}
	}
	return nil, nil, false
}

// All returns every kind, a copy of the table, for those who list them
// (tests that hold docs to the table).
func All() []Kind { return slices.Clone(table) }

// Schemes lists the schemes of every kind this build has, aliases left
// out, for help and errors.
func Schemes() []string {
	var names []string
	for _, k := range table {
		if k.zero == nil {
			continue
		}
		for _, s := range k.Schemes {
			if !s.Alias {
				names = append(names, s.Name)
			}
		}
	}
	return names
}
