package checks_test

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/testserver"
)

// startH2 serves a scripted HTTP/2 peer, in cleartext, and returns its
// address.
func startH2(t *testing.T, tlsCfg *tls.Config, script func(*testserver.H2)) (host, port string) {
	t.Helper()
	s, err := testserver.StartH2(tlsCfg, script)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return hostPort(t, s.Addr)
}

// grpcOK is the start of a good gRPC reply: SETTINGS, then HEADERS.
func grpcOK(h *testserver.H2) {
	h.Settings()
	h.Headers(false, ":status", "200", "content-type", "application/grpc")
}

// TestHostileHTTP2Peers: every place RFC 9113 and gRPC's PROTOCOL-HTTP2
// let a server go wrong, against the one-stream client of grpc:// (and of
// --http2, which shares it). None may read as healthy when grpc-go would
// not call it so, none may make probe read without bound, and each failure
// is one line that says what the server did.
func TestHostileHTTP2Peers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		script func(*testserver.H2)
		want
	}{
		// The final status is the trailers' (issue 29, defect a).
		{name: "status 0 in the headers, 14 in the trailers", script: func(h *testserver.H2) {
			h.Settings()
			h.Headers(false, ":status", "200", "content-type", "application/grpc", "grpc-status", "0")
			h.Data(false, testserver.Serving)
			h.Headers(true, "grpc-status", "14", "grpc-message", "going away")
		}, want: want{err: "grpc: UNAVAILABLE: going away"}},
		{name: "status 0 in the headers, none in the trailers", script: func(h *testserver.H2) {
			h.Settings()
			h.Headers(false, ":status", "200", "content-type", "application/grpc", "grpc-status", "0")
			h.Data(false, testserver.Serving)
			h.Headers(true, "x-other", "1")
		}, want: want{err: "http2: the reply ended without a grpc-status"}},
		{name: "status 0 in the headers, DATA ends the stream", script: func(h *testserver.H2) {
			h.Settings()
			h.Headers(false, ":status", "200", "content-type", "application/grpc", "grpc-status", "0")
			h.Data(true, testserver.Serving)
		}, want: want{err: "http2: the server ended the stream without trailers, so without a grpc-status"}},
		{name: "a good reply, for comparison", script: func(h *testserver.H2) {
			grpcOK(h)
			h.Data(false, testserver.Serving)
			h.Headers(true, "grpc-status", "0")
		}, want: want{seen: "SERVING"}},
		{name: "Trailers-Only with an error", script: func(h *testserver.H2) {
			h.Settings()
			h.Headers(true, ":status", "200", "content-type", "application/grpc", "grpc-status", "12")
		}, want: want{err: "grpc: the server has no health service"}},
		{name: "Trailers-Only OK with no message", script: func(h *testserver.H2) {
			h.Settings()
			h.Headers(true, ":status", "200", "content-type", "application/grpc", "grpc-status", "0")
		}, want: want{err: "the server answered OK with no message"}},
		{name: "not a gRPC content-type, status 0", script: func(h *testserver.H2) {
			h.Settings()
			h.Headers(false, ":status", "200", "content-type", "text/html")
			h.Data(false, testserver.Serving)
			h.Headers(true, "grpc-status", "0")
		}, want: want{err: `HTTP 200 with content-type "text/html": not a gRPC server`}},
		{name: "a gRPC server's HTTP 400, with its status", script: func(h *testserver.H2) {
			// As grpc-go refuses binary metadata that is not base64.
			h.Settings()
			h.Headers(true, ":status", "400", "content-type", "application/grpc", "grpc-status", "13", "grpc-message", `malformed binary metadata "hello" in header "key2-bin"`)
		}, want: want{err: `http2: the gRPC server refused the request with HTTP 400: INTERNAL: malformed binary metadata "hello" in header "key2-bin"`}},
		{name: "a gRPC server's HTTP 503, no status", script: func(h *testserver.H2) {
			h.Settings()
			h.Headers(true, ":status", "503", "content-type", "application/grpc")
		}, want: want{err: `http2: the gRPC server refused the request with HTTP 503`}},
		{name: "no content-type, status 0", script: func(h *testserver.H2) {
			h.Settings()
			h.Headers(true, ":status", "200", "grpc-status", "0")
		}, want: want{err: "not a gRPC server"}},
		{name: "a gRPC content-type with a subtype", script: func(h *testserver.H2) {
			h.Settings()
			h.Headers(false, ":status", "200", "content-type", "application/grpc+proto")
			h.Data(false, testserver.Serving)
			h.Headers(true, "grpc-status", "0")
		}, want: want{seen: "SERVING"}},
		{name: "application/grpcfoo is not gRPC", script: func(h *testserver.H2) {
			h.Settings()
			h.Headers(true, ":status", "200", "content-type", "application/grpcfoo", "grpc-status", "0")
		}, want: want{err: "not a gRPC server"}},
		{name: "a message split across DATA frames, padded", script: func(h *testserver.H2) {
			grpcOK(h)
			msg := testserver.Serving
			_ = h.Framer().WriteDataPadded(1, false, msg[:3], make([]byte, 200))
			h.Data(false, msg[3:])
			h.Headers(true, "grpc-status", "0")
		}, want: want{seen: "SERVING"}},
		{name: "two messages for a unary call", script: func(h *testserver.H2) {
			grpcOK(h)
			h.Data(false, append(append([]byte(nil), testserver.Serving...), testserver.Serving...))
			h.Headers(true, "grpc-status", "0")
		}, want: want{err: "the health reply is not a HealthCheckResponse"}},
		{name: "a compressed message", script: func(h *testserver.H2) {
			grpcOK(h)
			msg := append([]byte(nil), testserver.Serving...)
			msg[0] = 1
			h.Data(false, msg)
			h.Headers(true, "grpc-status", "0")
		}, want: want{err: "compressed, though probe asked for none"}},
		{name: "a length prefix of 4 GiB", script: func(h *testserver.H2) {
			grpcOK(h)
			h.Data(false, []byte{0, 0xff, 0xff, 0xff, 0xff, 8, 1})
			h.Headers(true, "grpc-status", "0")
		}, want: want{err: "the frame says 4294967295 bytes, 2 came"}},
		// Frames that never need reading whole.
		{name: "a DATA frame of 16 MiB", script: func(h *testserver.H2) {
			grpcOK(h)
			h.Raw([]byte{0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1})
			h.Raw(make([]byte, 1<<20))
		}, want: want{err: "http2: the server sent a frame larger than 16 KiB, which probe's SETTINGS forbid"}},
		{name: "a SETTINGS frame of 64 KiB", script: func(h *testserver.H2) {
			h.Frame(http2.FrameSettings, 0, 0, make([]byte, 64<<10))
		}, want: want{err: "larger than 16 KiB"}},
		{name: "the first frame is not SETTINGS", script: func(h *testserver.H2) {
			h.Headers(true, ":status", "200", "content-type", "application/grpc", "grpc-status", "0")
		}, want: want{err: "http2: the server's first frame is HEADERS, not SETTINGS"}},
		{name: "an informational reply that ends the stream", script: func(h *testserver.H2) {
			h.Settings()
			h.Headers(true, ":status", "100")
		}, want: want{err: "http2: the server ended the stream with an informational 100"}},
		{name: "103 Early Hints, then the reply", script: func(h *testserver.H2) {
			h.Settings()
			h.Headers(false, ":status", "103", "link", "</x>")
			h.Headers(false, ":status", "200", "content-type", "application/grpc")
			h.Data(false, testserver.Serving)
			h.Headers(true, "grpc-status", "0")
		}, want: want{seen: "SERVING"}},
		{name: "a second HEADERS in the middle", script: func(h *testserver.H2) {
			grpcOK(h)
			h.Headers(false, "grpc-status", "0")
		}, want: want{err: "a second HEADERS frame that does not end the stream"}},
		{name: "DATA before HEADERS", script: func(h *testserver.H2) {
			h.Settings()
			h.Data(false, testserver.Serving)
		}, want: want{err: "DATA before the reply's HEADERS"}},
		{name: "no :status", script: func(h *testserver.H2) {
			h.Settings()
			h.Headers(true, "content-type", "application/grpc", "grpc-status", "0")
		}, want: want{err: `the reply has no valid :status ("")`}},
		{name: "a :status of letters", script: func(h *testserver.H2) {
			h.Settings()
			h.Headers(true, ":status", "2OO", "grpc-status", "0")
		}, want: want{err: "the reply has no valid :status"}},
		{name: "a header list over 16 KiB", script: func(h *testserver.H2) {
			grpcOK(h)
			block := h.Block("x-big", strings.Repeat("b", 12<<10), "x-big2", strings.Repeat("c", 12<<10))
			_ = h.Framer().WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block[:16000], EndStream: true})
			_ = h.Framer().WriteContinuation(1, true, block[16000:])
		}, want: want{err: "response headers are larger than 16KiB"}},
		{name: "CONTINUATION without END_HEADERS, then DATA", script: func(h *testserver.H2) {
			h.Settings()
			block := h.Block(":status", "200", "content-type", "application/grpc")
			_ = h.Framer().WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block[:2]})
			h.Data(false, testserver.Serving)
		}, want: want{err: "http2: the server broke the protocol: DATA in the middle of a header block (PROTOCOL_ERROR)"}},
		{name: "a flood of 1-byte CONTINUATION frames", script: func(h *testserver.H2) {
			h.Settings()
			block := h.Block(":status", "200", "content-type", "application/grpc")
			_ = h.Framer().WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block})
			for range 200000 {
				if h.Framer().WriteContinuation(1, false, []byte{0x40}) != nil {
					return
				}
			}
		}, want: want{err: "http2: the server broke the protocol: a header block cut into more than 1000 CONTINUATION frames (PROTOCOL_ERROR)"}},
		{name: "an HPACK table size above probe's", script: func(h *testserver.H2) {
			h.Settings()
			// A dynamic table size update to 1 MiB (RFC 7541, 6.3), then :status 200.
			block := append([]byte{0x3f, 0xe1, 0xff, 0x3f}, 0x88)
			_ = h.Framer().WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block, EndHeaders: true})
		}, want: want{err: "http2: the server broke the protocol: decoding error: dynamic table size update too large (COMPRESSION_ERROR)"}},
		{name: "frames on streams probe never opened are ignored", script: func(h *testserver.H2) {
			h.Settings()
			_ = h.Framer().WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: h.Block(":status", "200", "grpc-status", "0"), EndStream: true, EndHeaders: true})
			_ = h.Framer().WriteData(5, true, []byte("junk"))
			h.Headers(false, ":status", "200", "content-type", "application/grpc")
			h.Data(false, testserver.Serving)
			h.Headers(true, "grpc-status", "0")
		}, want: want{seen: "SERVING"}},
		{name: "PRIORITY, WINDOW_UPDATE and unknown frames are ignored", script: func(h *testserver.H2) {
			h.Settings()
			_ = h.Framer().WritePriority(1, http2.PriorityParam{StreamDep: 0, Weight: 9})
			_ = h.Framer().WriteWindowUpdate(0, 1000)
			h.Frame(0xfa, 0, 1, []byte("an extension"))
			h.Headers(false, ":status", "200", "content-type", "application/grpc")
			h.Data(false, testserver.Serving)
			h.Headers(true, "grpc-status", "0")
		}, want: want{seen: "SERVING"}},
		{name: "a WINDOW_UPDATE of 0", script: func(h *testserver.H2) {
			h.Settings()
			h.Frame(http2.FrameWindowUpdate, 0, 0, []byte{0, 0, 0, 0})
		}, want: want{err: "http2: the server broke the protocol"}},
		{name: "a PUSH_PROMISE", script: func(h *testserver.H2) {
			h.Settings()
			_ = h.Framer().WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, BlockFragment: h.Block(":method", "GET"), EndHeaders: true})
		}, want: want{err: "the server pushed a stream"}},
		{name: "GOAWAY with a last stream below probe's", script: func(h *testserver.H2) {
			h.Settings()
			_ = h.Framer().WriteGoAway(0, http2.ErrCodeNo, nil)
		}, want: want{err: "http2: the server sent GOAWAY (NO_ERROR) before answering"}},
		{name: "a graceful GOAWAY that covers stream 1", script: func(h *testserver.H2) {
			h.Settings()
			_ = h.Framer().WriteGoAway(1, http2.ErrCodeNo, nil)
			h.Headers(false, ":status", "200", "content-type", "application/grpc")
			h.Data(false, testserver.Serving)
			h.Headers(true, "grpc-status", "0")
		}, want: want{seen: "SERVING"}},
		{name: "RST_STREAM in the middle", script: func(h *testserver.H2) {
			grpcOK(h)
			_ = h.Framer().WriteRSTStream(1, http2.ErrCodeInternal)
		}, want: want{err: "http2: the server reset the stream (INTERNAL_ERROR) in the middle of the reply"}},
		{name: "a PING flood", script: func(h *testserver.H2) {
			h.Settings()
			for range 20000 {
				if h.Framer().WritePing(false, [8]byte{}) != nil {
					return
				}
			}
		}, want: want{err: "http2: the server sent 10000 frames without finishing the reply"}},
		{name: "a grpc-message with escape codes", script: func(h *testserver.H2) {
			h.Settings()
			h.Headers(true, ":status", "200", "content-type", "application/grpc", "grpc-status", "14", "grpc-message", url.PathEscape("\x1b]0;owned\x07\nprobe: healthy"))
		}, want: want{err: `grpc: UNAVAILABLE: \x1b]0;owned\x07\x0aprobe: healthy`}},
		{name: "a negative grpc-status", script: func(h *testserver.H2) {
			h.Settings()
			h.Headers(true, ":status", "200", "content-type", "application/grpc", "grpc-status", "-1")
		}, want: want{err: `invalid grpc-status "-1"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			host, port := startH2(t, nil, tc.script)
			expect(t, checks.GRPC{Host: host, Port: port}, tc.want)
		})
	}
}

// A grpcs:// server that did not choose h2 by ALPN is refused, as grpc-go
// refuses it (issue 29, defect c); so is one that chose another protocol.
func TestGRPCSNeedsALPNh2(t *testing.T) {
	t.Parallel()
	serving := func(h *testserver.H2) {
		grpcOK(h)
		h.Data(false, testserver.Serving)
		h.Headers(true, "grpc-status", "0")
	}
	certs := testserver.Certs()
	for _, tc := range []struct {
		protos []string
		want
	}{
		{nil, want{err: "tls: the server did not choose HTTP/2 (h2) by ALPN"}},
		{[]string{"http/1.1"}, want{err: `tls: the server chose "http/1.1" by ALPN, not h2`}},
		{[]string{"h2"}, want{seen: "SERVING"}},
	} {
		t.Run(strings.Join(tc.protos, ","), func(t *testing.T) {
			t.Parallel()
			host, port := startH2(t, &tls.Config{Certificates: []tls.Certificate{certs.Good}, NextProtos: tc.protos}, serving)
			expect(t, checks.GRPC{Host: host, Port: port, TLS: caConfig(), Authority: "localhost"}, tc.want)
			httpWant := tc.want
			httpWant.seen = ""
			expect(t, checks.HTTP{URL: mustURL(t, "https://localhost:"+port+"/"), HTTP2: true, TLS: caConfig(), Status: checks.StatusRanges{{200, 200}}}, httpWant)
		})
	}
}

// --http2 sends the URL's userinfo as Basic credentials, as HTTP/1.1 does
// (issue 29).
func TestHTTP2SendsUserinfo(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	host, port := startH2(t, nil, func(h *testserver.H2) {
		got <- h.Request["authorization"]
		h.Settings()
		h.Headers(true, ":status", "204")
	})
	expect(t, checks.HTTP{URL: mustURL(t, "http://probe:s%40cret@"+host+":"+port+"/"), HTTP2: true}, want{seen: "HTTP 204 No Content"})
	if want := "Basic " + base64.StdEncoding.EncodeToString([]byte("probe:s@cret")); <-got != want {
		t.Errorf("authorization sent: want %q", want)
	}
}

// Eight hostile peers at once, each announcing 16 MiB frames, keep the
// heap small: probe refuses a frame by its header (issue 29: 141 MB).
func TestHTTP2FrameBoundKeepsMemorySmall(t *testing.T) {
	frame := make([]byte, 9+1<<20) // the header of a 16 MiB DATA frame, and its first MiB
	binary.BigEndian.PutUint32(frame, 0xffffff<<8)
	frame[8] = 1
	big := func(h *testserver.H2) {
		grpcOK(h)
		for range 4 {
			h.Raw(frame)
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	done := make(chan error, 8)
	for range 8 {
		host, port := startH2(t, nil, big)
		go func() {
			_, _, err := runCheck(t, checks.GRPC{Host: host, Port: port}, 5*time.Second)
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err == nil || !regexp.MustCompile(`larger than 16 KiB`).MatchString(err.Error()) {
			t.Errorf("got %v, want the frame refused", err)
		}
	}
	runtime.ReadMemStats(&after)
	if grew := int64(after.TotalAlloc - before.TotalAlloc); grew > 16<<20 {
		t.Errorf("eight checks allocated %d MiB, want far below the 128 MiB of eight frames", grew>>20)
	}
}

// TestMalformedHTTP2Replies: what RFC 9113 calls malformed (section 8.1.1,
// 8.2, 8.3) or a connection error (section 6), which grpc-go and Go's
// HTTP/2 client refuse, probe's framer refuses too: upper-case field
// names, line breaks and NUL in values, pseudo-headers after regular ones
// or unknown, settings out of range, padding longer than its frame, frames
// on stream 0 that belong to a stream.
func TestMalformedHTTP2Replies(t *testing.T) {
	t.Parallel()
	serving := func(h *testserver.H2) {
		h.Data(false, testserver.Serving)
		h.Headers(true, "grpc-status", "0")
	}
	settings := func(id http2.SettingID, v uint32) func(*testserver.H2) {
		return func(h *testserver.H2) {
			_ = h.Framer().WriteSettings(http2.Setting{ID: id, Val: v})
			grpcHeaders(h)
			serving(h)
		}
	}
	headers := func(fields ...string) func(*testserver.H2) {
		return func(h *testserver.H2) {
			h.Settings()
			h.Headers(false, fields...)
			serving(h)
		}
	}
	for _, tc := range []struct {
		name   string
		script func(*testserver.H2)
		err    string
	}{
		{"an upper-case field name", headers(":status", "200", "Content-Type", "application/grpc"), "the server broke the protocol on the stream: a header field name with an upper-case letter (\"Content-Type\") (PROTOCOL_ERROR)"},
		{"a line break in a value", headers(":status", "200", "content-type", "application/grpc", "x-a", "1\r\nx-b: 2"), "on the stream: a header field value with a line break or NUL (\"x-a\")"},
		{"a NUL in a value", headers(":status", "200", "content-type", "application/grpc", "x-a", "a\x00b"), "on the stream: a header field value with a line break or NUL (\"x-a\")"},
		{"a pseudo-header after a regular one", headers("content-type", "application/grpc", ":status", "200"), "on the stream: a pseudo-header after a regular header field (\":status\")"},
		{"an unknown pseudo-header", headers(":status", "200", ":path", "/", "content-type", "application/grpc"), `on the stream: the pseudo-header ":path" in a reply`},
		{"two :status", headers(":status", "200", ":status", "200", "content-type", "application/grpc"), "on the stream: two :status"},
		{"a connection-specific field", headers(":status", "200", "connection", "keep-alive", "content-type", "application/grpc"), `on the stream: the connection-specific header field "connection"`},
		{"SETTINGS_ENABLE_PUSH of 2", settings(http2.SettingEnablePush, 2), "the server broke the protocol: SETTINGS_ENABLE_PUSH of 2 (PROTOCOL_ERROR)"},
		{"SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1", settings(http2.SettingInitialWindowSize, 1<<31), "the server broke the protocol: SETTINGS_INITIAL_WINDOW_SIZE of 2147483648 (FLOW_CONTROL_ERROR)"},
		{"SETTINGS_MAX_FRAME_SIZE below 16384", settings(http2.SettingMaxFrameSize, 100), "the server broke the protocol: SETTINGS_MAX_FRAME_SIZE of 100 (PROTOCOL_ERROR)"},
		{"a SETTINGS frame of 5 bytes", func(h *testserver.H2) {
			h.Frame(http2.FrameSettings, 0, 0, []byte{0, 1, 0, 0, 0})
			grpcHeaders(h)
			serving(h)
		}, "the server broke the protocol: SETTINGS of 5 bytes (FRAME_SIZE_ERROR)"},
		{"padding longer than its frame", func(h *testserver.H2) {
			grpcOK(h)
			h.Frame(http2.FrameData, http2.FlagDataPadded, 1, []byte{200, 0, 0})
			serving(h)
		}, "the server broke the protocol: DATA padding longer than the frame (PROTOCOL_ERROR)"},
		{"DATA on stream 0", func(h *testserver.H2) {
			grpcOK(h)
			h.Frame(http2.FrameData, 0, 0, testserver.Serving)
			serving(h)
		}, "the server broke the protocol: DATA on stream 0 (PROTOCOL_ERROR)"},
		{"HEADERS on stream 0", func(h *testserver.H2) {
			h.Settings()
			h.Frame(http2.FrameHeaders, http2.FlagHeadersEndHeaders, 0, h.Block(":status", "200"))
			grpcHeaders(h)
			serving(h)
		}, "the server broke the protocol: HEADERS on stream 0 (PROTOCOL_ERROR)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			host, port := startH2(t, nil, tc.script)
			expect(t, checks.GRPC{Host: host, Port: port}, want{err: tc.err})
		})
	}
}

// grpcHeaders writes a good gRPC reply's HEADERS.
func grpcHeaders(h *testserver.H2) {
	h.Headers(false, ":status", "200", "content-type", "application/grpc")
}
