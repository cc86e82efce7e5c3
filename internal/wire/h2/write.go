package h2

import (
	"bytes"
	"encoding/binary"

	"golang.org/x/net/http2/hpack"
)

// AppendFrame appends a frame with its header to b.
func AppendFrame(b *bytes.Buffer, typ, flags uint8, stream uint32, payload []byte) {
	var head [9]byte
	head[0], head[1], head[2] = byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload))
	head[3], head[4] = typ, flags
	binary.BigEndian.PutUint32(head[5:], stream)
	b.Write(head[:])
	b.Write(payload)
}

// AppendSettings appends a SETTINGS frame with the parameters, identifier
// and value in turn.
func AppendSettings(b *bytes.Buffer, params ...uint32) {
	p := make([]byte, 0, 3*len(params))
	for i := 0; i+1 < len(params); i += 2 {
		p = binary.BigEndian.AppendUint16(p, uint16(params[i]))
		p = binary.BigEndian.AppendUint32(p, params[i+1])
	}
	AppendFrame(b, FrameSettings, 0, 0, p)
}

// HeaderBlock encodes fields with HPACK, in order, with no dynamic table
// entry a later block could refer to.
func HeaderBlock(fields []hpack.HeaderField) []byte {
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range fields {
		_ = enc.WriteField(f)
	}
	return block.Bytes()
}

// AppendHeaders appends a header block on stream: a HEADERS frame, then
// CONTINUATION frames, each of MaxFrameSize at most; the HEADERS frame
// ends the stream when endStream is set.
func AppendHeaders(b *bytes.Buffer, stream uint32, block []byte, endStream bool) {
	first := block[:min(len(block), MaxFrameSize)]
	rest := block[len(first):]
	var flags uint8
	if endStream {
		flags |= FlagEndStream
	}
	if len(rest) == 0 {
		flags |= FlagEndHeaders
	}
	AppendFrame(b, FrameHeaders, flags, stream, first)
	for len(rest) > 0 {
		chunk := rest[:min(len(rest), MaxFrameSize)]
		rest = rest[len(chunk):]
		flags = 0
		if len(rest) == 0 {
			flags = FlagEndHeaders
		}
		AppendFrame(b, FrameContinuation, flags, stream, chunk)
	}
}

// AppendData appends data on stream as DATA frames of MaxFrameSize at
// most, the last of which ends the stream; nothing when data is empty.
func AppendData(b *bytes.Buffer, stream uint32, data []byte) {
	for len(data) > 0 {
		chunk := data[:min(len(data), MaxFrameSize)]
		data = data[len(chunk):]
		var flags uint8
		if len(data) == 0 {
			flags = FlagEndStream
		}
		AppendFrame(b, FrameData, flags, stream, chunk)
	}
}

// IsSettings reports whether b starts with the header of a SETTINGS frame
// on stream 0, the first thing an HTTP/2 server sends.
func IsSettings(b []byte) bool {
	return len(b) >= 9 && b[3] == FrameSettings && b[5]&0x7f == 0 && b[6] == 0 && b[7] == 0 && b[8] == 0
}
