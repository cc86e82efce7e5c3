package probe_test

import (
	"testing"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/probe"
)

// TestDatabaseLoginDefaults: what a database target's URL does not name,
// the user and the database, comes from the variables its clients read,
// then from the ones the official image sets in the container the check
// runs in, and never from the environment when Defaults.Getenv is nil.
func TestDatabaseLoginDefaults(t *testing.T) {
	t.Parallel()
	official := map[string]string{"POSTGRES_USER": "app", "POSTGRES_DB": "appdb"}
	for _, tc := range []struct {
		name   string
		target string
		env    map[string]string // nil: Defaults.Getenv is nil
		want   checks.Postgres
	}{
		{"nothing: the check's own defaults", "postgres://db:5432", nil, checks.Postgres{Host: "db", Port: "5432"}},
		{"the official image's variables", "postgres://db:5432", official, checks.Postgres{Host: "db", Port: "5432", User: "app", Database: "appdb"}},
		{"libpq's variables before the image's", "postgres://db", map[string]string{"PGUSER": "u", "PGDATABASE": "d", "POSTGRES_USER": "app", "POSTGRES_DB": "appdb"},
			checks.Postgres{Host: "db", Port: "5432", User: "u", Database: "d"}},
		{"an empty variable is not set", "postgres://db", map[string]string{"PGUSER": "", "POSTGRES_USER": "app"}, checks.Postgres{Host: "db", Port: "5432", User: "app"}},
		{"the URL before any variable", "postgres://me@db/mine", official, checks.Postgres{Host: "db", Port: "5432", User: "me", Database: "mine"}},
		{"the URL's user, the image's database", "postgres://me@db", official, checks.Postgres{Host: "db", Port: "5432", User: "me", Database: "appdb"}},
		{"the image sets only the user", "postgres://db", map[string]string{"POSTGRES_USER": "app"}, checks.Postgres{Host: "db", Port: "5432", User: "app"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := probe.Defaults{}
			if tc.env != nil {
				d.Getenv = func(name string) string { return tc.env[name] }
			}
			target, err := probe.ParseTarget(tc.target, d)
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := target.Check.(checks.Postgres); !ok || got != tc.want {
				t.Errorf("got %#v, want %#v", target.Check, tc.want)
			}
		})
	}
}

// TestMySQLLoginDefaults: mysql:// logs in as the URL's user, else the
// account the official images make for the app, else root (the check's
// default).
func TestMySQLLoginDefaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		target string
		env    map[string]string
		want   checks.MySQL
	}{
		{"nothing: the check's own default", "mysql://db", nil, checks.MySQL{Host: "db", Port: "3306"}},
		{"MariaDB's image", "mysql://db", map[string]string{"MARIADB_USER": "maria", "MYSQL_USER": "my"}, checks.MySQL{Host: "db", Port: "3306", User: "maria"}},
		{"MySQL's image", "mysql://db", map[string]string{"MYSQL_USER": "my"}, checks.MySQL{Host: "db", Port: "3306", User: "my"}},
		{"the URL first, and its database", "mariadb://me@db:3307/shop", map[string]string{"MYSQL_USER": "my"}, checks.MySQL{Host: "db", Port: "3307", User: "me", Database: "shop"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := probe.Defaults{}
			if tc.env != nil {
				d.Getenv = func(name string) string { return tc.env[name] }
			}
			target, err := probe.ParseTarget(tc.target, d)
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := target.Check.(checks.MySQL); !ok || got != tc.want {
				t.Errorf("got %#v, want %#v", target.Check, tc.want)
			}
		})
	}
}

// TestAMQPLogin: amqp:// logs in when its URL names a user, to the virtual
// host its path names.
func TestAMQPLogin(t *testing.T) {
	t.Parallel()
	for target, want := range map[string]checks.AMQP{
		"amqp://mq":                        {Host: "mq", Port: "5672"},
		"amqp://app:s3cret@mq:5673/orders": {Host: "mq", Port: "5673", User: "app", Password: "s3cret", VHost: "orders"},
		"amqp://app@mq/":                   {Host: "mq", Port: "5672", User: "app"},
	} {
		got, err := probe.ParseTarget(target, probe.Defaults{})
		if err != nil {
			t.Fatal(err)
		}
		if a, ok := got.Check.(checks.AMQP); !ok || a != want {
			t.Errorf("%s: got %#v, want %#v", target, got.Check, want)
		}
	}
}
