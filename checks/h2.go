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
	status   int
	header   []Header
	trailer  []Header
	body     []byte
	protocol string
}

// get returns the first value of name in the header, then the trailer.
func (r *h2Reply) get(name string) (string, bool) {
	for _, list := range [][]Header{r.header, r.trailer} {
		for _, h := range list {
			if h.Name == name {
				return h.Value, true
			}
		}
	}
	return "", false
}

// headRecorder keeps the first bytes the server sent, to say what came
// instead of HTTP/2.
type headRecorder struct {
	r    io.Reader
	tr   *Trace
	head []byte
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
	window := uint32(min(req.maxBody+(16<<10), 1<<30))

	// The preface, the settings, the window and the request go out in one
	// write where they fit.
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
	if _, err := conn.Write(out.Bytes()); err != nil {
		return nil, h2ReadError(ctx, err, rec.head, tr.phase())
	}

	reply := &h2Reply{protocol: "HTTP/2.0"}
	gotHeaders := false
	for frames := 0; ; frames++ {
		if frames == h2MaxFrames {
			return nil, &ProtocolError{Msg: fmt.Sprintf("the server sent %d frames without finishing the reply", h2MaxFrames)}
		}
		f, err := fr.ReadFrame()
		if err != nil {
			return nil, h2ReadError(ctx, err, rec.head, tr.phase())
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if f.IsAck() {
				continue
			}
			if tr.phase() == PhaseHTTP2 {
				tr.Enter(PhaseFirstByte)
			}
			if err := fr.WriteSettingsAck(); err != nil {
				return nil, h2ReadError(ctx, err, rec.head, tr.phase())
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				if err := fr.WritePing(true, f.Data); err != nil {
					return nil, h2ReadError(ctx, err, rec.head, tr.phase())
				}
			}
		case *http2.GoAwayFrame:
			if f.LastStreamID < 1 || f.ErrCode != http2.ErrCodeNo {
				return nil, &ProtocolError{Msg: "the server sent GOAWAY " + goAwayDetail(f) + " " + beforeOrDuring(gotHeaders)}
			}
			// A graceful GOAWAY that covers stream 1: the reply still comes.
		case *http2.RSTStreamFrame:
			if f.StreamID == 1 {
				return nil, &ProtocolError{Msg: fmt.Sprintf("the server reset the stream (%s) %s", f.ErrCode, beforeOrDuring(gotHeaders))}
			}
		case *http2.PushPromiseFrame:
			return nil, &ProtocolError{Msg: "the server pushed a stream, which probe's SETTINGS forbid"}
		case *http2.MetaHeadersFrame:
			if f.StreamID != 1 {
				continue
			}
			if f.Truncated {
				return nil, fmt.Errorf("response headers are larger than %s", Size(maxHeaderBytes))
			}
			if !gotHeaders {
				status, err := strconv.Atoi(f.PseudoValue("status"))
				if err != nil || status < 100 || status > 999 {
					return nil, &ProtocolError{Msg: fmt.Sprintf("the reply has no valid :status (%q)", sanitize.Clip(f.PseudoValue("status"), 20))}
				}
				if status < 200 {
					continue // 100 Continue, 103 Early Hints: the reply follows
				}
				reply.status, reply.header, gotHeaders = status, fields(f.RegularFields()), true
				tr.Enter(PhaseResponse)
				tr.SetPartial(fmt.Sprintf("the headers of HTTP/2 %d, no body", status))
			} else {
				if !f.StreamEnded() {
					return nil, &ProtocolError{Msg: "the server sent a second HEADERS frame that does not end the stream"}
				}
				reply.trailer = fields(f.RegularFields())
			}
			if f.StreamEnded() {
				tr.Finish()
				return reply, nil
			}
		case *http2.DataFrame:
			if f.StreamID != 1 {
				continue
			}
			if !gotHeaders {
				return nil, &ProtocolError{Msg: "the server sent DATA before the reply's HEADERS"}
			}
			if len(reply.body)+len(f.Data()) > req.maxBody {
				return nil, fmt.Errorf("response body is larger than %s", Size(req.maxBody))
			}
			reply.body = append(reply.body, f.Data()...)
			tr.SetPartial(fmt.Sprintf("the headers of HTTP/2 %d and %s of body, %s", reply.status, text.Plural(len(reply.body), "byte"), sanitize.Excerpt(reply.body, 40)))
			if f.StreamEnded() {
				tr.Finish()
				return reply, nil
			}
		}
	}
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
	const maxFrame = 16384 // the size every peer accepts before its SETTINGS
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
