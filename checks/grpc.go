package checks

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/probe-sh/probe/internal/sanitize"
)

// GRPC checks a gRPC server through the standard health protocol: it calls
// grpc.health.v1.Health/Check for Service ("" is the whole server), over
// HTTP/2 (h2.go), and passes when the answer is SERVING.
type GRPC struct {
	Host, Port string
	Socket     string      // a Unix socket to connect to, in place of Host:Port
	Service    string      // the service asked about; "" for the server
	TLS        *tls.Config // grpcs://; nil for cleartext HTTP/2 (h2c)
	// Authority is :authority and, unless TLS has a ServerName, the name
	// TLS verifies. When empty, it is TLS's ServerName, as grpc-go takes
	// it from the credentials, or else Host:Port.
	Authority string
	// Metadata is sent as request headers, names in lower case. The value
	// of a name that ends in -bin is bytes: it goes out base64-encoded, as
	// gRPC clients send binary metadata. A user-agent replaces UserAgent;
	// an empty one sends none.
	Metadata   []Header
	UserAgent  string // "probe" when empty
	CertExpiry time.Duration
}

// healthPath is the method called.
const healthPath = "/grpc.health.v1.Health/Check"

// The gRPC status codes, by number.
var grpcCodes = [...]string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
	"UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"}

// The serving statuses of grpc.health.v1.HealthCheckResponse.
var servingStatuses = [...]string{"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"}

// Run calls Check and judges the answer.
func (g GRPC) Run(ctx context.Context, tr *Trace) (string, error) {
	conn, err := dialTo(ctx, tr, g.Socket, g.Host, g.Port)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	authority := g.Authority
	if authority == "" && g.TLS != nil {
		authority = g.TLS.ServerName
	}
	if authority == "" {
		authority = authorityOf(g.Host, g.Port)
	}
	scheme := "http"
	if g.TLS != nil {
		scheme = "https"
		tc, err := handshakeH2(ctx, tr, conn, g.TLS, hostOnly(authority), g.CertExpiry)
		if err != nil {
			return "", err
		}
		defer tc.Close()
		conn = tc
	}
	header := []Header{
		{"content-type", "application/grpc"},
		{"te", "trailers"},
	}
	metadata, userAgent := g.metadata()
	if userAgent != "" {
		header = append(header, Header{"user-agent", userAgent})
	}
	if d, ok := ctx.Deadline(); ok {
		// The server may drop the call when probe stops waiting; 100ms
		// later, so that probe's own deadline, which names the phase,
		// comes first.
		header = append(header, Header{"grpc-timeout", grpcTimeout(time.Until(d) + 100*time.Millisecond)})
	}
	header = append(header, metadata...)
	reply, err := h2RoundTrip(ctx, tr, conn, h2Request{method: "POST", scheme: scheme, authority: authority,
		path: healthPath, header: header, body: healthRequest(g.Service), maxBody: 64 << 10})
	var pe *ProtocolError
	if errors.As(err, &pe) && pe.dropped && g.TLS == nil {
		pe.Msg += " (is it a TLS port? then use grpcs://)"
	}
	if err != nil {
		return "", err
	}
	tr.SetReply(describeGRPCReply(reply))
	return g.judge(reply)
}

// metadata is Metadata as it goes on the wire, and the user-agent sent
// ("" for none). As grpc-go does, a binary value (a name ending in -bin)
// is base64 without padding; servers accept it with or without.
func (g GRPC) metadata() ([]Header, string) {
	userAgent := cmp.Or(g.UserAgent, "probe")
	out := make([]Header, 0, len(g.Metadata))
	for _, h := range g.Metadata {
		name := strings.ToLower(h.Name)
		switch {
		case name == "user-agent":
			userAgent = h.Value
			continue
		case strings.HasSuffix(name, "-bin"):
			h.Value = base64.RawStdEncoding.EncodeToString([]byte(h.Value))
		}
		out = append(out, Header{Name: name, Value: h.Value})
	}
	return out, userAgent
}

// judge reads the gRPC status and the health status from the reply. As in
// grpc-go, the reply must be HTTP 200 with a gRPC content-type, and its
// status is the one in the HEADERS that end the stream: the trailers, or a
// Trailers-Only reply's one HEADERS. A grpc-status in headers that do not
// end the stream says nothing: the trailers' is the final word.
func (g GRPC) judge(r *h2Reply) (string, error) {
	ctype, _ := r.get("content-type")
	if !isGRPCContentType(ctype) {
		return "", &ProtocolError{Msg: fmt.Sprintf("http2: HTTP %d with content-type %q: not a gRPC server (is this the HTTP port?)", r.status, sanitize.Clip(ctype, 40))}
	}
	trailers := r.trailers()
	if r.status != 200 {
		// A gRPC server that cannot read the request at all, such as
		// binary metadata that is not base64, answers so, often with a
		// status that says why (grpc-go: HTTP 400, INTERNAL).
		why := ""
		if code, ok := field(trailers, "grpc-status"); ok {
			why = ": status " + sanitize.Clip(sanitize.Printable(code), 20)
			if n, err := strconv.Atoi(code); err == nil {
				why = ": " + grpcCodeName(n)
			}
			msg, _ := field(trailers, "grpc-message")
			if msg != "" {
				why += ": " + sanitize.Clip(sanitize.Printable(grpcMessage(msg)), 160)
			}
		}
		return "", &ProtocolError{Msg: fmt.Sprintf("http2: the gRPC server refused the request with HTTP %d%s", r.status, why)}
	}
	if trailers == nil {
		return "", &ProtocolError{Msg: "http2: the server ended the stream without trailers, so without a grpc-status"}
	}
	code, hasStatus := field(trailers, "grpc-status")
	if !hasStatus {
		return "", &ProtocolError{Msg: "http2: the reply ended without a grpc-status"}
	}
	n, err := strconv.Atoi(code)
	if err != nil || n < 0 {
		return "", &ProtocolError{Msg: fmt.Sprintf("http2: the reply has an invalid grpc-status %q", sanitize.Clip(code, 20))}
	}
	if n != 0 {
		msg, _ := field(trailers, "grpc-message")
		return "", grpcStatusError(n, sanitize.Clip(sanitize.Printable(grpcMessage(msg)), 160), g.Service)
	}
	if r.trailersOnly {
		return "", &ProtocolError{Msg: "http2: the server answered OK with no message (a Trailers-Only reply)"}
	}
	status, err := healthStatus(r.body)
	if err != nil {
		return "", &ProtocolError{Msg: "http2: the health reply is not a HealthCheckResponse: " + err.Error(), Err: err}
	}
	name := "status " + strconv.Itoa(status)
	if status >= 0 && status < len(servingStatuses) {
		name = servingStatuses[status]
	}
	if status != 1 {
		if g.Service != "" {
			return "", &ServerError{Code: name, Msg: fmt.Sprintf("grpc: service %q is %s", g.Service, name)}
		}
		return "", &ServerError{Code: name, Msg: "grpc: the server is " + name}
	}
	if g.Service != "" {
		return fmt.Sprintf("SERVING (service %q)", g.Service), nil
	}
	return "SERVING", nil
}

// grpcCodeName is a gRPC status code's name, such as UNIMPLEMENTED.
func grpcCodeName(code int) string {
	if code >= 0 && code < len(grpcCodes) {
		return grpcCodes[code]
	}
	return "code " + strconv.Itoa(code)
}

// grpcStatusError is a gRPC status other than OK, as a *ServerError whose
// Code is the status's name.
func grpcStatusError(code int, message, service string) error {
	name := grpcCodeName(code)
	status := name
	if message != "" {
		status += ": " + message
	}
	msg := "grpc: " + status
	switch {
	case code == 12:
		msg = "grpc: the server has no health service (" + healthPath + " is " + status + ")"
	case code == 5 && service != "":
		msg = fmt.Sprintf("grpc: the health service does not know service %q (%s)", service, status)
	}
	return &ServerError{Code: name, Msg: msg}
}

// isGRPCContentType reports whether ctype is gRPC's: application/grpc, or
// application/grpc+SUBTYPE or application/grpc;PARAMS (grpc-go's
// ContentSubtype).
func isGRPCContentType(ctype string) bool {
	rest, ok := strings.CutPrefix(strings.ToLower(ctype), "application/grpc")
	return ok && (rest == "" || rest[0] == '+' || rest[0] == ';')
}

// healthRequest is a framed grpc.health.v1.HealthCheckRequest.
func healthRequest(service string) []byte {
	var msg []byte
	if service != "" {
		msg = append(msg, 0x0a) // field 1, bytes
		msg = binary.AppendUvarint(msg, uint64(len(service)))
		msg = append(msg, service...)
	}
	out := make([]byte, 5, 5+len(msg))
	binary.BigEndian.PutUint32(out[1:], uint32(len(msg)))
	return append(out, msg...)
}

// healthStatus reads field 1 of the one framed HealthCheckResponse in body.
func healthStatus(body []byte) (int, error) {
	if len(body) < 5 {
		return 0, fmt.Errorf("%d bytes, no message", len(body))
	}
	if body[0] != 0 {
		return 0, fmt.Errorf("compressed, though probe asked for none")
	}
	n := binary.BigEndian.Uint32(body[1:5])
	msg := body[5:]
	if uint64(n) != uint64(len(msg)) {
		return 0, fmt.Errorf("the frame says %d bytes, %d came", n, len(msg))
	}
	status := 0 // proto3: an absent field is 0, UNKNOWN
	for len(msg) > 0 {
		key, k := binary.Uvarint(msg)
		if k <= 0 {
			return 0, fmt.Errorf("bad field key")
		}
		msg = msg[k:]
		switch field, wire := key>>3, key&7; wire {
		case 0:
			v, k := binary.Uvarint(msg)
			if k <= 0 {
				return 0, fmt.Errorf("bad varint")
			}
			msg = msg[k:]
			if field == 1 {
				status = int(int32(v))
			}
		case 1, 5:
			size := map[uint64]int{1: 8, 5: 4}[wire]
			if len(msg) < size {
				return 0, fmt.Errorf("truncated field")
			}
			msg = msg[size:]
		case 2:
			l, k := binary.Uvarint(msg)
			if k <= 0 || l > uint64(len(msg)-k) {
				return 0, fmt.Errorf("truncated field")
			}
			msg = msg[k+int(l):]
		default:
			return 0, fmt.Errorf("field %d has wire type %d", field, wire)
		}
	}
	return status, nil
}

// grpcTimeout encodes d for the grpc-timeout header: at most 8 digits and
// a unit.
func grpcTimeout(d time.Duration) string {
	ms := max(d.Milliseconds(), 1)
	if ms < 1e8 {
		return strconv.FormatInt(ms, 10) + "m"
	}
	return strconv.FormatInt(min(int64(d.Seconds()), 99999999), 10) + "S"
}

// grpcMessage decodes a grpc-message, which is percent-encoded.
func grpcMessage(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}

// describeGRPCReply is what -v shows of a reply.
func describeGRPCReply(r *h2Reply) string {
	var parts []string
	parts = append(parts, fmt.Sprintf("%s %d", r.protocol, r.status))
	for _, name := range []string{"content-type", "grpc-status", "grpc-message"} {
		v, ok := r.get(name)
		if t, inTrailers := field(r.trailers(), name); inTrailers {
			v, ok = t, true
		}
		if ok && v != "" {
			parts = append(parts, name+": "+sanitize.Clip(sanitize.Printable(v), 80))
		}
	}
	parts = append(parts, fmt.Sprintf("%d bytes", len(r.body)))
	return strings.Join(parts, ", ")
}

// handshakeH2 is the TLS handshake with ALPN h2, which gRPC servers
// require.
func handshakeH2(ctx context.Context, tr *Trace, conn net.Conn, base *tls.Config, serverName string, expiry time.Duration) (*tls.Conn, error) {
	cfg := base.Clone()
	if !slices.Contains(cfg.NextProtos, "h2") {
		// http/1.1 too, so that a server that speaks only it says so,
		// rather than refusing the handshake with an alert.
		cfg.NextProtos = []string{"h2", "http/1.1"}
	}
	tc, err := handshake(ctx, tr, conn, cfg, serverName, expiry)
	if err != nil {
		return nil, err
	}
	// As grpc-go and Go's HTTP/2 client, h2 or nothing: a server that did
	// not choose it by ALPN speaks HTTP/1.1 on this port, if anything.
	if p := tc.ConnectionState().NegotiatedProtocol; p != "h2" {
		tc.Close()
		if p == "" {
			return nil, &TLSError{Msg: "the server did not choose HTTP/2 (h2) by ALPN: it does not speak HTTP/2 on this port"}
		}
		return nil, &TLSError{Msg: fmt.Sprintf("the server chose %q by ALPN, not h2", sanitize.Clip(p, 20))}
	}
	return tc, nil
}
