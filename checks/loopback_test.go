package checks_test

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/netpolicy"
)

// TestLoopbackOnly: with the policy, loopback and Unix sockets are
// reached as ever; an address that is not loopback is refused before
// anything is sent, whether the target names it, a DNS answer gives it,
// or a redirect leads to it; the line says which.
func TestLoopbackOnly(t *testing.T) {
	t.Parallel()
	app := serve(t, "http", "tcp4", "127.0.0.1:0")
	_, appPort := hostPort(t, app)
	sock := filepath.Join(t.TempDir(), "app.sock")
	serve(t, "http", "unix", sock)
	ctx := netpolicy.WithLoopbackOnly(context.Background())
	u := func(raw string) *url.URL { return mustURL(t, raw) }
	for _, c := range []struct {
		name  string
		check interface {
			Run(context.Context, *checks.Trace) (string, error)
		}
		refused string // "" when it passes
	}{
		{"127.0.0.1", checks.HTTP{URL: u("http://" + app + "/healthz")}, ""},
		{"localhost", checks.HTTP{URL: u("http://localhost:" + appPort + "/healthz")}, ""},
		{"a name that resolves to loopback", checks.HTTP{URL: u("http://app.test:" + appPort + "/healthz")}, ""},
		{"a Unix socket, whatever the host", checks.HTTP{URL: u("http://10.255.255.1/healthz"), Socket: sock}, ""},
		{"a redirect on loopback", checks.HTTP{URL: u("http://" + app + "/redirect-to?url=" + url.QueryEscape("http://localhost:"+appPort+"/healthz")), MaxRedirects: 1}, ""},
		{"a literal address", checks.TCP{Host: "10.255.255.1", Port: "80"}, "connect: 10.255.255.1:80 is not a loopback address: refused, nothing sent"},
		{"an IPv4-mapped one", checks.TCP{Host: "::ffff:10.255.255.1", Port: "80"}, "connect: [::ffff:10.255.255.1]:80 is not a loopback address: refused, nothing sent"},
		{"a DNS answer", checks.HTTP{URL: u("http://far.test:" + appPort + "/healthz")}, "connect: 10.255.255.1:" + appPort + " is not a loopback address: refused, nothing sent"},
		{"a redirect to another address", checks.HTTP{URL: u("http://" + app + "/redirect-to?url=" + url.QueryEscape("http://10.255.255.1:8080/x")), MaxRedirects: 1},
			"a redirect to http://10.255.255.1:8080/x: connect: 10.255.255.1:8080 is not a loopback address: refused, nothing sent"},
		{"a redirect to a name that resolves elsewhere", checks.HTTP{URL: u("http://" + app + "/redirect-to?url=" + url.QueryEscape("https://far.test/x")), MaxRedirects: 1},
			"a redirect to https://far.test/x: connect: 10.255.255.1:443 is not a loopback address: refused, nothing sent"},
		{"a DNS server elsewhere", checks.DNS{Host: "10.255.255.1", Port: "53", Name: "app.test"}, "connect: 10.255.255.1:53 is not a loopback address: refused, nothing sent"},
		{"a DNS server over TCP elsewhere", checks.DNS{Host: "10.255.255.1", Port: "53", Name: "app.test", TCP: true}, "connect: 10.255.255.1:53 is not a loopback address: refused, nothing sent"},
		{"gRPC", checks.GRPC{Host: "10.255.255.1", Port: "50051"}, "connect: 10.255.255.1:50051 is not a loopback address: refused, nothing sent"},
		{"a database", checks.Postgres{Host: "far.test", Port: "5432"}, "connect: 10.255.255.1:5432 is not a loopback address: refused, nothing sent"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			seen, err := c.check.Run(ctx, &checks.Trace{})
			switch {
			case c.refused == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.refused == "":
				t.Logf("passed: %s", seen)
			case err == nil || err.Error() != c.refused:
				t.Fatalf("got %v\nwant %s", err, c.refused)
			case !errors.Is(err, netpolicy.ErrNotLoopback):
				t.Fatalf("%v does not unwrap to ErrNotLoopback", err)
			}
			var ce *checks.ConnError
			if c.refused != "" && !errors.As(err, &ce) {
				t.Errorf("%T, want a *checks.ConnError", err)
			}
		})
	}
}
