package probe_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/kinds"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/probe"
)

// secret is planted in the userinfo of fuzzed targets; no error or name may
// show it. Every error is one printable line.
const secret = "S3CR3TPW"

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{
		"http://127.0.0.1:8080/healthz", "https://[::1]:8443/", "tcp://db:5432", "tls://x:1",
		"ftp://x", "localhost:8080", "http://[::1", "http://x:99999/", "tcp://x", "http://:80/", "://x",
		"listen://:8080", "listen://127.0.0.1:80", "listen://[::1]:443", "listen://db:5432", "listen://:0", "listen://:8080/x",
		"grpc://x:1/svc", "postgres://u@db/app", "redis://:pw@r", "unix:///run/app.sock", "unix-abstract:app", "file:///tmp/x",
	} {
		f.Add(s, false, false)
		f.Add(s, true, false)
		f.Add(s, false, true)
	}
	f.Add("unix:/x\r\n\x1b[2J\x00", false, true)
	f.Fuzz(func(t *testing.T, raw string, withSecret, socket bool) {
		if withSecret {
			if scheme, rest, ok := strings.Cut(raw, "://"); ok {
				raw = scheme + "://user:" + secret + "@" + rest
			}
		}
		leaks := func(s string) bool {
			return strings.Contains(s, secret) && !strings.Contains(strings.Replace(raw, "user:"+secret+"@", "", 1), secret)
		}
		templates := []probe.Check{checks.Listen{Proc: "/proc"}}
		if socket { // a Unix socket in place of the host and port
			templates = append(templates, checks.HTTP{Socket: "/run/app.sock"}, checks.TCP{Socket: "/run/app.sock"},
				checks.Postgres{Socket: "/run/app.sock"})
		}
		target, err := probe.ParseTarget(raw, templates...)
		if err != nil {
			if leaks(err.Error()) {
				t.Fatalf("error leaks the password: %q", err)
			}
			// One printable line (issue 34: --unix-socket's error held
			// the target's raw CR, LF, ESC and NUL).
			if msg := err.Error(); sanitize.Printable(msg) != msg {
				t.Fatalf("error is not one printable line: %q", err)
			}
			return
		}
		if leaks(target.Name) {
			t.Fatalf("name leaks the password: %q", target.Name)
		}
		if !slices.ContainsFunc(kinds.All(), func(k kinds.Kind) bool { return k.Name == target.Kind }) || target.Check == nil {
			t.Fatalf("accepted %q as kind %q with check %v", raw, target.Kind, target.Check)
		}
		switch c := target.Check.(type) {
		case checks.Listen:
			if c.Port == 0 {
				t.Fatalf("accepted listen target %q without a port", raw)
			}
		case checks.HTTP:
			if c.URL.Hostname() == "" {
				t.Fatalf("accepted %q without a host", raw)
			}
		case checks.TCP:
			if c.Host == "" && c.Socket == "" || c.Socket == "" && c.Port == "" {
				t.Fatalf("accepted %q without a host and port", raw)
			}
		}
	})
}
