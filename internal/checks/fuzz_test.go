package checks_test

import (
	"context"
	"net"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/checks"
)

func FuzzParseStatusRanges(f *testing.F) {
	for _, s := range []string{"200-399", "200-299,304", "200", " 100 - 599 ", "", "-", "200-", "2000", "200,,300"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := checks.ParseStatusRanges(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
			return
		}
		again, err := checks.ParseStatusRanges(r.String())
		if err != nil || again.String() != r.String() {
			t.Fatalf("%q -> %q does not parse back: %v", s, r, err)
		}
		for _, sr := range r {
			if sr.Lo < 100 || sr.Hi > 599 || sr.Lo > sr.Hi {
				t.Fatalf("%q gave an invalid range %v", s, sr)
			}
		}
	})
}

func FuzzUnescape(f *testing.F) {
	for _, s := range []string{`PING\r\n`, `\x00`, `\0`, `\`, `\x`, `\u00e9`, `plain`, `\\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := checks.Unescape(s)
		if err == nil && !strings.Contains(s, `\`) && string(b) != s {
			t.Fatalf("%q without escapes changed to %q", s, b)
		}
	})
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1MiB", "64KiB", "512", "1.5MiB", "-1", "9223372036854775807GiB", "kb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := checks.ParseSize(s)
		if err == nil && n < 0 {
			t.Fatalf("%q parsed to a negative size %d", s, n)
		}
	})
}

// FuzzHTTPResponse serves arbitrary bytes as the reply on a real loopback
// socket: whatever comes back, the check returns within its deadline with
// nil or a one-line error, and never panics.
func FuzzHTTPResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.0 200\r\n\r\nbody until close",
		"garbage",
		"",
		"HTTP/1.1 999 Weird\r\nContent-Length: -1\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	defer ln.Close()
	replies := make(chan []byte, 1)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			reply := <-replies
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				_ = c.SetReadDeadline(time.Now().Add(time.Second))
				_, _ = c.Read(buf)
				_, _ = c.Write(reply)
			}()
		}
	}()
	u, _ := url.Parse("http://" + ln.Addr().String() + "/")
	f.Fuzz(func(t *testing.T, reply []byte) {
		replies <- reply
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := (&checks.HTTP{URL: u, MaxBody: 4096}).Run(ctx, checks.NewTrace())
			done <- err
		}()
		var err error
		select {
		case err = <-done:
		case <-time.After(3 * time.Second):
			buf := make([]byte, 1<<20)
			t.Fatalf("check still running 2.5s past its deadline on reply %q:\n%s", reply, buf[:runtime.Stack(buf, true)])
		}
		if err != nil && strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("error spans lines: %q", err)
		}
	})
}
