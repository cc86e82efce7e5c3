package checks_test

import (
	"context"
	"crypto/tls"
	"net"
	"regexp"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/testserver"
)

func hostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return h, p
}

func TestTCP(t *testing.T) {
	t.Parallel()
	redisH, redisP := hostPort(t, serve(t, "redis", "tcp4", "127.0.0.1:0"))
	bannerH, bannerP := hostPort(t, serve(t, "banner", "tcp4", "127.0.0.1:0"))
	_, v6P := hostPort(t, serve(t, "redis", "tcp6", "[::1]:0"))
	tlsH, tlsP := hostPort(t, serve(t, "https", "tcp4", "127.0.0.1:0"))
	silentH, silentP := hostPort(t, serve(t, "silent", "tcp4", "127.0.0.1:0"))
	emptyH, emptyP := hostPort(t, serve(t, "empty", "tcp4", "127.0.0.1:0"))

	tests := []struct {
		name  string
		check checks.TCP
		want
	}{
		{name: "connect", check: checks.TCP{Host: redisH, Port: redisP}},
		{name: "localhost to an IPv6-only port", check: checks.TCP{Host: "localhost", Port: v6P}},
		{name: "send and expect", check: checks.TCP{Host: redisH, Port: redisP, Send: []byte("PING\r\n"), Expect: []*regexp.Regexp{regexp.MustCompile(`\+PONG`)}}},
		{name: "expect fails on the reply", check: checks.TCP{Host: redisH, Port: redisP, Send: []byte("HELLO\r\n"), Expect: []*regexp.Regexp{regexp.MustCompile(`\+PONG`)}}, want: want{timeout: 500 * time.Millisecond, timeoutIn: checks.PhaseExpect}},
		{name: "banner without send", check: checks.TCP{Host: bannerH, Port: bannerP, Expect: []*regexp.Regexp{regexp.MustCompile(`^220 `)}}},
		{name: "banner mismatch then close", check: checks.TCP{Host: bannerH, Port: bannerP, Expect: []*regexp.Regexp{regexp.MustCompile(`^SSH-`)}}, want: want{err: `connection closed before --expect "^SSH-" matched; got "220 test.example`}},
		{name: "tls handshake verified", check: checks.TCP{Host: tlsH, Port: tlsP, TLS: caConfig()}},
		{name: "tls unknown authority", check: checks.TCP{Host: tlsH, Port: tlsP, TLS: &tls.Config{}}, want: want{err: "unknown authority"}},
		{name: "refused", check: checks.TCP{Host: "127.0.0.1", Port: "1"}, want: want{err: "connect: connection refused (127.0.0.1:1)"}},
		{name: "refused on both loopbacks", check: checks.TCP{Host: "localhost", Port: "1"}, want: want{err: "connect: connection refused (127.0.0.1:1, [::1]:1)"}},
		{name: "silent with expect", check: checks.TCP{Host: silentH, Port: silentP, Expect: []*regexp.Regexp{regexp.MustCompile(`x`)}}, want: want{timeout: 300 * time.Millisecond, timeoutIn: checks.PhaseExpect}},
		{name: "closed at once with expect", check: checks.TCP{Host: emptyH, Port: emptyP, Send: []byte("GET / HTTP/1.0\r\n\r\n"), Expect: []*regexp.Regexp{regexp.MustCompile(`x`)}}, want: want{err: "connection closed before --expect"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expect(t, &tc.check, tc.want)
		})
	}
}

// TestTLSCancelledWhileReading cancels a tls:// check that waits for its
// --expect: the close that ends the read must not race the TLS connection
// that replaced the socket (go test -race; found by internal/peers).
func TestTLSCancelledWhileReading(t *testing.T) {
	t.Parallel()
	host, port := hostPort(t, serve(t, "https", "tcp4", "127.0.0.1:0"))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	check := checks.TCP{Host: host, Port: port, TLS: caConfig(), Expect: []*regexp.Regexp{regexp.MustCompile(`x`)}}
	tr := checks.NewTrace()
	if _, err := check.Run(ctx, tr); err == nil || tr.Snapshot().Phase != checks.PhaseExpect {
		t.Fatalf("want the read in --expect ended, got %v in phase %q", err, tr.Snapshot().Phase)
	}
}

// TestTLSConversationCancelled is the same for the kinds that speak a
// database's protocol over TLS (rediss:// here): the server completes the
// handshake, then never answers PING.
func TestTLSConversationCancelled(t *testing.T) {
	t.Parallel()
	ln, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{testserver.Certs().Good}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.(*tls.Conn).Handshake()
		time.Sleep(2 * time.Second)
	}()
	host, port := hostPort(t, ln.Addr().String())
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	if _, err := (checks.Redis{Host: host, Port: port, TLS: caConfig()}).Run(ctx, checks.NewTrace()); err == nil {
		t.Fatal("want the conversation ended, got healthy")
	}
}

func TestUnescape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: `PING\r\n`, want: "PING\r\n"},
		{in: `a\tb\\c`, want: "a\tb\\c"},
		{in: `\x00\x7f`, want: "\x00\x7f"},
		{in: `\0`, want: "\x00"},
		{in: `null\0end`, want: "null\x00end"},
		{in: `héllo`, want: "héllo"},
		{in: ``, want: ""},
		{in: `\q`, wantErr: true},
		{in: `\x4`, wantErr: true},
		{in: `trailing\`, wantErr: true},
	}
	for _, tc := range tests {
		got, err := checks.Unescape(tc.in)
		if tc.wantErr {
			if err == nil {
				t.Errorf("Unescape(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("Unescape(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestResolveLocalhostWithoutDNS(t *testing.T) {
	t.Parallel()
	for _, host := range []string{"localhost", "LOCALHOST.", "app.localhost"} {
		addrs, err := checks.Resolve(t.Context(), nil, host)
		if err != nil {
			t.Fatal(err)
		}
		if len(addrs) != 2 || addrs[0].String() != "127.0.0.1" || addrs[1].String() != "::1" {
			t.Errorf("resolve(%q) = %v, want [127.0.0.1 ::1]", host, addrs)
		}
	}
}
