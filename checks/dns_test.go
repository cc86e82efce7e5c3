package checks_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"regexp"
	"strings"
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
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
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
		ln, err := net.Listen("tcp4", pc.LocalAddr().String())
		if err != nil {
			t.Fatal(err)
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
	end := 12
	for q[end] != 0 {
		end += int(q[end]) + 1
	}
	end += 5 // the root label, type and class
	r := append([]byte(nil), q[:2]...)
	r = binary.BigEndian.AppendUint16(r, 0x8180|flags|uint16(rcode))
	r = append(r, 0, 1)
	r = binary.BigEndian.AppendUint16(r, uint16(len(records)))
	r = append(r, 0, 0, 0, 0)
	r = append(r, q[12:end]...)
	for _, rr := range records {
		r = append(r, rr...)
	}
	return r
}

// recordA is an A record for the question's name (a pointer to offset 12).
func recordA(ip [4]byte) []byte {
	return append([]byte{0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4}, ip[:]...)
}

func TestDNSHostilePeers(t *testing.T) {
	t.Parallel()
	ok := func(q []byte) [][]byte { return [][]byte{answer(q, 0, 0, recordA([4]byte{10, 1, 2, 3}))} }
	for _, tc := range []struct {
		name  string
		reply func(q []byte) [][]byte
		tcp   func(q []byte) []byte
		typ   string
		seen  string
		err   string
	}{
		{name: "a good answer", reply: ok, seen: "NOERROR, probe.test A: 10.1.2.3"},
		{name: "NXDOMAIN", reply: func(q []byte) [][]byte { return [][]byte{answer(q, 0, 3)} }, err: "NXDOMAIN for probe.test A"},
		{name: "SERVFAIL", reply: func(q []byte) [][]byte { return [][]byte{answer(q, 0, 2)} }, err: "SERVFAIL for probe.test A"},
		{name: "REFUSED, with no question", reply: func(q []byte) [][]byte {
			r := answer(q, 0, 5)
			return [][]byte{append(append(r[:4:4], 0, 0, 0, 0), 0, 0, 0, 0)}
		}, err: "REFUSED for probe.test A"},
		{name: "an rcode of 12", reply: func(q []byte) [][]byte { return [][]byte{answer(q, 0, 12)} }, err: "RCODE 12 for probe.test A"},
		{name: "NOERROR with no record", reply: func(q []byte) [][]byte { return [][]byte{answer(q, 0, 0)} }, err: "NOERROR, but no A record for probe.test (0 other record(s) in the answer)"},
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
		}, err: `it answers another question ("Xrobe.test.")`},
		{name: "a compression pointer that loops", reply: func(q []byte) [][]byte {
			rr := []byte{0xc0, 0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4}
			r := answer(q, 0, 0, rr)
			loop := len(r) - len(rr)
			binary.BigEndian.PutUint16(r[loop:], 0xc000|uint16(loop))
			return [][]byte{r}
		}, err: "not a DNS answer: an answer record is cut short"},
		{name: "data past the message", reply: func(q []byte) [][]byte {
			return [][]byte{answer(q, 0, 0, []byte{0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0xff, 0xff, 1, 2})}
		}, err: "an answer record's data runs past the message"},
		{name: "more answers counted than sent", reply: func(q []byte) [][]byte {
			r := answer(q, 0, 0, recordA([4]byte{10, 1, 2, 3}))
			r[7] = 200
			return [][]byte{r}
		}, err: "an answer record is cut short"},
		{name: "a header only", reply: func(q []byte) [][]byte { return [][]byte{q[:11]} }, err: "deadline"},
		{name: "truncated, then whole over TCP", reply: func(q []byte) [][]byte { return [][]byte{answer(q, 0x0200, 0)} },
			tcp: func(q []byte) []byte { return answer(q, 0, 0, recordA([4]byte{10, 9, 9, 9})) }, seen: "NOERROR, probe.test A: 10.9.9.9"},
		{name: "truncated, and no TCP", reply: func(q []byte) [][]byte { return [][]byte{answer(q, 0x0200, 0)} }, err: "connect: connection refused"},
		{name: "an answer with escapes", reply: func(q []byte) [][]byte {
			txt := "\x1b[2J\r\nfake"
			rr := append([]byte{0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, byte(len(txt) + 1), byte(len(txt))}, txt...)
			return [][]byte{answer(q, 0, 0, rr)}
		}, typ: "TXT", seen: `NOERROR, probe.test TXT: "\x1b[2J\r\nfake"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			host, port := dnsPeer(t, tc.reply, tc.tcp)
			ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
			defer cancel()
			start := time.Now()
			seen, err := checks.DNS{Host: host, Port: port, Name: "probe.test", Type: tc.typ}.Run(ctx, checks.NewTrace())
			if time.Since(start) > time.Second {
				t.Errorf("took %s with a deadline of 700ms", time.Since(start))
			}
			msg := ""
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

func TestDNSExpect(t *testing.T) {
	t.Parallel()
	host, port := dnsPeer(t, func(q []byte) [][]byte {
		return [][]byte{answer(q, 0, 0, recordA([4]byte{10, 1, 2, 3}), recordA([4]byte{10, 1, 2, 4}))}
	}, nil)
	run := func(expect, reject string) (string, error) {
		d := checks.DNS{Host: host, Port: port, Name: "probe.test"}
		if expect != "" {
			d.Expect = []*regexp.Regexp{regexp.MustCompile(expect)}
		}
		if reject != "" {
			d.Reject = []*regexp.Regexp{regexp.MustCompile(reject)}
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return d.Run(ctx, checks.NewTrace())
	}
	if seen, err := run(`10\.1\.2\.4`, ""); err != nil || seen != "NOERROR, probe.test A: 10.1.2.3, 10.1.2.4" {
		t.Errorf("--expect that matches: %q, %v", seen, err)
	}
	if _, err := run(`10\.9`, ""); err == nil || err.Error() != `the answer 10.1.2.3, 10.1.2.4 does not match --expect "10\\.9"` {
		t.Errorf("--expect that does not: %v", err)
	}
	if _, err := run("", `10\.1\.2\.4`); err == nil || !strings.Contains(err.Error(), "matches --reject") {
		t.Errorf("--reject that matches: %v", err)
	}
}
