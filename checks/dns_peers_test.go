package checks_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/probe-sh/probe/internal/cli"
)

// dnsPeerCase is one case of a peer's own test suite, ported: the server
// behaviour it runs against, the probe command line that asks what the
// peer's configuration asks (SERVER stands for the server's HOST:PORT),
// and the peer's verdict, which probe gives too unless Differs says why
// not. A case probe cannot ask is Inexpressible: Note says why, and it does
// not run.
type dnsPeerCase struct {
	Peer          string   // the peer's test: file, function and case
	Server        string   // the server behaviour: a key of dnsPeerServers, then /udp or /tcp
	Args          []string // probe's command line
	Healthy       bool     // the peer's verdict
	Differs       bool     // probe's verdict is the opposite, for the reason in Note (docs/databases.md says it too)
	Inexpressible bool
	Note          string
}

// dnsPeerCases are blackbox_exporter's prober/dns_test.go (v0.25), every
// case, each for UDP and for TCP as blackbox runs them.
// TestDNSMetrics is left out: it checks the names of Prometheus metrics,
// not a verdict.
var dnsPeerCases = bothTransports([]dnsPeerCase{
	{Peer: "TestRecursiveDNSResponse #0: recursion", Server: "recursive", Args: []string{"dns://SERVER/example.com"}, Healthy: true,
		Note: "blackbox asks type ANY by default, probe A (RFC 8482 lets a server answer ANY with one record of its choice)"},
	{Peer: "TestRecursiveDNSResponse #1: valid_rcodes SERVFAIL, NXDOMAIN", Server: "recursive", Args: []string{"dns://SERVER/example.com", "--rcode", "SERVFAIL,NXDOMAIN"}},
	{Peer: "TestRecursiveDNSResponse #2: answer fail_if_matches .*7200.*, fail_if_not_matches .*3600.*", Server: "recursive",
		Args: []string{"dns://SERVER/example.com", "--reject", ".*7200.*", "--expect", ".*3600.*"}, Healthy: true,
		Note: "--expect is fail_if_none_matches_regexp (one record must match); here both records match, as fail_if_not_matches_regexp wants"},
	{Peer: "TestRecursiveDNSResponse #3: authority fail_if_matches .*7200.*", Server: "recursive", Healthy: true, Inexpressible: true,
		Note: "probe judges the answer section only: the authority and additional sections are a resolver's hints, which an app never sees"},
	{Peer: "TestRecursiveDNSResponse #4: additional fail_if_not_matches .*3600.*", Server: "recursive", Inexpressible: true,
		Note: "probe judges the answer section only"},
	{Peer: "TestRecursiveDNSResponse #5: no recursion desired", Server: "recursive", Inexpressible: true,
		Note: "probe always sets RD, as a stub resolver does: an app's query always asks for recursion"},

	{Peer: "TestAuthoritativeDNSResponse #0: A", Server: "authoritative", Args: []string{"dns://SERVER/example.com"}, Healthy: true},
	{Peer: "TestAuthoritativeDNSResponse #1: SOA", Server: "authoritative", Args: []string{"dns://SERVER/example.com?type=SOA"}, Healthy: true},
	{Peer: "TestAuthoritativeDNSResponse #2: class CH, TXT", Server: "authoritative", Healthy: true, Inexpressible: true,
		Note: "probe asks class IN only, and counts only records of class IN (a CH record answers no app)"},
	{Peer: "TestAuthoritativeDNSResponse #3: valid_rcodes SERVFAIL, NXDOMAIN", Server: "authoritative", Args: []string{"dns://SERVER/example.com", "--rcode", "SERVFAIL,NXDOMAIN"}},
	{Peer: "TestAuthoritativeDNSResponse #4: answer fail_if_matches and fail_if_not_matches .*3600.*", Server: "authoritative",
		Args: []string{"dns://SERVER/example.com", "--reject", ".*3600.*", "--expect", ".*3600.*"}},
	{Peer: "TestAuthoritativeDNSResponse #5: answer fail_if_matches and fail_if_not_matches .*7200.*", Server: "authoritative",
		Args: []string{"dns://SERVER/example.com", "--reject", ".*7200.*", "--expect", ".*7200.*"}},
	{Peer: "TestAuthoritativeDNSResponse #6: authority fail_if_not_matches ns.*.isp.net", Server: "authoritative", Healthy: true, Inexpressible: true,
		Note: "probe judges the answer section only"},
	{Peer: "TestAuthoritativeDNSResponse #7: additional fail_if_not_matches ^ns.*.isp", Server: "authoritative", Healthy: true, Inexpressible: true,
		Note: "probe judges the answer section only"},
	{Peer: "TestAuthoritativeDNSResponse #8: additional fail_if_matches ^ns.*.isp", Server: "authoritative", Inexpressible: true,
		Note: "probe judges the answer section only"},
	{Peer: "TestAuthoritativeDNSResponse #9: additional fail_if_all_match .*127.0.0.*", Server: "authoritative", Inexpressible: true,
		Note: "probe judges the answer section only, and has no fail_if_all_match: --reject fails when any record matches"},
	{Peer: "TestAuthoritativeDNSResponse #10: additional fail_if_none_matches .*127.0.0.3.*", Server: "authoritative", Inexpressible: true,
		Note: "probe judges the answer section only (--expect is fail_if_none_matches, on the answer)"},

	{Peer: "TestServfailDNSResponse #0", Server: "servfail", Args: []string{"dns://SERVER/example.com"}},
	{Peer: "TestServfailDNSResponse #1: valid_rcodes SERVFAIL, NXDOMAIN", Server: "servfail", Args: []string{"dns://SERVER/example.com", "--rcode", "SERVFAIL,NXDOMAIN"}, Healthy: true},
	{Peer: "TestServfailDNSResponse #2: query_type NOT_A_VALID_QUERY_TYPE", Server: "servfail", Args: []string{"dns://SERVER/example.com?type=NOT_A_VALID_QUERY_TYPE"},
		Note: "refused as the target is read, before any query"},
	{Peer: "TestServfailDNSResponse #3: valid_rcodes NOT_A_VALID_RCODE", Server: "servfail", Args: []string{"dns://SERVER/example.com", "--rcode", "NOT_A_VALID_RCODE"},
		Note: "refused as the flags are read, before any query"},

	// blackbox's preferred IP protocol picks 127.0.0.1 or ::1 for
	// localhost; probe has no preference: it asks both, Happy Eyeballs
	// style, as for every kind. The server listens on both.
	{Peer: "TestDNSProtocol: localhost, ip_protocol ip6", Server: "recursive+localhost", Args: []string{"dns://SERVER/example.com"}, Healthy: true,
		Note: "no --ip-protocol: probe asks 127.0.0.1, then ::1 (-v names the address that answered)"},
	{Peer: "TestDNSProtocol: localhost, ip_protocol ip4", Server: "recursive+localhost", Args: []string{"dns://SERVER/example.com"}, Healthy: true,
		Note: "no --ip-protocol: probe asks 127.0.0.1, then ::1"},
	{Peer: "TestDNSProtocol: localhost, no preference", Server: "recursive+localhost", Args: []string{"dns://SERVER/example.com"}, Healthy: true},
})

// The last case of TestDNSProtocol: no transport_protocol is UDP, so it
// passes against the UDP server and fails against the TCP one.
var dnsPeerDefaultTransport = []dnsPeerCase{
	{Peer: "TestDNSProtocol: localhost, no transport_protocol (udp)", Server: "recursive+localhost/udp", Args: []string{"dns://SERVER/example.com"}, Healthy: true},
	{Peer: "TestDNSProtocol: localhost, no transport_protocol (tcp)", Server: "recursive+localhost/tcp", Args: []string{"dns://SERVER/example.com"},
		Note: "probe asks over UDP unless ?proto=tcp says TCP; a TCP-only server is no DNS server on UDP"},
}

// bothTransports runs each case against a UDP server with probe's default,
// and against a TCP server with ?proto=tcp.
func bothTransports(cases []dnsPeerCase) []dnsPeerCase {
	var out []dnsPeerCase
	for _, c := range cases {
		udp, tcp := c, c
		udp.Peer, udp.Server = c.Peer+" (udp)", c.Server+"/udp"
		tcp.Peer, tcp.Server = c.Peer+" (tcp)", c.Server+"/tcp"
		tcp.Args = append([]string(nil), c.Args...)
		if len(tcp.Args) > 0 {
			sep := "?"
			if strings.Contains(tcp.Args[0], "?") {
				sep = "&"
			}
			tcp.Args[0] += sep + "proto=tcp"
		}
		out = append(out, udp, tcp)
	}
	return out
}

// dnsPeerServers are blackbox's handlers: each answers a query (its bytes)
// with a message.
var dnsPeerServers = map[string]func(q []byte) []byte{
	// recursiveDNSHandler: REFUSED unless recursion is desired, else two
	// A records.
	"recursive": func(q []byte) []byte {
		if q[2]&1 == 0 {
			return peerReply(q, 5, nil, nil, nil)
		}
		return peerReply(q, 0, [][]byte{
			peerRR("example.com", 3600, 1, 1, []byte{127, 0, 0, 1}),
			peerRR("example.com", 3600, 1, 1, []byte{127, 0, 0, 2}),
		}, nil, nil)
	},
	// authoritativeDNSHandler: an SOA or an A record (a CH TXT record to a
	// CH TXT query), two NS records in the authority section, three
	// addresses in the additional section.
	"authoritative": func(q []byte) []byte {
		an := peerRR("example.com", 3600, 1, 1, []byte{127, 0, 0, 1})
		qtype, qclass := peerQuestion(q)
		switch {
		case qtype == 6:
			an = peerRR("example.com", 3600, 1, 6, append(append(wire("ns.example.com"), wire("noc.example.com")...),
				0, 0, 0x03, 0xe8, 0, 0, 0x1c, 0x20, 0, 0, 0x0e, 0x10, 0, 0x12, 0x75, 0, 0, 0, 0x0e, 0x10))
		case qclass == 3 && qtype == 16:
			an = peerRR("example.com", 3600, 3, 16, []byte("\x07goCHAOS"))
		}
		return peerReply(q, 0, [][]byte{an},
			[][]byte{peerRR("example.com", 7200, 1, 2, wire("ns1.isp.net")), peerRR("example.com", 7200, 1, 2, wire("ns2.isp.net"))},
			[][]byte{peerRR("ns1.isp.net", 7200, 1, 1, []byte{127, 0, 0, 1}), peerRR("ns1.isp.net", 7200, 1, 28, net.ParseIP("::1")),
				peerRR("ns2.isp.net", 7200, 1, 1, []byte{127, 0, 0, 2})})
	},
	// dns.HandleFailed: SERVFAIL to everything.
	"servfail": func(q []byte) []byte { return peerReply(q, 2, nil, nil, nil) },
}

func TestDNSPeers(t *testing.T) {
	t.Parallel()
	for _, c := range append(dnsPeerCases, dnsPeerDefaultTransport...) {
		t.Run(c.Peer, func(t *testing.T) {
			t.Parallel()
			if c.Inexpressible {
				if c.Note == "" || c.Args != nil {
					t.Errorf("an inexpressible case needs a reason and no command line")
				}
				t.Skip("inexpressible: " + c.Note)
			}
			behaviour, transport, _ := strings.Cut(c.Server, "/")
			handler, localhost := dnsPeerServers[strings.TrimSuffix(behaviour, "+localhost")], strings.HasSuffix(behaviour, "+localhost")
			server := servePeer(t, handler, transport, localhost)
			args := append([]string{"--no-marker", "--timeout", "2s"}, c.Args...)
			for i := range args {
				args[i] = strings.ReplaceAll(args[i], "SERVER", server)
			}
			var stdout, stderr bytes.Buffer
			code := cli.Main(args, &stdout, &stderr, cli.Stamp{})
			want := c.Healthy != c.Differs
			if got := code == 0; got != want {
				t.Errorf("%s: healthy %v, want %v (blackbox: %v)\n%s%s", strings.Join(c.Args, " "), got, want, c.Healthy, stdout.String(), stderr.String())
			}
			if out := stdout.String() + stderr.String(); strings.Count(out, "\n") != 1 {
				t.Errorf("want one line: %q", out)
			}
		})
	}
}

// servePeer serves handler over transport ("udp" or "tcp") on loopback, on
// 127.0.0.1 and, for localhost, on ::1 at the same port, and returns the
// address a target names: 127.0.0.1:PORT, or localhost:PORT.
func servePeer(t *testing.T, handler func(q []byte) []byte, transport string, localhost bool) string {
	t.Helper()
	for range 20 {
		first, err := listenPeer(t, handler, transport, "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if !localhost {
			return first
		}
		_, port, _ := net.SplitHostPort(first)
		if _, err := listenPeer(t, handler, transport, "[::1]:"+port); err == nil {
			return "localhost:" + port
		} else if !errors.Is(err, errPortTaken) {
			t.Skip("no IPv6 loopback:", err)
		}
	}
	t.Fatal("no port free on both 127.0.0.1 and ::1")
	return ""
}

var errPortTaken = errors.New("port taken")

func listenPeer(t *testing.T, handler func(q []byte) []byte, transport, addr string) (string, error) {
	if transport == "udp" {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return "", portErr(err)
		}
		t.Cleanup(func() { pc.Close() })
		go func() {
			buf := make([]byte, 4096)
			for {
				n, from, err := pc.ReadFrom(buf)
				if err != nil {
					return
				}
				pc.WriteTo(handler(append([]byte(nil), buf[:n]...)), from)
			}
		}()
		return pc.LocalAddr().String(), nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", portErr(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var n [2]byte
				if _, err := io.ReadFull(c, n[:]); err != nil {
					return
				}
				q := make([]byte, binary.BigEndian.Uint16(n[:]))
				if _, err := io.ReadFull(c, q); err != nil {
					return
				}
				r := handler(q)
				c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(r))), r...))
			}()
		}
	}()
	return ln.Addr().String(), nil
}

func portErr(err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return errPortTaken
	}
	return err
}

// peerQuestion is the type and class a query asks.
func peerQuestion(q []byte) (qtype, qclass uint16) {
	end := 12
	for end < len(q) && q[end] != 0 {
		end += int(q[end]) + 1
	}
	if end+5 > len(q) {
		return 0, 0
	}
	return binary.BigEndian.Uint16(q[end+1:]), binary.BigEndian.Uint16(q[end+3:])
}

// peerReply is miekg/dns's SetReply and WriteMsg: the ID, RD and the
// question echoed, the rcode, and the three sections, with no compression
// and no OPT record (blackbox's handlers add none).
func peerReply(q []byte, rcode int, an, ns, ar [][]byte) []byte {
	end := 12
	for q[end] != 0 {
		end += int(q[end]) + 1
	}
	end += 5
	r := append([]byte(nil), q[:2]...)
	r = binary.BigEndian.AppendUint16(r, 0x8000|uint16(q[2]&1)<<8|uint16(rcode))
	r = append(r, 0, 1)
	for _, s := range [][][]byte{an, ns, ar} {
		r = binary.BigEndian.AppendUint16(r, uint16(len(s)))
	}
	r = append(r, q[12:end]...)
	for _, s := range [][][]byte{an, ns, ar} {
		for _, rr := range s {
			r = append(r, rr...)
		}
	}
	return r
}

// peerRR is a record as miekg/dns's NewRR makes it from text.
func peerRR(owner string, ttl uint32, class, typ uint16, data []byte) []byte {
	r := binary.BigEndian.AppendUint16(wire(owner), typ)
	r = binary.BigEndian.AppendUint16(r, class)
	r = binary.BigEndian.AppendUint32(r, ttl)
	r = binary.BigEndian.AppendUint16(r, uint16(len(data)))
	return append(r, data...)
}
