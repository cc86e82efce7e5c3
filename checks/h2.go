package checks

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/http2/hpack"

	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/text"
	"github.com/probe-sh/probe/internal/wire/h2"
)

// This file is probe's HTTP/2 client, for grpc:// targets and for HTTP
// checks with --http2: one connection, one stream, no pooling. It uses
// probe's own framing (internal/wire/h2), not a transport, so that what a
// hostile or broken server sends is bounded and every failure is named.

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
		if h.tr.inPhase(PhaseHTTP2) && !h2.IsSettings(h.head) {
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
	// Frames of at most the size every peer must accept, and all probe's
	// SETTINGS allow: a 16 MiB frame is refused before it is read.
	fr := h2.NewReader(rec, maxHeaderBytes)
	window := uint32(min(req.maxBody+(16<<10), 1<<30))
	out, err := h2Start(req, window)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write(out); err != nil {
		return nil, h2ReadError(ctx, err, rec.head, tr.phase())
	}
	r := &h2Reader{ctx: ctx, tr: tr, conn: conn, fr: fr, rec: rec, maxBody: req.maxBody, reply: &h2Reply{protocol: "HTTP/2.0"}}
	return r.read()
}

// h2Start is what opens the connection: the preface, the settings, the
// window and the request, sent in one write.
func h2Start(req h2Request, window uint32) ([]byte, error) {
	var out bytes.Buffer
	out.WriteString(h2.ClientPreface)
	h2.AppendSettings(&out, h2.SettingEnablePush, 0, h2.SettingInitialWindowSize, window, h2.SettingMaxHeaderListSize, maxHeaderBytes)
	if window > 65535 {
		h2.AppendFrame(&out, h2.FrameWindowUpdate, 0, 0, binary.BigEndian.AppendUint32(nil, window-65535))
	}
	if err := appendRequest(&out, req); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// h2Reader reads the reply to stream 1, frame by frame.
type h2Reader struct {
	ctx        context.Context
	tr         *Trace
	conn       net.Conn // for the acknowledgements the protocol asks for
	fr         *h2.Reader
	rec        *headRecorder
	maxBody    int
	reply      *h2Reply
	settings   bool // the server's first SETTINGS has come
	gotHeaders bool // the reply's HEADERS have come
}

func (r *h2Reader) read() (*h2Reply, error) {
	for r.fr.Frames() < h2MaxFrames {
		f, err := r.fr.Next()
		if err != nil {
			if errors.Is(err, h2.ErrFrameTooLarge) {
				r.rec.more()
			}
			return nil, h2ReadError(r.ctx, err, r.rec.head, r.tr.phase())
		}
		if f.Type != h2.FrameSettings && !r.settings {
			// RFC 9113, 3.4: the server's preface is a SETTINGS frame.
			return nil, &ProtocolError{Msg: fmt.Sprintf("http2: the server's first frame is %s, not SETTINGS", h2.TypeName(f.Type))}
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
	return nil, &ProtocolError{Msg: fmt.Sprintf("http2: the server sent %d frames without finishing the reply", h2MaxFrames)}
}

// frame handles one frame, and reports whether it ended the reply. Frames
// on streams other than 1, which probe never opened, are ignored, as grpc-go
// ignores them: they cannot change the verdict on stream 1. So are
// PRIORITY, WINDOW_UPDATE (probe never waits for a window) and frames of
// unknown types (RFC 9113, 5.5).
func (r *h2Reader) frame(f *h2.Frame) (bool, error) {
	switch f.Type {
	case h2.FrameSettings:
		if f.Has(h2.FlagAck) {
			return false, nil
		}
		if !r.settings {
			r.settings = true
			r.tr.Enter(PhaseFirstByte)
		}
		return false, r.write(h2.FrameSettings, h2.FlagAck, nil)
	case h2.FramePing:
		if !f.Has(h2.FlagAck) {
			return false, r.write(h2.FramePing, h2.FlagAck, f.Ping[:])
		}
	case h2.FrameGoAway:
		if f.LastID < 1 || f.ErrCode != h2.ErrCodeNo {
			return false, &ProtocolError{Msg: "http2: the server sent GOAWAY " + goAwayDetail(f) + " " + beforeOrDuring(r.gotHeaders)}
		}
		// A graceful GOAWAY that covers stream 1: the reply still comes.
	case h2.FrameRSTStream:
		if f.Stream == 1 {
			return false, &ProtocolError{Msg: fmt.Sprintf("http2: the server reset the stream (%s) %s", f.ErrCode, beforeOrDuring(r.gotHeaders))}
		}
	case h2.FramePushPromise:
		return false, &ProtocolError{Msg: "http2: the server pushed a stream, which probe's SETTINGS forbid"}
	case h2.FrameHeaders:
		if f.Stream == 1 {
			return r.headers(f)
		}
	case h2.FrameData:
		if f.Stream == 1 {
			return r.data(f)
		}
	}
	return false, nil
}

// headers takes the reply's HEADERS (after any 1xx), or its trailers.
func (r *h2Reader) headers(f *h2.Frame) (bool, error) {
	if f.Truncated {
		return false, &ReplyError{Msg: fmt.Sprintf("response headers are larger than %s", Size(maxHeaderBytes))}
	}
	if r.gotHeaders {
		if !f.Has(h2.FlagEndStream) {
			return false, &ProtocolError{Msg: "http2: the server sent a second HEADERS frame that does not end the stream"}
		}
		if len(f.RegularFields()) != len(f.Fields) {
			return false, &ProtocolError{Msg: "http2: the server sent trailers with a pseudo-header"}
		}
		r.reply.trailer = fields(f.Fields)
		return true, nil
	}
	status, err := strconv.Atoi(f.Pseudo("status"))
	if err != nil || status < 100 || status > 999 {
		return false, &ProtocolError{Msg: fmt.Sprintf("http2: the reply has no valid :status (%q)", sanitize.Clip(f.Pseudo("status"), 20))}
	}
	if status < 200 {
		if f.Has(h2.FlagEndStream) {
			// RFC 9113, 8.1: an informational reply cannot end the stream.
			return false, &ProtocolError{Msg: fmt.Sprintf("http2: the server ended the stream with an informational %d", status)}
		}
		return false, nil // 100 Continue, 103 Early Hints: the reply follows
	}
	r.reply.status, r.reply.header, r.gotHeaders = status, fields(f.RegularFields()), true
	r.reply.trailersOnly = f.Has(h2.FlagEndStream)
	r.tr.Enter(PhaseResponse)
	r.tr.SetPartial(fmt.Sprintf("the headers of HTTP/2 %d, no body", status))
	return f.Has(h2.FlagEndStream), nil
}

// data takes a DATA frame of the reply's body.
func (r *h2Reader) data(f *h2.Frame) (bool, error) {
	if !r.gotHeaders {
		return false, &ProtocolError{Msg: "http2: the server sent DATA before the reply's HEADERS"}
	}
	body := r.reply.body
	if len(body)+len(f.Data) > r.maxBody {
		return false, &ReplyError{Field: "MaxBody", Msg: fmt.Sprintf("response body is larger than %s", Size(r.maxBody))}
	}
	r.reply.body = append(body, f.Data...)
	r.tr.SetPartial(fmt.Sprintf("the headers of HTTP/2 %d and %s of body, %s", r.reply.status, text.Plural(len(r.reply.body), "byte"), sanitize.Excerpt(r.reply.body, 40)))
	return f.Has(h2.FlagEndStream), nil
}

// write sends a frame the protocol asks for (a SETTINGS or PING
// acknowledgement), and names a failure.
func (r *h2Reader) write(typ, flags uint8, payload []byte) error {
	var b bytes.Buffer
	h2.AppendFrame(&b, typ, flags, 0, payload)
	if _, err := r.conn.Write(b.Bytes()); err != nil {
		return h2ReadError(r.ctx, err, r.rec.head, r.tr.phase())
	}
	return nil
}

// appendRequest appends HEADERS, CONTINUATION as needed, and DATA for req.
func appendRequest(b *bytes.Buffer, req h2Request) error {
	if len(req.body) > h2MaxRequestBody {
		return &ProtocolError{Field: "Body", Msg: fmt.Sprintf("over HTTP/2, a request body is at most %s, the first window; this one has %s", Size(h2MaxRequestBody), Size(len(req.body)))}
	}
	fields := []hpack.HeaderField{{Name: ":method", Value: req.method}, {Name: ":scheme", Value: req.scheme},
		{Name: ":authority", Value: req.authority}, {Name: ":path", Value: req.path}}
	for _, h := range req.header {
		fields = append(fields, hpack.HeaderField{Name: strings.ToLower(h.Name), Value: h.Value})
	}
	if len(req.body) > 0 {
		fields = append(fields, hpack.HeaderField{Name: "content-length", Value: strconv.Itoa(len(req.body))})
	}
	block := h2.HeaderBlock(fields)
	if len(block) > maxHeaderBytes {
		return &ProtocolError{Field: "Header", Msg: fmt.Sprintf("the request headers are larger than %s", Size(maxHeaderBytes))}
	}
	h2.AppendHeaders(b, 1, block, len(req.body) == 0)
	h2.AppendData(b, 1, req.body)
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

func goAwayDetail(f *h2.Frame) string {
	s := "(" + f.ErrCode.String()
	if d := f.DebugData; len(d) > 0 {
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
	var protoErr *h2.Error
	var remote *net.OpError
	switch {
	case IsTimeout(err) || ctx.Err() != nil:
		return context.DeadlineExceeded
	case errors.As(err, &remote) && remote.Op == "remote error":
		return refusedAfterHandshake(remote)
	case bytes.HasPrefix(head, []byte("HTTP/1.")):
		return &ProtocolError{Msg: fmt.Sprintf("http2: the server does not speak HTTP/2 here: it answered %s", sanitize.Excerpt(firstLine(head), 60))}
	case len(head) > 0 && (len(head) < 9 || head[3] != h2.FrameSettings) && phase == PhaseHTTP2:
		return &ProtocolError{Msg: fmt.Sprintf("http2: the server does not speak HTTP/2 here: it sent %s", sanitize.Excerpt(head, 40))}
	case errors.Is(err, h2.ErrFrameTooLarge):
		return &ProtocolError{Msg: "http2: the server sent a frame larger than 16 KiB, which probe's SETTINGS forbid", Err: err}
	case errors.As(err, &protoErr) && protoErr.Stream:
		return &ProtocolError{Msg: fmt.Sprintf("http2: the server broke the protocol on the stream: %s (%s)", protoErr.Why, protoErr.Code), Err: err}
	case errors.As(err, &protoErr):
		return &ProtocolError{Msg: fmt.Sprintf("http2: the server broke the protocol: %s (%s)", protoErr.Why, protoErr.Code), Err: err}
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return &ProtocolError{Msg: "http2: connection reset by peer " + phaseWhere(phase), Err: err, dropped: phase == PhaseHTTP2}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return &ProtocolError{Msg: "http2: the server closed the connection " + phaseWhere(phase), Err: err, dropped: phase == PhaseHTTP2}
	}
	return &ProtocolError{Msg: "http2: " + sanitize.Clip(err.Error(), 200), Err: err}
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
	out.WriteString(h2.ClientPreface)
	h2.AppendSettings(&out)
	if _, err := conn.Write(out.Bytes()); err != nil {
		return false
	}
	var head [9]byte
	if _, err := io.ReadFull(conn, head[:]); err != nil {
		return false
	}
	return h2.IsSettings(head[:])
}
