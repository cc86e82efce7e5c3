package checks_test

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/testserver"
)

// The gRPC health check against net/http's HTTP/2 server and raw HTTP/2
// servers. The same cases against grpc-go itself, and grpc-health-probe
// beside probe, are in e2e/grpc_test.go.
func TestGRPC(t *testing.T) {
	t.Parallel()
	h, p := hostPort(t, serve(t, "grpc", "tcp4", "127.0.0.1:0"))
	th, tp := hostPort(t, serve(t, "grpcs", "tcp4", "127.0.0.1:0"))
	mh, mp := hostPort(t, serve(t, "grpcs-mtls", "tcp4", "127.0.0.1:0"))
	nh, np := hostPort(t, serve(t, "grpc-nohealth", "tcp4", "127.0.0.1:0"))
	httpH, httpP := hostPort(t, serve(t, "http", "tcp4", "127.0.0.1:0"))
	h2cH, h2cP := hostPort(t, serve(t, "h2c", "tcp4", "127.0.0.1:0"))
	silentH, silentP := hostPort(t, serve(t, "silent", "tcp4", "127.0.0.1:0"))
	goawayH, goawayP := hostPort(t, serve(t, "h2-goaway", "tcp4", "127.0.0.1:0"))
	floodH, floodP := hostPort(t, serve(t, "h2-flood", "tcp4", "127.0.0.1:0"))
	endlessH, endlessP := hostPort(t, serve(t, "h2-endless", "tcp4", "127.0.0.1:0"))
	garbageH, garbageP := hostPort(t, serve(t, "garbage", "tcp4", "127.0.0.1:0"))
	certs := testserver.Certs()

	tests := []struct {
		name  string
		check checks.GRPC
		want
	}{
		{name: "serving", check: checks.GRPC{Host: h, Port: p}, want: want{seen: "SERVING"}},
		{name: "a service serving", check: checks.GRPC{Host: h, Port: p, Service: "ready"}, want: want{seen: `SERVING (service "ready")`}},
		{name: "not serving", check: checks.GRPC{Host: h, Port: p, Service: "down"}, want: want{err: `grpc: service "down" is NOT_SERVING`}},
		{name: "status unknown", check: checks.GRPC{Host: h, Port: p, Service: "unknown-status"}, want: want{err: `grpc: service "unknown-status" is UNKNOWN`}},
		{name: "service unknown status", check: checks.GRPC{Host: h, Port: p, Service: "starting"}, want: want{err: `is SERVICE_UNKNOWN`}},
		{name: "a service the health server does not know", check: checks.GRPC{Host: h, Port: p, Service: "nope"},
			want: want{err: `grpc: the health service does not know service "nope" (NOT_FOUND: unknown service)`}},
		{name: "no health service", check: checks.GRPC{Host: nh, Port: np},
			want: want{err: "grpc: the server has no health service (/grpc.health.v1.Health/Check is UNIMPLEMENTED: unknown service grpc.health.v1.Health)"}},
		{name: "metadata is sent", check: checks.GRPC{Host: h, Port: p, Service: "secure", Metadata: []checks.Header{{"authorization", "Bearer s3cret-token"}}}},
		{name: "a status with its message", check: checks.GRPC{Host: h, Port: p, Service: "secure"}, want: want{err: "grpc: UNAUTHENTICATED: missing or wrong token"}},
		{name: "TLS with a CA", check: checks.GRPC{Host: th, Port: tp, TLS: caConfig()}, want: want{seen: "SERVING"}},
		{name: "TLS unknown authority", check: checks.GRPC{Host: th, Port: tp, TLS: &tls.Config{}}, want: want{err: "tls: certificate signed by unknown authority"}},
		{name: "TLS wrong name", check: checks.GRPC{Host: th, Port: tp, TLS: caConfig(), Authority: "other.example"}, want: want{err: `certificate is not valid for "other.example"`}},
		{name: "TLS name from the authority", check: checks.GRPC{Host: th, Port: tp, TLS: caConfig(), Authority: "api.example.com"}},
		{name: "mTLS", check: checks.GRPC{Host: mh, Port: mp, TLS: &tls.Config{RootCAs: certs.CAPool, Certificates: []tls.Certificate{certs.Client}}}},
		{name: "mTLS without a client certificate", check: checks.GRPC{Host: mh, Port: mp, TLS: caConfig()}, want: want{err: "tls: the server refused the connection: certificate required; does it want a client certificate?"}},
		{name: "TLS to a cleartext server", check: checks.GRPC{Host: h, Port: p, TLS: caConfig()}, want: want{err: "tls: the server hung up during the handshake (is the port cleartext, such as plain HTTP/2?)"}},
		{name: "cleartext to a TLS server", check: checks.GRPC{Host: th, Port: tp}, want: want{err: "http2: the server closed the connection during the HTTP/2 handshake (is it a TLS port? then use grpcs://)"}},
		{name: "refused", check: checks.GRPC{Host: "127.0.0.1", Port: "1"}, want: want{err: "connect: connection refused (127.0.0.1:1)"}},
		{name: "silent server", check: checks.GRPC{Host: silentH, Port: silentP}, want: want{timeout: 300 * time.Millisecond, timeoutIn: checks.PhaseHTTP2}},
		{name: "GOAWAY", check: checks.GRPC{Host: goawayH, Port: goawayP}, want: want{err: `http2: the server sent GOAWAY (ENHANCE_YOUR_CALM: "too_many_pings") before answering`}},
		{name: "a PING flood", check: checks.GRPC{Host: floodH, Port: floodP}, want: want{err: "http2: the server sent 10000 frames without finishing the reply"}},
		{name: "a reply that never ends", check: checks.GRPC{Host: endlessH, Port: endlessP}, want: want{timeout: 300 * time.Millisecond, timeoutIn: checks.PhaseResponse}},
		{name: "an HTTP/1.1 server", check: checks.GRPC{Host: httpH, Port: httpP}, want: want{err: `http2: the server does not speak HTTP/2 here: it answered "HTTP/1.1 400 Bad Request"`}},
		{name: "an HTTP/2 server that is not gRPC", check: checks.GRPC{Host: h2cH, Port: h2cP}, want: want{err: "not a gRPC server"}},
		{name: "not HTTP at all", check: checks.GRPC{Host: garbageH, Port: garbageP}, want: want{err: `it sent "SSH-2.0`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expect(t, &tc.check, tc.want)
		})
	}
}

// TestHTTP2 checks --http2 and the error that points to it.
func TestHTTP2(t *testing.T) {
	t.Parallel()
	h2c := serve(t, "h2c", "tcp4", "127.0.0.1:0")
	h2s := serve(t, "grpcs", "tcp4", "127.0.0.1:0") // HTTP/2-only over TLS; a GET gets an HTTP answer
	app := serve(t, "http", "tcp4", "127.0.0.1:0")
	tlsApp := serve(t, "https", "tcp4", "127.0.0.1:0")
	tests := []struct {
		name  string
		check checks.HTTP
		want
	}{
		{name: "h2c with --http2", check: checks.HTTP{URL: mustURL(t, "http://"+h2c+"/healthz"), HTTP2: true,
			ExpectBody: []*regexp.Regexp{regexp.MustCompile(`UP`)}}, want: want{seen: "HTTP 200 OK"}},
		{name: "h2c headers and host", check: checks.HTTP{URL: mustURL(t, "http://"+h2c+"/echo"), HTTP2: true,
			Header:     []checks.Header{{"Host", "api.example.com"}, {"X-Probe", "yes"}},
			ExpectBody: []*regexp.Regexp{regexp.MustCompile(`host=api.example.com\n`), regexp.MustCompile(`X-Probe=yes`), regexp.MustCompile(`proto=HTTP/2.0`)}}},
		{name: "h2c POST with a body", check: checks.HTTP{URL: mustURL(t, "http://"+h2c+"/post-only"), HTTP2: true, Method: "POST", Body: "x"}},
		{name: "h2c status judged", check: checks.HTTP{URL: mustURL(t, "http://"+h2c+"/status/503"), HTTP2: true}, want: want{err: "HTTP 503 Service Unavailable, want 200-399"}},
		{name: "h2c redirect followed", check: checks.HTTP{URL: mustURL(t, "http://"+h2c+"/redirect"), HTTP2: true, MaxRedirects: 2}, want: want{seen: "HTTP 200 OK"}},
		{name: "h2c body over --max-body", check: checks.HTTP{URL: mustURL(t, "http://"+h2c+"/big"), HTTP2: true, MaxBody: 64 << 10}, want: want{err: "response body is larger than 64KiB"}},
		{name: "h2c without --http2 names the flag", check: checks.HTTP{URL: mustURL(t, "http://"+h2c+"/healthz")},
			want: want{err: "http2: the server speaks only HTTP/2 (h2c), and dropped the HTTP/1.1 request: check it over HTTP/2"}},
		{name: "h2 by ALPN over TLS", check: checks.HTTP{URL: mustURL(t, "https://"+h2s+"/"), HTTP2: true, TLS: caConfig(), Status: checks.StatusRanges{{415, 415}}}},
		{name: "--http2 to an HTTP/1.1 server", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/healthz"), HTTP2: true},
			want: want{err: "http2: the server does not speak HTTP/2 here: it answered \"HTTP/1.1 400 Bad Request\""}},
		{name: "an HTTPS server that offers h2 still gets HTTP/1.1", check: checks.HTTP{URL: mustURL(t, "https://"+tlsApp+"/echo"), TLS: caConfig(),
			ExpectBody: []*regexp.Regexp{regexp.MustCompile(`proto=HTTP/1.1`)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expect(t, &tc.check, tc.want)
		})
	}
}

// shortTemp is a directory with a short path, for sockets: a Unix socket
// address holds 108 bytes, and t.TempDir can be longer.
func shortTemp(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sk")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestUnixSockets checks HTTP, gRPC and TCP through Unix sockets, and the
// failures a socket file has.
func TestUnixSockets(t *testing.T) {
	t.Parallel()
	dir := shortTemp(t)
	httpSock := filepath.Join(dir, "http.sock")
	grpcSock := filepath.Join(dir, "grpc.sock")
	redisSock := filepath.Join(dir, "redis.sock")
	serve(t, "http", "unix", httpSock)
	serve(t, "grpc", "unix", grpcSock)
	serve(t, "redis", "unix", redisSock)
	abstract := "@probe-test-" + filepath.Base(dir)
	serve(t, "http", "unix", abstract)

	// A socket file whose server is gone: bind, then close without unlink.
	stale := filepath.Join(dir, "stale.sock")
	l, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	regular := filepath.Join(dir, "file")
	if err := os.WriteFile(regular, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	healthz := mustURL(t, "http://localhost/healthz")
	tests := []struct {
		name  string
		check interface {
			Run(ctx context.Context, tr *checks.Trace) (string, error)
		}
		want
	}{
		{name: "http", check: &checks.HTTP{URL: healthz, Socket: httpSock}, want: want{seen: "HTTP 200 OK"}},
		{name: "http host header from the URL", check: &checks.HTTP{URL: mustURL(t, "http://api.internal/echo"), Socket: httpSock,
			ExpectBody: []*regexp.Regexp{regexp.MustCompile(`host=api.internal\n`)}}},
		{name: "http abstract socket", check: &checks.HTTP{URL: healthz, Socket: abstract}},
		{name: "grpc", check: &checks.GRPC{Host: "localhost", Socket: grpcSock}, want: want{seen: "SERVING"}},
		{name: "grpc not serving", check: &checks.GRPC{Host: "localhost", Socket: grpcSock, Service: "down"}, want: want{err: "NOT_SERVING"}},
		{name: "send and expect", check: &checks.TCP{Socket: redisSock, Send: []byte("PING\r\n"), Expect: []*regexp.Regexp{regexp.MustCompile(`\+PONG`)}}},
		{name: "redis protocol", check: &checks.Redis{Socket: redisSock}, want: want{seen: "PONG"}},
		{name: "no such socket", check: &checks.HTTP{URL: healthz, Socket: filepath.Join(dir, "missing.sock")},
			want: want{err: "connect: no such socket (" + filepath.Join(dir, "missing.sock") + ")"}},
		{name: "a directory on the path is missing", check: &checks.TCP{Socket: filepath.Join(dir, "nodir", "x.sock")}, want: want{err: "connect: no such socket"}},
		{name: "a file on the path", check: &checks.TCP{Socket: filepath.Join(regular, "x.sock")}, want: want{err: "a part of the path is not a directory"}},
		{name: "a stale socket file", check: &checks.TCP{Socket: stale}, want: want{err: "connection refused: a socket file that no server listens on"}},
		{name: "a regular file", check: &checks.TCP{Socket: regular}, want: want{err: "not a socket: the path is a regular file"}},
		{name: "a directory", check: &checks.TCP{Socket: dir}, want: want{err: "not a socket: the path is a directory"}},
		{name: "no abstract socket", check: &checks.TCP{Socket: "@probe-no-such-socket"}, want: want{err: "no server listens on this abstract socket (@probe-no-such-socket)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expect(t, tc.check, tc.want)
		})
	}
}

// The fields a gRPC check sends, read as HPACK off the wire: a -bin
// metadata value is base64 (unpadded, as grpc-go writes it), so that the
// server decodes the bytes typed (issue 35); a user-agent in the metadata
// replaces probe's, and an empty one sends none, as -H does over HTTP.
func TestGRPCRequestFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		check checks.GRPC
		want  []string // name: value, in order, of the fields that are not pseudo-headers; grpc-timeout and content-length left out
	}{
		{name: "defaults", check: checks.GRPC{UserAgent: "probe/1.2"},
			want: []string{"content-type: application/grpc", "te: trailers", "user-agent: probe/1.2"}},
		{name: "no user agent given", check: checks.GRPC{},
			want: []string{"content-type: application/grpc", "te: trailers", "user-agent: probe"}},
		{name: "binary metadata is base64", check: checks.GRPC{UserAgent: "probe/1.2", Metadata: []checks.Header{{"key2-bin", "test"}, {"key1", "value1"}, {"key1", "value2"}}},
			want: []string{"content-type: application/grpc", "te: trailers", "user-agent: probe/1.2", "key2-bin: dGVzdA", "key1: value1", "key1: value2"}},
		{name: "binary metadata, bytes that need padding", check: checks.GRPC{UserAgent: "probe/1.2", Metadata: []checks.Header{{"Trace-Bin", "\x01\x02\xff é"}}},
			want: []string{"content-type: application/grpc", "te: trailers", "user-agent: probe/1.2", "trace-bin: AQL/IMOp"}},
		{name: "a user agent replaces probe's", check: checks.GRPC{UserAgent: "probe/1.2", Metadata: []checks.Header{{"user-agent", "kube-probe/1.34"}}},
			want: []string{"content-type: application/grpc", "te: trailers", "user-agent: kube-probe/1.34"}},
		{name: "an empty user agent sends none", check: checks.GRPC{UserAgent: "probe/1.2", Metadata: []checks.Header{{"User-Agent", ""}, {"x-a", "b"}}},
			want: []string{"content-type: application/grpc", "te: trailers", "x-a: b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan []string, 1)
			host, port := startH2(t, nil, func(h *testserver.H2) {
				var fields []string
				for _, f := range h.Fields {
					if !strings.HasPrefix(f.Name, ":") && f.Name != "grpc-timeout" && f.Name != "content-length" {
						fields = append(fields, f.Name+": "+f.Value)
					}
				}
				got <- fields
				grpcOK(h)
				h.Data(false, testserver.Serving)
				h.Headers(true, "grpc-status", "0")
			})
			tc.check.Host, tc.check.Port = host, port
			expect(t, tc.check, want{seen: "SERVING"})
			if fields := <-got; strings.Join(fields, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("sent\n\t%s\nwant\n\t%s", strings.Join(fields, "\n\t"), strings.Join(tc.want, "\n\t"))
			}
		})
	}
}

// With a TLS server name set (--server-name), grpcs:// verifies that name
// and sends it as :authority, as grpc-go does with grpc-health-probe's
// -tls-server-name; an Authority (-H Host) still sets :authority.
func TestGRPCServerName(t *testing.T) {
	t.Parallel()
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{testserver.Certs().Good}, NextProtos: []string{"h2"}}
	tests := []struct {
		name      string
		check     checks.GRPC
		authority string
		want
	}{
		{name: "the server name is the authority", check: checks.GRPC{TLS: &tls.Config{RootCAs: testserver.Certs().CAPool, ServerName: "api.example.com"}},
			authority: "api.example.com"},
		{name: "-H Host keeps the authority", check: checks.GRPC{TLS: &tls.Config{RootCAs: testserver.Certs().CAPool, ServerName: "api.example.com"}, Authority: "front.example:8443"},
			authority: "front.example:8443"},
		{name: "the server name is verified", check: checks.GRPC{TLS: &tls.Config{RootCAs: testserver.Certs().CAPool, ServerName: "other.example"}, Authority: "api.example.com"},
			want: want{err: `tls: certificate is not valid for "other.example"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan string, 1)
			host, port := startH2(t, tlsCfg, func(h *testserver.H2) {
				got <- h.Request[":authority"]
				grpcOK(h)
				h.Data(false, testserver.Serving)
				h.Headers(true, "grpc-status", "0")
			})
			tc.check.Host, tc.check.Port = host, port
			expect(t, tc.check, tc.want)
			if tc.authority != "" {
				if a := <-got; a != tc.authority {
					t.Errorf(":authority %q, want %q", a, tc.authority)
				}
			}
		})
	}
}
