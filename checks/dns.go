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
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/probe-sh/probe/internal/netpolicy"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/text"
	"github.com/probe-sh/probe/internal/wire/dns"
)

// DNS checks that a DNS server answers a query: it asks for Name's records
// of Type in class IN, over UDP (TCP when the answer is truncated, or with
// TCP), and passes when the answer is NOERROR with at least one record of
// that type for the name asked, or for a name its CNAME records lead to,
// and, with Expect, one of them matches. NXDOMAIN, a name with no record of
// the type, SERVFAIL, REFUSED, a malformed record and silence each fail in
// one line. An open port 53 does not prove a server answers: this does.
type DNS struct {
	Host, Port string
	Name       string // the name asked for
	Type       string // A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT; A when empty
	TCP        bool   // ask over TCP only
	// Rcodes are the response codes that pass, by number (RFC 1035, 4.1.1:
	// NOERROR 0, SERVFAIL 2, NXDOMAIN 3, REFUSED 5); NOERROR (with a
	// record of the type) when empty. NXDOMAIN here checks that a name
	// does not exist.
	Rcodes []int
	// Expect and Reject match each record of the answer (the records
	// counted and the CNAME records followed) as its data, "10.1.2.3", and
	// as the whole record, "probe.test.\t60\tIN\tA\t10.1.2.3": each Expect
	// must match one record at least, and no Reject any record.
	Expect []*regexp.Regexp
	Reject []*regexp.Regexp
}

// dnsResend is how long a query over UDP waits before it is sent again.
const dnsResend = 500 * time.Millisecond

// dnsMaxChain is how many names a CNAME chain may have, the question's
// included; resolvers give up sooner (Unbound after 11 restarts).
const dnsMaxChain = 16

// Run asks the question.
func (d DNS) Run(ctx context.Context, tr *Trace) (string, error) {
	q, query, err := d.question()
	if err != nil {
		return "", err
	}
	addrs, err := resolve(ctx, tr, d.Host)
	if err != nil {
		return "", err
	}
	var reply []byte
	overTCP := d.TCP
	if overTCP {
		reply, err = dnsTCP(ctx, tr, addrs, d.Port, query)
	} else {
		var server netip.Addr
		reply, server, err = dnsUDP(ctx, tr, addrs, d.Port, query)
		if err == nil {
			if m, perr := dns.Read(reply, q); perr == nil && m.Truncated {
				tr.SetNote("dns", "the UDP answer was truncated: asked again over TCP")
				reply, err = dnsTCP(ctx, tr, []netip.Addr{server}, d.Port, query)
				overTCP = true
			}
		}
	}
	if err != nil {
		return "", err
	}
	tr.Finish()
	return d.answer(reply, q, overTCP)
}

// question is the question d asks, and the query that asks it
// (dns.NewQuery), with a random ID.
func (d DNS) question() (dns.Question, []byte, error) {
	typ := cmpOr(d.Type, "A")
	qtype, ok := dns.Type(typ)
	if !ok {
		return dns.Question{}, nil, &ProtocolError{Field: "Type", Msg: fmt.Sprintf("unknown DNS record type %q", sanitize.Printable(typ))}
	}
	var id [2]byte
	_, _ = rand.Read(id[:])
	q, query, err := dns.NewQuery(binary.BigEndian.Uint16(id[:]), d.Name, qtype)
	if err != nil {
		return q, nil, &ProtocolError{Field: "Name", Msg: err.Error(), Err: err}
	}
	return q, query, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// answer reads reply as the answer to q and judges it.
func (d DNS) answer(reply []byte, q dns.Question, overTCP bool) (string, error) {
	m, err := dns.Read(reply, q)
	if err != nil {
		return "", &ProtocolError{Msg: err.Error(), Err: err}
	}
	if m.Truncated {
		// TC over TCP means the answer did not fit even there: what
		// arrived is not the whole answer, whatever it holds.
		how := "over UDP"
		if overTCP {
			how = "even over TCP"
		}
		return "", &ServerError{Msg: fmt.Sprintf("the answer for %s %s is truncated %s (TC set): it is not the whole answer", sanitize.Printable(d.Name), dns.TypeName(q.Type), how)}
	}
	return d.judge(m, q)
}

// judge says whether an answer passes: its response code, then the records
// that answer the question, each a valid record of its type, then Expect
// and Reject.
func (d DNS) judge(m dns.Msg, q dns.Question) (string, error) {
	name, typeName := sanitize.Printable(d.Name), dns.TypeName(q.Type)
	accepted := d.Rcodes
	if len(accepted) == 0 {
		accepted = []int{0}
	}
	if !slices.Contains(accepted, m.Rcode) {
		msg := fmt.Sprintf("%s for %s %s", dns.RcodeName(m.Rcode), name, typeName)
		field := ""
		if len(d.Rcodes) > 0 {
			names := make([]string, len(d.Rcodes))
			for i, r := range d.Rcodes {
				names[i] = dns.RcodeName(r)
			}
			msg += ", where the codes accepted are " + strings.Join(names, ", ")
			field = "Rcodes"
		}
		return "", &ServerError{Code: dns.RcodeName(m.Rcode), Field: field, Msg: msg}
	}
	chain, followed, err := follow(m, q)
	if err != nil {
		return "", err
	}
	cnames, via := "", ""
	if len(chain) > 1 {
		cnames = "CNAME " + chainText(chain[1:])
		via = " (via " + cnames + ")"
	}
	// The records judged: the CNAME records followed, then those of the
	// type asked for, in class IN, owned by a name on the chain. A
	// resolver (glibc's getanswer_r, Go's) skips every other record, so
	// the app never sees them: they count for nothing.
	judged := make([]dns.RR, 0, len(followed)+len(m.Answers))
	data := make([]string, 0, cap(judged))
	for i, rr := range followed {
		judged, data = append(judged, rr), append(data, chain[i+1])
	}
	var other []dns.RR
	for _, rr := range m.Answers {
		if !onChain(chain, rr.Name) || rr.Class != dns.ClassIN || rr.Type != q.Type {
			if !slices.ContainsFunc(followed, func(f dns.RR) bool { return f.Off == rr.Off }) {
				other = append(other, rr)
			}
			continue
		}
		text, err := m.Rdata(rr)
		if err != nil {
			return "", badRecord(rr, err)
		}
		judged, data = append(judged, rr), append(data, text)
	}
	counted := data[len(followed):]
	if m.Rcode == 0 && len(counted) == 0 {
		msg := fmt.Sprintf("NOERROR, but no %s record for %s", typeName, name)
		if cnames != "" {
			msg += " via " + cnames
		}
		if len(other) == 0 {
			return "", &ServerError{Code: "NOERROR", Msg: msg + " (the answer holds no other record)"}
		}
		msg += " (" + text.Plural(len(other), "other record") + " in the answer; the first, " + otherRecord(other[0], chain, q.Type)
		return "", &ServerError{Code: "NOERROR", Msg: msg + ")"}
	}
	shown := "no record"
	if len(counted) > 0 {
		shown = sanitize.Printable(sanitize.Clip(strings.Join(counted, ", "), 160))
	}
	for _, re := range d.Reject {
		for i, rr := range judged {
			if whole := rr.Text(data[i]); re.MatchString(data[i]) || re.MatchString(whole) {
				return "", &ReplyError{Field: "Reject", Msg: fmt.Sprintf("the record %s matches %q", shownRecord(whole), re)}
			}
		}
	}
	for _, re := range d.Expect {
		matched := false
		for i, rr := range judged {
			matched = matched || re.MatchString(data[i]) || re.MatchString(rr.Text(data[i]))
		}
		if !matched {
			return "", &ReplyError{Field: "Expect", Msg: fmt.Sprintf("the answer %s does not match %q", shown+via, re)}
		}
	}
	if m.Rcode != 0 {
		return fmt.Sprintf("%s for %s %s%s, a code accepted", dns.RcodeName(m.Rcode), name, typeName, via), nil
	}
	return fmt.Sprintf("NOERROR, %s %s: %s%s", name, typeName, shown, via), nil
}

// follow returns the chain of names the question leads to, its name first
// and then the target of each CNAME record, in class IN, that the name
// before owns; and the CNAME records followed. A CNAME question follows
// none. A chain that loops, is longer than dnsMaxChain or forks is refused.
func follow(m dns.Msg, q dns.Question) ([]string, []dns.RR, error) {
	chain := []string{q.Name}
	var followed []dns.RR
	for q.Type != dns.TypeCNAME {
		var next string
		var cname dns.RR
		for _, rr := range m.Answers {
			if rr.Type != dns.TypeCNAME || rr.Class != dns.ClassIN || !strings.EqualFold(rr.Name, chain[len(chain)-1]) {
				continue
			}
			target, err := m.Rdata(rr)
			switch {
			case err != nil:
				return nil, nil, badRecord(rr, err)
			case next == "":
				next, cname = target, rr
			case !strings.EqualFold(next, target):
				return nil, nil, &ServerError{Msg: fmt.Sprintf("two CNAME records for %s lead apart (%s and %s), where a name has one at most",
					sanitize.Clip(rr.Name, 80), sanitize.Clip(next, 80), sanitize.Clip(target, 80))}
			}
		}
		switch {
		case next == "":
			return chain, followed, nil
		case onChain(chain, next):
			return nil, nil, &ServerError{Msg: "the CNAME chain loops: " + sanitize.Clip(strings.Join(append(chain, next), " -> "), 240)}
		case len(chain) == dnsMaxChain:
			return nil, nil, &ServerError{Msg: fmt.Sprintf("the CNAME chain from %s is longer than %d names", sanitize.Clip(q.Name, 80), dnsMaxChain)}
		}
		chain, followed = append(chain, next), append(followed, cname)
	}
	return chain, followed, nil
}

// chainText writes the targets of a CNAME chain, a long one by its ends.
func chainText(targets []string) string {
	shown := targets
	if len(targets) > 3 {
		shown = []string{targets[0], "...", targets[len(targets)-1]}
	}
	clipped := make([]string, len(shown))
	for i, t := range shown {
		clipped[i] = sanitize.Printable(sanitize.Clip(t, 80))
	}
	s := strings.Join(clipped, " -> ")
	if len(targets) > 3 {
		s += fmt.Sprintf(", %d CNAMEs", len(targets))
	}
	return s
}

// onChain reports whether name is on the chain; names compare in any case
// (RFC 4343), and their escapes (dns.Read's) keep other bytes apart.
func onChain(chain []string, name string) bool {
	return slices.ContainsFunc(chain, func(c string) bool { return strings.EqualFold(c, name) })
}

// badRecord is the failure of a record whose data cannot be what its type
// says.
func badRecord(rr dns.RR, why error) error {
	return &ServerError{Msg: fmt.Sprintf("a bad %s record for %s in the answer: %v", dns.TypeName(rr.Type), sanitize.Clip(rr.Name, 80), why)}
}

// otherRecord says why a record of the answer does not answer the question.
func otherRecord(rr dns.RR, chain []string, qtype uint16) string {
	what := sanitize.Clip(rr.Name, 80) + " " + dns.ClassName(rr.Class) + " " + dns.TypeName(rr.Type)
	switch {
	case rr.Class != dns.ClassIN:
		return what + ", is of class " + dns.ClassName(rr.Class) + ", not IN"
	case !onChain(chain, rr.Name):
		return what + ", is for a name the question does not lead to"
	}
	return what + ", is of another type than " + dns.TypeName(qtype)
}

// shownRecord is a whole record as a failure quotes it: its tabs as \t, as
// a regular expression writes them.
func shownRecord(whole string) string {
	return sanitize.Printable(sanitize.Clip(strings.ReplaceAll(whole, "\t", `\t`), 200))
}

// dnsUDP asks every address of the server, in the manner of Happy
// Eyeballs: the next address starts when one fails or after fallbackDelay
// (dial.go), so both 127.0.0.1 and ::1 are asked for localhost. The first
// answer wins; it returns the address it came from.
func dnsUDP(ctx context.Context, tr *Trace, addrs []netip.Addr, port string, query []byte) ([]byte, netip.Addr, error) {
	tr.Enter(PhaseReply)
	race, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		reply []byte
		addr  netip.Addr
		err   error
	}
	results := make(chan result, len(addrs))
	next, pending := 0, 0
	start := func() {
		addr := addrs[next]
		next, pending = next+1, pending+1
		go func() {
			reply, err := dnsExchangeUDP(race, net.JoinHostPort(addr.String(), port), query)
			results <- result{reply, addr, err}
		}()
	}
	start()
	timer := time.NewTimer(fallbackDelay)
	defer timer.Stop()
	var refused []string
	var firstErr error
	for pending > 0 {
		select {
		case r := <-results:
			pending--
			if r.err == nil {
				tr.SetNote("address", net.JoinHostPort(r.addr.String(), port))
				return r.reply, r.addr, nil
			}
			if errors.Is(r.err, syscall.ECONNREFUSED) {
				refused = append(refused, net.JoinHostPort(r.addr.String(), port))
			} else if firstErr == nil {
				firstErr = r.err
			}
			if next < len(addrs) {
				start()
				timer.Reset(fallbackDelay)
			}
		case <-timer.C:
			if next < len(addrs) {
				start()
				timer.Reset(fallbackDelay)
			}
		}
	}
	switch {
	case ctx.Err() != nil:
		return nil, netip.Addr{}, context.DeadlineExceeded
	case len(refused) > 0:
		return nil, netip.Addr{}, &ConnError{Op: "read", Msg: fmt.Sprintf("no DNS server answers on %s (ICMP port unreachable)", strings.Join(refused, ", ")), Err: syscall.ECONNREFUSED}
	}
	return nil, netip.Addr{}, firstErr
}

// dnsExchangeUDP sends the query to server over UDP, again every dnsResend
// until ctx is done, and returns the first datagram with its ID. An error
// that wraps ECONNREFUSED means nothing listens there.
func dnsExchangeUDP(ctx context.Context, server string, query []byte) ([]byte, error) {
	conn, err := dialNet(ctx, "udp", server)
	if err != nil {
		if errors.Is(err, netpolicy.ErrNotLoopback) {
			return nil, err
		}
		return nil, dnsIOError(ctx, server, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
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

// dnsTCP asks over TCP, the message after its 2-byte length, of the first
// of addrs to connect (dial.go's race).
func dnsTCP(ctx context.Context, tr *Trace, addrs []netip.Addr, port string, query []byte) ([]byte, error) {
	tr.Enter(PhaseConnect)
	conn, err := dialRace(ctx, addrs, port)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	server := conn.RemoteAddr().String()
	tr.SetNote("address", server)
	_ = conn.SetDeadline(deadline(ctx))
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
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
		return &ConnError{Op: "read", Host: server, Msg: fmt.Sprintf("no DNS server answers on %s (ICMP port unreachable)", server), Err: err}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return &ConnError{Op: "read", Host: server, Msg: fmt.Sprintf("the server closed the connection before its whole answer (%s)", server), Err: err}
	}
	cause := err
	var op *net.OpError
	if errors.As(err, &op) {
		cause = op.Err
	}
	return &ConnError{Op: "read", Host: server, Msg: fmt.Sprintf("%v (%s)", cause, server), Err: err}
}
