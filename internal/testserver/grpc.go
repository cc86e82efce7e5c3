package testserver

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The gRPC health services here speak the protocol through net/http's
// HTTP/2 server, so that probe's own tests need no grpc-go; the tests
// against grpc-go itself are in e2e/grpc.

// healthStatuses are the services the test health service knows, and the
// status of each: "" is the server as a whole.
// "secure" wants the metadata authorization: Bearer s3cret-token;
// "blackbox.metadata" and "user-agent" want the metadata of wantMetadata.
var healthStatuses = map[string]int{"": 1, "ready": 1, "helloworld.Greeter": 1, "down": 2, "unknown-status": 0, "starting": 3, "secure": 1,
	"blackbox.metadata": 1, "user-agent": 1}

// GRPCHealth is a handler for grpc.health.v1.Health/Check. With
// implemented false, it answers every method UNIMPLEMENTED, as a gRPC
// server without the health service does.
func GRPCHealth(implemented bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
			http.Error(w, "gRPC requires HTTP/2 and application/grpc", http.StatusUnsupportedMediaType)
			return
		}
		w.Header().Set("Content-Type", "application/grpc")
		w.Header().Set("Trailer", "Grpc-Status, Grpc-Message")
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if !implemented || r.URL.Path != "/grpc.health.v1.Health/Check" {
			w.WriteHeader(http.StatusOK)
			w.Header().Set("Grpc-Status", "12")
			w.Header().Set("Grpc-Message", url.PathEscape("unknown service grpc.health.v1.Health"))
			return
		}
		service, ok := requestedService(body)
		if !ok {
			w.WriteHeader(http.StatusOK)
			w.Header().Set("Grpc-Status", "13")
			w.Header().Set("Grpc-Message", "grpc: error unmarshalling request")
			return
		}
		if md := r.Header.Get("x-wait"); md != "" {
			// A reply that takes its time, up to the request's own deadline.
			d, _ := time.ParseDuration(md)
			time.Sleep(d)
		}
		if service == "evil" {
			// A hostile message: an escape sequence and a line break.
			w.WriteHeader(http.StatusOK)
			w.Header().Set("Grpc-Status", "2")
			w.Header().Set("Grpc-Message", url.PathEscape("\x1b[31mred\x1b[0m\nprobe: healthy"))
			return
		}
		status, known := healthStatuses[service]
		if !known {
			w.WriteHeader(http.StatusOK)
			w.Header().Set("Grpc-Status", "5")
			w.Header().Set("Grpc-Message", "unknown service")
			return
		}
		if why := wantMetadata(service, r.Header); why != "" {
			w.WriteHeader(http.StatusOK)
			w.Header().Set("Grpc-Status", "7") // PERMISSION_DENIED
			w.Header().Set("Grpc-Message", url.PathEscape(why))
			return
		}
		if service == "secure" && r.Header.Get("authorization") != "Bearer s3cret-token" {
			w.WriteHeader(http.StatusOK)
			w.Header().Set("Grpc-Status", "16")
			w.Header().Set("Grpc-Message", "missing or wrong token")
			return
		}
		msg := []byte{0, 0, 0, 0, 2, 0x08, byte(status)}
		if status == 0 {
			msg = []byte{0, 0, 0, 0, 0} // proto3 leaves out a zero field
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(msg)
		w.Header().Set("Grpc-Status", "0")
	})
}

// wantMetadata says what is wrong with the metadata of a check of service,
// as an app's auth interceptor would: for "blackbox.metadata", what
// blackbox_exporter's TestGRPCConnectionWithMetadata sends (key1 twice,
// key2-bin the bytes "test", decoded as grpc-go decodes binary metadata, an
// authorization); for "user-agent", one user-agent, kube-probe's.
func wantMetadata(service string, h http.Header) string {
	switch service {
	case "blackbox.metadata":
		bin := slices.Clone(h.Values("key2-bin"))
		for i, v := range bin {
			enc := base64.RawStdEncoding
			if len(v)%4 == 0 {
				enc = base64.StdEncoding
			}
			b, err := enc.DecodeString(v)
			if err != nil {
				return fmt.Sprintf("malformed binary metadata %q in header key2-bin", v)
			}
			bin[i] = string(b)
		}
		for _, m := range []struct {
			name string
			got  []string
			want []string
		}{{"key1", h.Values("key1"), []string{"value1", "value2"}}, {"key2-bin", bin, []string{"test"}}, {"authorization", h.Values("authorization"), []string{"Bearer token"}}} {
			if !slices.Equal(m.got, m.want) {
				return fmt.Sprintf("metadata %s is %q, want %q", m.name, m.got, m.want)
			}
		}
	case "user-agent":
		if got := h.Values("user-agent"); len(got) != 1 || !strings.HasPrefix(got[0], "kube-probe/") {
			return fmt.Sprintf("user-agent is %q, want one, kube-probe's", got)
		}
	}
	return ""
}

// requestedService reads the service of a framed HealthCheckRequest.
func requestedService(body []byte) (string, bool) {
	if len(body) < 5 || body[0] != 0 || int(binary.BigEndian.Uint32(body[1:5])) != len(body)-5 {
		return "", false
	}
	msg := body[5:]
	if len(msg) == 0 {
		return "", true
	}
	if msg[0] != 0x0a {
		return "", false
	}
	n, k := binary.Uvarint(msg[1:])
	if k <= 0 || int(n) != len(msg)-1-k {
		return "", false
	}
	return string(msg[1+k:]), true
}

// h2Only makes srv speak HTTP/2 only: prior knowledge in cleartext, or h2
// by ALPN over TLS, as a gRPC server does.
func h2Only(srv *http.Server) {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	p.SetHTTP2(true)
	srv.Protocols = &p
}

// goAway answers the HTTP/2 preface with SETTINGS and a GOAWAY that
// refuses every stream, as a server that is shutting down or rejects the
// client does.
func goAway(c net.Conn, stop <-chan struct{}) {
	preface := make([]byte, 24+9)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, preface); err != nil {
		return
	}
	settings := []byte{0, 0, 0, 4, 0, 0, 0, 0, 0}
	debug := "too_many_pings"
	frame := make([]byte, 9+8+len(debug))
	binary.BigEndian.PutUint32(frame[0:], uint32(8+len(debug))<<8)
	frame[3] = 7 // GOAWAY
	// last stream 0, error ENHANCE_YOUR_CALM (11)
	binary.BigEndian.PutUint32(frame[13:], 11)
	copy(frame[17:], debug)
	_, _ = c.Write(append(settings, frame...))
	sleep(time.Second, stop)
}

// h2Flood answers the preface with SETTINGS, then PING frames, forever:
// probe must give up by its frame bound or its deadline.
func h2Flood(c net.Conn, stop <-chan struct{}) {
	preface := make([]byte, 24)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, preface); err != nil {
		return
	}
	go func() { _, _ = io.Copy(io.Discard, c) }()
	_, _ = c.Write([]byte{0, 0, 0, 4, 0, 0, 0, 0, 0})
	ping := []byte{0, 0, 8, 6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}
	for {
		select {
		case <-stop:
			return
		default:
		}
		if _, err := c.Write(ping); err != nil {
			return
		}
	}
}

// h2Endless answers a gRPC call with its headers, then a message that never
// ends: probe must stop at its deadline and say it was reading the reply.
func h2Endless(c net.Conn, stop <-chan struct{}) {
	preface := make([]byte, 24)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, preface); err != nil {
		return
	}
	go func() { _, _ = io.Copy(io.Discard, c) }()
	// SETTINGS; HEADERS on stream 1 with :status 200 (HPACK index 8) and
	// no END_STREAM; then one byte of a message that says it has five.
	_, _ = c.Write([]byte{0, 0, 0, 4, 0, 0, 0, 0, 0,
		0, 0, 1, 1, 4, 0, 0, 0, 1, 0x88,
		0, 0, 1, 0, 0, 0, 0, 0, 1, 0})
	sleep(time.Minute, stop)
}
