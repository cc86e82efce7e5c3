package h2

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/net/http2/hpack"

	"github.com/probe-sh/probe/internal/sanitize"
)

// Frame is one frame, checked; a HEADERS frame comes with its
// CONTINUATIONs, decoded.
type Frame struct {
	Type   uint8
	Flags  uint8
	Stream uint32
	Data   []byte // DATA's data, without padding; valid until the next frame

	// HEADERS: the decoded fields, pseudo-headers first, and whether the
	// list went over its bound (then Fields are cut short).
	Fields    []hpack.HeaderField
	Truncated bool

	Settings  [][2]uint32 // SETTINGS: identifier and value
	Ping      [8]byte
	ErrCode   ErrCode // RST_STREAM, GOAWAY
	LastID    uint32  // GOAWAY
	DebugData []byte  // GOAWAY
}

// Has reports whether the frame has flag set.
func (f *Frame) Has(flag uint8) bool { return f.Flags&flag != 0 }

// Pseudo returns the value of a pseudo-header, such as "status".
func (f *Frame) Pseudo(name string) string {
	for _, hf := range f.Fields {
		if hf.Name == ":"+name {
			return hf.Value
		}
	}
	return ""
}

// RegularFields are the fields that are not pseudo-headers.
func (f *Frame) RegularFields() []hpack.HeaderField {
	i := 0
	for i < len(f.Fields) && strings.HasPrefix(f.Fields[i].Name, ":") {
		i++
	}
	return f.Fields[i:]
}

// MaxContinuations bounds the CONTINUATION frames of one header block: a
// block of the largest size accepted, cut at the smallest frame size a
// server may use (16 KiB), needs 16.
const MaxContinuations = 1000

// Reader reads the frames of one connection.
type Reader struct {
	r             io.Reader
	buf           []byte // the current payload, at most MaxFrameSize
	dec           *hpack.Decoder
	maxHeaderList int
	frames        int
}

// NewReader reads frames from r; a header list larger than maxHeaderList
// (the size HPACK counts) is cut short and marked Truncated, and a header
// block may not grow past four times that, however its frames cut it.
func NewReader(r io.Reader, maxHeaderList int) *Reader {
	fr := &Reader{r: r, buf: make([]byte, MaxFrameSize), maxHeaderList: maxHeaderList}
	fr.dec = hpack.NewDecoder(4096, nil)
	fr.dec.SetMaxStringLength(maxHeaderList)
	return fr
}

// Frames counts every frame read, CONTINUATIONs included.
func (fr *Reader) Frames() int { return fr.frames }

// readRaw reads one frame's header and payload.
func (fr *Reader) readRaw() (typ, flags uint8, stream uint32, payload []byte, err error) {
	var head [9]byte
	if _, err := io.ReadFull(fr.r, head[:]); err != nil {
		return 0, 0, 0, nil, err
	}
	fr.frames++
	length := int(head[0])<<16 | int(head[1])<<8 | int(head[2])
	typ, flags = head[3], head[4]
	stream = binary.BigEndian.Uint32(head[5:]) & (1<<31 - 1)
	if length > MaxFrameSize {
		return 0, 0, 0, nil, ErrFrameTooLarge
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

// kind is what the reader checks of a frame type: the stream it may be on,
// and its payload.
type kind struct {
	// stream: 1 when the frame must be on a stream, -1 when on the
	// connection (stream 0), 0 either.
	stream int
	// parse checks the payload and reads it into the frame; nil when the
	// frame's payload is not read.
	parse func(fr *Reader, f *Frame, p []byte) error
}

// kinds are the frame types of RFC 9113, 6, by their numbers. A
// PUSH_PROMISE is refused by the client whatever it holds: probe's
// SETTINGS forbid pushes.
var kinds = [...]kind{
	FrameData:         {1, (*Reader).data},
	FrameHeaders:      {1, (*Reader).headers},
	FramePriority:     {1, (*Reader).priority},
	FrameRSTStream:    {1, (*Reader).rstStream},
	FrameSettings:     {-1, (*Reader).settings},
	FramePushPromise:  {0, nil},
	FramePing:         {-1, (*Reader).ping},
	FrameGoAway:       {-1, (*Reader).goAway},
	FrameWindowUpdate: {0, (*Reader).windowUpdate},
	FrameContinuation: {0, (*Reader).continuation},
}

// Next reads the next frame and checks it (RFC 9113, 6). Frames of types
// it does not know are returned unread, to be ignored (RFC 9113, 5.5).
func (fr *Reader) Next() (*Frame, error) {
	typ, flags, stream, p, err := fr.readRaw()
	if err != nil {
		return nil, err
	}
	f := &Frame{Type: typ, Flags: flags, Stream: stream}
	if int(typ) >= len(kinds) {
		return f, nil
	}
	k := kinds[typ]
	switch {
	case k.stream > 0 && stream == 0:
		return nil, connError(ErrCodeProtocol, "%s on stream 0", TypeName(typ))
	case k.stream < 0 && stream != 0:
		return nil, connError(ErrCodeProtocol, "%s on stream %d", TypeName(typ), stream)
	}
	if k.parse != nil {
		if err := k.parse(fr, f, p); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (fr *Reader) data(f *Frame, p []byte) (err error) {
	f.Data, err = unpad(f, p)
	return err
}

func (fr *Reader) headers(f *Frame, p []byte) error {
	block, err := unpad(f, p)
	if err != nil {
		return err
	}
	if f.Has(FlagPriority) {
		if len(block) < 5 {
			return connError(ErrCodeFrameSize, "HEADERS too short for its priority")
		}
		block = block[5:]
	}
	if err := fr.readHeaderBlock(f, block); err != nil {
		return err
	}
	return checkFields(f.Fields)
}

func (fr *Reader) priority(f *Frame, p []byte) error {
	if len(p) != 5 {
		return connError(ErrCodeFrameSize, "PRIORITY of %d bytes", len(p))
	}
	return nil
}

func (fr *Reader) rstStream(f *Frame, p []byte) error {
	if len(p) != 4 {
		return connError(ErrCodeFrameSize, "RST_STREAM of %d bytes", len(p))
	}
	f.ErrCode = ErrCode(binary.BigEndian.Uint32(p))
	return nil
}

// settings reads a SETTINGS frame's parameters and checks their values.
func (fr *Reader) settings(f *Frame, p []byte) error {
	switch {
	case f.Has(FlagAck) && len(p) != 0:
		return connError(ErrCodeFrameSize, "SETTINGS acknowledgement of %d bytes", len(p))
	case len(p)%6 != 0:
		return connError(ErrCodeFrameSize, "SETTINGS of %d bytes", len(p))
	}
	for ; len(p) > 0; p = p[6:] {
		id, v := uint32(binary.BigEndian.Uint16(p)), binary.BigEndian.Uint32(p[2:])
		switch {
		case id == SettingEnablePush && v > 1:
			return connError(ErrCodeProtocol, "SETTINGS_ENABLE_PUSH of %d", v)
		case id == SettingInitialWindowSize && v > 1<<31-1:
			return connError(ErrCodeFlowControl, "SETTINGS_INITIAL_WINDOW_SIZE of %d", v)
		case id == SettingMaxFrameSize && (v < 1<<14 || v > 1<<24-1):
			return connError(ErrCodeProtocol, "SETTINGS_MAX_FRAME_SIZE of %d", v)
		}
		f.Settings = append(f.Settings, [2]uint32{id, v})
	}
	return nil
}

func (fr *Reader) ping(f *Frame, p []byte) error {
	if len(p) != 8 {
		return connError(ErrCodeFrameSize, "PING of %d bytes", len(p))
	}
	copy(f.Ping[:], p)
	return nil
}

func (fr *Reader) goAway(f *Frame, p []byte) error {
	if len(p) < 8 {
		return connError(ErrCodeFrameSize, "GOAWAY of %d bytes", len(p))
	}
	f.LastID = binary.BigEndian.Uint32(p) & (1<<31 - 1)
	f.ErrCode = ErrCode(binary.BigEndian.Uint32(p[4:]))
	f.DebugData = append([]byte(nil), p[8:]...)
	return nil
}

func (fr *Reader) windowUpdate(f *Frame, p []byte) error {
	if len(p) != 4 {
		return connError(ErrCodeFrameSize, "WINDOW_UPDATE of %d bytes", len(p))
	}
	if binary.BigEndian.Uint32(p)&(1<<31-1) == 0 {
		return &Error{Code: ErrCodeProtocol, Stream: f.Stream != 0, Why: "WINDOW_UPDATE of 0"}
	}
	return nil
}

// continuation: a CONTINUATION that no HEADERS opened (readHeaderBlock
// reads those that one did).
func (fr *Reader) continuation(*Frame, []byte) error {
	return connError(ErrCodeProtocol, "CONTINUATION without HEADERS")
}

// unpad strips a DATA or HEADERS frame's padding.
func unpad(f *Frame, p []byte) ([]byte, error) {
	if !f.Has(FlagPadded) {
		return p, nil
	}
	if len(p) == 0 || int(p[0]) >= len(p) {
		return nil, connError(ErrCodeProtocol, "%s padding longer than the frame", TypeName(f.Type))
	}
	return p[1 : len(p)-int(p[0])], nil
}

// readHeaderBlock reads the CONTINUATION frames that finish a header block
// and decodes it. A block may not grow past four times the header list
// bound, nor span more than MaxContinuations frames, however the frames cut
// it: a flood of CONTINUATION frames ends there.
func (fr *Reader) readHeaderBlock(f *Frame, fragment []byte) error {
	size := 0
	fr.dec.SetEmitFunc(func(hf hpack.HeaderField) {
		size += int(hf.Size())
		if size > fr.maxHeaderList {
			f.Truncated = true
		}
		if !f.Truncated {
			f.Fields = append(f.Fields, hf)
		}
	})
	defer fr.dec.SetEmitFunc(func(hpack.HeaderField) {})
	total := 0
	for n := 0; ; n++ {
		total += len(fragment)
		if total > 4*fr.maxHeaderList {
			return connError(ErrCodeProtocol, "a header block over %d bytes", 4*fr.maxHeaderList)
		}
		if n > MaxContinuations {
			// A flood of tiny CONTINUATION frames costs a frame's work for
			// a byte (CVE-2024-27316's class): no honest server cuts a
			// header block so fine.
			return connError(ErrCodeProtocol, "a header block cut into more than %d CONTINUATION frames", MaxContinuations)
		}
		if _, err := fr.dec.Write(fragment); err != nil {
			return connError(ErrCodeCompression, "%v", err)
		}
		if f.Flags&FlagEndHeaders != 0 {
			break
		}
		typ, flags, stream, p, err := fr.readRaw()
		if err != nil {
			return err
		}
		if typ != FrameContinuation || stream != f.Stream {
			return connError(ErrCodeProtocol, "%s in the middle of a header block", TypeName(typ))
		}
		f.Flags |= flags & FlagEndHeaders
		fragment = p
	}
	if err := fr.dec.Close(); err != nil {
		return connError(ErrCodeCompression, "%v", err)
	}
	return nil
}

// checkFields checks what the fields of a reply may be (RFC 9113, 8.2 and
// 8.3): pseudo-headers first, each once; names in lower case, of token
// characters; values without NUL, CR or LF. A reply's only pseudo-header
// is :status. Connection-specific fields have no place in HTTP/2 (8.2.2).
// A field that breaks these makes the stream malformed.
func checkFields(fields []hpack.HeaderField) error {
	malformed := func(format string, args ...any) error {
		return &Error{Code: ErrCodeProtocol, Stream: true, Why: fmt.Sprintf(format, args...)}
	}
	seen, pseudoDone := map[string]bool{}, false
	for _, hf := range fields {
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
