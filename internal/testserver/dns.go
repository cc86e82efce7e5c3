package testserver

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
)

// DNS is a tiny DNS server on loopback, so tests of name resolution never
// send a query off this machine. It answers A queries for the names it
// knows, NOERROR with no answer for their other types, and NXDOMAIN for
// everything else.
type DNS struct {
	Addr string
	conn net.PacketConn
	done chan struct{}
}

// StartDNS serves records on the UDP address addr, such as "127.0.0.77:53".
func StartDNS(addr string, records map[string]netip.Addr) (*DNS, error) {
	conn, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	d := &DNS{Addr: conn.LocalAddr().String(), conn: conn, done: make(chan struct{})}
	go d.serve(records)
	return d, nil
}

// Close stops the server.
func (d *DNS) Close() {
	d.conn.Close()
	<-d.done
}

func (d *DNS) serve(records map[string]netip.Addr) {
	defer close(d.done)
	buf := make([]byte, 1500)
	for {
		n, from, err := d.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if reply := answer(buf[:n], records); reply != nil {
			_, _ = d.conn.WriteTo(reply, from)
		}
	}
}

// answer builds the reply to one query, or nil for a malformed one.
func answer(q []byte, records map[string]netip.Addr) []byte {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:6]) != 1 {
		return nil
	}
	// The question: labels, a zero byte, then type and class.
	var labels []string
	i := 12
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if i+1+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[i+1:i+1+l]))
		i += 1 + l
	}
	if i+5 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i+1 : i+3])
	question := q[12 : i+5]
	name := strings.ToLower(strings.Join(labels, "."))
	addr, known := records[name]

	reply := make([]byte, 12, 64)
	copy(reply, q[:2])                            // ID
	binary.BigEndian.PutUint16(reply[2:], 0x8180) // response, recursion desired and available
	binary.BigEndian.PutUint16(reply[4:], 1)      // one question
	if !known {
		reply[3] |= 3 // NXDOMAIN
	}
	reply = append(reply, question...)
	if known && qtype == 1 && addr.Is4() {
		binary.BigEndian.PutUint16(reply[6:], 1) // one answer
		a := addr.As4()
		reply = append(reply, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
		reply = append(reply, a[:]...)
	}
	return reply
}
