package checks

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/probe-sh/probe/internal/sanitize"
)

// The DNS message reader (RFC 1035, 4.1): one reading of an answer, which
// dns.go judges. A server may lie about every length and count in it, so
// each is checked against the bytes there are, and what cannot be read is
// refused in one line, never read past.

const (
	dnsClassIN   = 1
	dnsTypeCNAME = 5
	dnsTypeOPT   = 41
)

// dnsQuestion is what a check asks: the query's ID, and the name in the
// form readName writes it ("probe.test."), so that the echo and the
// records' owners compare with it as text.
type dnsQuestion struct {
	id    uint16
	name  string
	qtype uint16
}

// dnsMsg is an answer as read: its response code (with EDNS's extended
// bits), the TC bit, and the answer section's records.
type dnsMsg struct {
	b         []byte
	rcode     int
	truncated bool
	answers   []dnsRR
}

// dnsRR is one record: its owner (as readName writes it), type, class and
// TTL, and where its data lies in the message.
type dnsRR struct {
	name       string
	typ, class uint16
	ttl        uint32
	off, n     int
}

// readDNS reads b as the answer to q: a reply (QR) with q's ID, a standard
// query's opcode and q's question echoed, then every record of its three
// sections, so that the OPT record's extended response code is known. A
// truncated answer (TC) is read up to its question only: what follows may
// be cut anywhere.
func readDNS(b []byte, q dnsQuestion) (dnsMsg, error) {
	bad := func(format string, args ...any) (dnsMsg, error) {
		return dnsMsg{}, fmt.Errorf("not a DNS answer: %s: %s", fmt.Sprintf(format, args...), sanitize.Excerpt(b, 40))
	}
	if len(b) < 12 {
		return bad("shorter than a header (%d bytes)", len(b))
	}
	flags := binary.BigEndian.Uint16(b[2:])
	if binary.BigEndian.Uint16(b) != q.id || flags&0x8000 == 0 {
		return bad("not the reply to this query")
	}
	if op := flags >> 11 & 0xf; op != 0 {
		return bad("opcode %d, where the answer to a query has 0", op)
	}
	m := dnsMsg{b: b, rcode: int(flags & 0xf), truncated: flags&0x0200 != 0}
	count := func(i int) int { return int(binary.BigEndian.Uint16(b[4+2*i:])) }
	off := 12
	switch qd := count(0); {
	case qd == 0 && m.rcode != 0: // some servers send no question with an error
	case qd != 1:
		return bad("%d questions, where the answer to one has 1", qd)
	default:
		qname, next, err := readName(b, off)
		if err != nil {
			return bad("its question: %v", err)
		}
		if next+4 > len(b) {
			return bad("its question is cut short")
		}
		qtype, qclass := binary.BigEndian.Uint16(b[next:]), binary.BigEndian.Uint16(b[next+2:])
		if !strings.EqualFold(qname, q.name) || qtype != q.qtype || qclass != dnsClassIN {
			return bad("it answers another question (%s %s %s)", sanitize.Clip(qname, 60), dnsClassName(qclass), dnsTypeName(qtype))
		}
		off = next + 4
	}
	if m.truncated {
		return m, nil
	}
	// Each record takes 11 bytes at least, so a count of 65535 stops at
	// the first record the message does not hold.
	sawOPT := false
	for section, what := range []string{"answer", "authority", "additional"} {
		n := count(1 + section)
		for i := range n {
			rr, next, err := readRR(b, off)
			if err != nil {
				return bad("%s record %d of %d: %v", what, i+1, n, err)
			}
			off = next
			switch {
			case section == 0:
				m.answers = append(m.answers, rr)
			case section == 2 && rr.typ == dnsTypeOPT:
				if sawOPT {
					return bad("two OPT records")
				}
				sawOPT = true
				// The OPT record's TTL holds the upper 8 bits of the
				// response code (RFC 6891, 6.1.3): BADVERS is 16.
				m.rcode |= int(rr.ttl>>24) << 4
			}
		}
	}
	return m, nil
}

// readRR reads the record at off, and returns it with the offset after it.
func readRR(b []byte, off int) (dnsRR, int, error) {
	if off >= len(b) {
		return dnsRR{}, 0, errors.New("the message ends before it")
	}
	name, next, err := readName(b, off)
	if err != nil {
		return dnsRR{}, 0, fmt.Errorf("its name: %w", err)
	}
	if next+10 > len(b) {
		return dnsRR{}, 0, errors.New("cut short")
	}
	rr := dnsRR{name: name, typ: binary.BigEndian.Uint16(b[next:]), class: binary.BigEndian.Uint16(b[next+2:]),
		ttl: binary.BigEndian.Uint32(b[next+4:]), off: next + 10, n: int(binary.BigEndian.Uint16(b[next+8:]))}
	if rr.off+rr.n > len(b) {
		return dnsRR{}, 0, fmt.Errorf("its data (%d bytes) runs past the message", rr.n)
	}
	return rr, rr.off + rr.n, nil
}

// readName reads the name at off, following compression pointers, and
// returns it as dig and miekg/dns write it (labels escaped, ending in ".")
// with the offset after it where it was read. A pointer must point before
// the labels it ends, as every compressor writes them, so no name loops; a
// name is at most 255 bytes, and a label 63 (RFC 1035, 3.1).
func readName(b []byte, off int) (string, int, error) {
	var s strings.Builder
	end, from, length := -1, off, 1
	for {
		if off >= len(b) {
			return "", 0, errors.New("a name runs past the message")
		}
		l := int(b[off])
		switch l & 0xc0 {
		case 0:
			if l == 0 {
				if end < 0 {
					end = off + 1
				}
				if s.Len() == 0 {
					return ".", end, nil
				}
				return s.String(), end, nil
			}
			if length += 1 + l; length > 255 {
				return "", 0, errors.New("a name is longer than 255 bytes")
			}
			if off+1+l > len(b) {
				return "", 0, errors.New("a name runs past the message")
			}
			writeLabel(&s, b[off+1:off+1+l])
			off += 1 + l
		case 0xc0:
			if off+1 >= len(b) {
				return "", 0, errors.New("a name runs past the message")
			}
			if end < 0 {
				end = off + 2
			}
			ptr := int(binary.BigEndian.Uint16(b[off:]) & 0x3fff)
			switch {
			case ptr >= len(b):
				return "", 0, fmt.Errorf("a compression pointer points past the message (to %d of %d bytes)", ptr, len(b))
			case ptr >= from:
				return "", 0, errors.New("a compression pointer points forward or loops")
			}
			off, from = ptr, ptr
		default:
			return "", 0, fmt.Errorf("a label type it does not know (0x%02x): a label has at most 63 bytes", l)
		}
	}
}

// writeLabel writes a label escaped as miekg/dns does, so that a dot in a
// label never reads as two labels: \. and the like, \DDD for a byte that is
// not printable.
func writeLabel(s *strings.Builder, label []byte) {
	for _, c := range label {
		switch {
		case strings.IndexByte(`. '@;()"\`, c) >= 0:
			s.WriteByte('\\')
			s.WriteByte(c)
		case c < ' ' || c > '~':
			fmt.Fprintf(s, `\%03d`, c)
		default:
			s.WriteByte(c)
		}
	}
	s.WriteByte('.')
}

// rdata reads rr's data as a record of its type, written as dig and
// miekg/dns write it, or says why it cannot be one: the one validator of
// every record a check counts or follows. Names in the data must parse and
// end where the data ends.
func (m dnsMsg) rdata(rr dnsRR) (string, error) {
	b, off, n := m.b, rr.off, rr.n
	end := off + n
	name := func(at int) (string, int, error) {
		if at >= end {
			return "", 0, fmt.Errorf("%d bytes of data, too short for its names", n)
		}
		s, next, err := readName(b, at)
		switch {
		case err != nil:
			return "", 0, err
		case next > end:
			return "", 0, errors.New("a name runs past the record's data")
		}
		return s, next, nil
	}
	last := func(at int) (string, error) { // a name that ends the data
		s, next, err := name(at)
		if err == nil && next != end {
			err = fmt.Errorf("%d bytes after its name", end-next)
		}
		return s, err
	}
	u16 := func(at int) string { return strconv.Itoa(int(binary.BigEndian.Uint16(b[at:]))) }
	switch rr.typ {
	case 1, 28: // A, AAAA
		want := 4
		if rr.typ == 28 {
			want = 16
		}
		if n != want {
			return "", fmt.Errorf("%d bytes of data, where an %s record has %d", n, dnsTypeName(rr.typ), want)
		}
		a, _ := netip.AddrFromSlice(b[off:end])
		return a.String(), nil
	case 2, 5, 12: // NS, CNAME, PTR
		return last(off)
	case 15: // MX
		if n < 3 {
			return "", fmt.Errorf("%d bytes of data, too short for a preference and a name", n)
		}
		s, err := last(off + 2)
		return u16(off) + " " + s, err
	case 33: // SRV
		if n < 7 {
			return "", fmt.Errorf("%d bytes of data, too short for a priority, a weight, a port and a name", n)
		}
		s, err := last(off + 6)
		return u16(off) + " " + u16(off+2) + " " + u16(off+4) + " " + s, err
	case 6: // SOA
		mname, next, err := name(off)
		if err != nil {
			return "", err
		}
		rname, next, err := name(next)
		if err != nil {
			return "", err
		}
		if end-next != 20 {
			return "", fmt.Errorf("%d bytes after its names, where an SOA record has 20", end-next)
		}
		nums := make([]string, 5)
		for i := range nums {
			nums[i] = strconv.FormatUint(uint64(binary.BigEndian.Uint32(b[next+4*i:])), 10)
		}
		return mname + " " + rname + " " + strings.Join(nums, " "), nil
	case 16: // TXT
		if n == 0 {
			return "", errors.New("no character-string, where a TXT record has one at least")
		}
		var s strings.Builder
		for i := off; i < end; {
			l := int(b[i])
			if i+1+l > end {
				return "", errors.New("a character-string runs past the record's data")
			}
			if i > off {
				s.WriteByte(' ')
			}
			writeTXT(&s, b[i+1:i+1+l])
			i += 1 + l
		}
		return s.String(), nil
	}
	// RFC 3597's form, for a type probe never asks for.
	return fmt.Sprintf(`\# %d %x`, n, b[off:end]), nil
}

// writeTXT writes a character-string quoted as miekg/dns does.
func writeTXT(s *strings.Builder, text []byte) {
	s.WriteByte('"')
	for _, c := range text {
		switch {
		case c == '"' || c == '\\':
			s.WriteByte('\\')
			s.WriteByte(c)
		case c < ' ' || c > '~':
			fmt.Fprintf(s, `\%03d`, c)
		default:
			s.WriteByte(c)
		}
	}
	s.WriteByte('"')
}

// text is rr as miekg/dns's RR.String writes it, which blackbox_exporter's
// answer regexps match: "probe.test.\t60\tIN\tA\t10.1.2.3".
func (rr dnsRR) text(data string) string {
	return rr.name + "\t" + strconv.FormatUint(uint64(rr.ttl), 10) + "\t" + dnsClassName(rr.class) + "\t" + dnsTypeName(rr.typ) + "\t" + data
}

// dnsTypeName names a record type as miekg/dns does: TYPE99 for one it
// does not know.
func dnsTypeName(t uint16) string {
	for name, n := range dnsTypes {
		if n == t {
			return name
		}
	}
	if t == dnsTypeOPT {
		return "OPT"
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// dnsClassName names a class as miekg/dns does: CLASS9 for one it does not
// know.
func dnsClassName(c uint16) string {
	switch c {
	case 1:
		return "IN"
	case 3:
		return "CH"
	case 4:
		return "HS"
	case 254:
		return "NONE"
	case 255:
		return "ANY"
	}
	return "CLASS" + strconv.Itoa(int(c))
}
