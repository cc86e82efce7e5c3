package testserver

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// H2 is a hostile or broken HTTP/2 peer: after the client's preface and
// request, it writes what its script writes, frame by frame or byte by byte,
// then holds the connection until the client closes it. The adversarial
// tests of the HTTP/2 client (grpc:// and --http2) are scripts.
type H2 struct {
	// Request holds the fields of the client's request, pseudo-headers
	// (":path") among them.
	Request map[string]string
	// Fields are the request's fields in the order sent, a name that came
	// twice twice.
	Fields []hpack.HeaderField

	conn net.Conn
	fr   *http2.Framer
	enc  *hpack.Encoder
	buf  bytes.Buffer
}

// StartH2 serves script on a loopback port, over TLS when tlsCfg is set
// (its NextProtos say what ALPN chooses), in cleartext otherwise.
func StartH2(tlsCfg *tls.Config, script func(*H2)) (*Server, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln, conn: map[net.Conn]bool{}, stop: make(chan struct{})}
	s.wg.Add(1)
	go s.acceptLoop(func(c net.Conn, stop <-chan struct{}) {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		request, fields, ok := readRequestH2(c)
		if !ok {
			return
		}
		go func() { _, _ = io.Copy(io.Discard, c) }()
		h := &H2{Request: request, Fields: fields, conn: c, fr: http2.NewFramer(c, nil)}
		h.enc = hpack.NewEncoder(&h.buf)
		script(h)
		<-stop
	})
	return s, nil
}

// readRequestH2 reads the client's preface and frames until its request
// has ended (END_STREAM on stream 1), and returns the request's fields, by
// name and in order.
func readRequestH2(c net.Conn) (map[string]string, []hpack.HeaderField, bool) {
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(c, preface); err != nil || string(preface) != http2.ClientPreface {
		return nil, nil, false
	}
	fr := http2.NewFramer(io.Discard, c)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	fields := map[string]string{}
	var list []hpack.HeaderField
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return nil, nil, false
		}
		if h, ok := f.(*http2.MetaHeadersFrame); ok && h.StreamID == 1 {
			for _, hf := range h.Fields {
				fields[hf.Name] = hf.Value
				list = append(list, hf)
			}
		}
		if f.Header().StreamID == 1 && f.Header().Flags.Has(http2.FlagHeadersEndStream) {
			return fields, list, true // END_STREAM has the same bit on HEADERS and DATA
		}
	}
}

// Framer is the peer's framer, for frames the helpers do not write.
func (h *H2) Framer() *http2.Framer { return h.fr }

// Settings writes an empty SETTINGS frame, the server's preface.
func (h *H2) Settings() { _ = h.fr.WriteSettings() }

// Block encodes header fields, name and value in turn, as HPACK.
func (h *H2) Block(fields ...string) []byte {
	h.buf.Reset()
	for i := 0; i+1 < len(fields); i += 2 {
		_ = h.enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	return append([]byte(nil), h.buf.Bytes()...)
}

// Headers writes a HEADERS frame on stream 1 with fields, name and value in
// turn.
func (h *H2) Headers(endStream bool, fields ...string) {
	_ = h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: h.Block(fields...), EndStream: endStream, EndHeaders: true})
}

// Data writes a DATA frame on stream 1.
func (h *H2) Data(endStream bool, data []byte) { _ = h.fr.WriteData(1, endStream, data) }

// GRPCMessage is a framed gRPC message: not compressed, its length, msg.
func GRPCMessage(msg []byte) []byte {
	out := make([]byte, 5, 5+len(msg))
	binary.BigEndian.PutUint32(out[1:], uint32(len(msg)))
	return append(out, msg...)
}

// Serving is a framed HealthCheckResponse saying SERVING.
var Serving = GRPCMessage([]byte{0x08, 1})

// Raw writes bytes as they are: a frame header that lies, say.
func (h *H2) Raw(b []byte) { _, _ = h.conn.Write(b) }

// Frame writes one frame of type t with flags, on stream, with payload.
func (h *H2) Frame(t http2.FrameType, flags http2.Flags, stream uint32, payload []byte) {
	_ = h.fr.WriteRawFrame(t, flags, stream, payload)
}

// Sleep pauses the script.
func (h *H2) Sleep(d time.Duration) { time.Sleep(d) }
