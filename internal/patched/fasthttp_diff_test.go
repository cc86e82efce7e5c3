package patched_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	upstream "github.com/valyala/fasthttp"

	"github.com/probe-sh/probe/internal/patched/fasthttp"
	"github.com/probe-sh/probe/internal/testserver"
)

// The differential tests of fasthttp: the same requests go through upstream
// fasthttp and through the copy, and what comes back must be the same. This
// is what lets go.mod name upstream fasthttp for a copy that is compiled in
// its place.

type clientCase struct {
	name, kind, method, path, body string
	header                         [][2]string
	maxBody, readBuffer            int
	timeout                        time.Duration
}

var clientCases = []clientCase{
	{name: "healthy", kind: "http", path: "/healthz"},
	{name: "head", kind: "http", method: "HEAD", path: "/healthz"},
	{name: "503", kind: "http", path: "/status/503"},
	{name: "204", kind: "http", path: "/status/204"},
	{name: "redirect", kind: "http", path: "/redirect"},
	{name: "echo headers", kind: "http", path: "/echo", header: [][2]string{{"X-A", "1"}, {"Accept-Encoding", "gzip, br, zstd"}, {"Authorization", "Bearer t"}}},
	{name: "post", kind: "http", method: "POST", path: "/post-only", body: "a=b"},
	{name: "body above max", kind: "http", path: "/big", maxBody: 1 << 20},
	{name: "big body", kind: "http", path: "/big", maxBody: 4 << 20},
	{name: "not found", kind: "http", path: "/nope?x=1&y=%20"},
	{name: "tls", kind: "https", path: "/healthz"},
	{name: "tls expired", kind: "https-expired", path: "/healthz"},
	{name: "silent", kind: "silent", path: "/", timeout: 300 * time.Millisecond},
	{name: "drip", kind: "drip", path: "/", timeout: 300 * time.Millisecond},
	{name: "endless", kind: "endless", path: "/", maxBody: 64 << 10},
	{name: "big headers", kind: "bigheaders", path: "/", readBuffer: 16 << 10},
	{name: "big headers, big buffer", kind: "bigheaders", path: "/", readBuffer: 128 << 10},
	{name: "garbage", kind: "garbage", path: "/"},
	{name: "reset", kind: "reset", path: "/"},
	{name: "empty", kind: "empty", path: "/"},
	{name: "slow", kind: "slow200", path: "/"},
}

func TestFasthttpClientMatchesUpstream(t *testing.T) {
	t.Parallel()
	servers := map[string]*testserver.Server{}
	for _, c := range clientCases {
		if servers[c.kind] == nil {
			s, err := testserver.Start(c.kind, "tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.Close)
			servers[c.kind] = s
		}
	}
	for _, c := range clientCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			addr := servers[c.kind].Addr
			got, want := copyClient(c, addr), upstreamClient(c, addr)
			if got != want {
				t.Errorf("the copy and upstream differ\ncopy:     %s\nupstream: %s", got, want)
			}
			if c.name == "healthy" && !strings.Contains(got, "status=200") {
				t.Errorf("no response at all: %s", got)
			}
		})
	}
}

func (c clientCase) scheme() string {
	if strings.HasPrefix(c.kind, "https") {
		return "https"
	}
	return "http"
}

func (c clientCase) wait() time.Duration {
	if c.timeout > 0 {
		return c.timeout
	}
	return 5 * time.Second
}

func copyClient(c clientCase, addr string) string {
	hc := &fasthttp.HostClient{Addr: addr, IsTLS: c.scheme() == "https", TLSConfig: &tls.Config{InsecureSkipVerify: c.kind != "https-expired"},
		MaxIdemponentCallAttempts: 1, MaxResponseBodySize: c.maxBody, ReadBufferSize: c.readBuffer,
		NoDefaultUserAgentHeader: true, DisablePathNormalizing: true, MaxConns: 1}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(c.scheme() + "://" + addr + c.path)
	req.Header.SetMethod(cmpOr(c.method, "GET"))
	for _, h := range c.header {
		req.Header.Set(h[0], h[1])
	}
	if c.body != "" {
		req.SetBodyString(c.body)
	}
	req.SetConnectionClose()
	err := hc.DoTimeout(req, resp, c.wait())
	var headers []string
	for k, v := range resp.Header.All() {
		headers = append(headers, string(k)+": "+string(v))
	}
	return outcome(err, resp.StatusCode(), headers, resp.Body())
}

func upstreamClient(c clientCase, addr string) string {
	hc := &upstream.HostClient{Addr: addr, IsTLS: c.scheme() == "https", TLSConfig: &tls.Config{InsecureSkipVerify: c.kind != "https-expired"},
		MaxIdemponentCallAttempts: 1, MaxResponseBodySize: c.maxBody, ReadBufferSize: c.readBuffer,
		NoDefaultUserAgentHeader: true, DisablePathNormalizing: true, MaxConns: 1}
	req, resp := upstream.AcquireRequest(), upstream.AcquireResponse()
	defer upstream.ReleaseRequest(req)
	defer upstream.ReleaseResponse(resp)
	req.SetRequestURI(c.scheme() + "://" + addr + c.path)
	req.Header.SetMethod(cmpOr(c.method, "GET"))
	for _, h := range c.header {
		req.Header.Set(h[0], h[1])
	}
	if c.body != "" {
		req.SetBodyString(c.body)
	}
	req.SetConnectionClose()
	err := hc.DoTimeout(req, resp, c.wait())
	var headers []string
	for k, v := range resp.Header.All() {
		headers = append(headers, string(k)+": "+string(v))
	}
	return outcome(err, resp.StatusCode(), headers, resp.Body())
}

var (
	addrs    = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	buffered = regexp.MustCompile(`buffer size=\d+, contents: ".*"$`) // what arrived before a timeout
	clock    = regexp.MustCompile(`current time \S+`)                 // the second the certificate was checked
)

// outcome is what a request gave, without what changes from one request to
// the next (the Date header, the port in an error).
func outcome(err error, status int, headers []string, body []byte) string {
	if err != nil {
		msg := clock.ReplaceAllString(addrs.ReplaceAllString(err.Error(), "ADDR"), "current time T")
		return "error=" + buffered.ReplaceAllString(msg, "buffer size=N, contents: ...")
	}
	headers = slices.DeleteFunc(headers, func(h string) bool { return strings.HasPrefix(h, "Date: ") })
	return fmt.Sprintf("status=%d headers=%q body=%d bytes %q", status, headers, len(body), body[:min(len(body), 200)])
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// serverRequests are raw requests, good and bad, sent to a server built on
// each; probe serve is one.
var serverRequests = []string{
	"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n",
	"HEAD /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	"GET /a?b=c&d HTTP/1.0\r\n\r\n",
	"POST /readyz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
	"GET /readyz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	"GET /readyz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 8000) + "\r\n\r\n",
	"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\nGET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	"BREW /pot HTCPCP/1.0\r\n\r\n",
	"GET /\x00\x1b[31m HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nBad Header Name: v\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
	"\r\n\r\n",
	"GET / HTTP/1.1\nHost: x\n\n",
	"GET http://other/abs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	// Forms, which the copy neither reads nor writes (0006), as probe serve
	// gets them: refused as any body is.
	"POST /readyz HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 1\r\n\r\n-",
	"POST /readyz HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 42\r\n\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b--\r\n"[:42],
	"POST /readyz HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n--b\r\n0\r\n\r\n",
}

func TestFasthttpServerMatchesUpstream(t *testing.T) {
	t.Parallel()
	copyAddr := serve(t, func(ln net.Listener) {
		s := &fasthttp.Server{ReadBufferSize: 4096, MaxRequestBodySize: 1, NoDefaultDate: true, DisablePreParseMultipartForm: true,
			ReadTimeout: 2 * time.Second, Logger: quiet{}, Handler: func(c *fasthttp.RequestCtx) {
				c.SetStatusCode(200)
				fmt.Fprintf(c, "%s %s %q %s", c.Method(), c.Path(), c.QueryArgs().String(), c.Request.Header.Peek("Host"))
			}}
		go s.Serve(ln)                     //nolint:errcheck
		t.Cleanup(func() { s.Shutdown() }) //nolint:errcheck
	})
	upstreamAddr := serve(t, func(ln net.Listener) {
		s := &upstream.Server{ReadBufferSize: 4096, MaxRequestBodySize: 1, NoDefaultDate: true, DisablePreParseMultipartForm: true,
			ReadTimeout: 2 * time.Second, Logger: quiet{}, Handler: func(c *upstream.RequestCtx) {
				c.SetStatusCode(200)
				fmt.Fprintf(c, "%s %s %q %s", c.Method(), c.Path(), c.QueryArgs().String(), c.Request.Header.Peek("Host"))
			}}
		go s.Serve(ln)                     //nolint:errcheck
		t.Cleanup(func() { s.Shutdown() }) //nolint:errcheck
	})
	for i, raw := range serverRequests {
		got, want := exchange(t, copyAddr, raw), exchange(t, upstreamAddr, raw)
		if got != want {
			t.Errorf("request %d %q: the copy and upstream differ\ncopy:     %q\nupstream: %q", i, raw[:min(len(raw), 60)], got, want)
		}
		if i < 3 && !strings.HasPrefix(got, "HTTP/1.1 200 OK") {
			t.Errorf("request %d %q: not a 200: %q", i, raw[:min(len(raw), 60)], got)
		}
	}
}

func serve(t *testing.T, start func(net.Listener)) string {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	start(ln)
	return ln.Addr().String()
}

// exchange sends raw and reads the reply until the server closes or goes
// quiet for 300 ms.
func exchange(t *testing.T, addr, raw string) string {
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	var out []byte
	buf := make([]byte, 4096)
	for {
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, err := c.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			return string(out)
		}
	}
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}
