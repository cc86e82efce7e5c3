// Package dns is the DNS message codec of dns:// (RFC 1035, 4.1): the
// query a check sends (NewQuery), and one reading of the answer (Read,
// Msg.Rdata), which the check judges. A server may lie about every length
// and count in a message, so each is checked against the bytes there are,
// and what cannot be read is refused in one line, never read past. Names
// and records are written as dig and miekg/dns write them (labels
// escaped, "probe.test.\t60\tIN\tA\t10.1.2.3"), which blackbox_exporter's
// answer patterns match.
package dns

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/probe-sh/probe/internal/sanitize"
)

// The class and the types the codec itself needs.
const (
	ClassIN   = 1
	TypeCNAME = 5
	TypeOPT   = 41
)

// types are the record types a check may ask for, with their numbers: a
// table the linker lays out, not a map built at every start.
var types = [...]struct {
	name string
	n    uint16
}{{"A", 1}, {"NS", 2}, {"CNAME", 5}, {"SOA", 6}, {"PTR", 12}, {"MX", 15}, {"TXT", 16}, {"AAAA", 28}, {"SRV", 33}}

// Type returns the number of a record type a check may ask for, by its
// name in any case.
func Type(name string) (uint16, bool) {
	for _, t := range types {
		if strings.EqualFold(t.name, name) {
			return t.n, true
		}
	}
	return 0, false
}

// TypeName names a record type as miekg/dns does: TYPE99 for one it does
// not know.
func TypeName(t uint16) string {
	for _, known := range types {
		if known.n == t {
			return known.name
		}
	}
	if t == TypeOPT {
		return "OPT"
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// ClassName names a class as miekg/dns does: CLASS9 for one it does not
// know.
func ClassName(c uint16) string {
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

// rcodes name the response codes (RFC 1035, 4.1.1; RFC 6895), as
// miekg/dns and dig do, by number: "" for one without a name.
var rcodes = [...]string{0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
	6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE", 16: "BADVERS", 23: "BADCOOKIE"}

// Rcode returns the response code of a name, such as NXDOMAIN, in any case.
func Rcode(name string) (int, bool) {
	for n, s := range rcodes {
		if s != "" && strings.EqualFold(s, name) {
			return n, true
		}
	}
	return 0, false
}

// RcodeName names a response code: "RCODE 99" for one it does not know.
func RcodeName(rcode int) string {
	if rcode >= 0 && rcode < len(rcodes) && rcodes[rcode] != "" {
		return rcodes[rcode]
	}
	return "RCODE " + strconv.Itoa(rcode)
}

// Question is what a check asks: the query's ID, the name in the form Read
// writes it ("probe.test."), so that the echo and the records' owners
// compare with it as text, and the type.
type Question struct {
	ID   uint16
	Name string
	Type uint16
}

// NewQuery is the query that asks for name's records of type qtype, in
// class IN, with ID id: recursion desired, with an EDNS0 OPT record
// offering 1,232 bytes over UDP (DNS Flag Day 2020); and the question it
// asks. A name with an empty label, a label above 63 bytes, or above 255
// bytes in all, is refused.
func NewQuery(id uint16, name string, qtype uint16) (Question, []byte, error) {
	q := Question{ID: id, Type: qtype}
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1) // RD; one question, one additional record
	var written strings.Builder
	if trimmed := strings.TrimSuffix(name, "."); trimmed != "" {
		for _, label := range strings.Split(trimmed, ".") {
			if label == "" || len(label) > 63 {
				return Question{}, nil, fmt.Errorf("the name %q has an empty label or one above 63 bytes", sanitize.Printable(name))
			}
			b = append(b, byte(len(label)))
			b = append(b, label...)
			writeLabel(&written, []byte(label))
		}
	}
	b = append(b, 0)
	if len(b) > 12+255 {
		return Question{}, nil, fmt.Errorf("the name %q is longer than 255 bytes", sanitize.Printable(sanitize.Clip(name, 60)))
	}
	q.Name = written.String()
	if q.Name == "" {
		q.Name = "."
	}
	b = binary.BigEndian.AppendUint16(b, qtype)
	b = append(b, 0, ClassIN)
	b = append(b, 0, 0, TypeOPT, 0x04, 0xd0, 0, 0, 0, 0, 0, 0) // OPT: root, 1232 bytes, no flags, no data
	return q, b, nil
}
