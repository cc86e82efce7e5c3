package checks_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/zlib"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/testserver"
)

// serve starts a test server of kind on loopback and stops it with the test.
func serve(t *testing.T, kind, network, addr string) string {
	t.Helper()
	s, err := testserver.Start(kind, network, addr)
	if err != nil {
		t.Fatalf("start %s server: %v", kind, err)
	}
	t.Cleanup(s.Close)
	return s.Addr
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func caConfig() *tls.Config { return &tls.Config{RootCAs: testserver.Certs().CAPool} }

// want is what a table case expects of one check: healthy (the zero value,
// optionally with what it saw), an error containing err, or a timeout in a
// given phase.
type want struct {
	timeout   time.Duration // the deadline; 5s when zero
	err       string
	timeoutIn string
	seen      string
}

// expect runs c and checks the outcome against w.
func expect(t *testing.T, c interface {
	Run(context.Context, *checks.Trace) (string, error)
}, w want) {
	t.Helper()
	if w.timeout == 0 {
		w.timeout = 5 * time.Second
	}
	seen, tr, err := runCheck(t, c, w.timeout)
	t.Logf("error: %v", err)
	switch {
	case w.timeoutIn != "":
		if !checks.IsTimeout(err) {
			t.Fatalf("want a timeout, got %v", err)
		}
		if tr.Snapshot().Phase != w.timeoutIn {
			t.Errorf("timed out in phase %q, want %q", tr.Snapshot().Phase, w.timeoutIn)
		}
	case w.err == "":
		if err != nil {
			t.Fatalf("want healthy, got %v", err)
		}
		if w.seen != "" && seen != w.seen {
			t.Errorf("seen %q, want %q", seen, w.seen)
		}
	default:
		if err == nil {
			t.Fatalf("want an error containing %q, got healthy (%s)", w.err, seen)
		}
		if !strings.Contains(err.Error(), w.err) {
			t.Fatalf("error %q does not contain %q", err, w.err)
		}
		if strings.ContainsAny(err.Error(), "\r\n") {
			t.Errorf("error spans lines: %q", err)
		}
	}
}

// runCheck runs c under a deadline and fails the test if c overstays it.
func runCheck(t *testing.T, c interface {
	Run(context.Context, *checks.Trace) (string, error)
}, timeout time.Duration) (string, *checks.Trace, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tr := checks.NewTrace()
	start := time.Now()
	seen, err := c.Run(ctx, tr)
	// A correctness bound, not a speed measurement: a check must not hang past its deadline.
	if el := time.Since(start); el > timeout+time.Second {
		t.Errorf("check returned %s after its %s deadline", el-timeout, timeout)
	}
	return seen, tr, err
}

func TestHTTP(t *testing.T) {
	t.Parallel()
	app := serve(t, "http", "tcp4", "127.0.0.1:0")
	_, appPort, _ := strings.Cut(app, ":")
	v6 := serve(t, "http", "tcp6", "[::1]:0")
	_, v6Port, _ := strings.Cut(strings.TrimPrefix(v6, "[::1]"), ":")
	tlsApp := serve(t, "https", "tcp4", "127.0.0.1:0")
	mtls := serve(t, "https-mtls", "tcp4", "127.0.0.1:0")
	p := testserver.Certs()

	tests := []struct {
		name  string
		check checks.HTTP
		want
	}{
		{name: "healthy", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/healthz")}, want: want{seen: "HTTP 200 OK"}},
		{name: "localhost reaches an IPv4 server", check: checks.HTTP{URL: mustURL(t, "http://localhost:"+appPort+"/healthz")}},
		{name: "localhost reaches an IPv6-only server", check: checks.HTTP{URL: mustURL(t, "http://localhost:"+v6Port+"/healthz")}},
		{name: "ipv6 literal", check: checks.HTTP{URL: mustURL(t, "http://"+v6+"/healthz")}},
		{name: "503 fails", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/status/503")}, want: want{err: "HTTP 503 Service Unavailable, want 200-399"}},
		{name: "status list accepts 503", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/status/503"), Status: checks.StatusRanges{{200, 299}, {503, 503}}}},
		{name: "3xx passes by default without following", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/redirect")}, want: want{seen: "HTTP 302 Found"}},
		{name: "3xx fails a strict status", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/redirect"), Status: checks.StatusRanges{{200, 299}}}, want: want{err: "HTTP 302 Found, want 200-299"}},
		{name: "redirect followed", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/redirect"), MaxRedirects: 3, ExpectBody: []*regexp.Regexp{regexp.MustCompile(`UP`)}}, want: want{seen: "HTTP 200 OK"}},
		{name: "redirect loop", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/loop"), MaxRedirects: 10}, want: want{err: "redirect loop"}},
		{name: "self redirect", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/self"), MaxRedirects: 1}, want: want{err: "redirect loop"}},
		{name: "too many redirects", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/loop"), MaxRedirects: 1}, want: want{err: "too many redirects"}},
		{name: "expect body matches", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/healthz"), ExpectBody: []*regexp.Regexp{regexp.MustCompile(`"status":"UP"`)}}},
		{name: "expect body does not match", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/healthz"), ExpectBody: []*regexp.Regexp{regexp.MustCompile(`DOWN`)}}, want: want{err: `does not match "DOWN"`}},
		{name: "reject body matches", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/healthz"), RejectBody: []*regexp.Regexp{regexp.MustCompile(`UP`)}}, want: want{err: `matches "UP"`}},
		{name: "method and body", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/post-only"), Method: "POST", Body: "x"}},
		{name: "wrong method", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/post-only")}, want: want{err: "HTTP 405"}},
		{name: "host header is sent", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/echo"), Header: []checks.Header{{"Host", "api.example.com"}}, ExpectBody: []*regexp.Regexp{regexp.MustCompile(`host=api.example.com\n`)}}},
		{name: "custom header is sent", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/echo"), Header: []checks.Header{{"X-Probe", "yes"}}, ExpectBody: []*regexp.Regexp{regexp.MustCompile(`X-Probe=yes`)}}},
		{name: "userinfo becomes basic auth", check: checks.HTTP{URL: mustURL(t, "http://u:secret@"+app+"/echo"), ExpectBody: []*regexp.Regexp{regexp.MustCompile(`Authorization=Basic dTpzZWNyZXQ=`)}}},
		{name: "body over --max-body", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/big"), MaxBody: 1 << 20}, want: want{err: "larger than 1MiB"}},
		{name: "https verified with CA", check: checks.HTTP{URL: mustURL(t, "https://"+tlsApp+"/healthz"), TLS: caConfig()}},
		{name: "https host header sets SNI", check: checks.HTTP{URL: mustURL(t, "https://"+tlsApp+"/echo"), TLS: caConfig(), Header: []checks.Header{{"Host", "api.example.com"}}, ExpectBody: []*regexp.Regexp{regexp.MustCompile(`sni=api.example.com`)}}},
		{name: "https unknown CA", check: checks.HTTP{URL: mustURL(t, "https://"+tlsApp+"/healthz")}, want: want{err: "certificate signed by unknown authority"}},
		{name: "https insecure", check: checks.HTTP{URL: mustURL(t, "https://"+serve(t, "https-selfsigned", "tcp4", "127.0.0.1:0")+"/healthz"), TLS: &tls.Config{InsecureSkipVerify: true}}},
		{name: "https self-signed", check: checks.HTTP{URL: mustURL(t, "https://"+serve(t, "https-selfsigned", "tcp4", "127.0.0.1:0")+"/healthz"), TLS: caConfig()}, want: want{err: "unknown authority"}},
		{name: "https expired", check: checks.HTTP{URL: mustURL(t, "https://"+serve(t, "https-expired", "tcp4", "127.0.0.1:0")+"/healthz"), TLS: caConfig()}, want: want{err: "tls: certificate expired at"}},
		{name: "https wrong host", check: checks.HTTP{URL: mustURL(t, "https://"+serve(t, "https-wronghost", "tcp4", "127.0.0.1:0")+"/healthz"), TLS: caConfig()}, want: want{err: `certificate is not valid for "127.0.0.1"`}},
		{name: "mtls with client cert", check: checks.HTTP{URL: mustURL(t, "https://"+mtls+"/healthz"), TLS: &tls.Config{RootCAs: p.CAPool, Certificates: []tls.Certificate{p.Client}}}},
		{name: "mtls without client cert", check: checks.HTTP{URL: mustURL(t, "https://"+mtls+"/healthz"), TLS: caConfig()}, want: want{err: "tls"}},
		{name: "refused", check: checks.HTTP{URL: mustURL(t, "http://127.0.0.1:1/")}, want: want{err: "connect: connection refused"}},
		{name: "name resolved through DNS", check: checks.HTTP{URL: mustURL(t, "http://app.test:"+appPort+"/healthz")}, want: want{seen: "HTTP 200 OK"}},
		{name: "unresolvable host", check: checks.HTTP{URL: mustURL(t, "http://no-such-host.invalid/")}, want: want{err: `dns: no such host "no-such-host.invalid"`}},
		{name: "silent server", check: checks.HTTP{URL: mustURL(t, "http://"+serve(t, "silent", "tcp4", "127.0.0.1:0")+"/")}, want: want{timeout: 300 * time.Millisecond, timeoutIn: checks.PhaseFirstByte}},
		{name: "dripping headers", check: checks.HTTP{URL: mustURL(t, "http://"+serve(t, "drip", "tcp4", "127.0.0.1:0")+"/")}, want: want{timeout: 300 * time.Millisecond, timeoutIn: checks.PhaseResponse}},
		{name: "endless body", check: checks.HTTP{URL: mustURL(t, "http://"+serve(t, "endless", "tcp4", "127.0.0.1:0")+"/"), MaxBody: 64 << 10}, want: want{err: "larger than 64KiB"}},
		{name: "oversized headers", check: checks.HTTP{URL: mustURL(t, "http://"+serve(t, "bigheaders", "tcp4", "127.0.0.1:0")+"/")}, want: want{err: "response headers are larger than 16KiB"}},
		{name: "garbage", check: checks.HTTP{URL: mustURL(t, "http://"+serve(t, "garbage", "tcp4", "127.0.0.1:0")+"/")}, want: want{err: `not an HTTP response: it starts with "SSH-2.0`}},
		{name: "reset mid-response", check: checks.HTTP{URL: mustURL(t, "http://"+serve(t, "reset", "tcp4", "127.0.0.1:0")+"/")}, want: want{err: "in the middle of the response"}},
		{name: "empty reply", check: checks.HTTP{URL: mustURL(t, "http://"+serve(t, "empty", "tcp4", "127.0.0.1:0")+"/")}, want: want{err: "empty reply"}},
		{name: "https to a plain http server", check: checks.HTTP{URL: mustURL(t, "https://"+app+"/")}, want: want{err: "did not answer with TLS"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expect(t, &tc.check, tc.want)
		})
	}
}

func TestHTTPPhases(t *testing.T) {
	t.Parallel()
	addr := serve(t, "https", "tcp4", "127.0.0.1:0")
	_, port, _ := strings.Cut(addr, ":")
	_, tr, err := runCheck(t, &checks.HTTP{URL: mustURL(t, "https://localhost:"+port+"/healthz"), TLS: caConfig()}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range tr.Snapshot().Marks {
		got = append(got, m.Phase)
	}
	if want := "connect,tls,first byte,response"; strings.Join(got, ",") != want {
		t.Errorf("phases %q, want %q", got, want)
	}
	// A name that needs DNS adds the dns phase; localhost above did not.
	_, tr, err = runCheck(t, &checks.HTTP{URL: mustURL(t, "https://app.test:"+port+"/healthz"), TLS: &tls.Config{RootCAs: testserver.Certs().CAPool, ServerName: "localhost"}}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if marks := tr.Snapshot().Marks; len(marks) == 0 || marks[0].Phase != checks.PhaseDNS {
		t.Errorf("phases %v, want dns first", marks)
	}
}

func TestStatusRanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    string
		wantErr bool
		in204   bool
	}{
		{in: "200-299,304", want: "200-299,304", in204: true},
		{in: "200", want: "200"},
		{in: " 200 - 204 ", want: "200-204", in204: true},
		{in: "299-200", wantErr: true},
		{in: "abc", wantErr: true},
		{in: "600", wantErr: true},
		{in: "", wantErr: true},
		{in: "200,", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var r checks.StatusRanges
			err := r.UnmarshalText([]byte(tc.in))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("want an error, got %v", r)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.String() != tc.want {
				t.Errorf("got %q, want %q", r, tc.want)
			}
			if r.Contains(204) != tc.in204 {
				t.Errorf("Contains(204) = %v", r.Contains(204))
			}
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"http://user:secret@127.0.0.1:8080/x": "http://***@127.0.0.1:8080/x",
		"http://token@host/":                  "http://***@host/",
		"http://host/":                        "http://host/",
	} {
		if got := sanitize.Redact(mustURL(t, in)); got != want {
			t.Errorf("sanitize.Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// headerMatch is NAME[?][: REGEXP], as --expect-header writes it.
func headerMatch(s string) []checks.HeaderMatch {
	name, pattern, _ := strings.Cut(s, ":")
	m := checks.HeaderMatch{Name: strings.TrimSpace(name)}
	m.Name, m.Optional = strings.CutSuffix(m.Name, "?")
	if pattern = strings.TrimSpace(pattern); pattern != "" {
		m.Pattern = regexp.MustCompile(pattern)
	}
	return []checks.HeaderMatch{m}
}

// rawHTTP serves reply, as it is, to every connection, once the request's
// header block has come, and closes the connection.
func rawHTTP(t *testing.T, reply string) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				io.WriteString(c, reply) //nolint:errcheck
			}()
		}
	}()
	return ln.Addr().String()
}

// TestHTTPHeadersAsSent: --expect-header and --reject-header judge the
// fields the server sent, byte for byte, not those fasthttp fills in (a
// default Content-Type, a Connection: close) or folds (the last of two
// Content-Type fields, Transfer-Encoding in lower case); on HTTP/2 too.
func TestHTTPHeadersAsSent(t *testing.T) {
	t.Parallel()
	app := serve(t, "http", "tcp4", "127.0.0.1:0")
	h2c := serve(t, "h2c", "tcp4", "127.0.0.1:0")
	hm := headerMatch
	raw := func(head string) *url.URL {
		return mustURL(t, "http://"+rawHTTP(t, "HTTP/1.1 200 OK\r\n"+head+"\r\n")+"/")
	}
	tests := []struct {
		name  string
		check checks.HTTP
		want
	}{
		{name: "no Content-Type fails --expect-header Content-Type", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/no-content-type"), ExpectHeader: hm("Content-Type")},
			want: want{err: "HTTP 200, but the reply has no Content-Type header"}},
		{name: "no Content-Type passes --reject-header Content-Type", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/no-content-type"), RejectHeader: hm("Content-Type")}},
		{name: "no Content-Type is not text/plain", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/no-content-type"), RejectHeader: hm("Content-Type: text/plain")}},
		{name: "an empty Content-Type is empty", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/empty-content-type"), ExpectHeader: hm("Content-Type: ^$")}},
		{name: "an empty Content-Type is not the default", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/empty-content-type"), ExpectHeader: hm("Content-Type: text/plain")},
			want: want{err: `HTTP 200, but Content-Type is "", which does not match "text/plain"`}},
		{name: "h2 no Content-Type fails --expect-header Content-Type", check: checks.HTTP{URL: mustURL(t, "http://"+h2c+"/no-content-type"), HTTP2: true, ExpectHeader: hm("Content-Type")},
			want: want{err: "HTTP 200, but the reply has no Content-Type header"}},
		{name: "h2 an empty Content-Type is empty", check: checks.HTTP{URL: mustURL(t, "http://"+h2c+"/empty-content-type"), HTTP2: true, ExpectHeader: hm("Content-Type: ^$")}},
		{name: "the first of two Content-Type fields counts", check: checks.HTTP{URL: raw("Content-Type: application/json\r\nContent-Type: text/html\r\nContent-Length: 0\r\n"), ExpectHeader: hm("Content-Type: json")}},
		{name: "either of two Content-Type fields is rejected", check: checks.HTTP{URL: raw("Content-Type: application/json\r\nContent-Type: text/html\r\nContent-Length: 0\r\n"), RejectHeader: hm("Content-Type: json")},
			want: want{err: "HTTP 200, but the reply has Content-Type: \"application/json\""}},
		{name: "a Connection: close never sent is not there", check: checks.HTTP{URL: raw("X-Body: to the close\r\n\r\nok"), RejectHeader: hm("Connection")}},
		{name: "Connection: close as sent", check: checks.HTTP{URL: raw("Connection: close\r\nContent-Length: 0\r\n"), ExpectHeader: hm("Connection: ^close$")}},
		{name: "Transfer-Encoding as sent", check: checks.HTTP{URL: raw("Transfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n"), ExpectHeader: hm("Transfer-Encoding: ^Chunked$")}},
		{name: "the last of two Server fields is not the only one", check: checks.HTTP{URL: raw("Server: nginx\r\nServer: envoy\r\nContent-Length: 0\r\n"), ExpectHeader: hm("Server: nginx")}},
		{name: "Content-Length as sent", check: checks.HTTP{URL: raw("Content-Length: 2\r\n\r\nok"), ExpectHeader: hm("Content-Length: ^2$")}},
		{name: "no Content-Length when none was sent", check: checks.HTTP{URL: raw("Connection: close\r\n\r\nok"), RejectHeader: hm("Content-Length")}},
		{name: "Set-Cookie as sent, each", check: checks.HTTP{URL: raw("Set-Cookie: a=1\r\nSet-Cookie: b=2; Path=/\r\nContent-Length: 0\r\n"), ExpectHeader: hm("Set-Cookie: ^b=2; Path=/$")}},
		{name: "Date as sent", check: checks.HTTP{URL: raw("Date: Tue, 15 Nov 1994 08:12:31 GMT\r\nContent-Length: 0\r\n"), ExpectHeader: hm("Date: ^Tue, 15 Nov 1994 08:12:31 GMT$")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expect(t, &tc.check, tc.want)
		})
	}
}

// TestHTTPRequestHeaders: probe sends Accept: */* as curl, wget and the
// kubelet do, and -H 'Name:' with an empty value removes a field probe
// sends itself (User-Agent, Accept, the userinfo's Authorization), as
// with curl and the kubelet; any other is sent empty; on HTTP/1.1 and
// HTTP/2 alike.
func TestHTTPRequestHeaders(t *testing.T) {
	t.Parallel()
	servers := map[string]string{"HTTP/1.1": serve(t, "http", "tcp4", "127.0.0.1:0"), "HTTP/2": serve(t, "h2c", "tcp4", "127.0.0.1:0")}
	re := func(s ...string) []*regexp.Regexp {
		var out []*regexp.Regexp
		for _, p := range s {
			out = append(out, regexp.MustCompile(p))
		}
		return out
	}
	tests := []struct {
		name   string
		path   string
		header []checks.Header
		expect []*regexp.Regexp
		reject []*regexp.Regexp
		want
	}{
		{name: "Accept */* by default", path: "/echo", expect: re(`(?m)^Accept=\*/\*$`)},
		{name: "a content-negotiating app answers", path: "/accept-json", want: want{seen: "HTTP 200 OK"}},
		{name: "-H Accept replaces it", path: "/echo", header: []checks.Header{{"Accept", "application/json"}}, expect: re(`(?m)^Accept=application/json$`)},
		{name: "-H 'Accept:' removes it", path: "/echo", header: []checks.Header{{"Accept", ""}}, reject: re(`(?m)^Accept=`)},
		{name: "-H 'User-Agent:' removes it", path: "/echo", header: []checks.Header{{"User-Agent", ""}}, reject: re(`(?m)^User-Agent=`)},
		{name: "-H 'Authorization:' removes the userinfo's", path: "/echo", header: []checks.Header{{"Authorization", ""}}, reject: re(`(?m)^Authorization=`)},
		{name: "the userinfo's Authorization", path: "/echo", expect: re(`(?m)^Authorization=Basic dTpzZWNyZXQ=$`)},
		{name: "-H 'X-Empty:' is sent empty", path: "/echo", header: []checks.Header{{"X-Empty", ""}}, expect: re(`(?m)^X-Empty=$`)},
		{name: "-H twice sends both", path: "/echo", header: []checks.Header{{"X-Twice", "1"}, {"X-Twice", "2"}}, expect: re(`(?m)^X-Twice=1,2$`)},
	}
	for proto, addr := range servers {
		for _, tc := range tests {
			t.Run(proto+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				c := checks.HTTP{URL: mustURL(t, "http://u:secret@"+addr+tc.path), HTTP2: proto == "HTTP/2", Header: tc.header, ExpectBody: tc.expect, RejectBody: tc.reject}
				expect(t, &c, tc.want)
			})
		}
	}
}

// TestHTTPSameHostRedirects: the kubelet's httpGet policy. Redirects to the
// same host name are followed, on any port; a redirect to another host is
// the final response, judged by the status.
func TestHTTPSameHostRedirects(t *testing.T) {
	t.Parallel()
	app := serve(t, "http", "tcp4", "127.0.0.1:0")
	other := serve(t, "http", "tcp4", "127.0.0.1:0")
	_, appPort, _ := strings.Cut(app, ":")
	to := func(base, loc string) *url.URL {
		return mustURL(t, "http://"+base+"/redirect-to?url="+url.QueryEscape(loc))
	}
	tests := []struct {
		name  string
		check checks.HTTP
		want
	}{
		{name: "same host followed", check: checks.HTTP{URL: to(app, "/healthz"), MaxRedirects: 10, SameHostRedirects: true}, want: want{seen: "HTTP 200 OK"}},
		{name: "same host, failing target", check: checks.HTTP{URL: to(app, "/status/500"), MaxRedirects: 10, SameHostRedirects: true}, want: want{err: "HTTP 500"}},
		{name: "same host name, another port, followed", check: checks.HTTP{URL: to(app, "http://"+other+"/status/500"), MaxRedirects: 10, SameHostRedirects: true}, want: want{err: "HTTP 500"}},
		{name: "another host not followed, passes", check: checks.HTTP{URL: to(app, "http://0.0.0.0/fail"), MaxRedirects: 10, SameHostRedirects: true},
			want: want{seen: "HTTP 302 Found, a redirect to another host (0.0.0.0), not followed"}},
		{name: "localhost is another host than 127.0.0.1", check: checks.HTTP{URL: to(app, "http://localhost:"+appPort+"/status/500"), MaxRedirects: 10, SameHostRedirects: true},
			want: want{seen: "HTTP 302 Found, a redirect to another host (localhost), not followed"}},
		{name: "another host, judged by --status", check: checks.HTTP{URL: to(app, "http://0.0.0.0/fail"), MaxRedirects: 10, SameHostRedirects: true, Status: checks.StatusRanges{{200, 299}}},
			want: want{err: "HTTP 302 Found, want 200-299"}},
		{name: "another host after a same-host one", check: checks.HTTP{URL: to(app, "/redirect-to?url="+url.QueryEscape("http://0.0.0.0/")), MaxRedirects: 10, SameHostRedirects: true},
			want: want{seen: "HTTP 302 Found, a redirect to another host (0.0.0.0), not followed"}},
		{name: "another host at the limit is still the answer", check: checks.HTTP{URL: to(app, "http://0.0.0.0/"), MaxRedirects: 0, SameHostRedirects: true},
			want: want{seen: "HTTP 302 Found"}},
		{name: "a loop fails", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/loop"), MaxRedirects: 10, SameHostRedirects: true}, want: want{err: "redirect loop"}},
		{name: "without the policy, another host is followed", check: checks.HTTP{URL: to(app, "http://localhost:"+appPort+"/status/500"), MaxRedirects: 10},
			want: want{err: "HTTP 500"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expect(t, &tc.check, tc.want)
		})
	}
}

// TestHTTPContentEncoding: a body the server compressed although probe
// never asked is decoded (gzip, deflate, stacked) before --expect-body and
// --expect-json, within --max-body; any other coding fails in one line,
// never as a confusing mismatch; a body without Content-Encoding is never
// decoded.
func TestHTTPContentEncoding(t *testing.T) {
	t.Parallel()
	app := serve(t, "http", "tcp4", "127.0.0.1:0")
	h2c := serve(t, "h2c", "tcp4", "127.0.0.1:0")
	up := []byte(`{"status":"UP"}`)
	zl := func(b []byte) []byte {
		var buf bytes.Buffer
		w := zlib.NewWriter(&buf)
		w.Write(b) //nolint:errcheck
		w.Close()  //nolint:errcheck
		return buf.Bytes()
	}
	fl := func(b []byte) []byte {
		var buf bytes.Buffer
		w, _ := flate.NewWriter(&buf, flate.BestCompression)
		w.Write(b) //nolint:errcheck
		w.Close()  //nolint:errcheck
		return buf.Bytes()
	}
	raw := func(encoding string, body []byte) *url.URL {
		head := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n", len(body))
		if encoding != "" {
			head += "Content-Encoding: " + encoding + "\r\n"
		}
		return mustURL(t, "http://"+rawHTTP(t, head+"\r\n"+string(body))+"/")
	}
	bomb := testserver.Gzip(make([]byte, 8<<20))
	corrupt := testserver.Gzip(up)
	corrupt[len(corrupt)-6] ^= 0xff // the CRC
	gzUP := testserver.Gzip(up)
	isUP := []*regexp.Regexp{regexp.MustCompile(`"status":"UP"`)}
	jsonUP := []checks.JSONAssertion{mustJSON(t, "status=UP")}
	tests := []struct {
		name  string
		check checks.HTTP
		want
	}{
		{name: "gzip, asked for nothing", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/gzip"), ExpectBody: isUP}},
		{name: "gzip, --expect-json", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/gzip"), ExpectJSON: jsonUP}},
		{name: "gzip, --reject-body", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/gzip"), RejectBody: isUP}, want: want{err: `HTTP 200, but the body matches "\"status\":\"UP\""`}},
		{name: "gzip twice", check: checks.HTTP{URL: mustURL(t, "http://"+app+"/gzip-gzip"), ExpectBody: isUP}},
		{name: "gzip over HTTP/2", check: checks.HTTP{URL: mustURL(t, "http://"+h2c+"/gzip"), HTTP2: true, ExpectJSON: jsonUP}},
		{name: "gzip in two fields", check: checks.HTTP{URL: mustURL(t, "http://"+rawHTTP(t, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s", len(testserver.Gzip(gzUP)), testserver.Gzip(gzUP)))+"/"), ExpectBody: isUP}},
		{name: "x-gzip", check: checks.HTTP{URL: raw("x-gzip", gzUP), ExpectBody: isUP}},
		{name: "deflate (zlib)", check: checks.HTTP{URL: raw("deflate", zl(up)), ExpectBody: isUP}},
		{name: "deflate (raw, as some servers send it)", check: checks.HTTP{URL: raw("Deflate", fl(up)), ExpectBody: isUP}},
		{name: "identity", check: checks.HTTP{URL: raw("identity", up), ExpectBody: isUP}},
		{name: "no Content-Encoding: never decoded", check: checks.HTTP{URL: raw("", gzUP), ExpectBody: isUP}, want: want{err: `does not match`}},
		{name: "gzip, not judged: not decoded", check: checks.HTTP{URL: raw("gzip", []byte("not gzip at all"))}, want: want{seen: "HTTP 200 OK"}},
		{name: "br is refused in one line", check: checks.HTTP{URL: raw("br", []byte("\x1b\x0e\x00\xf8")), ExpectBody: isUP},
			want: want{err: "HTTP 200, but the body is encoded br (Content-Encoding: br), which probe cannot decode to match it: it reads gzip and deflate; ask for one with the header Accept-Encoding: gzip"}},
		{name: "zstd is refused", check: checks.HTTP{URL: raw("gzip, zstd", []byte("x")), ExpectJSON: jsonUP}, want: want{err: "the body is encoded zstd (Content-Encoding: gzip, zstd)"}},
		{name: "br, not judged, passes", check: checks.HTTP{URL: raw("br", []byte("\x1b\x0e\x00\xf8"))}},
		{name: "a gzip bomb stops at --max-body", check: checks.HTTP{URL: raw("gzip", bomb), ExpectBody: isUP},
			want: want{err: "response body is larger than 1MiB once decompressed (Content-Encoding: gzip)"}},
		{name: "a gzip bomb within a larger --max-body", check: checks.HTTP{URL: raw("gzip", bomb), MaxBody: 16 << 20, RejectBody: isUP}},
		{name: "a bad checksum", check: checks.HTTP{URL: raw("gzip", corrupt), ExpectBody: isUP}, want: want{err: "HTTP 200, but the body is not valid gzip (Content-Encoding: gzip): its checksum is wrong"}},
		{name: "not gzip at all", check: checks.HTTP{URL: raw("gzip", []byte("plain text")), ExpectBody: isUP}, want: want{err: "the body is not valid gzip (Content-Encoding: gzip): its header is wrong"}},
		{name: "cut short", check: checks.HTTP{URL: raw("gzip", gzUP[:len(gzUP)-10]), ExpectBody: isUP}, want: want{err: "the body is not valid gzip (Content-Encoding: gzip): it ends early"}},
		{name: "five codings are refused", check: checks.HTTP{URL: raw("gzip, gzip, gzip, gzip, gzip", gzUP), ExpectBody: isUP}, want: want{err: "the body is encoded 5 times (Content-Encoding: gzip, gzip, gzip, gzip, gzip); probe undoes at most 4"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expect(t, &tc.check, tc.want)
		})
	}
}

func mustJSON(t *testing.T, s string) checks.JSONAssertion {
	t.Helper()
	a, err := checks.ParseJSONAssertion(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestHTTPOptionalHeader: --expect-header 'NAME?: REGEXP' lets the header
// be absent, but a value present must match (blackbox_exporter's
// allow_missing).
func TestHTTPOptionalHeader(t *testing.T) {
	t.Parallel()
	hm := headerMatch
	raw := func(head string) *url.URL {
		return mustURL(t, "http://"+rawHTTP(t, "HTTP/1.1 200 OK\r\n"+head+"Content-Length: 0\r\n\r\n")+"/")
	}
	tests := []struct {
		name  string
		check checks.HTTP
		want
	}{
		{name: "absent passes", check: checks.HTTP{URL: raw(""), ExpectHeader: hm("X-Version?: ^2\\.")}},
		{name: "present and matching passes", check: checks.HTTP{URL: raw("X-Version: 2.1\r\n"), ExpectHeader: hm("X-Version?: ^2\\.")}},
		{name: "present and not matching fails", check: checks.HTTP{URL: raw("X-Version: 1.9\r\n"), ExpectHeader: hm("X-Version?: ^2\\.")},
			want: want{err: `HTTP 200, but X-Version is "1.9", which does not match "^2\\."`}},
		{name: "present and empty fails", check: checks.HTTP{URL: raw("X-Version:\r\n"), ExpectHeader: hm("X-Version?: ^2\\.")}, want: want{err: `X-Version is ""`}},
		{name: "one of two values matching passes", check: checks.HTTP{URL: raw("X-Version: 1.9\r\nX-Version: 2.0\r\n"), ExpectHeader: hm("X-Version?: ^2\\.")}},
		{name: "without ?, absent fails", check: checks.HTTP{URL: raw(""), ExpectHeader: hm("X-Version: ^2\\.")}, want: want{err: "the reply has no X-Version header"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expect(t, &tc.check, tc.want)
		})
	}
}
