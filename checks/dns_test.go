package checks_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/probe-sh/probe/checks"
)

// dnsPeer answers each query on a UDP port of its own with what reply
// makes of it (nil: silence), and each over TCP, on the same port, with
// tcpReply (when set).
func dnsPeer(t *testing.T, reply func(q []byte) [][]byte, tcpReply func(q []byte) []byte) (string, string) {
	t.Helper()
	// The TCP port may be taken where the UDP one was free: try another.
	var pc net.PacketConn
	var ln net.Listener
	for try := 0; pc == nil; try++ {
		var err error
		if pc, err = net.ListenPacket("udp4", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if tcpReply == nil {
			break
		}
		if ln, err = net.Listen("tcp4", pc.LocalAddr().String()); err != nil {
			pc.Close()
			pc = nil
			if !errors.Is(err, syscall.EADDRINUSE) || try == 20 {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			for _, r := range reply(append([]byte(nil), buf[:n]...)) {
				pc.WriteTo(r, from)
			}
		}
	}()
	if tcpReply != nil {
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
					r := tcpReply(q)
					c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(r))), r...))
				}()
			}
		}()
	}
	host, p, _ := net.SplitHostPort(pc.LocalAddr().String())
	return host, p
}

// answer builds a reply to q: its ID and question, rcode and flags, and
// the answer records given (each a full record, its name a pointer to the
// question).
func answer(q []byte, flags uint16, rcode int, records ...[]byte) []byte {
	return sections(q, flags, rcode, records, nil)
}

// sections builds a reply to q with the answer and additional records
// given.
func sections(q []byte, flags uint16, rcode int, an, ar [][]byte) []byte {
	end := 12
	for q[end] != 0 {
		end += int(q[end]) + 1
	}
	end += 5 // the root label, type and class
	r := append([]byte(nil), q[:2]...)
	r = binary.BigEndian.AppendUint16(r, 0x8180|flags|uint16(rcode))
	r = append(r, 0, 1)
	r = binary.BigEndian.AppendUint16(r, uint16(len(an)))
	r = append(r, 0, 0)
	r = binary.BigEndian.AppendUint16(r, uint16(len(ar)))
	r = append(r, q[12:end]...)
	for _, rr := range append(an, ar...) {
		r = append(r, rr...)
	}
	return r
}

// recordA is an A record for the question's name (a pointer to offset 12).
func recordA(ip [4]byte) []byte {
	return append([]byte{0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4}, ip[:]...)
}

// atQuestion is a name that points to the question's.
var atQuestion = []byte{0xc0, 12}

// wire is a name in wire form, uncompressed: "real.test" is
// \x04real\x04test\x00.
func wire(name string) []byte {
	var b []byte
	for _, l := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		b = append(append(b, byte(len(l))), l...)
	}
	return append(b, 0)
}

// record is a whole record of class IN unless class says otherwise, with
// a TTL of 60.
func record(owner []byte, typ uint16, data []byte, class ...uint16) []byte {
	c := uint16(1)
	if len(class) > 0 {
		c = class[0]
	}
	r := binary.BigEndian.AppendUint16(append([]byte(nil), owner...), typ)
	r = binary.BigEndian.AppendUint16(r, c)
	r = append(r, 0, 0, 0, 60)
	r = binary.BigEndian.AppendUint16(r, uint16(len(data)))
	return append(r, data...)
}

// answers answers every query with the records given.
func answers(records ...[]byte) func(q []byte) [][]byte {
	return func(q []byte) [][]byte { return [][]byte{answer(q, 0, 0, records...)} }
}

// dnsCase is a scripted server and what a check of probe.test says of it:
// seen when healthy, or an error that holds err.
type dnsCase struct {
	name  string
	reply func(q []byte) [][]byte
	tcp   func(q []byte) []byte
	typ   string
	seen  string
	err   string
}

func TestDNSHostilePeers(t *testing.T) {
	t.Parallel()
	ok := func(q []byte) [][]byte { return [][]byte{answer(q, 0, 0, recordA([4]byte{10, 1, 2, 3}))} }
	runDNSCases(t, []dnsCase{
		{name: "a good answer", reply: ok, seen: "NOERROR, probe.test A: 10.1.2.3"},
		{name: "NXDOMAIN", reply: func(q []byte) [][]byte { return [][]byte{answer(q, 0, 3)} }, err: "NXDOMAIN for probe.test A"},
		{name: "SERVFAIL", reply: func(q []byte) [][]byte { return [][]byte{answer(q, 0, 2)} }, err: "SERVFAIL for probe.test A"},
		{name: "REFUSED, with no question", reply: func(q []byte) [][]byte {
			r := answer(q, 0, 5)
			return [][]byte{append(append(r[:4:4], 0, 0, 0, 0), 0, 0, 0, 0)}
		}, err: "REFUSED for probe.test A"},
		{name: "an rcode of 12", reply: func(q []byte) [][]byte { return [][]byte{answer(q, 0, 12)} }, err: "RCODE 12 for probe.test A"},
		{name: "NOERROR with no record", reply: func(q []byte) [][]byte { return [][]byte{answer(q, 0, 0)} }, err: "NOERROR, but no A record for probe.test (the answer holds no other record)"},
		{name: "silence", reply: func(q []byte) [][]byte { return nil }, err: "deadline"},
		{name: "spoofed IDs first, then the answer", reply: func(q []byte) [][]byte {
			bad := answer(q, 0, 0, recordA([4]byte{6, 6, 6, 6}))
			bad[0]++
			return [][]byte{bad, bad, ok(q)[0]}
		}, seen: "NOERROR, probe.test A: 10.1.2.3"},
		{name: "a query echoed, not a reply", reply: func(q []byte) [][]byte { return [][]byte{q} }, err: "not a DNS answer: not the reply to this query"},
		{name: "the answer to another question", reply: func(q []byte) [][]byte {
			r := answer(q, 0, 0, recordA([4]byte{6, 6, 6, 6}))
			r[13] = 'X' // "probe" becomes "Xrobe"
			return [][]byte{r}
		}, err: `it answers another question (Xrobe.test. IN A)`},
		{name: "a compression pointer that loops", reply: func(q []byte) [][]byte {
			rr := []byte{0xc0, 0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4}
			r := answer(q, 0, 0, rr)
			loop := len(r) - len(rr)
			binary.BigEndian.PutUint16(r[loop:], 0xc000|uint16(loop))
			return [][]byte{r}
		}, err: "not a DNS answer: answer record 1 of 1: its name: a compression pointer points forward or loops"},
		{name: "data past the message", reply: func(q []byte) [][]byte {
			return [][]byte{answer(q, 0, 0, []byte{0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0xff, 0xff, 1, 2})}
		}, err: "answer record 1 of 1: its data (65535 bytes) runs past the message"},
		{name: "more answers counted than sent", reply: func(q []byte) [][]byte {
			r := answer(q, 0, 0, recordA([4]byte{10, 1, 2, 3}))
			r[7] = 200
			return [][]byte{r}
		}, err: "answer record 2 of 200: the message ends before it"},
		{name: "a header only", reply: func(q []byte) [][]byte { return [][]byte{q[:11]} }, err: "deadline"},
		{name: "truncated, then whole over TCP", reply: func(q []byte) [][]byte { return [][]byte{answer(q, 0x0200, 0)} },
			tcp: func(q []byte) []byte { return answer(q, 0, 0, recordA([4]byte{10, 9, 9, 9})) }, seen: "NOERROR, probe.test A: 10.9.9.9"},
		{name: "truncated, and no TCP", reply: func(q []byte) [][]byte { return [][]byte{answer(q, 0x0200, 0)} }, err: "connect: connection refused"},
		{name: "an answer with escapes", reply: func(q []byte) [][]byte {
			txt := "\x1b[2J\r\nfake"
			rr := append([]byte{0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, byte(len(txt) + 1), byte(len(txt))}, txt...)
			return [][]byte{answer(q, 0, 0, rr)}
		}, typ: "TXT", seen: `NOERROR, probe.test TXT: "\027[2J\013\010fake"`},
	})
}

func runDNSCases(t *testing.T, cases []dnsCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			host, port := dnsPeer(t, tc.reply, tc.tcp)
			ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
			defer cancel()
			start := time.Now()
			seen, err := checks.DNS{Host: host, Port: port, Name: "probe.test", Type: tc.typ}.Run(ctx, checks.NewTrace())
			if time.Since(start) > 3*time.Second { // a hang, not a slow machine
				t.Errorf("took %s with a deadline of 700ms", time.Since(start))
			}
			msg := ""
			if err != nil && !typed(err) {
				t.Errorf("%T %q: not one of the package's error types", err, err)
			}
			if err != nil {
				msg = err.Error()
				if checks.IsTimeout(err) {
					msg = "deadline"
				}
			}
			switch {
			case tc.err == "" && (err != nil || seen != tc.seen):
				t.Errorf("%q, %v; want %q", seen, err, tc.seen)
			case tc.err != "" && !strings.Contains(msg, tc.err):
				t.Errorf("%q, %q; want an error with %q", seen, msg, tc.err)
			}
			if strings.IndexFunc(seen+msg, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
				t.Errorf("unprintable: %q %q", seen, msg)
			}
		})
	}
}

// --expect and --reject match each record of the answer, as its data and
// as the whole record in miekg/dns's text (blackbox_exporter's answer
// regexps): an --expect must match one record, a --reject none.
func TestDNSExpect(t *testing.T) {
	t.Parallel()
	host, port := dnsPeer(t, answers(record(atQuestion, 5, wire("real.test")),
		record(wire("real.test"), 1, []byte{10, 1, 2, 3}), record(wire("real.test"), 1, []byte{10, 1, 2, 4})), nil)
	for _, tc := range []struct {
		name, expect, reject string
		err                  string
	}{
		{name: "the data of one record", expect: `10\.1\.2\.4`},
		{name: "the data, anchored", expect: `^10\.1\.2\.3$`},
		{name: "the whole record", expect: `^real\.test\.\t60\tIN\tA\t10\.1\.2\.4$`},
		{name: "the TTL and type", expect: `\t60\tIN\tA\t`},
		{name: "the CNAME followed", expect: `^probe\.test\.\t60\tIN\tCNAME\treal\.test\.$`},
		{name: "two, each matched by another record", expect: `10\.1\.2\.3$`, reject: `7200`},
		{name: "no record matches", expect: `10\.9`, err: `the answer 10.1.2.3, 10.1.2.4 (via CNAME real.test.) does not match "10\\.9"`},
		{name: "a TTL that is not there", expect: `\t3600\t`, err: `does not match "\\t3600\\t"`},
		{name: "across records, as the text joined once matched", expect: `10\.1\.2\.3, 10\.1\.2\.4`, err: "does not match"},
		{name: "--reject of one record's data", reject: `^10\.1\.2\.4$`, err: `the record real.test.\t60\tIN\tA\t10.1.2.4 matches "^10\\.1\\.2\\.4$"`},
		{name: "--reject of the CNAME", reject: `CNAME\treal`, err: `the record probe.test.\t60\tIN\tCNAME\treal.test. matches "CNAME\\treal"`},
		{name: "--reject that matches nothing", reject: `\t7200\t`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := checks.DNS{Host: host, Port: port, Name: "probe.test"}
			if tc.expect != "" {
				d.Expect = []*regexp.Regexp{regexp.MustCompile(tc.expect)}
			}
			if tc.reject != "" {
				d.Reject = []*regexp.Regexp{regexp.MustCompile(tc.reject)}
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			seen, err := d.Run(ctx, checks.NewTrace())
			switch {
			case tc.err == "" && (err != nil || seen != "NOERROR, probe.test A: 10.1.2.3, 10.1.2.4 (via CNAME real.test.)"):
				t.Errorf("%q, %v", seen, err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("%q, %v; want an error with %q", seen, err, tc.err)
			}
		})
	}
}
