package probe_test

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/probe"
)

// TestDatabaseLoginTemplates: what a database target's URL does not name,
// the user and the database, is its template's (the command line fills it
// from the variables the clients read: internal/cli), and the URL's when it
// names them.
func TestDatabaseLoginTemplates(t *testing.T) {
	t.Parallel()
	image := checks.Postgres{User: "app", Database: "appdb"}
	for _, tc := range []struct {
		name     string
		target   string
		template probe.Check // nil: none
		want     probe.Check
	}{
		{"no template: the check's own defaults", "postgres://db:5432", nil, checks.Postgres{Host: "db", Port: "5432"}},
		{"the template's", "postgres://db:5432", image, checks.Postgres{Host: "db", Port: "5432", User: "app", Database: "appdb"}},
		{"the URL before the template", "postgres://me@db/mine", image, checks.Postgres{Host: "db", Port: "5432", User: "me", Database: "mine"}},
		{"the URL's user, the template's database", "postgresql://me@db", image, checks.Postgres{Host: "db", Port: "5432", User: "me", Database: "appdb"}},
		{"mysql: the template's user", "mysql://db", checks.MySQL{User: "maria"}, checks.MySQL{Host: "db", Port: "3306", User: "maria"}},
		{"mariadb: the URL first, and its database", "mariadb://me@db:3307/shop", checks.MySQL{User: "my"}, checks.MySQL{Host: "db", Port: "3307", User: "me", Database: "shop"}},
		{"amqp: the URL's login and virtual host", "amqp://app:s3cret@mq:5673/orders", nil, checks.AMQP{Host: "mq", Port: "5673", User: "app", Password: "s3cret", VHost: "orders"}},
		{"amqp: a user, no password", "amqp://app@mq/", nil, checks.AMQP{Host: "mq", Port: "5672", User: "app"}},
		{"amqp: the template's login", "amqp://mq", checks.AMQP{User: "app", Password: "pw", VHost: "v"}, checks.AMQP{Host: "mq", Port: "5672", User: "app", Password: "pw", VHost: "v"}},
		{"redis: the URL's userinfo, all of it", "redis://:pw@r", checks.Redis{User: "tmpl", Password: "tmplpw"}, checks.Redis{Host: "r", Port: "6379", Password: "pw"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var templates []probe.Check
			if tc.template != nil {
				templates = append(templates, tc.template)
			}
			target, err := probe.ParseTarget(tc.target, templates...)
			if err != nil {
				t.Fatal(err)
			}
			if target.Check != tc.want {
				t.Errorf("got %#v, want %#v", target.Check, tc.want)
			}
		})
	}
}

// TestTemplates: each target copies the template of its kind's type, and
// nothing else; the scheme decides whether TLS is spoken; a password or a
// secret header of the template is a secret of the target; a template that
// is no kind's check, or two of one type, is refused.
func TestTemplates(t *testing.T) {
	t.Parallel()
	cfg := &tls.Config{ServerName: "api"}
	templates := []probe.Check{
		checks.TCP{Send: []byte("PING\r\n"), TLS: cfg, CertExpiry: 1},
		checks.Redis{TLS: cfg, Password: "r3dis-pw"},
		checks.HTTP{Header: []checks.Header{{Name: "Authorization", Value: "Bearer t0k3n"}}, Method: "head"},
	}
	for _, tc := range []struct {
		target string
		check  func(c probe.Check) bool
		secret string
	}{
		{"tcp://db:1", func(c probe.Check) bool { t := c.(checks.TCP); return t.TLS == nil && string(t.Send) == "PING\r\n" }, ""},
		{"tls://db:1", func(c probe.Check) bool { return c.(checks.TCP).TLS == cfg }, ""},
		{"unix:/run/db.sock", func(c probe.Check) bool {
			t := c.(checks.TCP)
			return t.TLS == nil && t.CertExpiry == 0 && t.Socket == "/run/db.sock" && string(t.Send) == "PING\r\n"
		}, ""},
		{"redis://cache", func(c probe.Check) bool { return c.(checks.Redis).TLS == nil }, "r3dis-pw"},
		{"rediss://cache", func(c probe.Check) bool { return c.(checks.Redis).TLS == cfg }, "r3dis-pw"},
		{"http://app/", func(c probe.Check) bool { return c.(checks.HTTP).Method == "HEAD" }, "t0k3n"},
		{"grpcs://app:1", func(c probe.Check) bool {
			g := c.(checks.GRPC)
			return g.TLS != nil && g.TLS != cfg && len(g.Metadata) == 0
		}, ""},
	} {
		target, err := probe.ParseTarget(tc.target, templates...)
		if err != nil {
			t.Errorf("%s: %v", tc.target, err)
			continue
		}
		if !tc.check(target.Check) {
			t.Errorf("%s: %#v", tc.target, target.Check)
		}
		if tc.secret != "" && !strings.Contains(strings.Join(target.Secrets, " "), tc.secret) {
			t.Errorf("%s: secrets %q lack the template's %q", tc.target, target.Secrets, tc.secret)
		}
	}

	for _, tc := range []struct {
		name      string
		templates []probe.Check
		err       string
	}{
		{"no kind's check", []probe.Check{checks.Process{}}, "template 1 is a checks.Process, not the check of a target kind (such as checks.HTTP or checks.TCP, by value)"},
		{"a pointer", []probe.Check{&checks.HTTP{}}, "template 1 is a *checks.HTTP, not the check of a target kind (such as checks.HTTP or checks.TCP, by value)"},
		{"two of one type", []probe.Check{checks.HTTP{}, checks.HTTP{Method: "POST"}}, "two templates of type checks.HTTP: give one"},
	} {
		if _, err := probe.ParseTarget("http://app/", tc.templates...); err == nil || err.Error() != tc.err {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
		}
	}
}
