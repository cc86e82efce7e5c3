package checks

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/probe-sh/probe/internal/sanitize"
)

// DNS checks that a DNS server answers a query: it asks for Name's records
// of Type over UDP (TCP when the answer is truncated) and passes when the
// answer is NOERROR with at least one record of that type, and, with
// Expect, one of the records matches. NXDOMAIN, a name with no record of the
// type, SERVFAIL, REFUSED and silence each fail in one line. An open port
// 53 does not prove a server answers: this does.
type DNS struct {
	Host, Port string
	Name       string           // the name asked for
	Type       string           // A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT; A when empty
	Expect     []*regexp.Regexp // each must match the answer's records, joined by ", "
	Reject     []*regexp.Regexp
}

// dnsTypes are the record types a check may ask for, by their numbers.
var dnsTypes = map[string]uint16{"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28, "SRV": 33}

// dnsRcodes name the response codes (RFC 1035, 4.1.1; RFC 6895).
var dnsRcodes = map[int]string{1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE"}

// DNSType returns the number of a record type's name, in any case.
func DNSType(name string) (uint16, bool) {
	t, ok := dnsTypes[strings.ToUpper(name)]
	return t, ok
}

// dnsResend is how long a query over UDP waits before it is sent again.
const dnsResend = 500 * time.Millisecond

// Run asks the question.
func (d DNS) Run(ctx context.Context, tr *Trace) (string, error) {
	qtype, ok := DNSType(cmpOr(d.Type, "A"))
	if !ok {
		return "", fmt.Errorf("unknown DNS record type %q", d.Type)
	}
	typeName := strings.ToUpper(cmpOr(d.Type, "A"))
	query, id, err := dnsQuery(d.Name, qtype)
	if err != nil {
		return "", err
	}
	addrs, err := resolve(ctx, tr, d.Host)
	if err != nil {
		return "", err
	}
	server := net.JoinHostPort(addrs[0].String(), d.Port)
	reply, err := dnsUDP(ctx, tr, server, query)
	if err != nil {
		return "", err
	}
	msg, err := parseDNS(reply, id, d.Name, qtype)
	if err != nil {
		return "", err
	}
	if msg.truncated {
		tr.SetNote("dns", "the UDP answer was truncated: asked again over TCP")
		if reply, err = dnsTCP(ctx, tr, server, query); err != nil {
			return "", err
		}
		if msg, err = parseDNS(reply, id, d.Name, qtype); err != nil {
			return "", err
		}
	}
	tr.Finish()
	name := sanitize.Printable(d.Name)
	if msg.rcode != 0 {
		code := dnsRcodes[msg.rcode]
		if code == "" {
			code = "RCODE " + strconv.Itoa(msg.rcode)
		}
		return "", &ServerError{Msg: fmt.Sprintf("%s for %s %s", code, name, typeName)}
	}
	var answers []string
	for _, rr := range msg.answers {
		if rr.typ == qtype {
			answers = append(answers, rr.text)
		}
	}
	if len(answers) == 0 {
		return "", &ServerError{Msg: fmt.Sprintf("NOERROR, but no %s record for %s (%d other record(s) in the answer)", typeName, name, len(msg.answers))}
	}
	text := strings.Join(answers, ", ")
	shown := sanitize.Printable(sanitize.Clip(text, 160))
	for _, re := range d.Reject {
		if re.MatchString(text) {
			return "", &ReplyError{What: "the answer", Pattern: re, Reject: true, Excerpt: shown}
		}
	}
	for _, re := range d.Expect {
		if !re.MatchString(text) {
			return "", &ReplyError{What: "the answer", Pattern: re, Excerpt: shown}
		}
	}
	return fmt.Sprintf("NOERROR, %s %s: %s", name, typeName, shown), nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// dnsQuery is a query for name's records of type qtype, recursion desired,
// with an EDNS0 OPT record offering 1,232 bytes over UDP (DNS Flag Day
// 2020), and its random ID.
func dnsQuery(name string, qtype uint16) ([]byte, uint16, error) {
	var idb [2]byte
	_, _ = rand.Read(idb[:])
	id := binary.BigEndian.Uint16(idb[:])
	q := binary.BigEndian.AppendUint16(nil, id)
	q = append(q, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1) // RD; one question, one additional record
	name = strings.TrimSuffix(name, ".")
	if name != "" {
		for _, label := range strings.Split(name, ".") {
			if label == "" || len(label) > 63 {
				return nil, 0, fmt.Errorf("the name %q has an empty label or one above 63 bytes", sanitize.Printable(name))
			}
			q = append(q, byte(len(label)))
			q = append(q, label...)
		}
	}
	q = append(q, 0)
	if len(q) > 12+255 {
		return nil, 0, fmt.Errorf("the name %q is longer than 255 bytes", sanitize.Printable(sanitize.Clip(name, 60)))
	}
	q = binary.BigEndian.AppendUint16(q, qtype)
	q = append(q, 0, 1)                                   // class IN
	q = append(q, 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0) // OPT: root, type 41, 1232 bytes, no flags, no data
	return q, id, nil
}

// dnsUDP sends the query over UDP, again every dnsResend until the
// deadline, and returns the first datagram that answers it.
func dnsUDP(ctx context.Context, tr *Trace, server string, query []byte) ([]byte, error) {
	tr.Enter(PhaseConnect)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", server)
	if err != nil {
		return nil, &DialError{Causes: []DialCause{{Cause: err.Error(), Addrs: []string{server}}}}
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	tr.Enter(PhaseReply)
	buf := make([]byte, 64<<10)
	id := binary.BigEndian.Uint16(query)
	for {
		if _, err := conn.Write(query); err != nil {
			return nil, dnsIOError(ctx, server, err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(dnsResend))
		for {
			n, err := conn.Read(buf)
			if err != nil {
				if IsTimeout(err) && ctx.Err() == nil {
					break // send it again
				}
				return nil, dnsIOError(ctx, server, err)
			}
			// A datagram for another query (a late one, a spoof) is not
			// the answer: wait for this one's.
			if n >= 12 && binary.BigEndian.Uint16(buf) == id {
				return append([]byte(nil), buf[:n]...), nil
			}
		}
	}
}

// dnsTCP asks again over TCP, each message after its 2-byte length.
func dnsTCP(ctx context.Context, tr *Trace, server string, query []byte) ([]byte, error) {
	host, port, _ := net.SplitHostPort(server)
	conn, err := dial(ctx, tr, host, port)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(deadline(ctx))
	tr.Enter(PhaseReply)
	if _, err := conn.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(query))), query...)); err != nil {
		return nil, dnsIOError(ctx, server, err)
	}
	var n [2]byte
	if _, err := io.ReadFull(conn, n[:]); err != nil {
		return nil, dnsIOError(ctx, server, err)
	}
	msg := make([]byte, binary.BigEndian.Uint16(n[:]))
	if _, err := io.ReadFull(conn, msg); err != nil {
		return nil, dnsIOError(ctx, server, err)
	}
	return msg, nil
}

func dnsIOError(ctx context.Context, server string, err error) error {
	switch {
	case IsTimeout(err) || ctx.Err() != nil:
		return context.DeadlineExceeded
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("no DNS server answers on %s (ICMP port unreachable)", server)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("the server closed the connection before its whole answer (%s)", server)
	}
	var op *net.OpError
	if errors.As(err, &op) {
		err = op.Err
	}
	return fmt.Errorf("%v (%s)", err, server)
}

// dnsMessage is what a check reads of an answer.
type dnsMessage struct {
	rcode     int
	truncated bool
	answers   []dnsRR
}

type dnsRR struct {
	typ  uint16
	text string // the record's data as dig shows it
}

// parseDNS reads an answer to the query id for name and qtype: a reply
// (QR), the same ID and question, then its answer records. A message that
// lies about its lengths, or whose names loop, is refused, not read past.
func parseDNS(b []byte, id uint16, name string, qtype uint16) (dnsMessage, error) {
	bad := func(why string) (dnsMessage, error) {
		return dnsMessage{}, fmt.Errorf("not a DNS answer: %s: %s", why, sanitize.Excerpt(b, 40))
	}
	if len(b) < 12 {
		return bad("shorter than a header")
	}
	flags := binary.BigEndian.Uint16(b[2:])
	if binary.BigEndian.Uint16(b) != id || flags&0x8000 == 0 {
		return bad("not the reply to this query")
	}
	msg := dnsMessage{rcode: int(flags & 0xf), truncated: flags&0x0200 != 0}
	qd, an := binary.BigEndian.Uint16(b[4:]), binary.BigEndian.Uint16(b[6:])
	off := 12
	if qd != 1 {
		if qd == 0 && msg.rcode != 0 { // some servers send no question with an error
			return msg, nil
		}
		return bad(fmt.Sprintf("%d questions", qd))
	}
	qname, next, err := dnsName(b, off)
	if err != nil || next+4 > len(b) {
		return bad("its question is cut short")
	}
	if !strings.EqualFold(strings.TrimSuffix(qname, "."), strings.TrimSuffix(name, ".")) || binary.BigEndian.Uint16(b[next:]) != qtype {
		return bad(fmt.Sprintf("it answers another question (%q)", sanitize.Clip(qname, 60)))
	}
	off = next + 4
	if msg.truncated {
		return msg, nil
	}
	for range an {
		_, next, err := dnsName(b, off)
		if err != nil || next+10 > len(b) {
			return bad("an answer record is cut short")
		}
		typ := binary.BigEndian.Uint16(b[next:])
		rdlen := int(binary.BigEndian.Uint16(b[next+8:]))
		start := next + 10
		if start+rdlen > len(b) {
			return bad("an answer record's data runs past the message")
		}
		msg.answers = append(msg.answers, dnsRR{typ: typ, text: dnsData(b, typ, start, rdlen)})
		off = start + rdlen
	}
	return msg, nil
}

// dnsName reads a name at off, following compression pointers (at most 64
// of them, and never forward into itself), and returns it with the offset
// after it in the message.
func dnsName(b []byte, off int) (string, int, error) {
	var labels []string
	end := -1
	for jumps := 0; ; {
		if off >= len(b) {
			return "", 0, errors.New("cut short")
		}
		l := int(b[off])
		switch {
		case l == 0:
			if end < 0 {
				end = off + 1
			}
			return strings.Join(labels, ".") + ".", end, nil
		case l&0xc0 == 0xc0:
			if off+1 >= len(b) || jumps > 64 {
				return "", 0, errors.New("a compression pointer loops or is cut short")
			}
			if end < 0 {
				end = off + 2
			}
			ptr := int(binary.BigEndian.Uint16(b[off:]) & 0x3fff)
			if ptr >= off {
				return "", 0, errors.New("a compression pointer points forward")
			}
			off, jumps = ptr, jumps+1
		case l&0xc0 != 0:
			return "", 0, errors.New("a label type it does not know")
		default:
			if off+1+l > len(b) || len(labels) > 127 {
				return "", 0, errors.New("a label is cut short")
			}
			labels = append(labels, string(b[off+1:off+1+l]))
			off += 1 + l
		}
	}
}

// dnsData writes a record's data as dig does, for the types a check asks
// for; others as their length.
func dnsData(b []byte, typ uint16, off, n int) string {
	data := b[off : off+n]
	name := func(at int) string {
		s, _, err := dnsName(b, at)
		if err != nil {
			return "?"
		}
		return s
	}
	switch {
	case typ == 1 && n == 4, typ == 28 && n == 16:
		a, _ := netip.AddrFromSlice(data)
		return a.String()
	case typ == 2 || typ == 5 || typ == 12:
		return name(off)
	case typ == 15 && n > 2:
		return strconv.Itoa(int(binary.BigEndian.Uint16(data))) + " " + name(off+2)
	case typ == 33 && n > 6:
		return fmt.Sprintf("%d %d %d %s", binary.BigEndian.Uint16(data), binary.BigEndian.Uint16(data[2:]), binary.BigEndian.Uint16(data[4:]), name(off+6))
	case typ == 6:
		mname, next, err := dnsName(b, off)
		if err != nil {
			return "?"
		}
		rname, next2, err := dnsName(b, next)
		if err != nil || next2+20 > off+n {
			return mname
		}
		return fmt.Sprintf("%s %s %d", mname, rname, binary.BigEndian.Uint32(b[next2:]))
	case typ == 16:
		var parts []string
		for i := 0; i < n; {
			l := int(data[i])
			if i+1+l > n {
				break
			}
			parts = append(parts, strconv.Quote(string(data[i+1:i+1+l])))
			i += 1 + l
		}
		return strings.Join(parts, " ")
	}
	return fmt.Sprintf("(%d bytes)", n)
}
