package checks_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/probe-sh/probe/checks"
)

// Servers that answer with records a resolver would skip: the app gets no
// address, so the check must not pass (issue 34).
func TestDNSAnswersTheQuestion(t *testing.T) {
	t.Parallel()
	a := func(ip ...byte) []byte { return ip }
	cname := func(owner []byte, target string) []byte { return record(owner, 5, wire(target)) }
	runDNSCases(t, []dnsCase{
		{name: "a record for another name only", reply: answers(record(wire("evil.example"), 1, a(10, 6, 6, 6))),
			err: "NOERROR, but no A record for probe.test (1 other record in the answer; the first, evil.example. IN A, is for a name the question does not lead to)"},
		{name: "a CNAME, and an A record for a third name", reply: answers(cname(atQuestion, "real.test"), record(wire("third.test"), 1, a(10, 6, 6, 6))),
			err: "NOERROR, but no A record for probe.test via CNAME real.test. (1 other record in the answer; the first, third.test. IN A, is for a name the question does not lead to)"},
		{name: "a CNAME followed, in another case", reply: answers(cname(atQuestion, "real.test"), record(wire("REAL.test"), 1, a(10, 9, 9, 9))),
			seen: "NOERROR, probe.test A: 10.9.9.9 (via CNAME real.test.)"},
		{name: "a chain of two, out of order", reply: answers(record(wire("b.test"), 1, a(10, 9, 9, 9)), cname(wire("a.test"), "b.test"), cname(atQuestion, "a.test")),
			seen: "NOERROR, probe.test A: 10.9.9.9 (via CNAME a.test. -> b.test.)"},
		{name: "the owner in capitals", reply: answers(record(wire("PROBE.TEST"), 1, a(10, 1, 2, 3))), seen: "NOERROR, probe.test A: 10.1.2.3"},
		{name: "an owner whose one label holds a dot", reply: answers(record(append([]byte{10}, "probe.test\x00"...), 1, a(10, 6, 6, 6))),
			err: `the first, probe\.test. IN A, is for a name the question does not lead to`},
		{name: "class CH", reply: answers(record(atQuestion, 1, a(10, 6, 6, 6), 3)),
			err: "(1 other record in the answer; the first, probe.test. CH A, is of class CH, not IN)"},
		{name: "a CNAME of class CH is not followed", reply: answers(record(atQuestion, 5, wire("real.test"), 3), record(wire("real.test"), 1, a(10, 6, 6, 6))),
			err: "NOERROR, but no A record for probe.test (2 other records in the answer; the first, probe.test. CH CNAME, is of class CH, not IN)"},
		{name: "another type only", reply: answers(record(atQuestion, 16, []byte("\x02hi"))),
			err: "the first, probe.test. IN TXT, is of another type than A)"},
		{name: "a CNAME loop", reply: answers(cname(atQuestion, "a.test"), cname(wire("a.test"), "PROBE.test"), record(wire("a.test"), 1, a(10, 6, 6, 6))),
			err: "the CNAME chain loops: probe.test. -> a.test. -> PROBE.test."},
		{name: "two CNAMEs that lead apart", reply: answers(cname(atQuestion, "a.test"), cname(atQuestion, "b.test"), record(wire("a.test"), 1, a(10, 6, 6, 6))),
			err: "two CNAME records for probe.test. lead apart (a.test. and b.test.)"},
		{name: "the same CNAME twice", reply: answers(cname(atQuestion, "a.test"), cname(atQuestion, "A.test"), record(wire("a.test"), 1, a(10, 9, 9, 9))),
			seen: "NOERROR, probe.test A: 10.9.9.9 (via CNAME a.test.)"},
		{name: "a chain of 15 CNAMEs", reply: cnameChain(15), seen: "NOERROR, probe.test A: 10.9.9.9 (via CNAME c1.test. -> ... -> c15.test., 15 CNAMEs)"},
		{name: "a chain of 16 CNAMEs", reply: cnameChain(16), err: "the CNAME chain from probe.test. is longer than 16 names"},
		{name: "a CNAME question is not followed", typ: "CNAME", reply: answers(cname(atQuestion, "a.test"), cname(wire("a.test"), "b.test")),
			seen: "NOERROR, probe.test CNAME: a.test."},
		{name: "truncated over TCP too", reply: func(q []byte) [][]byte { return [][]byte{answer(q, 0x0200, 0)} },
			tcp: func(q []byte) []byte { return answer(q, 0x0200, 0) }, err: "the answer for probe.test A is truncated even over TCP (TC set): it is not the whole answer"},
	})
}

// cnameChain answers probe.test CNAME c1.test, c1.test CNAME c2.test ...
// cN.test A 10.9.9.9.
func cnameChain(n int) func(q []byte) [][]byte {
	name := func(i int) string {
		return "c" + strings.TrimLeft(string([]byte{'0' + byte(i/10), '0' + byte(i%10)}), "0") + ".test"
	}
	rrs := [][]byte{record(atQuestion, 5, wire(name(1)))}
	for i := 1; i < n; i++ {
		rrs = append(rrs, record(wire(name(i)), 5, wire(name(i+1))))
	}
	return answers(append(rrs, record(wire(name(n)), 1, []byte{10, 9, 9, 9}))...)
}

// Records whose data cannot be what their type says: each is a failure
// that names the record and why, never counted (issue 34).
func TestDNSRecordData(t *testing.T) {
	t.Parallel()
	pointerPast := []byte{0xc0, 0xff}
	runDNSCases(t, []dnsCase{
		{name: "A of 0 bytes", reply: answers(record(atQuestion, 1, nil)), err: "a bad A record for probe.test. in the answer: 0 bytes of data, where an A record has 4"},
		{name: "A of 3 bytes", reply: answers(record(atQuestion, 1, []byte{10, 1, 2})), err: "a bad A record for probe.test. in the answer: 3 bytes of data, where an A record has 4"},
		{name: "a good A and a bad one", reply: answers(recordA([4]byte{10, 1, 2, 3}), record(atQuestion, 1, []byte{10, 1, 2, 3, 4})), err: "a bad A record for probe.test. in the answer: 5 bytes of data"},
		{name: "AAAA of 4 bytes", typ: "AAAA", reply: answers(record(atQuestion, 28, []byte{10, 1, 2, 3})), err: "a bad AAAA record for probe.test. in the answer: 4 bytes of data, where an AAAA record has 16"},
		{name: "AAAA", typ: "AAAA", reply: answers(record(atQuestion, 28, net.ParseIP("fd00::1"))), seen: "NOERROR, probe.test AAAA: fd00::1"},
		{name: "MX of 1 byte", typ: "MX", reply: answers(record(atQuestion, 15, []byte{0})), err: "a bad MX record for probe.test. in the answer: 1 bytes of data, too short for a preference and a name"},
		{name: "MX", typ: "MX", reply: answers(record(atQuestion, 15, append([]byte{0, 10}, 0xc0, 12))), seen: "NOERROR, probe.test MX: 10 probe.test."},
		{name: "MX with bytes after its name", typ: "MX", reply: answers(record(atQuestion, 15, append(append([]byte{0, 10}, wire("mx.test")...), 7))), err: "a bad MX record for probe.test. in the answer: 1 bytes after its name"},
		{name: "SRV of 2 bytes", typ: "SRV", reply: answers(record(atQuestion, 33, []byte{0, 1})), err: "a bad SRV record for probe.test. in the answer: 2 bytes of data, too short"},
		{name: "SRV", typ: "SRV", reply: answers(record(atQuestion, 33, append([]byte{0, 1, 0, 2, 0x1f, 0x90}, wire("app.test")...))), seen: "NOERROR, probe.test SRV: 1 2 8080 app.test."},
		{name: "CNAME to a pointer past the message", typ: "CNAME", reply: answers(record(atQuestion, 5, pointerPast)), err: "a bad CNAME record for probe.test. in the answer: a compression pointer points past the message"},
		{name: "CNAME to a pointer past the message, followed", reply: answers(record(atQuestion, 5, pointerPast)), err: "a bad CNAME record for probe.test. in the answer: a compression pointer points past the message"},
		{name: "NS whose name runs past its data", typ: "NS", reply: answers(record(atQuestion, 2, []byte{1, 'n'}), recordA([4]byte{10, 1, 2, 3})), err: "a bad NS record for probe.test. in the answer: a name runs past the record's data"},
		{name: "PTR of no data", typ: "PTR", reply: answers(record(atQuestion, 12, nil)), err: "a bad PTR record for probe.test. in the answer: 0 bytes of data, too short for its names"},
		{name: "TXT of no string", typ: "TXT", reply: answers(record(atQuestion, 16, nil)), err: "a bad TXT record for probe.test. in the answer: no character-string"},
		{name: "TXT whose string runs past", typ: "TXT", reply: answers(record(atQuestion, 16, []byte("\x05abc"))), err: "a bad TXT record for probe.test. in the answer: a character-string runs past the record's data"},
		{name: "TXT of two strings", typ: "TXT", reply: answers(record(atQuestion, 16, []byte("\x02a\"\x03b\\c"))), seen: `NOERROR, probe.test TXT: "a\"" "b\\c"`},
		{name: "SOA of 19 bytes after its names", typ: "SOA", reply: answers(record(atQuestion, 6, append(append(wire("ns.test"), wire("admin.test")...), make([]byte, 19)...))), err: "a bad SOA record for probe.test. in the answer: 19 bytes after its names, where an SOA record has 20"},
		{name: "SOA", typ: "SOA", reply: answers(record(atQuestion, 6, append(append(wire("ns.test"), wire("admin.test")...), 0, 0, 3, 232, 0, 0, 28, 32, 0, 0, 14, 16, 0, 18, 117, 0, 0, 0, 14, 16))),
			seen: "NOERROR, probe.test SOA: ns.test. admin.test. 1000 7200 3600 1209600 3600"},
	})
}

// Messages that lie about their shape: each is one clear line, never a
// panic, never a pass.
func TestDNSMessageLimits(t *testing.T) {
	t.Parallel()
	ok := recordA([4]byte{10, 1, 2, 3})
	opt := func(extended byte) []byte { return []byte{0, 0, 41, 4, 0xd0, extended, 0, 0, 0, 0, 0} }
	label := func(n int) []byte { return append([]byte{byte(n)}, bytes.Repeat([]byte{'x'}, n)...) }
	name := func(last int) []byte { // three labels of 63 bytes, then one of last, then the root
		return append(bytes.Join([][]byte{label(63), label(63), label(63), label(last)}, nil), 0)
	}
	runDNSCases(t, []dnsCase{
		{name: "opcode 2 (STATUS)", reply: func(q []byte) [][]byte {
			r := answer(q, 0, 0, ok)
			r[2] |= 2 << 3
			return [][]byte{r}
		}, err: "not a DNS answer: opcode 2, where the answer to a query has 0"},
		{name: "BADVERS in EDNS's extended rcode", reply: func(q []byte) [][]byte { return [][]byte{sections(q, 0, 0, [][]byte{ok}, [][]byte{opt(1)})} },
			err: "BADVERS for probe.test A"},
		{name: "an OPT with no extended rcode", reply: func(q []byte) [][]byte { return [][]byte{sections(q, 0, 0, [][]byte{ok}, [][]byte{opt(0)})} },
			seen: "NOERROR, probe.test A: 10.1.2.3"},
		{name: "an rcode of 4095", reply: func(q []byte) [][]byte { return [][]byte{sections(q, 0, 15, nil, [][]byte{opt(255)})} },
			err: "RCODE 4095 for probe.test A"},
		{name: "two OPT records", reply: func(q []byte) [][]byte { return [][]byte{sections(q, 0, 0, [][]byte{ok}, [][]byte{opt(0), opt(0)})} },
			err: "not a DNS answer: two OPT records"},
		{name: "65535 answers counted, one sent", reply: func(q []byte) [][]byte {
			r := answer(q, 0, 0, ok)
			r[6], r[7] = 0xff, 0xff
			return [][]byte{r}
		}, err: "not a DNS answer: answer record 2 of 65535: the message ends before it"},
		{name: "65535 additional records counted", reply: func(q []byte) [][]byte {
			r := answer(q, 0, 0, ok)
			r[10], r[11] = 0xff, 0xff
			return [][]byte{r}
		}, err: "not a DNS answer: additional record 1 of 65535: the message ends before it"},
		{name: "a label over 63 bytes", reply: answers(record(append([]byte{64}, bytes.Repeat([]byte{'x'}, 64)...), 1, []byte{10, 6, 6, 6})),
			err: "answer record 1 of 1: its name: a label type it does not know (0x40): a label has at most 63 bytes"},
		{name: "a name of 256 bytes", reply: answers(record(name(62), 1, []byte{10, 6, 6, 6})),
			err: "answer record 1 of 1: its name: a name is longer than 255 bytes"},
		{name: "a name of 255 bytes", reply: answers(ok, record(name(61), 1, []byte{10, 6, 6, 6})),
			seen: "NOERROR, probe.test A: 10.1.2.3"},
		{name: "a pointer that points to itself", reply: func(q []byte) [][]byte {
			r := answer(q, 0, 0)
			r[7] = 1
			self := len(r)
			return [][]byte{append(r, append([]byte{0xc0 | byte(self>>8), byte(self)}, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 6, 6, 6)...)}
		}, err: "its name: a compression pointer points forward or loops"},
		{name: "two names that point to each other", reply: func(q []byte) [][]byte {
			r := answer(q, 0, 0)
			r[7] = 1
			at := len(r) // a label "x", then a pointer back to the question, whose name is rewritten to point here
			r = append(r, 1, 'x', 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 6, 6, 6)
			r[12], r[13] = 0xc0|byte(at>>8), byte(at)
			return [][]byte{r}
		}, err: "not a DNS answer: its question: a compression pointer points forward or loops"},
		{name: "no question with NOERROR", reply: func(q []byte) [][]byte {
			r := answer(q, 0, 0)
			return [][]byte{append(r[:4:4], 0, 0, 0, 0, 0, 0, 0, 0)}
		}, err: "not a DNS answer: 0 questions, where the answer to one has 1"},
		{name: "the question in class CH", reply: func(q []byte) [][]byte {
			r := answer(q, 0, 0, ok)
			binary.BigEndian.PutUint16(r[12+len(wire("probe.test"))+2:], 3)
			return [][]byte{r}
		}, err: "it answers another question (probe.test. CH A)"},
		{name: "the question of another type", reply: func(q []byte) [][]byte {
			r := answer(q, 0, 0, ok)
			binary.BigEndian.PutUint16(r[12+len(wire("probe.test")):], 28)
			return [][]byte{r}
		}, err: "it answers another question (probe.test. IN AAAA)"},
	})
}

// dns://localhost asks 127.0.0.1 and ::1, as every other kind dials both:
// a server on ::1 only passes.
func TestDNSLocalhost(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 4096)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(answer(buf[:n], 0, 0, recordA([4]byte{10, 1, 2, 3})), from)
		}
	}()
	_, port, _ := net.SplitHostPort(pc.LocalAddr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	tr := checks.NewTrace()
	seen, err := checks.DNS{Host: "localhost", Port: port, Name: "probe.test"}.Run(ctx, tr)
	if err != nil || seen != "NOERROR, probe.test A: 10.1.2.3" {
		t.Errorf("%q, %v", seen, err)
	}
	if notes := tr.Snapshot().Notes; !strings.Contains(notesText(notes), "address=[::1]:"+port) {
		t.Errorf("notes %v: want the address that answered", notes)
	}
	// Neither address has a server: both are named.
	pc.Close()
	_, err = checks.DNS{Host: "localhost", Port: port, Name: "probe.test"}.Run(ctx, checks.NewTrace())
	if err == nil || !strings.Contains(err.Error(), "no DNS server answers on 127.0.0.1:"+port+", [::1]:"+port+" (ICMP port unreachable)") {
		t.Errorf("%v", err)
	}
}

func notesText(notes []checks.Note) string {
	var s []string
	for _, n := range notes {
		s = append(s, n.Key+"="+n.Value)
	}
	return strings.Join(s, " ")
}

// FuzzDNSMessage reads any bytes as the answer to a query for probe.test:
// never a panic, and every line one printable line; a pass is NOERROR (or
// an rcode accepted) with a record of the type asked.
func FuzzDNSMessage(f *testing.F) {
	types := []string{"A", "AAAA", "CNAME", "MX", "NS", "PTR", "SOA", "SRV", "TXT"}
	query := func(typ string) []byte { return checks.DNSQuery(checks.DNS{Name: "probe.test", Type: typ}) }
	cname := record(atQuestion, 5, wire("real.test"))
	for _, seed := range []struct {
		typ   byte
		reply []byte
	}{
		{0, answer(query("A"), 0, 0, recordA([4]byte{10, 1, 2, 3}))},
		{0, answer(query("A"), 0, 0, cname, record(wire("real.test"), 1, []byte{10, 9, 9, 9}))},
		{0, answer(query("A"), 0, 0, cname, record(wire("real.test"), 5, []byte{0xc0, 12}))},
		{0, sections(query("A"), 0, 0, [][]byte{recordA([4]byte{10, 1, 2, 3})}, [][]byte{{0, 0, 41, 4, 0xd0, 1, 0, 0, 0, 0, 0}})},
		{0, answer(query("A"), 0x0200, 0)},
		{0x80, answer(query("A"), 0, 3)},
		{2, answer(query("CNAME"), 0, 0, cname)},
		{3, answer(query("MX"), 0, 0, record(atQuestion, 15, append([]byte{0, 10}, 0xc0, 12)))},
		{6, answer(query("SOA"), 0, 0, record(atQuestion, 6, append(append(wire("ns.test"), wire("admin.test")...), make([]byte, 20)...)))},
		{7, answer(query("SRV"), 0, 0, record(atQuestion, 33, append([]byte{0, 1, 0, 2, 0x1f, 0x90}, wire("app.test")...)))},
		{8, answer(query("TXT"), 0, 0, record(atQuestion, 16, []byte("\x02a\"\x03b\\c")))},
	} {
		f.Add(seed.typ, seed.reply)
	}
	f.Fuzz(func(t *testing.T, typ byte, reply []byte) {
		d := checks.DNS{Name: "probe.test", Type: types[int(typ&0x7f)%len(types)], Reject: []*regexp.Regexp{regexp.MustCompile(`\t7\t`)}}
		if typ&0x80 != 0 {
			d.Rcodes = []int{0, 3}
		}
		seen, err := checks.JudgeDNS(d, reply, typ&0x40 != 0)
		msg := ""
		if err != nil {
			if !typed(err) {
				t.Errorf("%T %q: not one of the package's error types", err, err)
			}
			msg = err.Error()
		}
		if (err == nil) == (seen == "") {
			t.Fatalf("%q and %v", seen, err)
		}
		if strings.IndexFunc(seen+msg, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
			t.Fatalf("unprintable: %q %q", seen, msg)
		}
		if err == nil && !strings.HasPrefix(seen, "NOERROR, probe.test "+d.Type+": ") && !(d.Rcodes != nil && strings.HasPrefix(seen, "NXDOMAIN for ")) {
			t.Fatalf("a pass that is neither NOERROR with a record nor an rcode accepted: %q", seen)
		}
		// Go's own reader, where it reads the message too, must find a
		// record that answers the question: probe's pass is no looser.
		var m dnsmessage.Message
		if err == nil && strings.HasPrefix(seen, "NOERROR") && m.Unpack(reply) == nil && !answersQuestion(m, d.Type) {
			t.Fatalf("%q, where x/net/dns/dnsmessage finds no %s record for probe.test on its CNAME chain:\n%v", seen, d.Type, m.Answers)
		}
	})
}

// answersQuestion follows the CNAME chain from probe.test in m's answer,
// and reports whether a record of type typ, class IN, is owned by a name
// on it.
func answersQuestion(m dnsmessage.Message, typ string) bool {
	qtype := map[string]dnsmessage.Type{"A": dnsmessage.TypeA, "AAAA": dnsmessage.TypeAAAA, "CNAME": dnsmessage.TypeCNAME,
		"MX": dnsmessage.TypeMX, "NS": dnsmessage.TypeNS, "PTR": dnsmessage.TypePTR, "SOA": dnsmessage.TypeSOA,
		"SRV": dnsmessage.TypeSRV, "TXT": dnsmessage.TypeTXT}[typ]
	chain := []string{"probe.test."}
	for grew := true; grew && qtype != dnsmessage.TypeCNAME; {
		grew = false
		for _, rr := range m.Answers {
			last := chain[len(chain)-1]
			if body, ok := rr.Body.(*dnsmessage.CNAMEResource); ok && rr.Header.Class == dnsmessage.ClassINET && strings.EqualFold(rr.Header.Name.String(), last) &&
				!slices.ContainsFunc(chain, func(c string) bool { return strings.EqualFold(c, body.CNAME.String()) }) {
				chain, grew = append(chain, body.CNAME.String()), true
			}
		}
	}
	for _, rr := range m.Answers {
		if rr.Header.Type == qtype && rr.Header.Class == dnsmessage.ClassINET &&
			slices.ContainsFunc(chain, func(c string) bool { return strings.EqualFold(c, rr.Header.Name.String()) }) {
			return true
		}
	}
	return false
}
