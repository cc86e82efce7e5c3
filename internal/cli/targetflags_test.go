package cli

import (
	"fmt"
	"io"
	"testing"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/kinds"
)

// TestDatabaseLoginFromEnvironment: what a database target's URL does not
// name, the user and the database, comes from the variables its clients
// read, then from the ones the official image sets in the container the
// check runs in (docs/databases.md); an empty variable is not set.
func TestDatabaseLoginFromEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target string
		env    map[string]string
		want   any
	}{
		{"nothing: the check's own defaults", "postgres://db:5432", nil, checks.Postgres{Host: "db", Port: "5432"}},
		{"the official image's variables", "postgres://db:5432", map[string]string{"POSTGRES_USER": "app", "POSTGRES_DB": "appdb"},
			checks.Postgres{Host: "db", Port: "5432", User: "app", Database: "appdb"}},
		{"libpq's variables before the image's", "postgres://db", map[string]string{"PGUSER": "u", "PGDATABASE": "d", "POSTGRES_USER": "app", "POSTGRES_DB": "appdb"},
			checks.Postgres{Host: "db", Port: "5432", User: "u", Database: "d"}},
		{"an empty variable is not set", "postgres://db", map[string]string{"PGUSER": "", "POSTGRES_USER": "app"}, checks.Postgres{Host: "db", Port: "5432", User: "app"}},
		{"the URL before any variable", "postgres://me@db/mine", map[string]string{"POSTGRES_USER": "app", "POSTGRES_DB": "appdb"},
			checks.Postgres{Host: "db", Port: "5432", User: "me", Database: "mine"}},
		{"MariaDB's image", "mysql://db", map[string]string{"MARIADB_USER": "maria", "MYSQL_USER": "my"}, checks.MySQL{Host: "db", Port: "3306", User: "maria"}},
		{"MySQL's image", "mysql://db", map[string]string{"MYSQL_USER": "my"}, checks.MySQL{Host: "db", Port: "3306", User: "my"}},
		{"the URL first, and its database", "mariadb://me@db:3307/shop", map[string]string{"MYSQL_USER": "my"}, checks.MySQL{Host: "db", Port: "3307", User: "me", Database: "shop"}},
		{"redis-cli's password", "redis://cache", map[string]string{"REDISCLI_AUTH": "s3cret"}, checks.Redis{Host: "cache", Port: "6379", Password: "s3cret"}},
		{"the URL's userinfo, all of it, before redis-cli's password", "redis://app@cache", map[string]string{"REDISCLI_AUTH": "s3cret"}, checks.Redis{Host: "cache", Port: "6379", User: "app"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, name := range []string{"PGUSER", "POSTGRES_USER", "PGDATABASE", "POSTGRES_DB", "MARIADB_USER", "MYSQL_USER", "REDISCLI_AUTH"} {
				t.Setenv(name, tc.env[name])
			}
			cli, _, _, err := testParse([]string{tc.target}, io.Discard, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			targets, err := cli.Check.build(cli.Check.Targets, "/proc", Stamp{})
			if err != nil {
				t.Fatal(err)
			}
			if got := targets[0].Check; got != tc.want {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

// TestEveryKindHasATemplate: the flags reach every kind of target: a kind
// added to the table without its template would check with none of them.
func TestEveryKindHasATemplate(t *testing.T) {
	cli, _, _, err := testParse([]string{"http://x/"}, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o, err := cli.Check.options(Stamp{}, "/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kinds.All() {
		if tmpl := o.template(&k); tmpl == nil || fmt.Sprintf("%T", tmpl) != fmt.Sprintf("%T", k.Zero()) {
			t.Errorf("kind %s: template %T, want a %T", k.Name, tmpl, k.Zero())
		}
	}
}
