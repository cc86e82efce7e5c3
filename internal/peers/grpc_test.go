package peers

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"io"
	"log"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/probe-sh/probe/internal/testserver"
)

// The gRPC health servers speak the protocol through net/http's HTTP/2
// server, as internal/testserver's do, so that the tests need no grpc-go.

// The serving statuses of grpc.health.v1.HealthCheckResponse.
const (
	serving    = 1
	notServing = 2
)

// health is one gRPC health service: the status of every service it
// knows ("" is the server as a whole), or one status for all (every), and
// what it checks of a call before answering.
type health struct {
	statuses map[string]int
	every    int                                          // when not 0, the status of any service
	none     bool                                         // no health service: UNIMPLEMENTED
	wait     time.Duration                                // answer this late, or when the client leaves
	check    func(r *http.Request) (code int, msg string) // a gRPC status other than 0 refuses the call
}

func (h health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor != 2 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
		http.Error(w, "gRPC requires HTTP/2 and application/grpc", http.StatusUnsupportedMediaType)
		return
	}
	w.Header().Set("Content-Type", "application/grpc")
	w.Header().Set("Trailer", "Grpc-Status, Grpc-Message")
	answer := func(code int, msg string, body []byte) {
		w.WriteHeader(http.StatusOK)
		w.Write(body)
		w.Header().Set("Grpc-Status", strconv.Itoa(code))
		if msg != "" {
			w.Header().Set("Grpc-Message", url.PathEscape(msg))
		}
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if h.none || r.URL.Path != "/grpc.health.v1.Health/Check" {
		answer(12, "unknown service grpc.health.v1.Health", nil)
		return
	}
	service, ok := requestedService(body)
	if !ok {
		answer(13, "grpc: error unmarshalling request", nil)
		return
	}
	if h.check != nil {
		if code, msg := h.check(r); code != 0 {
			answer(code, msg, nil)
			return
		}
	}
	if h.wait > 0 {
		select {
		case <-time.After(h.wait):
		case <-r.Context().Done():
			return
		}
	}
	status, known := h.statuses[service]
	if h.every != 0 {
		status, known = h.every, true
	}
	if !known {
		answer(5, "unknown service", nil)
		return
	}
	answer(0, "", []byte{0, 0, 0, 0, 2, 0x08, byte(status)})
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

// grpcHealth is grpc-go's health.NewServer with the services the peers'
// tests register: the server as a whole serves, and so does "service".
var grpcHealth = map[string]int{"": serving, "service": serving, "service1": serving, "service2": notServing,
	"helloworld.Greeter": serving}

// wantMetadata is blackbox_exporter's TestGRPCConnectionWithMetadata: two
// values of key1, a binary value, and a token. grpc-go decodes a -bin
// value from base64, as gRPC's wire format says.
func wantMetadata(r *http.Request) (int, string) {
	if v := r.Header.Values("key1"); !slices.Equal(v, []string{"value1", "value2"}) {
		return 3, "key1: want value1 and value2"
	}
	if v := r.Header.Values("key2-bin"); len(v) != 1 {
		return 3, "key2-bin: want one value"
	} else if b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(v[0], "=")); err != nil || string(b) != "test" {
		return 13, "key2-bin: malformed binary metadata"
	}
	if r.Header.Get("authorization") != "Bearer token" {
		return 16, "authorization: want Bearer token"
	}
	return 0, ""
}

// wantUserAgent accepts a call with one user-agent that starts with
// my-probe/1.0: grpc-go puts its own after the application's.
func wantUserAgent(r *http.Request) (int, string) {
	if v := r.Header.Values("User-Agent"); len(v) != 1 || !strings.HasPrefix(v[0], "my-probe/1.0") {
		return 7, "want one user-agent, my-probe/1.0; got " + strings.Join(v, " | ")
	}
	return 0, ""
}

// serveGRPC serves h over HTTP/2 only: cleartext (h2c), or h2 over TLS.
func serveGRPC(l listener, cfg func() *tls.Config, h health) func(*env) (string, func(), error) {
	return func(*env) (string, func(), error) {
		ln, err := l.listen()
		if err != nil {
			return "", nil, err
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
		p := new(http.Protocols)
		if cfg == nil {
			p.SetUnencryptedHTTP2(true)
		} else {
			p.SetHTTP2(true)
			srv.TLSConfig = cfg()
		}
		srv.Protocols = p
		go func() {
			if cfg != nil {
				srv.ServeTLS(ln, "", "")
				return
			}
			srv.Serve(ln)
		}()
		return ln.Addr().String(), func() { srv.Close() }, nil
	}
}

func grpcTLS() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{testserver.Certs().Good}}
}

func grpcMTLS() *tls.Config {
	p := testserver.Certs()
	return &tls.Config{Certificates: []tls.Certificate{p.Good}, ClientCAs: p.CAPool, ClientAuth: tls.RequireAndVerifyClientCert}
}

func init() {
	for name, s := range map[string]server{
		"grpc-serving":     {"gRPC health: SERVING for any service", serveGRPC(plain, nil, health{every: serving})},
		"grpc-not-serving": {"gRPC health: NOT_SERVING for any service", serveGRPC(plain, nil, health{every: notServing})},
		"grpc-slow":        {"gRPC health: SERVING, after 4 s", serveGRPC(plain, nil, health{every: serving, wait: 4 * time.Second})},
		"grpc-slow-2s":     {"gRPC health: SERVING, after 2 s", serveGRPC(plain, nil, health{every: serving, wait: 2 * time.Second})},
		"grpc-health": {"gRPC health as grpc-go's `health.NewServer`: the server (`\"\"`), `service`, `service1` and `helloworld.Greeter` SERVING, `service2` NOT_SERVING, any other NOT_FOUND",
			serveGRPC(plain, nil, health{statuses: grpcHealth})},
		"grpcs-health": {"the same over TLS, a certificate of the test CA (`ca.pem`) for localhost, 127.0.0.1 and api.example.com",
			serveGRPC(plain, grpcTLS, health{statuses: grpcHealth})},
		"grpcs-mtls": {"the same, and it requires a client certificate of the test CA",
			serveGRPC(plain, grpcMTLS, health{statuses: grpcHealth})},
		"grpc-unix": {"the same gRPC health, on a Unix socket", serveGRPC(unixSocket, nil, health{statuses: grpcHealth})},
		"grpc-none": {"a gRPC server without the health service: UNIMPLEMENTED", serveGRPC(plain, nil, health{none: true})},
		"grpc-metadata": {"gRPC health that serves only a call with `key1` twice (`value1`, `value2`), `key2-bin` the base64 of `test`, as gRPC's wire sends binary values, and `authorization: Bearer token`",
			serveGRPC(plain, nil, health{statuses: grpcHealth, check: wantMetadata})},
		"grpc-user-agent": {"gRPC health that serves only a call with one `user-agent`, starting `my-probe/1.0`",
			serveGRPC(plain, nil, health{statuses: grpcHealth, check: wantUserAgent})},
	} {
		servers[name] = s
	}
}
