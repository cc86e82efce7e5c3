package dns

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"unicode"
)

// name is a name in wire form, uncompressed.
func name(s string) []byte {
	var b []byte
	for _, l := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if l != "" {
			b = append(append(b, byte(len(l))), l...)
		}
	}
	return append(b, 0)
}

// rr is a record in wire form: owner, type, class IN, TTL 60, data.
func rr(owner []byte, typ uint16, data []byte) []byte {
	b := append([]byte(nil), owner...)
	b = binary.BigEndian.AppendUint16(b, typ)
	b = append(b, 0, 1, 0, 0, 0, 60)
	b = binary.BigEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

// atQ points at the question's name, at offset 12.
var atQ = []byte{0xc0, 12}

// question asks for probe.test A with ID 0x1234.
var question = Question{ID: 0x1234, Name: "probe.test.", Type: 1}

// reply is the answer to question: flags (QR added), then the records of
// the answer section, and those of the additional one after nil.
func reply(flags uint16, records ...[]byte) []byte {
	an, ar, extra := 0, 0, false
	for _, r := range records {
		switch {
		case r == nil:
			extra = true
		case extra:
			ar++
		default:
			an++
		}
	}
	b := binary.BigEndian.AppendUint16(nil, 0x1234)
	b = binary.BigEndian.AppendUint16(b, 0x8000|flags)
	b = append(b, 0, 1, byte(an>>8), byte(an), 0, 0, byte(ar>>8), byte(ar))
	b = append(append(b, name("probe.test")...), 0, 1, 0, 1)
	for _, r := range records {
		b = append(b, r...)
	}
	return b
}

func TestNewQuery(t *testing.T) {
	t.Parallel()
	q, b, err := NewQuery(0xabcd, "probe.test", 28)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]byte{0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1}, name("probe.test")...), 0, 28, 0, 1, 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0)
	if !bytes.Equal(b, want) || q != (Question{ID: 0xabcd, Name: "probe.test.", Type: 28}) {
		t.Errorf("NewQuery: %v %x, want %x", q, b, want)
	}
	for _, tc := range []struct{ in, name, err string }{
		{in: "probe.test.", name: "probe.test."},
		{in: "", name: "."},
		{in: ".", name: "."},
		{in: "a b.test", name: `a\ b.test.`},
		{in: "x\x01;.test", name: `x\001\;.test.`},
		{in: strings.Repeat("x", 63) + ".test", name: strings.Repeat("x", 63) + ".test."},
		{in: "a..b", err: `the name "a..b" has an empty label or one above 63 bytes`},
		{in: ".a", err: "has an empty label"},
		{in: strings.Repeat("x", 64), err: "has an empty label or one above 63 bytes"},
		{in: strings.Repeat("x.", 126) + "x", name: strings.Repeat(`x.`, 127)}, // 255 bytes
		{in: strings.Repeat("x.", 128), err: "is longer than 255 bytes"},
	} {
		q, b, err := NewQuery(1, tc.in, 1)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("NewQuery(%q) = %q, %v; want the error %q", tc.in, q.Name, err, tc.err)
		case tc.err == "" && (err != nil || q.Name != tc.name):
			t.Errorf("NewQuery(%q) = %q, %v; want %q", tc.in, q.Name, err, tc.name)
		case tc.err == "" && len(b) > 12+255+4+11:
			t.Errorf("NewQuery(%q): %d bytes", tc.in, len(b))
		}
	}
}

func TestRead(t *testing.T) {
	t.Parallel()
	a := rr(atQ, 1, []byte{10, 1, 2, 3})
	opt := func(extended byte) []byte { return []byte{0, 0, 41, 4, 0xd0, extended, 0, 0, 0, 0, 0} }
	label := func(n int) []byte { return append([]byte{byte(n)}, bytes.Repeat([]byte{'x'}, n)...) }
	mutate := func(b []byte, f func([]byte)) []byte { f(b); return b }
	for _, tc := range []struct {
		name    string
		in      []byte
		rcode   int
		answers int
		tc      bool
		err     string
	}{
		{name: "one A", in: reply(0, a), answers: 1},
		{name: "two records and an OPT", in: reply(0, a, a, nil, opt(0)), answers: 2},
		{name: "NXDOMAIN", in: reply(3), rcode: 3},
		{name: "BADVERS: EDNS's upper bits", in: reply(0, a, nil, opt(1)), rcode: 16, answers: 1},
		{name: "the question in capitals", in: append(append(reply(0)[:12], name("PROBE.Test")...), 0, 1, 0, 1)},
		{name: "an error with no question", in: mutate(reply(2), func(b []byte) { b[5] = 0 }), rcode: 2},
		{name: "TC: read up to the question", in: append(reply(0x0200), 0xff, 0xff), tc: true},

		{name: "shorter than a header", in: []byte{0x12, 0x34, 0x80}, err: "not a DNS answer: shorter than a header (3 bytes)"},
		{name: "another ID", in: mutate(reply(0, a), func(b []byte) { b[1] = 0 }), err: "not the reply to this query"},
		{name: "a query, not a reply", in: mutate(reply(0, a), func(b []byte) { b[2] &^= 0x80 }), err: "not the reply to this query"},
		{name: "opcode 2", in: mutate(reply(0, a), func(b []byte) { b[2] |= 2 << 3 }), err: "opcode 2, where the answer to a query has 0"},
		{name: "no question with NOERROR", in: mutate(reply(0), func(b []byte) { b[5] = 0 }), err: "0 questions, where the answer to one has 1"},
		{name: "two questions", in: mutate(reply(0), func(b []byte) { b[5] = 2 }), err: "2 questions, where the answer to one has 1"},
		{name: "a question cut short", in: reply(0)[:12+len(name("probe.test"))+2], err: "its question is cut short"},
		{name: "another name", in: append(append(reply(0)[:12], name("evil.test")...), 0, 1, 0, 1), err: "it answers another question (evil.test. IN A)"},
		{name: "another type", in: append(append(reply(0)[:12], name("probe.test")...), 0, 28, 0, 1), err: "it answers another question (probe.test. IN AAAA)"},
		{name: "another class", in: append(append(reply(0)[:12], name("probe.test")...), 0, 1, 0, 3), err: "it answers another question (probe.test. CH A)"},
		{name: "a count of 65535", in: mutate(reply(0, a), func(b []byte) { b[6], b[7] = 0xff, 0xff }), err: "answer record 2 of 65535: the message ends before it"},
		{name: "a record cut short", in: reply(0, a[:8]), err: "answer record 1 of 1: cut short"},
		{name: "data past the message", in: reply(0, a[:len(a)-1]), err: "answer record 1 of 1: its data (4 bytes) runs past the message"},
		{name: "two OPT records", in: reply(0, a, nil, opt(0), opt(0)), err: "two OPT records"},
		{name: "a pointer forward", in: reply(0, rr([]byte{0xc0, 40}, 1, []byte{1, 2, 3, 4})), err: "a compression pointer points forward or loops"},
		{name: "a pointer to itself", in: reply(0, rr([]byte{0xc0, 28}, 1, []byte{1, 2, 3, 4})), err: "a compression pointer points forward or loops"},
		{name: "a pointer past the message", in: reply(0, rr([]byte{0xc0, 0xff}, 1, nil)), err: "a compression pointer points past the message (to 255 of"},
		{name: "a pointer cut short", in: reply(0, []byte{0xc0}), err: "answer record 1 of 1: its name: a name runs past the message"},
		{name: "a label type 0x40", in: reply(0, rr([]byte{0x41, 'x', 0}, 1, nil)), err: "a label type it does not know (0x41)"},
		{name: "a label past the message", in: reply(0, []byte{9, 'x'}), err: "its name: a name runs past the message"},
		{name: "a name of 256 bytes", in: reply(0, rr(append(bytes.Join([][]byte{label(63), label(63), label(63), label(63)}, nil), 0), 1, nil)), err: "a name is longer than 255 bytes"},
	} {
		m, err := Read(tc.in, question)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: %+v, %v; want the error %q", tc.name, m, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err == "" && (m.Rcode != tc.rcode || len(m.Answers) != tc.answers || m.Truncated != tc.tc):
			t.Errorf("%s: rcode %d, %d answers, TC %v; want %d, %d, %v", tc.name, m.Rcode, len(m.Answers), m.Truncated, tc.rcode, tc.answers, tc.tc)
		}
		if err != nil && (!strings.HasPrefix(err.Error(), "not a DNS answer: ") || strings.ContainsAny(err.Error(), "\n\r")) {
			t.Errorf("%s: not one line that says so: %q", tc.name, err)
		}
	}
}

func TestRdata(t *testing.T) {
	t.Parallel()
	soa := append(append(name("ns.test"), name("admin.test")...), 0, 0, 3, 232, 0, 0, 28, 32, 0, 0, 14, 16, 0, 18, 117, 0, 0, 0, 14, 16)
	for _, tc := range []struct {
		name string
		typ  uint16
		data []byte
		want string
		err  string
	}{
		{name: "A", typ: 1, data: []byte{10, 1, 2, 3}, want: "10.1.2.3"},
		{name: "A of 5 bytes", typ: 1, data: []byte{10, 1, 2, 3, 4}, err: "5 bytes of data, where an A record has 4"},
		{name: "AAAA", typ: 28, data: append(make([]byte, 15), 1), want: "::1"},
		{name: "AAAA of 4 bytes", typ: 28, data: []byte{10, 1, 2, 3}, err: "4 bytes of data, where an AAAA record has 16"},
		{name: "CNAME", typ: 5, data: name("real.test"), want: "real.test."},
		{name: "CNAME, compressed", typ: 5, data: []byte{4, 'r', 'e', 'a', 'l', 0xc0, 18}, want: "real.test."},
		{name: "CNAME with a byte after its name", typ: 5, data: append(name("real.test"), 0), err: "1 bytes after its name"},
		{name: "NS whose name runs past its data", typ: 2, data: []byte{1, 'n'}, err: "a name runs past"},
		{name: "PTR of no data", typ: 12, data: nil, err: "0 bytes of data, too short for its names"},
		{name: "MX", typ: 15, data: append([]byte{0, 10}, atQ...), want: "10 probe.test."},
		{name: "MX of 2 bytes", typ: 15, data: []byte{0, 10}, err: "2 bytes of data, too short for a preference and a name"},
		{name: "SRV", typ: 33, data: append([]byte{0, 1, 0, 2, 0x1f, 0x90}, name("app.test")...), want: "1 2 8080 app.test."},
		{name: "SRV of 6 bytes", typ: 33, data: []byte{0, 1, 0, 2, 0x1f, 0x90}, err: "6 bytes of data, too short for a priority, a weight, a port and a name"},
		{name: "SOA", typ: 6, data: soa, want: "ns.test. admin.test. 1000 7200 3600 1209600 3600"},
		{name: "SOA of 19 bytes after its names", typ: 6, data: soa[:len(soa)-1], err: "19 bytes after its names, where an SOA record has 20"},
		{name: "SOA with one name", typ: 6, data: name("ns.test"), err: "too short for its names"},
		{name: "TXT", typ: 16, data: []byte("\x02a\"\x03b\\c\x00\x02\x1b\xff"), want: `"a\"" "b\\c" "" "\027\255"`},
		{name: "TXT of nothing", typ: 16, data: nil, err: "no character-string, where a TXT record has one at least"},
		{name: "TXT past its data", typ: 16, data: []byte("\x05abc"), err: "a character-string runs past the record's data"},
		{name: "a type probe never asks for", typ: 99, data: []byte{0xde, 0xad}, want: `\# 2 dead`},
	} {
		m, err := Read(reply(0, rr(atQ, tc.typ, tc.data)), question)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, err := m.Rdata(m.Answers[0])
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: %q, %v; want the error %q", tc.name, got, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	m, err := Read(reply(0, rr(atQ, 1, []byte{10, 1, 2, 3})), question)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Answers[0].Text("10.1.2.3"); got != "probe.test.\t60\tIN\tA\t10.1.2.3" {
		t.Errorf("Text: %q", got)
	}
	for typ, want := range map[uint16]string{1: "A", 33: "SRV", 41: "OPT", 99: "TYPE99"} {
		if got := TypeName(typ); got != want {
			t.Errorf("TypeName(%d) = %q, want %q", typ, got, want)
		}
	}
	for class, want := range map[uint16]string{1: "IN", 3: "CH", 255: "ANY", 9: "CLASS9"} {
		if got := ClassName(class); got != want {
			t.Errorf("ClassName(%d) = %q, want %q", class, got, want)
		}
	}
	for rcode, want := range map[int]string{0: "NOERROR", 3: "NXDOMAIN", 16: "BADVERS", 99: "RCODE 99"} {
		if got := RcodeName(rcode); got != want {
			t.Errorf("RcodeName(%d) = %q, want %q", rcode, got, want)
		}
	}
	if n, ok := Rcode("nxdomain"); !ok || n != 3 {
		t.Errorf("Rcode(nxdomain) = %d, %v", n, ok)
	}
	if _, ok := Rcode("RCODE 99"); ok {
		t.Error("Rcode took RCODE 99")
	}
	if n, ok := Type("aaaa"); !ok || n != 28 {
		t.Errorf("Type(aaaa) = %d, %v", n, ok)
	}
	if _, ok := Type("OPT"); ok {
		t.Error("Type took OPT, which a check does not ask for")
	}
}

// FuzzDNSRead reads any bytes as the answer to a query for probe.test:
// never a panic; a failure is one printable line; every record's data lies
// within the message, and reads as one printable line or fails as one.
func FuzzDNSRead(f *testing.F) {
	f.Add(reply(0, rr(atQ, 1, []byte{10, 1, 2, 3})))
	f.Add(reply(0, rr(atQ, 5, name("real.test")), rr(name("real.test"), 1, []byte{10, 9, 9, 9}), nil, []byte{0, 0, 41, 4, 0xd0, 1, 0, 0, 0, 0, 0}))
	f.Add(reply(0, rr(atQ, 16, []byte("\x02a\"\x03b\\c"))))
	f.Add(reply(0, rr(atQ, 6, append(append(name("ns.test"), name("admin.test")...), make([]byte, 20)...))))
	f.Add(reply(0, rr(atQ, 33, append([]byte{0, 1, 0, 2, 0x1f, 0x90}, atQ...))))
	f.Add(reply(0x0200))
	printable := func(s string) bool {
		return strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Read(b, question)
		if err != nil {
			if !printable(err.Error()) {
				t.Fatalf("unprintable: %q", err)
			}
			return
		}
		for _, rr := range m.Answers {
			if rr.Off < 12 || rr.Off+rr.Len > len(b) {
				t.Fatalf("a record's data at %d+%d of %d bytes", rr.Off, rr.Len, len(b))
			}
			s, err := m.Rdata(rr)
			if err != nil {
				s = err.Error()
			}
			if !printable(s) || !printable(rr.Name) {
				t.Fatalf("unprintable: %q %q", rr.Name, s)
			}
		}
	})
}
