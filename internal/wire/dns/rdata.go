package dns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Rdata reads rr's data as a record of its type, written as dig and
// miekg/dns write it, or says why it cannot be one: the one validator of
// every record a check counts or follows. Names in the data must parse and
// end where the data ends. A type probe never asks for is written in RFC
// 3597's form.
func (m Msg) Rdata(rr RR) (string, error) {
	d := rdata{b: m.b, off: rr.Off, n: rr.Len, end: rr.Off + rr.Len}
	switch rr.Type {
	case 1, 28: // A, AAAA
		return d.addr(rr.Type)
	case 2, 5, 12: // NS, CNAME, PTR
		return d.last(d.off)
	case 15: // MX
		return d.mx()
	case 33: // SRV
		return d.srv()
	case 6: // SOA
		return d.soa()
	case 16: // TXT
		return d.txt()
	}
	return fmt.Sprintf(`\# %d %x`, d.n, d.b[d.off:d.end]), nil
}

// rdata is a record's data: n bytes of b from off to end.
type rdata struct {
	b           []byte
	off, n, end int
}

// name reads a name of the data at at, which must end within it.
func (d rdata) name(at int) (string, int, error) {
	if at >= d.end {
		return "", 0, fmt.Errorf("%d bytes of data, too short for its names", d.n)
	}
	s, next, err := readName(d.b, at)
	switch {
	case err != nil:
		return "", 0, err
	case next > d.end:
		return "", 0, errors.New("a name runs past the record's data")
	}
	return s, next, nil
}

// last reads a name that ends the data.
func (d rdata) last(at int) (string, error) {
	s, next, err := d.name(at)
	if err == nil && next != d.end {
		err = fmt.Errorf("%d bytes after its name", d.end-next)
	}
	return s, err
}

func (d rdata) u16(at int) string { return strconv.Itoa(int(binary.BigEndian.Uint16(d.b[at:]))) }

func (d rdata) addr(typ uint16) (string, error) {
	want := 4
	if typ == 28 {
		want = 16
	}
	if d.n != want {
		return "", fmt.Errorf("%d bytes of data, where an %s record has %d", d.n, TypeName(typ), want)
	}
	a, _ := netip.AddrFromSlice(d.b[d.off:d.end])
	return a.String(), nil
}

func (d rdata) mx() (string, error) {
	if d.n < 3 {
		return "", fmt.Errorf("%d bytes of data, too short for a preference and a name", d.n)
	}
	s, err := d.last(d.off + 2)
	return d.u16(d.off) + " " + s, err
}

func (d rdata) srv() (string, error) {
	if d.n < 7 {
		return "", fmt.Errorf("%d bytes of data, too short for a priority, a weight, a port and a name", d.n)
	}
	s, err := d.last(d.off + 6)
	return d.u16(d.off) + " " + d.u16(d.off+2) + " " + d.u16(d.off+4) + " " + s, err
}

func (d rdata) soa() (string, error) {
	mname, next, err := d.name(d.off)
	if err != nil {
		return "", err
	}
	rname, next, err := d.name(next)
	if err != nil {
		return "", err
	}
	if d.end-next != 20 {
		return "", fmt.Errorf("%d bytes after its names, where an SOA record has 20", d.end-next)
	}
	nums := make([]string, 5)
	for i := range nums {
		nums[i] = strconv.FormatUint(uint64(binary.BigEndian.Uint32(d.b[next+4*i:])), 10)
	}
	return mname + " " + rname + " " + strings.Join(nums, " "), nil
}

func (d rdata) txt() (string, error) {
	if d.n == 0 {
		return "", errors.New("no character-string, where a TXT record has one at least")
	}
	var s strings.Builder
	for i := d.off; i < d.end; {
		l := int(d.b[i])
		if i+1+l > d.end {
			return "", errors.New("a character-string runs past the record's data")
		}
		if i > d.off {
			s.WriteByte(' ')
		}
		writeTXT(&s, d.b[i+1:i+1+l])
		i += 1 + l
	}
	return s.String(), nil
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
