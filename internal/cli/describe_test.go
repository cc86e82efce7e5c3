package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/probe"
)

// TestDescribe: the command line adds to a check's own line the flag that
// sets the condition that failed, or that would fix it, by the error's type
// and Field; an error no flag helps with is printed as the check wrote it.
func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"a status", &checks.StatusError{Status: 503, Want: checks.StatusRanges{{Lo: 200, Hi: 399}}},
			"HTTP 503 Service Unavailable, want 200-399 (--status)"},
		{"a body", &checks.ReplyError{Field: "ExpectBody", Msg: `HTTP 200, but the body does not match "UP": "DOWN"`},
			`HTTP 200, but the body does not match "UP": "DOWN" (--expect-body)`},
		{"a JSON body", &checks.ReplyError{Field: "ExpectJSON", Msg: `status is "DOWN", want "UP"`}, `status is "DOWN", want "UP" (--expect-json)`},
		{"a body too large", &checks.ReplyError{Field: "MaxBody", Msg: "response body is larger than 1MiB"}, "response body is larger than 1MiB (--max-body)"},
		{"a reply", &checks.ReplyError{Field: "Reject", Msg: `the reply matches "^-ERR": "-ERR"`}, `the reply matches "^-ERR": "-ERR" (--reject)`},
		{"a body not decoded", &checks.ReplyError{Msg: "HTTP 200, but the body is not valid gzip"}, "HTTP 200, but the body is not valid gzip"},
		{"a file too old", &checks.StateError{Field: "MaxAge", Msg: "file /x is 2m0s old, older than 1m0s: modified at T"},
			"file /x is 2m0s old, older than 1m0s: modified at T (--max-age)"},
		{"a process's memory", &checks.StateError{Field: "MaxRSS", Msg: "process 1 (app) uses 600MiB of memory, above 512MiB"},
			"process 1 (app) uses 600MiB of memory, above 512MiB (--max-rss)"},
		{"a certificate soon expired", &checks.TLSError{Field: "CertExpiry", Msg: "certificate for \"x\" expires T (in 2 days), within 14d"},
			"tls: certificate for \"x\" expires T (in 2 days), within 14d (--cert-expiry)"},
		{"an unknown authority", &checks.TLSError{Field: "RootCAs", Msg: "certificate signed by unknown authority", Err: x509.UnknownAuthorityError{}},
			"tls: certificate signed by unknown authority (use --ca FILE, SSL_CERT_FILE or --insecure)"},
		{"another name", &checks.TLSError{Field: "ServerName", Msg: `certificate is not valid for "x"`, Err: x509.HostnameError{Host: "x"}},
			`tls: certificate is not valid for "x" (name the server it was issued for with --server-name NAME, or use --insecure)`},
		{"no name sent", &checks.TLSError{Field: "ServerName", Msg: "the server refused the handshake: internal error; no server name was sent, as the target is an IP address"},
			"tls: the server refused the handshake: internal error; no server name was sent, as the target is an IP address: name it with --server-name NAME"},
		{"HTTP/2 only", &checks.ProtocolError{Field: "HTTP2", Msg: "http2: the server speaks only HTTP/2 (h2c), and dropped the HTTP/1.1 request: check it over HTTP/2"},
			"http2: the server speaks only HTTP/2 (h2c), and dropped the HTTP/1.1 request: check it over HTTP/2 (--http2)"},
		{"a PostgreSQL user", &checks.ServerError{Code: "28000", Field: "User", Msg: `the server is up, but refused the login of user app to database app: role "app" does not exist (SQLSTATE 28000); name a user it lets in`},
			`the server is up, but refused the login of user app to database app: role "app" does not exist (SQLSTATE 28000); name a user it lets in: in the target's userinfo, or PGUSER or POSTGRES_USER in probe's environment`},
		{"a MySQL database", &checks.ServerError{Code: "1049", Field: "Database", Msg: "the server is up, but refused the login of user app: Unknown database 'x' (error 1049); name a database that exists"},
			"the server is up, but refused the login of user app: Unknown database 'x' (error 1049); name a database that exists, as the target's path"},
		{"a DNS code", &checks.ServerError{Code: "NOERROR", Field: "Rcodes", Msg: "NOERROR for x A, where the codes accepted are NXDOMAIN"},
			"NOERROR for x A, where the codes accepted are NXDOMAIN (--rcode)"},
		{"a server's word", &checks.ServerError{Code: "LOADING", Msg: "loading: Redis is loading its dataset into memory (-LOADING)"},
			"loading: Redis is loading its dataset into memory (-LOADING)"},
		{"a refused connection", &checks.ConnError{Op: "connect", Msg: "connect: connection refused (127.0.0.1:1)"}, "connect: connection refused (127.0.0.1:1)"},
		{"a timeout", &probe.StoppedError{Elapsed: 501 * time.Millisecond, Timeout: 500 * time.Millisecond, Phase: checks.PhaseFirstByte, Partial: `"HTTP/1.1 2"`, Cause: context.DeadlineExceeded},
			`timeout after 501.0ms waiting for the first byte of the response; got "HTTP/1.1 2" so far (--timeout 500ms)`},
		{"a cancel", &probe.StoppedError{Elapsed: 20 * time.Millisecond, Timeout: 500 * time.Millisecond, Phase: checks.PhaseConnect, Cause: errors.New("received SIGTERM")},
			"received SIGTERM after 20.0ms connecting"},
		{"wrapped", errors.Join(errors.New("x"), &checks.StatusError{Status: 500, Want: checks.StatusRanges{{Lo: 200, Hi: 200}}}),
			"x\nHTTP 500 Internal Server Error, want 200 (--status)"},
	} {
		if got := describe(tc.err); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}
