package checks_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2/hpack"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/wire/jsonpath"
)

func FuzzStatusRanges(f *testing.F) {
	for _, s := range []string{"200-399", "200-299,304", "200", " 100 - 599 ", "", "-", "200-", "2000", "200,,300"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var r checks.StatusRanges
		err := r.UnmarshalText([]byte(s))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
			return
		}
		var again checks.StatusRanges
		err = again.UnmarshalText([]byte(r.String()))
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

func FuzzSize(f *testing.F) {
	for _, s := range []string{"1MiB", "64KiB", "512", "1.5MiB", "-1", "9223372036854775807GiB", "kb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var n checks.Size
		err := n.UnmarshalText([]byte(s))
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
	// One listener answers every connection with the current input: after
	// a reply that is empty or reset, probe asks again with the HTTP/2
	// preface (an h2c-only server?), and that connection gets it too.
	var current atomic.Pointer[[]byte]
	ln := serveEach(f, func(c net.Conn) {
		buf := make([]byte, 4096)
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		_, _ = c.Read(buf)
		_, _ = c.Write(*current.Load())
	})
	f.Fuzz(func(t *testing.T, reply []byte) {
		current.Store(&reply)
		u, _ := url.Parse("http://" + ln.Addr().String() + "/")
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

// serveEach serves every connection to a loopback listener with handle,
// until the fuzz test ends.
func serveEach(f *testing.F, handle func(net.Conn)) net.Listener {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return ln
}

// h2Frame is one HTTP/2 frame, for seeds.
func h2Frame(typ, flags byte, stream uint32, payload []byte) []byte {
	n := len(payload)
	return append([]byte{byte(n >> 16), byte(n >> 8), byte(n), typ, flags,
		byte(stream >> 24), byte(stream >> 16), byte(stream >> 8), byte(stream)}, payload...)
}

// hpackBlock encodes header fields, name then value.
func hpackBlock(kv ...string) []byte {
	var b bytes.Buffer
	enc := hpack.NewEncoder(&b)
	for i := 0; i+1 < len(kv); i += 2 {
		_ = enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return b.Bytes()
}

// FuzzGRPCReply serves arbitrary bytes as a gRPC server's side of the
// connection: whatever comes, the check returns by its deadline with nil
// or a one-line, printable error, and never panics; and it says SERVING
// only when the reply holds the SERVING status.
func FuzzGRPCReply(f *testing.F) {
	settings := h2Frame(4, 0, 0, nil)
	headers := h2Frame(1, 4, 1, hpackBlock(":status", "200", "content-type", "application/grpc"))
	serving := h2Frame(0, 0, 1, []byte{0, 0, 0, 0, 2, 8, 1})
	trailers := h2Frame(1, 5, 1, hpackBlock("grpc-status", "0"))
	full := slices.Concat(settings, headers, serving, trailers)
	f.Add(full)
	f.Add(slices.Concat(settings, h2Frame(1, 5, 1, hpackBlock(":status", "200", "content-type", "application/grpc", "grpc-status", "12", "grpc-message", "unknown%20service"))))
	f.Add(slices.Concat(settings, headers, h2Frame(0, 0, 1, []byte{0, 0, 0, 0, 2, 8, 2}), trailers))
	f.Add(slices.Concat(settings, h2Frame(7, 0, 0, []byte{0, 0, 0, 0, 0, 0, 0, 11, 'x'})))
	f.Add(slices.Concat(settings, h2Frame(3, 0, 1, []byte{0, 0, 0, 8})))
	f.Add(slices.Concat(settings, headers, h2Frame(9, 4, 1, hpackBlock("x", "y"))))
	f.Add(slices.Concat(settings, h2Frame(6, 0, 0, make([]byte, 8)), headers, serving, trailers))
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
	f.Add([]byte{})

	var current atomic.Pointer[[]byte]
	ln := serveEach(f, func(c net.Conn) {
		// The reply, then EOF; and read what probe sends until it hangs up,
		// so that no unread byte turns the close into a reset.
		_ = c.SetDeadline(time.Now().Add(time.Second))
		_, _ = c.Write(*current.Load())
		_ = c.(*net.TCPConn).CloseWrite()
		_, _ = io.Copy(io.Discard, c)
	})
	f.Fuzz(func(t *testing.T, reply []byte) {
		current.Store(&reply)
		host, port, _ := net.SplitHostPort(ln.Addr().String())
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		type result struct {
			seen string
			err  error
		}
		done := make(chan result, 1)
		go func() {
			seen, err := (&checks.GRPC{Host: host, Port: port}).Run(ctx, checks.NewTrace())
			done <- result{seen, err}
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(3 * time.Second):
			buf := make([]byte, 1<<20)
			t.Fatalf("check still running past its deadline on reply %q:\n%s", reply, buf[:runtime.Stack(buf, true)])
		}
		if r.err != nil {
			msg := r.err.Error()
			if strings.ContainsAny(msg, "\n\r") || sanitize.Printable(msg) != msg {
				t.Fatalf("error is not one printable line: %q", msg)
			}
			return
		}
		if !bytes.Contains(reply, []byte{0, 0, 0, 0, 2, 8, 1}) && !bytes.Contains(reply, []byte{8, 1}) {
			t.Fatalf("SERVING (%q) from a reply without the SERVING status: %q", r.seen, reply)
		}
	})
}

// FuzzJSON: any body and any assertion give an answer without a panic, in
// one printable line. (What a body must be is internal/wire/jsonpath's
// FuzzDecode.)
func FuzzJSON(f *testing.F) {
	f.Add([]byte(`{"status":"UP","components":{"db":{"status":"UP"}},"checks":[{"status":"UP"}]}`), "components.*.status!=DOWN")
	f.Add([]byte(`{"a":{"a":1,"a":2}}`), "a.a=2")
	f.Add([]byte(`[[[1]]] x`), "0.0.#=1")
	f.Add([]byte(`{"e\u001b":1e400}`), `e\u001b=1e400`)
	f.Fuzz(func(t *testing.T, body []byte, assertion string) {
		doc, err := jsonpath.Decode(body)
		a, perr := checks.ParseJSONAssertion(assertion)
		if perr != nil || err != nil {
			return
		}
		if cerr := a.Check(doc); cerr != nil {
			if msg := cerr.Error(); strings.ContainsAny(msg, "\n\r\x1b") {
				t.Fatalf("the message is not one printable line: %q", msg)
			}
		}
	})
}
