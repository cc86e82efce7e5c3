package checks

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/probe-sh/probe/internal/sanitize"
	"golang.org/x/net/http2/hpack"
)

// HTTP/2 framing (RFC 9113, 4 and 6), the part a one-stream client needs:
// reading every frame a server may send, checked as the RFC says, and
// writing the client's. It is probe's own so that net/http, which
// x/net/http2's Framer brings with it, is not linked (nor its initialisers
// run at every start); HPACK is x/net/http2/hpack's.

// clientPreface opens every HTTP/2 connection (RFC 9113, 3.4).
const clientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// Frame types.
const (
	frameData         = 0x0
	frameHeaders      = 0x1
	framePriority     = 0x2
	frameRSTStream    = 0x3
	frameSettings     = 0x4
	framePushPromise  = 0x5
	framePing         = 0x6
	frameGoAway       = 0x7
	frameWindowUpdate = 0x8
	frameContinuation = 0x9
)

// Frame flags.
const (
	flagEndStream  = 0x1 // DATA, HEADERS
	flagAck        = 0x1 // SETTINGS, PING
	flagEndHeaders = 0x4 // HEADERS, CONTINUATION
	flagPadded     = 0x8 // DATA, HEADERS
	flagPriority   = 0x20
)

// Settings probe sends.
const (
	settingEnablePush        = 0x2
	settingInitialWindowSize = 0x4
	settingMaxFrameSize      = 0x5
	settingMaxHeaderListSize = 0x6
)

// h2ErrCode is an HTTP/2 error code (RFC 9113, 7).
type h2ErrCode uint32

const (
	errCodeNo          h2ErrCode = 0x0
	errCodeProtocol    h2ErrCode = 0x1
	errCodeFlowControl h2ErrCode = 0x3
	errCodeFrameSize   h2ErrCode = 0x6
	errCodeCompression h2ErrCode = 0x9
)

var errCodeNames = [...]string{"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
	"STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR",
	"ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"}

func (c h2ErrCode) String() string {
	if int(c) < len(errCodeNames) {
		return errCodeNames[c]
	}
	return fmt.Sprintf("unknown error code 0x%x", uint32(c))
}

// h2Error is the server breaking the protocol: of the connection, or, when
// stream is set, of one stream (RFC 9113, 5.4).
type h2Error struct {
	code   h2ErrCode
	stream bool
	why    string // what the server did, printable: the message says it
}

func (e *h2Error) Error() string { return fmt.Sprintf("%s: %s", e.code, e.why) }

// errFrameTooLarge: a frame larger than probe's SETTINGS allow, refused by
// its header, before its payload is read.
var errFrameTooLarge = errors.New("http2: frame too large")

func connError(code h2ErrCode, format string, args ...any) error {
	return &h2Error{code: code, why: fmt.Sprintf(format, args...)}
}

// h2Frame is one frame, checked; a HEADERS frame comes with its
// CONTINUATIONs, decoded.
type h2Frame struct {
	typ    uint8
	flags  uint8
	stream uint32
	data   []byte // DATA's data, without padding; valid until the next frame

	// HEADERS: the decoded fields, pseudo-headers first, and whether the
	// list went over its bound (then fields are cut short).
	fields    []hpack.HeaderField
	truncated bool

	settings  [][2]uint32 // SETTINGS: identifier and value
	ping      [8]byte
	errCode   h2ErrCode // RST_STREAM, GOAWAY
	lastID    uint32    // GOAWAY
	debugData []byte    // GOAWAY
}

func (f *h2Frame) has(flag uint8) bool { return f.flags&flag != 0 }

// typeName names a frame type for messages.
func typeName(t uint8) string {
	names := [...]string{"DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"}
	if int(t) < len(names) {
		return names[t]
	}
	return fmt.Sprintf("UNKNOWN_FRAME_TYPE_%d", t)
}

// maxContinuations bounds the CONTINUATION frames of one header block: a
// block of the largest size accepted, cut at the smallest frame size a
// server may use (16 KiB), needs 16.
const maxContinuations = 1000

// frameReader reads the frames of one connection.
type frameReader struct {
	r             io.Reader
	buf           []byte // the current payload, at most h2MaxFrameSize
	dec           *hpack.Decoder
	maxHeaderList int
	// frames counts every frame read, CONTINUATIONs included.
	frames int
}

func newFrameReader(r io.Reader, maxHeaderList int) *frameReader {
	fr := &frameReader{r: r, buf: make([]byte, h2MaxFrameSize), maxHeaderList: maxHeaderList}
	fr.dec = hpack.NewDecoder(4096, nil)
	fr.dec.SetMaxStringLength(maxHeaderList)
	return fr
}

// readRaw reads one frame's header and payload.
func (fr *frameReader) readRaw() (typ, flags uint8, stream uint32, payload []byte, err error) {
	var head [9]byte
	if _, err := io.ReadFull(fr.r, head[:]); err != nil {
		return 0, 0, 0, nil, err
	}
	fr.frames++
	length := int(head[0])<<16 | int(head[1])<<8 | int(head[2])
	typ, flags = head[3], head[4]
	stream = binary.BigEndian.Uint32(head[5:]) & (1<<31 - 1)
	if length > h2MaxFrameSize {
		return 0, 0, 0, nil, errFrameTooLarge
	}
	payload = fr.buf[:length]
	if _, err := io.ReadFull(fr.r, payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, 0, 0, nil, err
	}
	return typ, flags, stream, payload, nil
}

// next reads the next frame and checks it (RFC 9113, 6).
func (fr *frameReader) next() (*h2Frame, error) {
	typ, flags, stream, p, err := fr.readRaw()
	if err != nil {
		return nil, err
	}
	f := &h2Frame{typ: typ, flags: flags, stream: stream}
	switch typ {
	case frameData:
		if stream == 0 {
			return nil, connError(errCodeProtocol, "DATA on stream 0")
		}
		if f.data, err = unpad(f, p); err != nil {
			return nil, err
		}
	case frameHeaders:
		if stream == 0 {
			return nil, connError(errCodeProtocol, "HEADERS on stream 0")
		}
		block, err := unpad(f, p)
		if err != nil {
			return nil, err
		}
		if f.has(flagPriority) {
			if len(block) < 5 {
				return nil, connError(errCodeFrameSize, "HEADERS too short for its priority")
			}
			block = block[5:]
		}
		if err := fr.readHeaderBlock(f, block); err != nil {
			return nil, err
		}
	case framePriority:
		if stream == 0 {
			return nil, connError(errCodeProtocol, "PRIORITY on stream 0")
		}
		if len(p) != 5 {
			return nil, connError(errCodeFrameSize, "PRIORITY of %d bytes", len(p))
		}
	case frameRSTStream:
		if stream == 0 {
			return nil, connError(errCodeProtocol, "RST_STREAM on stream 0")
		}
		if len(p) != 4 {
			return nil, connError(errCodeFrameSize, "RST_STREAM of %d bytes", len(p))
		}
		f.errCode = h2ErrCode(binary.BigEndian.Uint32(p))
	case frameSettings:
		if err := readSettings(f, p); err != nil {
			return nil, err
		}
	case framePushPromise:
		// Refused by the reader whatever it holds: probe's SETTINGS
		// forbid pushes.
	case framePing:
		if stream != 0 {
			return nil, connError(errCodeProtocol, "PING on stream %d", stream)
		}
		if len(p) != 8 {
			return nil, connError(errCodeFrameSize, "PING of %d bytes", len(p))
		}
		copy(f.ping[:], p)
	case frameGoAway:
		if stream != 0 {
			return nil, connError(errCodeProtocol, "GOAWAY on stream %d", stream)
		}
		if len(p) < 8 {
			return nil, connError(errCodeFrameSize, "GOAWAY of %d bytes", len(p))
		}
		f.lastID = binary.BigEndian.Uint32(p) & (1<<31 - 1)
		f.errCode = h2ErrCode(binary.BigEndian.Uint32(p[4:]))
		f.debugData = append([]byte(nil), p[8:]...)
	case frameWindowUpdate:
		if len(p) != 4 {
			return nil, connError(errCodeFrameSize, "WINDOW_UPDATE of %d bytes", len(p))
		}
		if binary.BigEndian.Uint32(p)&(1<<31-1) == 0 {
			return nil, &h2Error{code: errCodeProtocol, stream: stream != 0, why: "WINDOW_UPDATE of 0"}
		}
	case frameContinuation:
		return nil, connError(errCodeProtocol, "CONTINUATION without HEADERS")
	}
	// Frames of other types are ignored (RFC 9113, 5.5).
	return f, nil
}

// unpad strips a DATA or HEADERS frame's padding.
func unpad(f *h2Frame, p []byte) ([]byte, error) {
	if !f.has(flagPadded) {
		return p, nil
	}
	if len(p) == 0 || int(p[0]) >= len(p) {
		return nil, connError(errCodeProtocol, "%s padding longer than the frame", typeName(f.typ))
	}
	return p[1 : len(p)-int(p[0])], nil
}

// readSettings reads a SETTINGS frame's parameters and checks their values.
func readSettings(f *h2Frame, p []byte) error {
	switch {
	case f.stream != 0:
		return connError(errCodeProtocol, "SETTINGS on stream %d", f.stream)
	case f.has(flagAck) && len(p) != 0:
		return connError(errCodeFrameSize, "SETTINGS acknowledgement of %d bytes", len(p))
	case len(p)%6 != 0:
		return connError(errCodeFrameSize, "SETTINGS of %d bytes", len(p))
	}
	for ; len(p) > 0; p = p[6:] {
		id, v := uint32(binary.BigEndian.Uint16(p)), binary.BigEndian.Uint32(p[2:])
		switch {
		case id == settingEnablePush && v > 1:
			return connError(errCodeProtocol, "SETTINGS_ENABLE_PUSH of %d", v)
		case id == settingInitialWindowSize && v > 1<<31-1:
			return connError(errCodeFlowControl, "SETTINGS_INITIAL_WINDOW_SIZE of %d", v)
		case id == settingMaxFrameSize && (v < 1<<14 || v > 1<<24-1):
			return connError(errCodeProtocol, "SETTINGS_MAX_FRAME_SIZE of %d", v)
		}
		f.settings = append(f.settings, [2]uint32{id, v})
	}
	return nil
}

// readHeaderBlock reads the CONTINUATION frames that finish a header block
// and decodes it. A block may not grow past four times the header list
// bound, however the frames cut it: a flood of CONTINUATION frames ends
// there.
func (fr *frameReader) readHeaderBlock(f *h2Frame, fragment []byte) error {
	size, pseudoDone := 0, false
	fr.dec.SetEmitFunc(func(hf hpack.HeaderField) {
		size += int(hf.Size())
		if size > fr.maxHeaderList {
			f.truncated = true
		}
		if !f.truncated {
			f.fields = append(f.fields, hf)
		}
	})
	defer fr.dec.SetEmitFunc(func(hpack.HeaderField) {})
	total := 0
	for n := 0; ; n++ {
		total += len(fragment)
		if total > 4*fr.maxHeaderList {
			return connError(errCodeProtocol, "a header block over %d bytes", 4*fr.maxHeaderList)
		}
		if n > maxContinuations {
			// A flood of tiny CONTINUATION frames costs a frame's work for
			// a byte (CVE-2024-27316's class): no honest server cuts a
			// header block so fine.
			return connError(errCodeProtocol, "a header block cut into more than %d CONTINUATION frames", maxContinuations)
		}
		if _, err := fr.dec.Write(fragment); err != nil {
			return connError(errCodeCompression, "%v", err)
		}
		if f.flags&flagEndHeaders != 0 {
			break
		}
		typ, flags, stream, p, err := fr.readRaw()
		if err != nil {
			return err
		}
		if typ != frameContinuation || stream != f.stream {
			return connError(errCodeProtocol, "%s in the middle of a header block", typeName(typ))
		}
		f.flags |= flags & flagEndHeaders
		fragment = p
	}
	if err := fr.dec.Close(); err != nil {
		return connError(errCodeCompression, "%v", err)
	}
	// What the fields may be (RFC 9113, 8.2 and 8.3): pseudo-headers
	// first, each once; names in lower case, of token characters; values
	// without NUL, CR or LF. A reply's only pseudo-header is :status.
	// Connection-specific fields have no place in HTTP/2 (8.2.2).
	malformed := func(format string, args ...any) error {
		return &h2Error{code: errCodeProtocol, stream: true, why: fmt.Sprintf(format, args...)}
	}
	seen := map[string]bool{}
	for _, hf := range f.fields {
		name := strconv.Quote(sanitize.Clip(hf.Name, 40))
		switch {
		case strings.HasPrefix(hf.Name, ":") && pseudoDone:
			return malformed("a pseudo-header after a regular header field (%s)", name)
		case strings.HasPrefix(hf.Name, ":") && seen[hf.Name]:
			return malformed("two %s", sanitize.Clip(hf.Name, 40))
		case strings.HasPrefix(hf.Name, ":") && hf.Name != ":status":
			return malformed("the pseudo-header %s in a reply", name)
		case strings.HasPrefix(hf.Name, ":"):
			seen[hf.Name] = true
		case IsToken(hf.Name) && strings.ToLower(hf.Name) != hf.Name:
			return malformed("a header field name with an upper-case letter (%s)", name)
		case !IsToken(hf.Name):
			return malformed("a header field name that is not a token (%s)", name)
		case connectionSpecific(hf):
			return malformed("the connection-specific header field %s", name)
		default:
			pseudoDone = true
		}
		if !validFieldValue(hf.Value) {
			return malformed("a header field value with a line break or NUL (%s)", name)
		}
	}
	return nil
}

// connectionSpecific: a field HTTP/2 forbids (RFC 9113, 8.2.2).
func connectionSpecific(hf hpack.HeaderField) bool {
	switch hf.Name {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		return true
	case "te":
		return hf.Value != "trailers"
	}
	return false
}

// validFieldValue: no control character but a tab, as x/net/http2 (and so
// grpc-go and Go's client) check: RFC 9113, 8.2.1 forbids NUL, CR and LF.
func validFieldValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// pseudo returns the value of a pseudo-header, such as "status".
func (f *h2Frame) pseudo(name string) string {
	for _, hf := range f.fields {
		if hf.Name == ":"+name {
			return hf.Value
		}
	}
	return ""
}

// regularFields are the fields that are not pseudo-headers.
func (f *h2Frame) regularFields() []hpack.HeaderField {
	i := 0
	for i < len(f.fields) && strings.HasPrefix(f.fields[i].Name, ":") {
		i++
	}
	return f.fields[i:]
}

// appendFrame appends a frame with its header to b.
func appendFrame(b *bytes.Buffer, typ, flags uint8, stream uint32, payload []byte) {
	var head [9]byte
	head[0], head[1], head[2] = byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload))
	head[3], head[4] = typ, flags
	binary.BigEndian.PutUint32(head[5:], stream)
	b.Write(head[:])
	b.Write(payload)
}

// appendSettings appends a SETTINGS frame with the parameters, identifier
// and value in turn.
func appendSettings(b *bytes.Buffer, params ...uint32) {
	p := make([]byte, 0, 3*len(params))
	for i := 0; i+1 < len(params); i += 2 {
		p = binary.BigEndian.AppendUint16(p, uint16(params[i]))
		p = binary.BigEndian.AppendUint32(p, params[i+1])
	}
	appendFrame(b, frameSettings, 0, 0, p)
}
