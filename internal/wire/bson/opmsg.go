package bson

import "encoding/binary"

// OP_MSG (MongoDB's wire protocol, since 3.6): a 16-byte header (the
// message's length, its request ID, the ID it responds to, its operation
// code), flag bits, then sections: a body (kind 0) of one document, or a
// document sequence (kind 1).

// OpMsg is OP_MSG's operation code.
const OpMsg = 2013

// HeaderSize is the size of a message's header.
const HeaderSize = 16

// Command frames body, a command's document, as an OP_MSG of request ID id:
// no flags, one body section.
func Command(id [4]byte, body []byte) []byte {
	msg := make([]byte, HeaderSize, HeaderSize+5+len(body))
	copy(msg[4:], id[:])
	binary.LittleEndian.PutUint32(msg[12:], OpMsg)
	msg = append(msg, 0, 0, 0, 0, 0) // flagBits, then a body section (kind 0)
	msg = append(msg, body...)
	binary.LittleEndian.PutUint32(msg, uint32(len(msg)))
	return msg
}

// Header is a message's header.
type Header struct {
	Length     int32 // the whole message's, the header's included
	RequestID  [4]byte
	ResponseTo [4]byte
	OpCode     uint32
}

// ReadHeader reads the header that b, of HeaderSize bytes at least, begins
// with.
func ReadHeader(b []byte) Header {
	h := Header{Length: int32(binary.LittleEndian.Uint32(b)), OpCode: binary.LittleEndian.Uint32(b[12:])}
	copy(h.RequestID[:], b[4:8])
	copy(h.ResponseTo[:], b[8:12])
	return h
}

// Body returns the body section of an OP_MSG, from what follows its
// header (flag bits, then sections), skipping document sequences before
// it; false when there is none, or a section before it is not one.
func Body(msg []byte) ([]byte, bool) {
	if len(msg) < 4 {
		return nil, false
	}
	for b := msg[4:]; len(b) > 0; {
		kind := b[0]
		b = b[1:]
		if len(b) < 4 {
			return nil, false
		}
		n := int(int32(binary.LittleEndian.Uint32(b)))
		if n < 5 || n > len(b) {
			return nil, false
		}
		switch kind {
		case 0:
			return b[:n], true
		case 1:
			b = b[n:]
		default:
			return nil, false
		}
	}
	return nil, false
}
