package dns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/probe-sh/probe/internal/sanitize"
)

// Msg is an answer as read: its response code (with EDNS's extended bits),
// the TC bit, and the answer section's records.
type Msg struct {
	b         []byte
	Rcode     int
	Truncated bool
	Answers   []RR
}

// RR is one record: its owner (as Read writes names), type, class and TTL,
// and where its data lies in the message (Off, Len), which also tells two
// records apart.
type RR struct {
	Name        string
	Type, Class uint16
	TTL         uint32
	Off, Len    int
}

// Text is rr with data as miekg/dns's RR.String writes it, which
// blackbox_exporter's answer regexps match: "probe.test.\t60\tIN\tA\t10.1.2.3".
func (rr RR) Text(data string) string {
	return rr.Name + "\t" + strconv.FormatUint(uint64(rr.TTL), 10) + "\t" + ClassName(rr.Class) + "\t" + TypeName(rr.Type) + "\t" + data
}

// Read reads b as the answer to q: a reply (QR) with q's ID, a standard
// query's opcode and q's question echoed, then every record of its three
// sections, so that the OPT record's extended response code is known. A
// truncated answer (TC) is read up to its question only: what follows may
// be cut anywhere. Its error says "not a DNS answer", why, and the start
// of b.
func Read(b []byte, q Question) (Msg, error) {
	if len(b) < 12 {
		return Msg{}, notAnswer(b, "shorter than a header (%d bytes)", len(b))
	}
	flags := binary.BigEndian.Uint16(b[2:])
	if binary.BigEndian.Uint16(b) != q.ID || flags&0x8000 == 0 {
		return Msg{}, notAnswer(b, "not the reply to this query")
	}
	if op := flags >> 11 & 0xf; op != 0 {
		return Msg{}, notAnswer(b, "opcode %d, where the answer to a query has 0", op)
	}
	m := Msg{b: b, Rcode: int(flags & 0xf), Truncated: flags&0x0200 != 0}
	off, err := m.readQuestion(q)
	if err != nil {
		return Msg{}, err
	}
	if m.Truncated {
		return m, nil
	}
	// Each record takes 11 bytes at least, so a count of 65535 stops at
	// the first record the message does not hold.
	sawOPT := false
	for section, what := range []string{"answer", "authority", "additional"} {
		n := m.count(1 + section)
		for i := range n {
			rr, next, err := readRR(b, off)
			if err != nil {
				return Msg{}, notAnswer(b, "%s record %d of %d: %v", what, i+1, n, err)
			}
			off = next
			switch {
			case section == 0:
				m.Answers = append(m.Answers, rr)
			case section == 2 && rr.Type == TypeOPT:
				if sawOPT {
					return Msg{}, notAnswer(b, "two OPT records")
				}
				sawOPT = true
				// The OPT record's TTL holds the upper 8 bits of the
				// response code (RFC 6891, 6.1.3): BADVERS is 16.
				m.Rcode |= int(rr.TTL>>24) << 4
			}
		}
	}
	return m, nil
}

// notAnswer is Read's failure.
func notAnswer(b []byte, format string, args ...any) error {
	return fmt.Errorf("not a DNS answer: %s: %s", fmt.Sprintf(format, args...), sanitize.Excerpt(b, 40))
}

// count is the count of section i of the header: question, answer,
// authority, additional.
func (m Msg) count(i int) int { return int(binary.BigEndian.Uint16(m.b[4+2*i:])) }

// readQuestion checks that the question section echoes q, and returns the
// offset after it. Some servers send no question with an error.
func (m Msg) readQuestion(q Question) (int, error) {
	b := m.b
	switch qd := m.count(0); {
	case qd == 0 && m.Rcode != 0:
		return 12, nil
	case qd != 1:
		return 0, notAnswer(b, "%d questions, where the answer to one has 1", qd)
	}
	qname, next, err := readName(b, 12)
	if err != nil {
		return 0, notAnswer(b, "its question: %v", err)
	}
	if next+4 > len(b) {
		return 0, notAnswer(b, "its question is cut short")
	}
	qtype, qclass := binary.BigEndian.Uint16(b[next:]), binary.BigEndian.Uint16(b[next+2:])
	if !strings.EqualFold(qname, q.Name) || qtype != q.Type || qclass != ClassIN {
		return 0, notAnswer(b, "it answers another question (%s %s %s)", sanitize.Clip(qname, 60), ClassName(qclass), TypeName(qtype))
	}
	return next + 4, nil
}

// readRR reads the record at off, and returns it with the offset after it.
func readRR(b []byte, off int) (RR, int, error) {
	if off >= len(b) {
		return RR{}, 0, errors.New("the message ends before it")
	}
	name, next, err := readName(b, off)
	if err != nil {
		return RR{}, 0, fmt.Errorf("its name: %w", err)
	}
	if next+10 > len(b) {
		return RR{}, 0, errors.New("cut short")
	}
	rr := RR{Name: name, Type: binary.BigEndian.Uint16(b[next:]), Class: binary.BigEndian.Uint16(b[next+2:]),
		TTL: binary.BigEndian.Uint32(b[next+4:]), Off: next + 10, Len: int(binary.BigEndian.Uint16(b[next+8:]))}
	if rr.Off+rr.Len > len(b) {
		return RR{}, 0, fmt.Errorf("its data (%d bytes) runs past the message", rr.Len)
	}
	return rr, rr.Off + rr.Len, nil
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
