package checks_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
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
		{name: "banner mismatch then close", check: checks.TCP{Host: bannerH, Port: bannerP, Expect: []*regexp.Regexp{regexp.MustCompile(`^SSH-`)}}, want: want{err: `connection closed before a line matched "^SSH-"; got "220 test.example ESMTP ready"`}},
		{name: "tls handshake verified", check: checks.TCP{Host: tlsH, Port: tlsP, TLS: caConfig()}},
		{name: "tls unknown authority", check: checks.TCP{Host: tlsH, Port: tlsP, TLS: &tls.Config{}}, want: want{err: "unknown authority"}},
		{name: "refused", check: checks.TCP{Host: "127.0.0.1", Port: "1"}, want: want{err: "connect: connection refused (127.0.0.1:1)"}},
		{name: "refused on both loopbacks", check: checks.TCP{Host: "localhost", Port: "1"}, want: want{err: "connect: connection refused (127.0.0.1:1, [::1]:1)"}},
		{name: "silent with expect", check: checks.TCP{Host: silentH, Port: silentP, Expect: []*regexp.Regexp{regexp.MustCompile(`x`)}}, want: want{timeout: 300 * time.Millisecond, timeoutIn: checks.PhaseExpect}},
		{name: "closed at once with expect", check: checks.TCP{Host: emptyH, Port: emptyP, Send: []byte("GET / HTTP/1.0\r\n\r\n"), Expect: []*regexp.Regexp{regexp.MustCompile(`x`)}}, want: want{err: "connection closed before a line matched"}},
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

// talker serves talk on a loopback port, once per connection, and
// returns its host and port; the connection closes when talk returns.
func talker(t *testing.T, talk func(c net.Conn, r *bufio.Reader)) (string, string) {
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
				talk(c, bufio.NewReader(c))
			}()
		}
	}()
	return hostPort(t, ln.Addr().String())
}

// --expect and --reject match one line at a time, as blackbox_exporter's
// query_response does (bufio.Scanner's lines, a \r before the \n dropped):
// ^ and $ are a line's start and end (issue 35: its own ssh_banner_extract
// and irc_banner modules never matched the whole reply).
func TestTCPLines(t *testing.T) {
	t.Parallel()
	re := func(s string) []*regexp.Regexp { return []*regexp.Regexp{regexp.MustCompile(s)} }
	says := func(s string) func(net.Conn, *bufio.Reader) {
		return func(c net.Conn, _ *bufio.Reader) { io.WriteString(c, s); time.Sleep(300 * time.Millisecond) }
	}
	keeps := func(s string) func(net.Conn, *bufio.Reader) {
		return func(c net.Conn, r *bufio.Reader) { io.WriteString(c, s); r.ReadByte() }
	}
	ircH, ircP := talker(t, ircServer(":ircd.localhost 001 %s :Welcome to IRC!\n"))
	bannedH, bannedP := talker(t, ircServer("ERROR: Your IP address has been blacklisted.%.0s\n"))
	sshH, sshP := talker(t, says("SSH-2.0-OpenSSH_6.9p1 Debian-2\r\n"))
	smtpH, smtpP := talker(t, says("220-mail.example ESMTP\r\n220 ready\r\n"))
	noauthH, noauthP := talker(t, keeps("+OK first\r\n-ERR no\r\n"))
	halfH, halfP := talker(t, func(c net.Conn, r *bufio.Reader) {
		io.WriteString(c, "220 ready")
		time.Sleep(200 * time.Millisecond)
		io.WriteString(c, " to go away\r\n")
		time.Sleep(300 * time.Millisecond)
	})
	binH, binP := talker(t, keeps("J\x00\x00\x00\n8.0.32\x00mysql_native_password\x00"))
	tailH, tailP := talker(t, func(c net.Conn, r *bufio.Reader) { io.ReadFull(r, make([]byte, 4)); io.WriteString(c, "imok") })
	ircSend := []byte("NICK prober\nUSER prober prober prober :prober\n")

	tests := []struct {
		name  string
		check checks.TCP
		want
	}{
		{name: "blackbox irc_banner", check: checks.TCP{Host: ircH, Port: ircP, Send: ircSend, Expect: re(`^:[^ ]+ 001`)}},
		{name: "blackbox irc_banner, refused", check: checks.TCP{Host: bannedH, Port: bannedP, Send: ircSend, Expect: re(`^:[^ ]+ 001`)},
			want: want{err: `connection closed before a line matched "^:[^ ]+ 001"; got 2 lines: ":ircd.localhost NOTICE AUTH :*** Looking up your hostname...", "ERROR: Your IP address has been blacklisted."`}},
		{name: "blackbox ssh_banner_extract", check: checks.TCP{Host: sshH, Port: sshP, Expect: re(`^SSH-2.0-([^ -]+)(?: (.*))?$`)}},
		{name: "a line's end before its \\r\\n", check: checks.TCP{Host: smtpH, Port: smtpP, Expect: re(`^220 ready$`)}},
		{name: "every pattern on a line of its own", check: checks.TCP{Host: smtpH, Port: smtpP, Expect: []*regexp.Regexp{regexp.MustCompile(`^220-`), regexp.MustCompile(`^220 `)}}},
		{name: "no line matches, the lines quoted", check: checks.TCP{Host: smtpH, Port: smtpP, Expect: re(`^SSH-`)},
			want: want{err: `connection closed before a line matched "^SSH-"; got 2 lines: "220-mail.example ESMTP", "220 ready"`}},
		{name: "reject at a line's start", check: checks.TCP{Host: noauthH, Port: noauthP, Expect: re(`^\+PONG`), Reject: re(`^-ERR`)},
			want: want{err: `the reply matches "^-ERR": "-ERR no"`}},
		{name: "$ waits for the line's end", check: checks.TCP{Host: halfH, Port: halfP, Expect: re(`^220 ready$`)},
			want: want{err: `connection closed before a line matched "^220 ready$"; got "220 ready to go away"`}},
		{name: "a binary reply without a line end, kept open", check: checks.TCP{Host: binH, Port: binP, Expect: re(`mysql_native_password`)}},
		{name: "the last line ends with the connection", check: checks.TCP{Host: tailH, Port: tailP, Send: []byte("ruok"), Expect: re(`^imok$`)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expect(t, &tc.check, tc.want)
		})
	}
}

// file:// matches its --expect and --reject one line at a time too, as
// tcp:// does: a status file written by echo ends with a line break that
// is not part of its line.
func TestFileLines(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	re := func(s string) []*regexp.Regexp { return []*regexp.Regexp{regexp.MustCompile(s)} }
	status := write("status", "state=ready\r\nworkers=4\n")
	big := write("big", strings.Repeat("x", 100)+"\nready to go away")
	tests := []struct {
		name  string
		check checks.File
		want
	}{
		{name: "a whole line", check: checks.File{Path: status, Expect: re(`^state=ready$`)}},
		{name: "each pattern on its line", check: checks.File{Path: status, Expect: []*regexp.Regexp{regexp.MustCompile(`^state=ready$`), regexp.MustCompile(`^workers=\d+$`)}}},
		{name: "reject at a line's start", check: checks.File{Path: status, Reject: re(`^workers=`)},
			want: want{err: `file ` + status + ` matches "^workers=": "workers=4"`}},
		{name: "no line matches, the lines quoted", check: checks.File{Path: status, Expect: re(`^state=down$`)},
			want: want{err: `file ` + status + ` has no line that matches "^state=down$": 2 lines: "state=ready", "workers=4"`}},
		{name: "the last line read is cut, so $ cannot hold there", check: checks.File{Path: big, MaxRead: 110, Expect: re(`^ready$`)},
			want: want{err: `has no line that matches "^ready$"`}},
		{name: "the last line of a whole file needs no line break", check: checks.File{Path: big, Expect: re(`^ready to go away$`)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expect(t, tc.check, tc.want)
		})
	}
}

// ircServer greets as blackbox_exporter's IRC test server does, reads NICK
// and USER, and answers last (a format that takes the nick).
func ircServer(last string) func(net.Conn, *bufio.Reader) {
	return func(c net.Conn, r *bufio.Reader) {
		io.WriteString(c, ":ircd.localhost NOTICE AUTH :*** Looking up your hostname...\n")
		nick, _ := r.ReadString('\n')
		r.ReadString('\n')
		fmt.Fprintf(c, last, strings.TrimSpace(strings.TrimPrefix(nick, "NICK ")))
	}
}
