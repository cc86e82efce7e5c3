// Package amqp is the part of AMQP 0-9-1 (RabbitMQ) that amqp:// speaks:
// the protocol header, method frames on channel 0, the short and long
// strings and field tables of their arguments (written), and the long
// strings of a broker's field table and Connection.Start's mechanisms
// (read). A broker may lie about every length, so each is checked against
// the bytes there are, and what cannot be read is left out, never read
// past.
package amqp

import "encoding/binary"

// ProtocolHeader opens a connection: AMQP 0-9-1.
var ProtocolHeader = []byte("AMQP\x00\x00\x09\x01")

// FrameEnd is the octet that ends every frame.
const FrameEnd = 0xce

// Method is a method frame on channel 0.
func Method(class, method uint16, args []byte) []byte {
	f := []byte{1, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(f[3:], uint32(4+len(args)))
	f = binary.BigEndian.AppendUint16(f, class)
	f = binary.BigEndian.AppendUint16(f, method)
	return append(append(f, args...), FrameEnd)
}

// Short appends a short string: its length in one byte, then s.
func Short(b []byte, s string) []byte { return append(append(b, byte(len(s))), s...) }

// Long appends a long string: its length in four bytes, then s.
func Long(b []byte, s string) []byte {
	return append(binary.BigEndian.AppendUint32(b, uint32(len(s))), s...)
}

// Table is a field table: its length, then its fields.
func Table(fields []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(fields))), fields...)
}

// Field appends a field of a table: its name, its type, its value (a long
// string's length first).
func Field(b []byte, name string, typ byte, value []byte) []byte {
	b = append(Short(b, name), typ)
	if typ == 'S' {
		b = binary.BigEndian.AppendUint32(b, uint32(len(value)))
	}
	return append(b, value...)
}

// Mechanisms returns Connection.Start's mechanisms, a long string after
// the server-properties table; start is the method's arguments after the
// versions. "" when they cannot be read.
func Mechanisms(start []byte) string {
	n, ok := length(start)
	if !ok {
		return ""
	}
	rest := start[4+n:]
	m, ok := length(rest)
	if !ok {
		return ""
	}
	return string(rest[4 : 4+m])
}

// length reads the 32-bit length b begins with, when the bytes after it
// hold that many. It compares as uint64: on a 32-bit platform (arm/v7,
// 386), a length of 2^31 or more is a negative int, which passed a check
// against the bytes there are and cut the slice before its start.
func length(b []byte) (int, bool) {
	if len(b) < 4 {
		return 0, false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return 0, false
	}
	return int(n), true
}

// fixedSize is the size of a field value of type typ, for the types that
// have one: a switch, not a map built at every start.
func fixedSize(typ byte) (int, bool) {
	switch typ {
	case 'V':
		return 0, true
	case 't', 'b', 'B':
		return 1, true
	case 's', 'u':
		return 2, true
	case 'I', 'i', 'f':
		return 4, true
	case 'D':
		return 5, true
	case 'l', 'L', 'd', 'T':
		return 8, true
	}
	return 0, false
}

// Strings reads the long strings of a field table (a broker's
// server-properties), skipping the other values; it stops at a type it
// does not know, or a field cut short.
func Strings(b []byte) map[string]string {
	out := map[string]string{}
	n, ok := length(b)
	if !ok {
		return out
	}
	b = b[4 : 4+n]
	for len(b) > 0 {
		kl := int(b[0])
		if len(b) < 2+kl {
			return out
		}
		key, typ := string(b[1:1+kl]), b[1+kl]
		b = b[2+kl:]
		if size, ok := fixedSize(typ); ok {
			if len(b) < size {
				return out
			}
			b = b[size:]
			continue
		}
		switch typ {
		case 'S', 'F', 'A', 'x':
			vl, ok := length(b)
			if !ok {
				return out
			}
			if typ == 'S' {
				out[key] = string(b[4 : 4+vl])
			}
			b = b[4+vl:]
		default:
			return out
		}
	}
	return out
}
