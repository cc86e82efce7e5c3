package checks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/text"
)

// This file is probe's HTTP/2 client, for grpc:// targets and for HTTP
// checks with --http2: one connection, one stream, no pooling. It uses
// x/net's Framer and HPACK, not a transport, so that what a hostile or
// broken server sends is bounded and every failure is named.

// PhaseHTTP2 is the HTTP/2 handshake: the prefaces and SETTINGS, until the
// server's SETTINGS frame arrives.
const PhaseHTTP2 = "http2 handshake"

const (
	// h2MaxFrames bounds the frames read in one check, so that a server
	// flooding PINGs or empty frames cannot keep probe busy.
	h2MaxFrames = 10000
	// h2MaxRequestBody is the largest request body sent: the stream's
	// initial window, which probe does not wait to see grow.
	h2MaxRequestBody = 65535
	// h2MaxFrameSize is the largest frame read or written: the initial
	// SETTINGS_MAX_FRAME_SIZE, which probe never raises.
	h2MaxFrameSize = 16384
)

// h2Request is the one request of a connection.
type h2Request struct {
	method, scheme, authority, path string
	header                          []Header // names are sent in lower case
	body                            []byte
	maxBody                         int // a larger response body fails
}

// h2Reply is what the server answered.
type h2Reply struct {
	status  int
	header  []Header // the reply's HEADERS
	trailer []Header // the HEADERS that ended the stream after the reply's
	// trailersOnly: the reply's HEADERS ended the stream (gRPC's
	// Trailers-Only reply), so they are its trailers too.
	trailersOnly bool
	body         []byte
	protocol     string
}

// get returns the first value of name in the reply's header.
func (r *h2Reply) get(name string) (string, bool) { return field(r.header, name) }

// trailers are the fields that ended the stream: the trailers, or the
// header of a Trailers-Only reply; nil when DATA ended it.
func (r *h2Reply) trailers() []Header {
	if r.trailersOnly {
		return r.header
	}
	return r.trailer
}

// field returns the first value of name in fields.
func field(fields []Header, name string) (string, bool) {
	for _, h := range fields {
		if h.Name == name {
			return h.Value, true
		}
	}
	return "", false
}

// headRecorder keeps the first bytes the server sent, to say what came
// instead of HTTP/2.
type headRecorder struct {
	r    net.Conn
	tr   *Trace
	head []byte
}

// more reads a little more of what the server sent, for the message, when
// the frame bound stopped the reading early: an HTTP/1.1 status line reads
// as the header of a frame of 4 MiB.
func (h *headRecorder) more() {
	if len(h.head) >= 64 || !bytes.HasPrefix(h.head, []byte("HTTP/1.")) {
		return
	}
	_ = h.r.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	buf := make([]byte, 64-len(h.head))
	n, _ := io.ReadAtLeast(h.r, buf, len(buf))
	h.head = append(h.head, buf[:n]...)
}

func (h *headRecorder) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if room := 64 - len(h.head); room > 0 && n > 0 {
		h.head = append(h.head, p[:min(n, room)]...)
		if h.tr.inPhase(PhaseHTTP2) && !isH2Settings(h.head) {
			h.tr.SetPartial(sanitize.Excerpt(h.head, 60)) // not HTTP/2, it seems
		}
	}
	return n, err
}

// h2RoundTrip sends req on conn, which is connected (and through TLS with
// ALPN h2 when the scheme is https), and reads the whole reply under the
// deadline of ctx. It never waits for flow control: the request body is at
// most the initial window, and the reply may use the window probe grants.
func h2RoundTrip(ctx context.Context, tr *Trace, conn net.Conn, req h2Request) (*h2Reply, error) {
	_ = conn.SetDeadline(deadline(ctx))
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	tr.Enter(PhaseHTTP2)
	rec := &headRecorder{r: conn, tr: tr}
	fr := http2.NewFramer(conn, rec)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	fr.MaxHeaderListSize = maxHeaderBytes
	// The frame size every peer must accept, and all probe's SETTINGS
	// allow: a 16 MiB frame is refused before it is read.
	fr.SetMaxReadFrameSize(h2MaxFrameSize)
	window := uint32(min(req.maxBody+(16<<10), 1<<30))
	out, err := h2Start(req, window)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write(out); err != nil {
		return nil, h2ReadError(ctx, err, rec.head, tr.phase())
	}
	r := &h2Reader{ctx: ctx, tr: tr, fr: fr, rec: rec, maxBody: req.maxBody, reply: &h2Reply{protocol: "HTTP/2.0"}}
	return r.read()
}

// h2Start is what opens the connection: the preface, the settings, the
// window and the request, sent in one write.
func h2Start(req h2Request, window uint32) ([]byte, error) {
	var out bytes.Buffer
	out.WriteString(http2.ClientPreface)
	wf := http2.NewFramer(&out, nil)
	_ = wf.WriteSettings(
		http2.Setting{ID: http2.SettingEnablePush, Val: 0},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: window},
		http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: maxHeaderBytes},
	)
	if window > 65535 {
		_ = wf.WriteWindowUpdate(0, window-65535)
	}
	if err := writeH2Request(wf, req); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// h2Reader reads the reply to stream 1, frame by frame.
type h2Reader struct {
	ctx        context.Context
	tr         *Trace
	fr         *http2.Framer
	rec        *headRecorder
	maxBody    int
	reply      *h2Reply
	settings   bool // the server's first SETTINGS has come
	gotHeaders bool // the reply's HEADERS have come
}

func (r *h2Reader) read() (*h2Reply, error) {
	for frames := 0; frames < h2MaxFrames; frames++ {
		f, err := r.fr.ReadFrame()
		if err != nil {
			if errors.Is(err, http2.ErrFrameTooLarge) {
				r.rec.more()
			}
			return nil, h2ReadError(r.ctx, err, r.rec.head, r.tr.phase())
		}
		if _, ok := f.(*http2.SettingsFrame); !ok && !r.settings {
			// RFC 9113, 3.4: the server's preface is a SETTINGS frame.
			return nil, &ProtocolError{Msg: fmt.Sprintf("the server's first frame is %s, not SETTINGS", f.Header().Type)}
		}
		done, err := r.frame(f)
		if err != nil {
			return nil, err
		}
		if done {
			r.tr.Finish()
			return r.reply, nil
		}
	}
	return nil, &ProtocolError{Msg: fmt.Sprintf("the server sent %d frames without finishing the reply", h2MaxFrames)}
}

// frame handles one frame, and reports whether it ended the reply. Frames
// on streams other than 1, which probe never opened, are ignored, as grpc-go
// ignores them: they cannot change the verdict on stream 1. So are
// PRIORITY, WINDOW_UPDATE (probe never waits for a window) and frames of
// unknown types (RFC 9113, 5.5).
func (r *h2Reader) frame(f http2.Frame) (bool, error) {
	switch f := f.(type) {
	case *http2.SettingsFrame:
		if f.IsAck() {
			return false, nil
		}
		if !r.settings {
			r.settings = true
			r.tr.Enter(PhaseFirstByte)
		}
		return false, r.write(r.fr.WriteSettingsAck())
	case *http2.PingFrame:
		if !f.IsAck() {
			return false, r.write(r.fr.WritePing(true, f.Data))
		}
	case *http2.GoAwayFrame:
		if f.LastStreamID < 1 || f.ErrCode != http2.ErrCodeNo {
			return false, &ProtocolError{Msg: "the server sent GOAWAY " + goAwayDetail(f) + " " + beforeOrDuring(r.gotHeaders)}
		}
		// A graceful GOAWAY that covers stream 1: the reply still comes.
	case *http2.RSTStreamFrame:
		if f.StreamID == 1 {
			return false, &ProtocolError{Msg: fmt.Sprintf("the server reset the stream (%s) %s", f.ErrCode, beforeOrDuring(r.gotHeaders))}
		}
	case *http2.PushPromiseFrame:
		return false, &ProtocolError{Msg: "the server pushed a stream, which probe's SETTINGS forbid"}
	case *http2.MetaHeadersFrame:
		if f.StreamID == 1 {
			return r.headers(f)
		}
	case *http2.DataFrame:
		if f.StreamID == 1 {
			return r.data(f)
		}
	}
	return false, nil
}

// headers takes the reply's HEADERS (after any 1xx), or its trailers.
func (r *h2Reader) headers(f *http2.MetaHeadersFrame) (bool, error) {
	if f.Truncated {
		return false, fmt.Errorf("response headers are larger than %s", Size(maxHeaderBytes))
	}
	if r.gotHeaders {
		if !f.StreamEnded() {
			return false, &ProtocolError{Msg: "the server sent a second HEADERS frame that does not end the stream"}
		}
		r.reply.trailer = fields(f.RegularFields())
		return true, nil
	}
	status, err := strconv.Atoi(f.PseudoValue("status"))
	if err != nil || status < 100 || status > 999 {
		return false, &ProtocolError{Msg: fmt.Sprintf("the reply has no valid :status (%q)", sanitize.Clip(f.PseudoValue("status"), 20))}
	}
	if status < 200 {
		if f.StreamEnded() {
			// RFC 9113, 8.1: an informational reply cannot end the stream.
			return false, &ProtocolError{Msg: fmt.Sprintf("the server ended the stream with an informational %d", status)}
		}
		return false, nil // 100 Continue, 103 Early Hints: the reply follows
	}
	r.reply.status, r.reply.header, r.gotHeaders = status, fields(f.RegularFields()), true
	r.reply.trailersOnly = f.StreamEnded()
	r.tr.Enter(PhaseResponse)
	r.tr.SetPartial(fmt.Sprintf("the headers of HTTP/2 %d, no body", status))
	return f.StreamEnded(), nil
}

// data takes a DATA frame of the reply's body.
func (r *h2Reader) data(f *http2.DataFrame) (bool, error) {
	if !r.gotHeaders {
		return false, &ProtocolError{Msg: "the server sent DATA before the reply's HEADERS"}
	}
	body := r.reply.body
	if len(body)+len(f.Data()) > r.maxBody {
		return false, fmt.Errorf("response body is larger than %s", Size(r.maxBody))
	}
	r.reply.body = append(body, f.Data()...)
	r.tr.SetPartial(fmt.Sprintf("the headers of HTTP/2 %d and %s of body, %s", r.reply.status, text.Plural(len(r.reply.body), "byte"), sanitize.Excerpt(r.reply.body, 40)))
	return f.StreamEnded(), nil
}

// write names a failed write of a frame the protocol asks for (a SETTINGS
// or PING acknowledgement).
func (r *h2Reader) write(err error) error {
	if err != nil {
		return h2ReadError(r.ctx, err, r.rec.head, r.tr.phase())
	}
	return nil
}

// writeH2Request writes HEADERS, CONTINUATION as needed, and DATA for req.
func writeH2Request(fr *http2.Framer, req h2Request) error {
	if len(req.body) > h2MaxRequestBody {
		return fmt.Errorf("over HTTP/2, a request body is at most %s (-d has %s)", Size(h2MaxRequestBody), Size(len(req.body)))
	}
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	field := func(name, value string) { _ = enc.WriteField(hpack.HeaderField{Name: name, Value: value}) }
	field(":method", req.method)
	field(":scheme", req.scheme)
	field(":authority", req.authority)
	field(":path", req.path)
	for _, h := range req.header {
		field(strings.ToLower(h.Name), h.Value)
	}
	if len(req.body) > 0 {
		field("content-length", strconv.Itoa(len(req.body)))
	}
	if block.Len() > maxHeaderBytes {
		return fmt.Errorf("the request headers are larger than %s", Size(maxHeaderBytes))
	}
	const maxFrame = h2MaxFrameSize // the size every peer accepts
	b := block.Bytes()
	first := b[:min(len(b), maxFrame)]
	b = b[len(first):]
	if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: first,
		EndStream: len(req.body) == 0, EndHeaders: len(b) == 0}); err != nil {
		return err
	}
	for len(b) > 0 {
		chunk := b[:min(len(b), maxFrame)]
		b = b[len(chunk):]
		if err := fr.WriteContinuation(1, len(b) == 0, chunk); err != nil {
			return err
		}
	}
	for body := req.body; len(body) > 0; {
		chunk := body[:min(len(body), maxFrame)]
		body = body[len(chunk):]
		if err := fr.WriteData(1, len(body) == 0, chunk); err != nil {
			return err
		}
	}
	return nil
}

// fields copies header fields out of the Framer's buffer.
func fields(in []hpack.HeaderField) []Header {
	out := make([]Header, 0, len(in))
	for _, f := range in {
		out = append(out, Header{Name: f.Name, Value: f.Value})
	}
	return out
}

func goAwayDetail(f *http2.GoAwayFrame) string {
	s := "(" + f.ErrCode.String()
	if d := f.DebugData(); len(d) > 0 {
		s += ": " + sanitize.Excerpt(d, 60)
	}
	return s + ")"
}

func beforeOrDuring(gotHeaders bool) string {
	if gotHeaders {
		return "in the middle of the reply"
	}
	return "before answering"
}

// h2ReadError says why reading the reply failed: the deadline, the
// connection, a server that is not HTTP/2, or one that broke the protocol.
func h2ReadError(ctx context.Context, err error, head []byte, phase string) error {
	var connErr http2.ConnectionError
	var streamErr http2.StreamError
	var remote *net.OpError
	switch {
	case IsTimeout(err) || ctx.Err() != nil:
		return context.DeadlineExceeded
	case errors.As(err, &remote) && remote.Op == "remote error":
		return refusedAfterHandshake(remote)
	case bytes.HasPrefix(head, []byte("HTTP/1.")):
		return &ProtocolError{Msg: fmt.Sprintf("the server does not speak HTTP/2 here: it answered %s", sanitize.Excerpt(firstLine(head), 60))}
	case len(head) > 0 && (len(head) < 9 || head[3] != byte(http2.FrameSettings)) && phase == PhaseHTTP2:
		return &ProtocolError{Msg: fmt.Sprintf("the server does not speak HTTP/2 here: it sent %s", sanitize.Excerpt(head, 40))}
	case errors.Is(err, http2.ErrFrameTooLarge):
		return &ProtocolError{Msg: "the server sent a frame larger than 16 KiB, which probe's SETTINGS forbid"}
	case errors.As(err, &connErr):
		return &ProtocolError{Msg: fmt.Sprintf("the server broke the protocol (%s)", http2.ErrCode(connErr))}
	case errors.As(err, &streamErr):
		return &ProtocolError{Msg: fmt.Sprintf("the server broke the protocol on the stream (%s)", streamErr.Code)}
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return &ProtocolError{Msg: "connection reset by peer " + phaseWhere(phase), Dropped: phase == PhaseHTTP2}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return &ProtocolError{Msg: "the server closed the connection " + phaseWhere(phase), Dropped: phase == PhaseHTTP2}
	}
	return &ProtocolError{Msg: sanitize.Clip(err.Error(), 200)}
}

func phaseWhere(phase string) string {
	switch phase {
	case PhaseHTTP2:
		return "during the HTTP/2 handshake"
	case PhaseResponse:
		return "in the middle of the reply"
	}
	return "before answering"
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		return b[:i]
	}
	return b
}

// speaksH2C reports whether the server at the address answers the HTTP/2
// preface with SETTINGS: an HTTP/2-only (h2c) server, which resets an
// HTTP/1.1 request without a word. It asks within at most 250ms of the
// run's deadline, after an HTTP/1.1 request failed so; an h2c server
// answers at once, so a quarter second bounds what a failing check pays.
func speaksH2C(ctx context.Context, socket, host, port string) bool {
	ctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
	defer cancel()
	conn, err := dialTo(ctx, nil, socket, host, port)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(deadline(ctx))
	var out bytes.Buffer
	out.WriteString(http2.ClientPreface)
	_ = http2.NewFramer(&out, nil).WriteSettings()
	if _, err := conn.Write(out.Bytes()); err != nil {
		return false
	}
	var head [9]byte
	if _, err := io.ReadFull(conn, head[:]); err != nil {
		return false
	}
	return isH2Settings(head[:])
}

// isH2Settings reports whether b starts with a SETTINGS frame on stream 0,
// the first thing an HTTP/2 server sends.
func isH2Settings(b []byte) bool {
	return len(b) >= 9 && b[3] == byte(http2.FrameSettings) && b[5]&0x7f == 0 && b[6] == 0 && b[7] == 0 && b[8] == 0
}
