package h2

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/http2/hpack"
)

// frame is one frame in wire form.
func frame(typ, flags byte, stream uint32, payload []byte) []byte {
	var b bytes.Buffer
	AppendFrame(&b, typ, flags, stream, payload)
	return b.Bytes()
}

// block encodes header fields, name then value.
func block(kv ...string) []byte {
	var fields []hpack.HeaderField
	for i := 0; i+1 < len(kv); i += 2 {
		fields = append(fields, hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return HeaderBlock(fields)
}

func cat(frames ...[]byte) []byte { return bytes.Join(frames, nil) }

// maxList is the header list bound of the tests' readers.
const maxList = 1024

func TestNext(t *testing.T) {
	t.Parallel()
	ok := block(":status", "200", "content-type", "text/plain")
	for _, tc := range []struct {
		name  string
		in    []byte
		check func(*Frame) bool // what the frame read must hold
		err   string            // the error's text, or a part of it
	}{
		{name: "DATA", in: frame(FrameData, FlagEndStream, 1, []byte("hi")), check: func(f *Frame) bool { return string(f.Data) == "hi" && f.Has(FlagEndStream) }},
		{name: "DATA, padded", in: frame(FrameData, FlagPadded, 1, []byte("\x02hi\x00\x00")), check: func(f *Frame) bool { return string(f.Data) == "hi" }},
		{name: "DATA, all padding", in: frame(FrameData, FlagPadded, 1, []byte("\x02\x00\x00")), check: func(f *Frame) bool { return len(f.Data) == 0 }},
		{name: "HEADERS", in: frame(FrameHeaders, FlagEndHeaders, 1, ok), check: func(f *Frame) bool {
			return f.Pseudo("status") == "200" && len(f.RegularFields()) == 1 && f.RegularFields()[0].Value == "text/plain"
		}},
		{name: "HEADERS with a priority, padded", in: frame(FrameHeaders, FlagEndHeaders|FlagPriority|FlagPadded, 1, append(append([]byte{1, 0, 0, 0, 3, 16}, ok...), 0)),
			check: func(f *Frame) bool { return f.Pseudo("status") == "200" }},
		{name: "HEADERS, then CONTINUATIONs", in: cat(frame(FrameHeaders, 0, 1, ok[:2]), frame(FrameContinuation, 0, 1, ok[2:5]), frame(FrameContinuation, FlagEndHeaders, 1, ok[5:])),
			check: func(f *Frame) bool { return f.Pseudo("status") == "200" && f.Has(FlagEndHeaders) && len(f.Fields) == 2 }},
		{name: "te: trailers", in: frame(FrameHeaders, FlagEndHeaders, 1, block(":status", "200", "te", "trailers")), check: func(f *Frame) bool { return len(f.Fields) == 2 }},
		{name: "a tab in a value", in: frame(FrameHeaders, FlagEndHeaders, 1, block("x", "a\tb")), check: func(f *Frame) bool { return f.Fields[0].Value == "a\tb" }},
		{name: "a header list over its bound", in: frame(FrameHeaders, FlagEndHeaders, 1, block(":status", "200", "a", strings.Repeat("x", 600), "b", strings.Repeat("y", 600))),
			check: func(f *Frame) bool { return f.Truncated && len(f.Fields) == 2 }},
		{name: "PRIORITY", in: frame(FramePriority, 0, 3, make([]byte, 5)), check: func(f *Frame) bool { return f.Type == FramePriority }},
		{name: "RST_STREAM", in: frame(FrameRSTStream, 0, 1, []byte{0, 0, 0, 8}), check: func(f *Frame) bool { return f.ErrCode == 8 && f.ErrCode.String() == "CANCEL" }},
		{name: "SETTINGS", in: frame(FrameSettings, 0, 0, []byte{0, 5, 0, 0, 0x40, 0, 0, 0x99, 0, 0, 0, 1}),
			check: func(f *Frame) bool { return reflect.DeepEqual(f.Settings, [][2]uint32{{5, 1 << 14}, {0x99, 1}}) }},
		{name: "SETTINGS acknowledged", in: frame(FrameSettings, FlagAck, 0, nil), check: func(f *Frame) bool { return f.Has(FlagAck) }},
		{name: "PING", in: frame(FramePing, 0, 0, []byte("12345678")), check: func(f *Frame) bool { return string(f.Ping[:]) == "12345678" }},
		{name: "GOAWAY", in: frame(FrameGoAway, 0, 0, []byte{0x80, 0, 0, 1, 0, 0, 0, 11, 'b', 'y', 'e'}),
			check: func(f *Frame) bool {
				return f.LastID == 1 && f.ErrCode.String() == "ENHANCE_YOUR_CALM" && string(f.DebugData) == "bye"
			}},
		{name: "WINDOW_UPDATE", in: frame(FrameWindowUpdate, 0, 1, []byte{0, 0, 1, 0}), check: func(f *Frame) bool { return f.Type == FrameWindowUpdate }},
		{name: "PUSH_PROMISE, unread", in: frame(FramePushPromise, 0, 1, []byte("anything")), check: func(f *Frame) bool { return f.Type == FramePushPromise }},
		{name: "an unknown type, ignored", in: frame(0x42, 0xff, 0, []byte("x")), check: func(f *Frame) bool { return f.Type == 0x42 }},

		{name: "no frame", in: nil, err: "EOF"},
		{name: "a header cut short", in: []byte{0, 0, 1, 0}, err: "unexpected EOF"},
		{name: "a payload cut short", in: frame(FrameData, 0, 1, []byte("hi"))[:10], err: "unexpected EOF"},
		{name: "a frame of 16 KiB and 1 byte", in: []byte{0, 0x40, 1, 0, 0, 0, 0, 0, 1}, err: "http2: frame too large"},
		{name: "an HTTP/1.1 status line", in: []byte("HTTP/1.1 400 Bad Request\r\n"), err: "http2: frame too large"},
		{name: "DATA on stream 0", in: frame(FrameData, 0, 0, nil), err: "PROTOCOL_ERROR: DATA on stream 0"},
		{name: "HEADERS on stream 0", in: frame(FrameHeaders, FlagEndHeaders, 0, ok), err: "PROTOCOL_ERROR: HEADERS on stream 0"},
		{name: "PRIORITY on stream 0", in: frame(FramePriority, 0, 0, make([]byte, 5)), err: "PROTOCOL_ERROR: PRIORITY on stream 0"},
		{name: "RST_STREAM on stream 0", in: frame(FrameRSTStream, 0, 0, make([]byte, 4)), err: "PROTOCOL_ERROR: RST_STREAM on stream 0"},
		{name: "SETTINGS on stream 1", in: frame(FrameSettings, 0, 1, nil), err: "PROTOCOL_ERROR: SETTINGS on stream 1"},
		{name: "PING on stream 1", in: frame(FramePing, 0, 1, make([]byte, 8)), err: "PROTOCOL_ERROR: PING on stream 1"},
		{name: "GOAWAY on stream 1", in: frame(FrameGoAway, 0, 1, make([]byte, 8)), err: "PROTOCOL_ERROR: GOAWAY on stream 1"},
		{name: "padding longer than the frame", in: frame(FrameData, FlagPadded, 1, []byte{2, 'a'}), err: "PROTOCOL_ERROR: DATA padding longer than the frame"},
		{name: "padding of an empty frame", in: frame(FrameHeaders, FlagPadded, 1, nil), err: "PROTOCOL_ERROR: HEADERS padding longer than the frame"},
		{name: "HEADERS too short for its priority", in: frame(FrameHeaders, FlagEndHeaders|FlagPriority, 1, []byte{0, 0}), err: "FRAME_SIZE_ERROR: HEADERS too short for its priority"},
		{name: "PRIORITY of 4 bytes", in: frame(FramePriority, 0, 1, make([]byte, 4)), err: "FRAME_SIZE_ERROR: PRIORITY of 4 bytes"},
		{name: "RST_STREAM of 5 bytes", in: frame(FrameRSTStream, 0, 1, make([]byte, 5)), err: "FRAME_SIZE_ERROR: RST_STREAM of 5 bytes"},
		{name: "SETTINGS acknowledged with a payload", in: frame(FrameSettings, FlagAck, 0, make([]byte, 6)), err: "FRAME_SIZE_ERROR: SETTINGS acknowledgement of 6 bytes"},
		{name: "SETTINGS of 7 bytes", in: frame(FrameSettings, 0, 0, make([]byte, 7)), err: "FRAME_SIZE_ERROR: SETTINGS of 7 bytes"},
		{name: "SETTINGS_ENABLE_PUSH of 2", in: frame(FrameSettings, 0, 0, []byte{0, 2, 0, 0, 0, 2}), err: "PROTOCOL_ERROR: SETTINGS_ENABLE_PUSH of 2"},
		{name: "SETTINGS_INITIAL_WINDOW_SIZE of 2^31", in: frame(FrameSettings, 0, 0, []byte{0, 4, 0x80, 0, 0, 0}), err: "FLOW_CONTROL_ERROR: SETTINGS_INITIAL_WINDOW_SIZE of 2147483648"},
		{name: "SETTINGS_MAX_FRAME_SIZE of 16383", in: frame(FrameSettings, 0, 0, []byte{0, 5, 0, 0, 0x3f, 0xff}), err: "PROTOCOL_ERROR: SETTINGS_MAX_FRAME_SIZE of 16383"},
		{name: "SETTINGS_MAX_FRAME_SIZE of 2^24", in: frame(FrameSettings, 0, 0, []byte{0, 5, 1, 0, 0, 0}), err: "PROTOCOL_ERROR: SETTINGS_MAX_FRAME_SIZE of 16777216"},
		{name: "PING of 7 bytes", in: frame(FramePing, 0, 0, make([]byte, 7)), err: "FRAME_SIZE_ERROR: PING of 7 bytes"},
		{name: "GOAWAY of 7 bytes", in: frame(FrameGoAway, 0, 0, make([]byte, 7)), err: "FRAME_SIZE_ERROR: GOAWAY of 7 bytes"},
		{name: "WINDOW_UPDATE of 3 bytes", in: frame(FrameWindowUpdate, 0, 0, make([]byte, 3)), err: "FRAME_SIZE_ERROR: WINDOW_UPDATE of 3 bytes"},
		{name: "WINDOW_UPDATE of 0", in: frame(FrameWindowUpdate, 0, 0, make([]byte, 4)), err: "PROTOCOL_ERROR: WINDOW_UPDATE of 0"},
		{name: "CONTINUATION alone", in: frame(FrameContinuation, FlagEndHeaders, 1, ok), err: "PROTOCOL_ERROR: CONTINUATION without HEADERS"},
		{name: "DATA in a header block", in: cat(frame(FrameHeaders, 0, 1, ok[:2]), frame(FrameData, 0, 1, nil)), err: "PROTOCOL_ERROR: DATA in the middle of a header block"},
		{name: "a CONTINUATION of another stream", in: cat(frame(FrameHeaders, 0, 1, ok[:2]), frame(FrameContinuation, FlagEndHeaders, 3, ok[2:])), err: "CONTINUATION in the middle of a header block"},
		{name: "a header block cut short", in: frame(FrameHeaders, 0, 1, ok[:2]), err: "EOF"},
		{name: "a flood of CONTINUATIONs", in: cat(frame(FrameHeaders, 0, 1, []byte{0x82}), bytes.Repeat(frame(FrameContinuation, 0, 1, []byte{0x82}), 4*maxList)),
			err: "PROTOCOL_ERROR: a header block cut into more than 1000 CONTINUATION frames"},
		{name: "a header block past its bound", in: cat(frame(FrameHeaders, 0, 1, []byte{0x82}), bytes.Repeat(frame(FrameContinuation, 0, 1, bytes.Repeat([]byte{0x82}, 1000)), 5)),
			err: "PROTOCOL_ERROR: a header block over 4096 bytes"},
		{name: "a block that is not HPACK", in: frame(FrameHeaders, FlagEndHeaders, 1, []byte{0xff, 0xff, 0xff, 0xff, 0xff}), err: "COMPRESSION_ERROR: "},
		{name: "a block that ends mid-field", in: frame(FrameHeaders, FlagEndHeaders, 1, ok[:len(ok)-1]), err: "COMPRESSION_ERROR: "},
		{name: "a dynamic table above 4096 bytes", in: frame(FrameHeaders, FlagEndHeaders, 1, []byte{0x3f, 0xe2, 0x1f}), err: "COMPRESSION_ERROR: "},
		{name: "a pseudo-header after a field", in: frame(FrameHeaders, FlagEndHeaders, 1, block("a", "b", ":status", "200")), err: `PROTOCOL_ERROR: a pseudo-header after a regular header field (":status")`},
		{name: "two :status", in: frame(FrameHeaders, FlagEndHeaders, 1, block(":status", "200", ":status", "204")), err: "PROTOCOL_ERROR: two :status"},
		{name: ":path in a reply", in: frame(FrameHeaders, FlagEndHeaders, 1, block(":status", "200", ":path", "/")), err: `the pseudo-header ":path" in a reply`},
		{name: "an upper-case name", in: frame(FrameHeaders, FlagEndHeaders, 1, block("Content-Type", "x")), err: `a header field name with an upper-case letter ("Content-Type")`},
		{name: "a name that is not a token", in: frame(FrameHeaders, FlagEndHeaders, 1, block("a b", "x")), err: `a header field name that is not a token ("a b")`},
		{name: "an empty name", in: frame(FrameHeaders, FlagEndHeaders, 1, block("", "x")), err: `a header field name that is not a token ("")`},
		{name: "connection", in: frame(FrameHeaders, FlagEndHeaders, 1, block("connection", "close")), err: `the connection-specific header field "connection"`},
		{name: "te: gzip", in: frame(FrameHeaders, FlagEndHeaders, 1, block("te", "gzip")), err: `the connection-specific header field "te"`},
		{name: "a value with CR LF", in: frame(FrameHeaders, FlagEndHeaders, 1, block("x", "a\r\nb")), err: `a header field value with a line break or NUL ("x")`},
		{name: "a value with NUL", in: frame(FrameHeaders, FlagEndHeaders, 1, block("x", "a\x00")), err: "a header field value with a line break or NUL"},
		{name: "a name with escapes, quoted", in: frame(FrameHeaders, FlagEndHeaders, 1, block("\x1b[2J", "x")), err: `("\x1b[2J")`},
	} {
		f, err := NewReader(bytes.NewReader(tc.in), maxList).Next()
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: %+v, %v; want the error %q", tc.name, f, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err == "" && !tc.check(f):
			t.Errorf("%s: %+v", tc.name, f)
		}
	}
}

// TestErrorKinds: a malformed field breaks the stream; every other fault,
// the connection. A WINDOW_UPDATE of 0 is the stream's on a stream.
func TestErrorKinds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in     []byte
		stream bool
	}{
		{frame(FrameHeaders, FlagEndHeaders, 1, block("Upper", "x")), true},
		{frame(FrameWindowUpdate, 0, 1, make([]byte, 4)), true},
		{frame(FrameWindowUpdate, 0, 0, make([]byte, 4)), false},
		{frame(FrameData, 0, 0, nil), false},
	} {
		_, err := NewReader(bytes.NewReader(tc.in), maxList).Next()
		var e *Error
		if !errors.As(err, &e) || e.Stream != tc.stream {
			t.Errorf("%x: %#v, want Stream %v", tc.in, err, tc.stream)
		}
	}
	if got := ErrCode(0x42).String(); got != "unknown error code 0x42" {
		t.Errorf("ErrCode(0x42): %q", got)
	}
	if got := TypeName(0x42); got != "UNKNOWN_FRAME_TYPE_66" {
		t.Errorf("TypeName(0x42): %q", got)
	}
}

// TestReaderCounts: every frame counts, CONTINUATIONs included, and a
// reader goes on after a frame of a type it ignores; the HPACK table
// carries from one block to the next.
func TestReaderCounts(t *testing.T) {
	t.Parallel()
	var enc bytes.Buffer
	e := hpack.NewEncoder(&enc)
	_ = e.WriteField(hpack.HeaderField{Name: "x-indexed", Value: "v"})
	first := append([]byte(nil), enc.Bytes()...)
	enc.Reset()
	_ = e.WriteField(hpack.HeaderField{Name: "x-indexed", Value: "v"})
	in := cat(frame(0x42, 0, 0, nil), frame(FrameHeaders, 0, 1, first[:1]), frame(FrameContinuation, FlagEndHeaders, 1, first[1:]),
		frame(FrameHeaders, FlagEndHeaders, 1, enc.Bytes()))
	fr := NewReader(bytes.NewReader(in), maxList)
	for range 2 {
		if _, err := fr.Next(); err != nil {
			t.Fatal(err)
		}
	}
	f, err := fr.Next()
	if err != nil || len(f.Fields) != 1 || f.Fields[0].Value != "v" || len(enc.Bytes()) != 1 {
		t.Fatalf("the indexed field: %+v, %v (%d bytes)", f, err, len(enc.Bytes()))
	}
	if _, err := fr.Next(); err != io.EOF || fr.Frames() != 4 {
		t.Errorf("%v after %d frames, want EOF after 4", err, fr.Frames())
	}
}

func TestWrite(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	AppendSettings(&b, SettingEnablePush, 0, SettingInitialWindowSize, 1<<20)
	if want := []byte{0, 0, 12, 4, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 4, 0, 16, 0, 0}; !bytes.Equal(b.Bytes(), want) {
		t.Errorf("AppendSettings: %x, want %x", b.Bytes(), want)
	}
	if !IsSettings(b.Bytes()) || IsSettings(b.Bytes()[:8]) || IsSettings(frame(FrameSettings, 0, 1, nil)) || IsSettings(frame(FramePing, 0, 0, nil)) {
		t.Error("IsSettings")
	}
	// A block of 40 KiB: HEADERS and two CONTINUATIONs; a body of 20 KiB:
	// two DATA frames, the last ending the stream.
	big := block("x", strings.Repeat("~", 40<<10)) // not shorter in Huffman code
	b.Reset()
	AppendHeaders(&b, 1, big, false)
	AppendData(&b, 1, bytes.Repeat([]byte{'d'}, 20<<10))
	AppendData(&b, 1, nil)
	fr := NewReader(&b, 64<<10)
	f, err := fr.Next()
	if err != nil || f.Has(FlagEndStream) || fr.Frames() != 3 || len(f.Fields) != 1 || len(f.Fields[0].Value) != 40<<10 {
		t.Fatalf("the headers: %v after %d frames", err, fr.Frames())
	}
	var body []byte
	for !f.Has(FlagEndStream) {
		if f, err = fr.Next(); err != nil {
			t.Fatal(err)
		}
		body = append(body, f.Data...)
	}
	if len(body) != 20<<10 || fr.Frames() != 5 || b.Len() != 0 {
		t.Errorf("a body of %d bytes in %d frames, %d bytes left", len(body), fr.Frames(), b.Len())
	}
	b.Reset()
	AppendHeaders(&b, 3, block(":status", "204"), true)
	if f, err := NewReader(&b, maxList).Next(); err != nil || !f.Has(FlagEndStream) || !f.Has(FlagEndHeaders) || f.Stream != 3 {
		t.Errorf("headers that end the stream: %+v, %v", f, err)
	}
}

func TestIsToken(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{"GET": true, "x-probe": true, "!#$%&'*+-.^_`|~09azAZ": true, "": false, "a b": false, "a:b": false, "é": false, "a\x00": false} {
		if got := IsToken(s); got != want {
			t.Errorf("IsToken(%q) = %v", s, got)
		}
	}
}

// FuzzH2Frames reads any bytes as what a server sends: never a panic; an
// error is one line; a frame read is checked as the RFC says (a stream
// where one is needed, fields a reply may have), and the reader stops
// within its bounds.
func FuzzH2Frames(f *testing.F) {
	settings := frame(FrameSettings, 0, 0, nil)
	headers := frame(FrameHeaders, FlagEndHeaders, 1, block(":status", "200", "content-type", "application/grpc"))
	f.Add(cat(settings, headers, frame(FrameData, 0, 1, []byte{0, 0, 0, 0, 2, 8, 1}), frame(FrameHeaders, FlagEndHeaders|FlagEndStream, 1, block("grpc-status", "0"))))
	f.Add(cat(settings, frame(FrameGoAway, 0, 0, []byte{0, 0, 0, 0, 0, 0, 0, 11, 'x'})))
	f.Add(cat(settings, frame(FrameRSTStream, 0, 1, []byte{0, 0, 0, 8})))
	f.Add(cat(settings, frame(FrameHeaders, 0, 1, block(":status", "200")), frame(FrameContinuation, FlagEndHeaders, 1, block("x", "y"))))
	f.Add(cat(settings, frame(FrameData, FlagPadded, 1, []byte{3, 'a', 0, 0, 0}), frame(FramePing, 0, 0, make([]byte, 8))))
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr := NewReader(bytes.NewReader(b), maxList)
		for {
			fm, err := fr.Next()
			if err != nil {
				if strings.ContainsAny(err.Error(), "\r\n") {
					t.Fatalf("the error spans lines: %q", err)
				}
				return
			}
			if fr.Frames() > len(b)/9 {
				t.Fatalf("%d frames from %d bytes", fr.Frames(), len(b))
			}
			if fm.Type <= FrameContinuation && fm.Type != FramePushPromise && fm.Type != FrameWindowUpdate && (fm.Stream == 0) != (kinds[fm.Type].stream < 0) {
				t.Fatalf("%s on stream %d", TypeName(fm.Type), fm.Stream)
			}
			if fm.Type == FrameHeaders && checkFields(fm.Fields) != nil {
				t.Fatalf("fields a reply may not have: %v", fm.Fields)
			}
		}
	})
}
