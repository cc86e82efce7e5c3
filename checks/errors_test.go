package checks_test

import (
	"context"
	"crypto/x509"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
)

// TestErrorsAreTypedWithTheirCause: each failure a check returns is one of
// the package's types, says which field's condition failed (Field), and
// keeps its cause, so that errors.Is and errors.As reach what Go's own
// packages returned: the refused connection, the certificate's authority,
// the missing file, the exit status. Its text speaks of the check, not of
// probe's command line.
func TestErrorsAreTypedWithTheirCause(t *testing.T) {
	t.Parallel()
	app := serve(t, "http", "tcp4", "127.0.0.1:0")
	tlsApp := serve(t, "https", "tcp4", "127.0.0.1:0")
	closed := closedPort(t)
	redis, redisPort := scripted(t, -1, []byte("-LOADING Redis is loading the dataset in memory\r\n"))
	notRedis, notRedisPort := scripted(t, -1, []byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
	dir := t.TempDir()
	old := filepath.Join(dir, "heartbeat")
	if err := os.WriteFile(old, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(old, time.Now().Add(-time.Hour), time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	re := func(s string) []*regexp.Regexp { return []*regexp.Regexp{regexp.MustCompile(s)} }
	for _, tc := range []struct {
		name  string
		check interface {
			Run(context.Context, *checks.Trace) (string, error)
		}
		is func(t *testing.T, err error)
	}{
		{"a refused connection", checks.TCP{Host: "127.0.0.1", Port: closed}, func(t *testing.T, err error) {
			var ce *checks.ConnError
			var op *net.OpError
			if !errors.As(err, &ce) || ce.Op != "connect" || ce.Host != "127.0.0.1" || !errors.Is(err, syscall.ECONNREFUSED) || !errors.As(err, &op) {
				t.Errorf("%#v: want a *ConnError, connect, unwrapping to ECONNREFUSED and a *net.OpError", err)
			}
		}},
		{"an unknown authority", checks.HTTP{URL: mustURL(t, "https://"+tlsApp+"/")}, func(t *testing.T, err error) {
			var te *checks.TLSError
			var unknown x509.UnknownAuthorityError
			if !errors.As(err, &te) || te.Field != "RootCAs" || !errors.As(err, &unknown) {
				t.Errorf("%#v: want a *TLSError, RootCAs, unwrapping to x509.UnknownAuthorityError", err)
			}
		}},
		{"a status", checks.HTTP{URL: mustURL(t, "http://"+app+"/status/503")}, func(t *testing.T, err error) {
			var se *checks.StatusError
			if !errors.As(err, &se) || se.Status != 503 || err.Error() != "HTTP 503 Service Unavailable, want 200-399" {
				t.Errorf("%v: want a *StatusError, 503, in the check's words", err)
			}
		}},
		{"a body", checks.HTTP{URL: mustURL(t, "http://"+app+"/healthz"), ExpectBody: re("NOPE")}, func(t *testing.T, err error) {
			var re *checks.ReplyError
			if !errors.As(err, &re) || re.Field != "ExpectBody" {
				t.Errorf("%#v: want a *ReplyError, ExpectBody", err)
			}
		}},
		{"a missing file", checks.File{Path: filepath.Join(dir, "none")}, func(t *testing.T, err error) {
			var se *checks.StateError
			if !errors.As(err, &se) || se.Field != "" || !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%#v: want a *StateError unwrapping to fs.ErrNotExist", err)
			}
		}},
		{"a file too old", checks.File{Path: old, MaxAge: time.Minute}, func(t *testing.T, err error) {
			var se *checks.StateError
			if !errors.As(err, &se) || se.Field != "MaxAge" {
				t.Errorf("%#v: want a *StateError, MaxAge", err)
			}
		}},
		{"an exit code", checks.Command{Argv: []string{"sh", "-c", "exit 3"}}, func(t *testing.T, err error) {
			var ce *checks.CommandError
			var exit *exec.ExitError
			if !errors.As(err, &ce) || ce.Code != 3 || !errors.As(err, &exit) || exit.ExitCode() != 3 {
				t.Errorf("%#v: want a *CommandError, 3, unwrapping to an *exec.ExitError", err)
			}
		}},
		{"a server that is not ready", checks.Redis{Host: redis, Port: redisPort}, func(t *testing.T, err error) {
			var se *checks.ServerError
			if !errors.As(err, &se) || se.Code != "LOADING" {
				t.Errorf("%#v: want a *ServerError, LOADING", err)
			}
		}},
		{"another protocol", checks.Redis{Host: notRedis, Port: notRedisPort}, func(t *testing.T, err error) {
			var pe *checks.ProtocolError
			if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "not a Redis server") {
				t.Errorf("%#v: want a *ProtocolError", err)
			}
		}},
		{"a reply line not matched", checks.TCP{Host: notRedis, Port: notRedisPort, Send: []byte("PING\r\n"), Expect: re("PONG"), MaxRead: 8}, func(t *testing.T, err error) {
			var re *checks.ReplyError
			if !errors.As(err, &re) || re.Field != "Expect" {
				t.Errorf("%#v: want a *ReplyError, Expect", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := runCheck(t, tc.check, 5*time.Second)
			if err == nil {
				t.Fatal("healthy")
			}
			if strings.Contains(err.Error(), "--") {
				t.Errorf("%q names a flag", err)
			}
			tc.is(t, err)
		})
	}
}

// closedPort is a loopback port that nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}

// typed reports whether err is a timeout or one of the package's eight
// error types: what every failure of a kind must be.
func typed(err error) bool {
	var (
		conn *checks.ConnError
		tl   *checks.TLSError
		prot *checks.ProtocolError
		srv  *checks.ServerError
		st   *checks.StatusError
		rep  *checks.ReplyError
		sta  *checks.StateError
		cmd  *checks.CommandError
	)
	return checks.IsTimeout(err) || errors.As(err, &conn) || errors.As(err, &tl) || errors.As(err, &prot) ||
		errors.As(err, &srv) || errors.As(err, &st) || errors.As(err, &rep) || errors.As(err, &sta) || errors.As(err, &cmd)
}
