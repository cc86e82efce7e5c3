package peers

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/probe-sh/probe/internal/testserver"
)

// A server is one behaviour the rows run against: a small handler or a
// scripted peer on 127.0.0.1:0 (or a Unix socket), started once and shared
// by every row that names it.
type server struct {
	does  string // what it does, as docs/porting.md shows it
	start func(e *env) (addr string, stop func(), err error)
}

// servers are the behaviours of the peers' own tests, by the name a row's
// Server gives.
var servers = map[string]server{
	// Kubernetes, pkg/probe/http/http_test.go.
	"ok-body":      {"200 with the body `ok body`", serveHTTP(plain, text(200, "ok body"))},
	"header-count": {"200 with the number of request headers as its body (Go's server leaves Host out)", serveHTTP(plain, headerCount)},
	"header-names": {"200 with the request's header names, sorted, one a line", serveHTTP(plain, headerNames)},
	"echo":         {"200 with the request's `Host` and headers as its body, one `Name: value` a line", serveHTTP(plain, echo)},
	"uri-echo":     {"200 with the request's URI as its body", serveHTTP(plain, uriEcho)},
	"uri-echo-tls": {"the same over TLS (a certificate of the test CA)", serveHTTP(goodTLS, uriEcho)},
	"panic":        {"the handler panics (`WriteHeader(-1)`): Go's server drops the connection without a reply", serveHTTP(plain, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(-1) })},
	"status":       {"`/CODE` answers with that status", serveHTTP(plain, status)},
	"slow":         {"answers 200 after 3 s (4 s on `/4s`), or when the client leaves", serveHTTP(plain, slow)},
	"redirects": {"`/redirect?loc=L[&code=C]` redirects to `L` (302, or `C`); `/success` is 200, `/loop` redirects to itself, `/308-empty` and `/308-body` redirect once to a 308 without `Location` (with the body `ok body` for the second), any other path is 500",
		serveHTTP(plain, redirects)},
	"redirects-2": {"the same on another port", serveHTTP(plain, redirects)},
	"vhost":       {"`/redirect` redirects to `/success`, which is 200 when `Host` is `www.success.com` and 400 otherwise; `/big` is 200 with 10,241 bytes and `/small` with 10,239, for `Host: www.success.com` only", serveHTTP(plain, vhost)},
	"proxy":       {"an HTTP proxy that answers 500 to everything", serveHTTP(plain, text(500, "proxied"))},

	// blackbox_exporter, prober/http_test.go.
	"ok":          {"200, empty", serveHTTP(plain, text(200, ""))},
	"no-content":  {"204", serveHTTP(plain, text(204, ""))},
	"ok-tls":      {"200 over TLS, a certificate of the test CA (`ca.pem`) for localhost and 127.0.0.1", serveHTTP(goodTLS, text(200, ""))},
	"self-signed": {"200 over TLS, a self-signed certificate", serveHTTP(selfSignedTLS, text(200, ""))},
	"expired":     {"200 over TLS, an expired certificate", serveHTTP(expiredTLS, text(200, ""))},
	"encodings": {"`/identity`, `/xxx`, `/gzip`, `/deflate`, `/br` answer 110 bytes (`hello world` ten times) with that `Content-Encoding`, compressed when it names a compression, whatever the request's `Accept-Encoding`; `/plain` without one; `/404` is 404",
		serveHTTP(plain, encodings)},
	"sizes": {"`/short` and `/long` answer 127 and 129 bytes; `/short-gzip` and `/long-gzip` the same gzipped, with `Content-Encoding: gzip`", serveHTTP(plain, sizes)},
	"always-302": {"302 to `/noredirect`, on every path", serveHTTP(plain, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/noredirect", http.StatusFound)
	})},
	"redirect-chain": {"`/` redirects to `/redirect-1`, each `/redirect-N` to `/redirect-N+1`, and `/redirect-12` is 429", serveHTTP(plain, redirectChain)},
	"post-only":      {"200 to POST, 400 to any other method", serveHTTP(plain, postOnly)},
	"basic-auth":     {"200 with Basic credentials of the user `username` and a password, 401 without", serveHTTP(plain, basicAuth)},
	"bearer":         {"200 with `Authorization: Bearer mysecret`, 401 without", serveHTTP(plain, bearer)},
	"closes":         {"accepts and closes every connection without a byte", serveTCP(plain, func(c net.Conn) {})},
	"bodies":         {"each path answers 200 with a fixed body: " + bodyList(), serveHTTP(plain, fixedBodies)},
	"headers": {"each path answers 200 with fixed headers: `/javascript` `Content-Type: text/javascript`, `/octet-stream` `application/octet-stream`, `/empty-type` an empty `Content-Type`, `/no-type` none, `/cookie-www` one `Set-Cookie` for `Domain=www.example.com`, `/cookie-both` that and one for `Domain=.example.com`",
		serveHTTP(plain, headerSets)},
	"body-check": {"200 when the request's body is `Test Body`, 400 otherwise", serveHTTP(plain, bodyCheck)},
	"cookie":     {"`/` sets the cookie `somecookie=cookie` and redirects to `/noredirect`, which is 200 with the cookie and 400 without", serveHTTP(plain, cookie)},
	"redirect-tls": {"302 to the TLS server `ok-tls` on `https://localhost`", serveHTTP(plain, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://"+r.URL.Query().Get("to"), http.StatusFound)
	})},

	"example-app": {"200 with `Access-Control-Allow-Origin: *` and the body `Download the latest version here`", serveHTTP(plain, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		io.WriteString(w, "Download the latest version here")
	})},
	"post-json": {"200 to a POST of `{}` as `application/json`, 400 otherwise", serveHTTP(plain, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<10))
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || string(b) != "{}" {
			w.WriteHeader(http.StatusBadRequest)
		}
	})},

	// blackbox_exporter, prober/tcp_test.go.
	"tls":          {"TLS, a certificate of the test CA for localhost; closes after the handshake", serveTCP(goodTLS, func(c net.Conn) {})},
	"accept-close": {"accepts every connection and closes it", serveTCP(plain, func(c net.Conn) {})},
	"tls-localhost": {"TLS 1.2 with a certificate for `localhost` alone (its own CA, `localhost-ca.pem`); sends `Hello World!`", serveTCP(localhostTLS, func(c net.Conn) {
		fmt.Fprintf(c, "Hello World!\n")
	})},
	"tls-chain": {"TLS with a leaf and the intermediate that signed it (`ca.pem` is the root); sends `Hello World!`", serveTCP(chainTLS, func(c net.Conn) {
		fmt.Fprintf(c, "Hello World!\n")
	})},
	"irc":        {"an IRC server: `:ircd.localhost NOTICE AUTH ...`, then, after `NICK` and `USER`, `:ircd.localhost 001 prober :Welcome to IRC!`", serveTCP(plain, irc(false))},
	"irc-banned": {"the same, but it answers `ERROR: Your IP address has been blacklisted.`", serveTCP(plain, irc(true))},
	"ssh":        {"sends `SSH-2.0-OpenSSH_6.9p1 Debian-2` and a newline, then reads", serveTCP(plain, banner("SSH-2.0-OpenSSH_6.9p1 Debian-2\n"))},
	"not-a-line": {"sends `not-a-line`, no newline, and closes", serveTCP(plain, func(c net.Conn) { c.Write([]byte("not-a-line")) })},
	"something-else": {"sends `something-else`, no newline, and closes", serveTCP(plain, func(c net.Conn) {
		c.Write([]byte("something-else"))
	})},
	"ipv6":  {"accepts and closes, on `[::1]`", serveTCP(listenOn("tcp6", "[::1]:0"), func(c net.Conn) {})},
	"pop3s": {"TLS, a certificate of the test CA; sends `+OK POP3 server ready`", serveTCP(goodTLS, banner("+OK POP3 server ready\r\n"))},
	"amqps": {"TLS, a certificate of the test CA; a RabbitMQ that answers any bytes with `AMQP\\x00\\x00\\x09\\x01`", serveTCP(goodTLS, func(c net.Conn) {
		buf := make([]byte, 64)
		if _, err := c.Read(buf); err == nil {
			c.Write([]byte("AMQP\x00\x00\x09\x01"))
		}
	})},
	"unix-ping": {"a Unix socket that answers `PING` with `PONG`", serveTCP(unixSocket, func(c net.Conn) {
		buf := make([]byte, 64)
		if n, _ := c.Read(buf); bytes.HasPrefix(buf[:n], []byte("PING")) {
			c.Write([]byte("PONG\n"))
		}
	})},

	// Nothing there.
	"closed":    {"nothing listens on the port (it was bound, then closed)", closedPort},
	"blackhole": {"a listener whose accept queue is full: the kernel drops the SYN, so the connection never completes", blackhole},

	// wait4x, checker/http/http_test.go.
	"h2c-only":  {"h2c only (HTTP/2 without TLS, prior knowledge); an HTTP/1.1 request is refused", serveHTTP(h2cOnly, text(200, ""))},
	"w4x-echo":  {"200 with the request's headers as Go prints them: `Name=[value],` each", serveHTTP(plain, w4xEcho)},
	"body-echo": {"200 with the request's body as its body", serveHTTP(plain, bodyEcho)},
	"w4x-headers": {"200 with `Test-Header: test-value`, `Test-Header-New: test-value-new`, `Authorization: Token 1234` and an empty `X-Foo`", serveHTTP(plain, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Test-Header", "test-value")
		w.Header().Add("Test-Header-New", "test-value-new")
		w.Header().Add("Authorization", "Token 1234")
		w.Header().Add("X-Foo", "")
	})},
	"wait4x": {"200 with the body `Wait4X`", serveHTTP(plain, text(200, "Wait4X"))},
	"w4x-one-header": {"200 with `Test-Header: test-value`", serveHTTP(plain, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Test-Header", "test-value")
	})},
	"w4x-201": {"201 with the body `Wait4X` (a header set after the status is never sent)", serveHTTP(plain, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
		w.Header().Set("Test-Header", "test-value")
		w.Write([]byte("Wait4X"))
	})},
	"w4x-body": {"200 with a long text that starts `Wait4X is the best CLI tools.`", serveHTTP(plain, text(200, "Wait4X is the best CLI tools. Lorem ipsum dolor sit amet, consectetur adipiscing elit. Nulla volutpat arcu malesuada lacus vulputate feugiat."))},
	"w4x-json": {"200 with `{\"user\": {\"name\": \"test\"}, \"is_active\": true}`", serveHTTP(plain, text(200, `{"user": {"name": "test"}, "is_active": true}`))},
	"w4x-html": {"200 with `<div><code id='ip'>127.0.0.1</code></div>`", serveHTTP(plain, text(200, "<div><code id='ip'>127.0.0.1</code></div>"))},
	"away-307": {"307 to `https://wait4x.dev`", serveHTTP(plain, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Location", "https://wait4x.dev")
		w.WriteHeader(http.StatusTemporaryRedirect)
	})},
}

// env is what a run of the table shares: the files the command lines
// name and the servers, each started on first use.
type env struct {
	dir     string
	mu      sync.Mutex
	started map[string]*started
}

type started struct {
	once sync.Once
	addr string
	stop func()
	err  error
}

// addr starts the server name, once, and returns its address.
func (e *env) addr(name string) (string, error) {
	e.mu.Lock()
	s := e.started[name]
	if s == nil {
		s = &started{}
		e.started[name] = s
	}
	e.mu.Unlock()
	s.once.Do(func() {
		srv, ok := servers[name]
		if !ok {
			s.err = fmt.Errorf("no server %q", name)
			return
		}
		s.addr, s.stop, s.err = srv.start(e)
	})
	return s.addr, s.err
}

func (e *env) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.started {
		if s.stop != nil {
			s.stop()
		}
	}
}

// listener is how a server listens: loopback TCP, with TLS or not, or a
// Unix socket; h2c marks an HTTP server that speaks only HTTP/2 without TLS.
type listener struct {
	listen func() (net.Listener, error)
	h2c    bool
}

func listenOn(network, addr string) listener {
	return listener{listen: func() (net.Listener, error) { return net.Listen(network, addr) }}
}

var plain = listenOn("tcp4", "127.0.0.1:0")

func tlsListener(cert func() tls.Certificate, maxVersion uint16) listener {
	return listener{listen: func() (net.Listener, error) {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert()}, MaxVersion: maxVersion}), nil
	}}
}

var (
	goodTLS       = tlsListener(func() tls.Certificate { return testserver.Certs().Good }, 0)
	selfSignedTLS = tlsListener(func() tls.Certificate { return testserver.Certs().SelfSigned }, 0)
	expiredTLS    = tlsListener(func() tls.Certificate { return testserver.Certs().Expired }, 0)
	chainTLS      = tlsListener(func() tls.Certificate { return testserver.Certs().Chained }, 0)
	localhostTLS  = tlsListener(func() tls.Certificate { return localhostOnly().cert }, tls.VersionTLS12)
)

var h2cOnly = listener{listen: plain.listen, h2c: true}

// unixSocket listens in a directory of a short name: a socket's address
// holds 108 bytes.
var unixSocket = listener{listen: func() (net.Listener, error) {
	dir, err := os.MkdirTemp("", "pp")
	if err != nil {
		return nil, err
	}
	return net.Listen("unix", filepath.Join(dir, "s.sock"))
}}

// serveHTTP serves h with Go's server.
func serveHTTP(l listener, h http.HandlerFunc) func(*env) (string, func(), error) {
	return func(e *env) (string, func(), error) {
		ln, err := l.listen()
		if err != nil {
			return "", nil, err
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
		if l.h2c {
			p := new(http.Protocols)
			p.SetUnencryptedHTTP2(true)
			srv.Protocols = p
		}
		go srv.Serve(ln)
		return ln.Addr().String(), func() { srv.Close() }, nil
	}
}

// serveTCP runs script on every connection, then closes it.
func serveTCP(l listener, script func(net.Conn)) func(*env) (string, func(), error) {
	return func(e *env) (string, func(), error) {
		ln, err := l.listen()
		if err != nil {
			return "", nil, err
		}
		var mu sync.Mutex
		conns := map[net.Conn]bool{}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns[c] = true
				mu.Unlock()
				go func() {
					defer c.Close()
					_ = c.SetDeadline(time.Now().Add(5 * time.Second))
					if tc, ok := c.(*tls.Conn); ok && tc.Handshake() != nil {
						return
					}
					script(c)
				}()
			}
		}()
		stop := func() {
			ln.Close()
			mu.Lock()
			for c := range conns {
				c.Close()
			}
			mu.Unlock()
		}
		return ln.Addr().String(), stop, nil
	}
}

// closedPort is a port that was bound and closed: nothing listens there.
func closedPort(*env) (string, func(), error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, func() {}, nil
}

// blackhole listens with a backlog of 0 and fills it: Linux then drops
// every SYN, as a firewall that drops packets does, so a connection waits
// out the client's timeout.
func blackhole(*env) (string, func(), error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", nil, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		return "", nil, err
	}
	if err := syscall.Listen(fd, 0); err != nil {
		syscall.Close(fd)
		return "", nil, err
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		return "", nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	var fill []net.Conn
	for range 3 {
		if c, err := net.DialTimeout("tcp4", addr, 200*time.Millisecond); err == nil {
			fill = append(fill, c)
		}
	}
	return addr, func() {
		for _, c := range fill {
			c.Close()
		}
		syscall.Close(fd)
	}, nil
}

// localhostCert is a self-signed certificate for localhost alone, its own
// CA, as blackbox_exporter's TLS tests make theirs.
type localhostCert struct {
	cert tls.Certificate
	pem  []byte
}

var localhostOnce = sync.OnceValue(func() localhostCert {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return localhostCert{tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
})

func localhostOnly() localhostCert { return localhostOnce() }

// writeFiles writes the files the command lines name into dir.
func writeFiles(dir string) error {
	if err := testserver.Certs().WriteFiles(dir); err != nil {
		return err
	}
	files := map[string][]byte{"localhost-ca.pem": localhostOnly().pem, "body.txt": []byte("Test Body")}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func text(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

func headerCount(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, strconv.Itoa(len(r.Header)))
}

func headerNames(w http.ResponseWriter, r *http.Request) {
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range r.Header {
			if !yield(k) {
				return
			}
		}
	})
	io.WriteString(w, strings.Join(keys, "\n"))
}

func echo(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	fmt.Fprintf(&b, "Host: %s\n", r.Host)
	for _, k := range slices.Sorted(mapKeys(r.Header)) {
		for _, v := range r.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	io.WriteString(w, b.String())
}

func mapKeys(h http.Header) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range h {
			if !yield(k) {
				return
			}
		}
	}
}

func uriEcho(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.RequestURI) }

func status(w http.ResponseWriter, r *http.Request) {
	code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
	if err != nil {
		code = http.StatusBadRequest
	}
	w.WriteHeader(code)
}

func slow(w http.ResponseWriter, r *http.Request) {
	d := 3 * time.Second
	if r.URL.Path == "/4s" {
		d = 4 * time.Second
	}
	select {
	case <-time.After(d):
	case <-r.Context().Done():
	}
}

// redirects is the handler of Kubernetes' TestHTTPProbeChecker_NonLocalRedirects,
// with the redirects of TestHTTPProbeChecker beside it.
func redirects(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/redirect":
		code := http.StatusFound
		if c, err := strconv.Atoi(r.URL.Query().Get("code")); err == nil {
			code = c
		}
		http.Redirect(w, r, r.URL.Query().Get("loc"), code)
	case "/loop":
		http.Redirect(w, r, "/loop", http.StatusFound)
	case "/success":
		w.WriteHeader(http.StatusOK)
	case "/308-empty", "/308-body":
		http.Redirect(w, r, r.URL.Path+"/new", http.StatusPermanentRedirect)
	case "/308-empty/new":
		w.WriteHeader(http.StatusPermanentRedirect)
	case "/308-body/new":
		w.WriteHeader(http.StatusPermanentRedirect)
		io.WriteString(w, "ok body")
	default:
		http.Error(w, "", http.StatusInternalServerError)
	}
}

func vhost(w http.ResponseWriter, r *http.Request) {
	ok := r.Host == "www.success.com"
	switch r.URL.Path {
	case "/redirect":
		http.Redirect(w, r, "/success", http.StatusFound)
	case "/success", "/big", "/small":
		if !ok {
			http.Error(w, "", http.StatusBadRequest)
			return
		}
		n := map[string]int{"/big": 10<<10 + 1, "/small": 10<<10 - 1}[r.URL.Path]
		w.Write(bytes.Repeat([]byte("a"), n))
	default:
		http.Error(w, "", http.StatusInternalServerError)
	}
}

var helloWorld = []byte(strings.Repeat("hello world", 10))

// brotliStored is helloWorld as a brotli stream of one uncompressed
// meta-block (RFC 7932: WBITS 16, MLEN 110, ISUNCOMPRESSED, then an empty
// last meta-block), so that no brotli encoder is needed.
var brotliStored = append(append([]byte{0xd0, 0x06, 0x10}, helloWorld...), 0x03)

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func deflated(b []byte) []byte {
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	fw.Write(b)
	fw.Close()
	return buf.Bytes()
}

func encodings(w http.ResponseWriter, r *http.Request) {
	body, enc := helloWorld, strings.TrimPrefix(r.URL.Path, "/")
	switch enc {
	case "plain":
		enc = ""
	case "404":
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "not found")
		return
	case "xxx":
		body = bytes.Repeat([]byte("x"), len(helloWorld))
	case "gzip":
		body = gzipped(helloWorld)
	case "deflate":
		body = deflated(helloWorld)
	case "br":
		body = brotliStored
	}
	if enc != "" {
		w.Header().Set("Content-Encoding", enc)
	}
	w.Write(body)
}

func sizes(w http.ResponseWriter, r *http.Request) {
	n := map[string]int{"/short": 127, "/long": 129, "/short-gzip": 127, "/long-gzip": 129}[r.URL.Path]
	if n == 0 {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	body := bytes.Repeat([]byte("A"), n)
	if strings.HasSuffix(r.URL.Path, "-gzip") {
		body = gzipped(body)
		w.Header().Set("Content-Encoding", "gzip")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

func redirectChain(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/redirect-12" {
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/redirect-")); err == nil {
		http.Redirect(w, r, fmt.Sprintf("/redirect-%d", n+1), http.StatusFound)
		return
	}
	http.Redirect(w, r, "/redirect-1", http.StatusFound)
}

func postOnly(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusBadRequest)
	}
}

func basicAuth(w http.ResponseWriter, r *http.Request) {
	if u, p, ok := r.BasicAuth(); !ok || u != "username" || p == "" {
		w.WriteHeader(http.StatusUnauthorized)
	}
}

func bearer(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer mysecret" {
		w.WriteHeader(http.StatusUnauthorized)
	}
}

// bodies are the fixed bodies of the "bodies" server, by path.
var bodies = map[string]string{
	"/foo-bar-baz":   `{"foo": {"bar": "baz"}}`,
	"/empty-object":  `{}`,
	"/hello":         "hello world",
	"/json-string":   `"foo"`,
	"/json-list":     `["foo","bar","baz"]`,
	"/json-true":     `true`,
	"/empty":         "",
	"/emoji":         "🤠🤠🤠",
	"/emoji-json":    `{"foo": {"bar": "🤠🤠🤠"}}`,
	"/db-down":       "Bad news: could not connect to database server",
	"/download":      "Download the latest version here",
	"/internal":      "internal error",
	"/download-2015": "Download the latest version here. Copyright 2015 Test Inc.",
	"/foo-bar-qux":   `{"foo": "bar", "baz": "qux"}`,
}

func bodyList() string {
	var parts []string
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range bodies {
			if !yield(k) {
				return
			}
		}
	}) {
		parts = append(parts, fmt.Sprintf("`%s` %q", k, bodies[k]))
	}
	return strings.Join(parts, ", ")
}

func fixedBodies(w http.ResponseWriter, r *http.Request) {
	b, ok := bodies[r.URL.Path]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	io.WriteString(w, b)
}

func headerSets(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	switch r.URL.Path {
	case "/javascript":
		h.Add("Content-Type", "text/javascript")
	case "/octet-stream":
		h.Add("Content-Type", "application/octet-stream")
	case "/empty-type":
		h.Add("Content-Type", "")
	case "/no-type":
	case "/cookie-www":
		h.Add("Set-Cookie", "zz=4; expires=Mon, 01-Jan-1990 00:00:00 GMT; Domain=www.example.com; Path=/")
	case "/cookie-both":
		h.Add("Set-Cookie", "zz=4; expires=Mon, 01-Jan-1990 00:00:00 GMT; Domain=www.example.com; Path=/")
		h.Add("Set-Cookie", "gid=1; Expires=Tue, 19-Mar-2019 20:08:29 GMT; Domain=.example.com; Path=/")
	case "/cookie-dot":
		h.Add("Set-Cookie", "gid=1; Expires=Tue, 19-Mar-2019 20:08:29 GMT; Domain=.example.com; Path=/")
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func bodyCheck(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<10))
	if string(b) != "Test Body" {
		w.WriteHeader(http.StatusBadRequest)
	}
}

func cookie(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/":
		http.SetCookie(w, &http.Cookie{Name: "somecookie", Value: "cookie", Expires: time.Now().Add(time.Hour)})
		http.Redirect(w, r, "/noredirect", http.StatusFound)
	case "/noredirect":
		if c, err := r.Cookie("somecookie"); err != nil || c.Value != "cookie" {
			w.WriteHeader(http.StatusBadRequest)
		}
	}
}

func w4xEcho(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	for k, v := range r.Header {
		fmt.Fprintf(&b, "%s=%s,", k, v)
	}
	w.Write(b.Bytes())
}

func bodyEcho(w http.ResponseWriter, r *http.Request) {
	io.Copy(w, io.LimitReader(r.Body, 1<<10))
}

// irc is blackbox_exporter's IRC server: a notice, then after NICK and
// USER a welcome, or an error when banned.
func irc(banned bool) func(net.Conn) {
	return func(c net.Conn) {
		fmt.Fprintf(c, ":ircd.localhost NOTICE AUTH :*** Looking up your hostname...\n")
		var nick, user, mode, unused, realname string
		fmt.Fscanf(c, "NICK %s", &nick)
		fmt.Fscanf(c, "USER %s %s %s :%s", &user, &mode, &unused, &realname)
		if banned {
			fmt.Fprintf(c, "ERROR: Your IP address has been blacklisted.\n")
			return
		}
		fmt.Fprintf(c, ":ircd.localhost 001 %s :Welcome to IRC!\n", nick)
	}
}

// banner sends s, then reads until the client leaves.
func banner(s string) func(net.Conn) {
	return func(c net.Conn) {
		io.WriteString(c, s)
		io.Copy(io.Discard, c)
	}
}
