package peers

import (
	"encoding/binary"
	"io"
	"net"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// The DNS servers of blackbox_exporter's prober/dns_test.go, each over UDP
// and over TCP (a server of one transport only, as its tests start them).

// zone answers one question: the response code and the records of the
// answer, authority and additional sections.
type zone func(q dnsmessage.Question, recursionDesired bool) (rcode dnsmessage.RCode, answer, authority, additional []dnsmessage.Resource)

func rr(name string, ttl uint32, body dnsmessage.ResourceBody) dnsmessage.Resource {
	return dnsmessage.Resource{Header: dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(name), Class: dnsmessage.ClassINET, TTL: ttl}, Body: body}
}

func a(ip string) *dnsmessage.AResource {
	var r dnsmessage.AResource
	copy(r.A[:], net.ParseIP(ip).To4())
	return &r
}

// recursive is recursiveDNSHandler: REFUSED unless recursion is desired,
// then two A records.
func recursive(q dnsmessage.Question, rd bool) (dnsmessage.RCode, []dnsmessage.Resource, []dnsmessage.Resource, []dnsmessage.Resource) {
	if !rd {
		return dnsmessage.RCodeRefused, nil, nil, nil
	}
	return dnsmessage.RCodeSuccess, []dnsmessage.Resource{rr("example.com.", 3600, a("127.0.0.1")), rr("example.com.", 3600, a("127.0.0.2"))}, nil, nil
}

// authoritative is authoritativeDNSHandler: an SOA for SOA, else an A, and
// always two NS records in the authority section and their addresses in
// the additional one.
func authoritative(q dnsmessage.Question, _ bool) (dnsmessage.RCode, []dnsmessage.Resource, []dnsmessage.Resource, []dnsmessage.Resource) {
	answer := rr("example.com.", 3600, a("127.0.0.1"))
	if q.Type == dnsmessage.TypeSOA {
		answer = rr("example.com.", 3600, &dnsmessage.SOAResource{NS: dnsmessage.MustNewName("ns.example.com."), MBox: dnsmessage.MustNewName("noc.example.com."),
			Serial: 1000, Refresh: 7200, Retry: 3600, Expire: 1209600, MinTTL: 3600})
	}
	var aaaa dnsmessage.AAAAResource
	copy(aaaa.AAAA[:], net.ParseIP("::1"))
	return dnsmessage.RCodeSuccess, []dnsmessage.Resource{answer},
		[]dnsmessage.Resource{rr("example.com.", 7200, &dnsmessage.NSResource{NS: dnsmessage.MustNewName("ns1.isp.net.")}), rr("example.com.", 7200, &dnsmessage.NSResource{NS: dnsmessage.MustNewName("ns2.isp.net.")})},
		[]dnsmessage.Resource{rr("ns1.isp.net.", 7200, a("127.0.0.1")), rr("ns1.isp.net.", 7200, &aaaa), rr("ns2.isp.net.", 7200, a("127.0.0.2"))}
}

// servfail is miekg/dns's HandleFailed: SERVFAIL to everything.
func servfail(dnsmessage.Question, bool) (dnsmessage.RCode, []dnsmessage.Resource, []dnsmessage.Resource, []dnsmessage.Resource) {
	return dnsmessage.RCodeServerFailure, nil, nil, nil
}

// reply answers the query q with z, or returns nil for a query that is not
// one.
func reply(q []byte, z zone) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(q)
	if err != nil {
		return nil
	}
	question, err := p.Question()
	if err != nil {
		return nil
	}
	rcode, answer, authority, additional := z(question, h.RecursionDesired)
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true, RCode: rcode})
	b.EnableCompression()
	b.StartQuestions()
	b.Question(question)
	for i, section := range [][]dnsmessage.Resource{answer, authority, additional} {
		switch i {
		case 0:
			b.StartAnswers()
		case 1:
			b.StartAuthorities()
		case 2:
			b.StartAdditionals()
		}
		for _, r := range section {
			var err error
			switch body := r.Body.(type) {
			case *dnsmessage.AResource:
				err = b.AResource(r.Header, *body)
			case *dnsmessage.AAAAResource:
				err = b.AAAAResource(r.Header, *body)
			case *dnsmessage.NSResource:
				err = b.NSResource(r.Header, *body)
			case *dnsmessage.SOAResource:
				err = b.SOAResource(r.Header, *body)
			}
			if err != nil {
				return nil
			}
		}
	}
	msg, err := b.Finish()
	if err != nil {
		return nil
	}
	return msg
}

// serveDNS answers over UDP ("udp") or TCP ("tcp"), on 127.0.0.1.
func serveDNS(transport string, z zone) func(*env) (string, func(), error) {
	return func(*env) (string, func(), error) {
		if transport == "udp" {
			pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
			if err != nil {
				return "", nil, err
			}
			go func() {
				buf := make([]byte, 1500)
				for {
					n, from, err := pc.ReadFrom(buf)
					if err != nil {
						return
					}
					if msg := reply(buf[:n], z); msg != nil {
						pc.WriteTo(msg, from)
					}
				}
			}()
			return pc.LocalAddr().String(), func() { pc.Close() }, nil
		}
		return serveTCP(plain, func(c net.Conn) {
			for {
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				var n [2]byte
				if _, err := io.ReadFull(c, n[:]); err != nil {
					return
				}
				q := make([]byte, binary.BigEndian.Uint16(n[:]))
				if _, err := io.ReadFull(c, q); err != nil {
					return
				}
				msg := reply(q, z)
				if msg == nil {
					return
				}
				c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(msg))), msg...))
			}
		})(nil)
	}
}

func init() {
	for name, s := range map[string]server{
		"dns-recursive":         {"DNS over UDP: REFUSED unless recursion is desired, then `example.com. 3600 IN A 127.0.0.1` and `127.0.0.2`", serveDNS("udp", recursive)},
		"dns-recursive-tcp":     {"the same, over TCP only", serveDNS("tcp", recursive)},
		"dns-authoritative":     {"DNS over UDP: `example.com. 3600 IN A 127.0.0.1` (an SOA, serial 1000, for SOA), two NS of TTL 7200 in the authority section, their A and AAAA in the additional one", serveDNS("udp", authoritative)},
		"dns-authoritative-tcp": {"the same, over TCP only", serveDNS("tcp", authoritative)},
		"dns-servfail":          {"DNS over UDP: SERVFAIL to every query", serveDNS("udp", servfail)},
		"dns-servfail-tcp":      {"the same, over TCP only", serveDNS("tcp", servfail)},
	} {
		servers[name] = s
	}
}
