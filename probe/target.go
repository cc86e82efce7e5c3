package probe

import (
	"github.com/probe-sh/probe/internal/kinds"
	"github.com/probe-sh/probe/internal/sanitize"
)

// ParseTarget reads one target, a URL whose scheme names its kind, and
// builds its check. The scheme names the check's type: http:// and https://
// a checks.HTTP, grpc:// and grpcs:// a checks.GRPC, tcp://, tls:// and
// unix: a checks.TCP, postgres:// a checks.Postgres, and so on for redis,
// mysql, memcached, amqp, nats, mqtt, mongodb, kafka, dns, file and listen.
//
// Templates are checks of those types, by value, one at most of each: the
// template of the target's type is copied, and what the URL says (host,
// port, path, user and password, service, query) set in the copy; the
// rest, its options, are the template's. A target with no template of its
// type has the check's own defaults. The scheme decides whether TLS is
// spoken: a template's TLS configures it where it is (https://, grpcs://,
// tls://, rediss://...) and is left out where it is not.
//
// The Target is named as written, its secrets masked, and lists them for
// Run to mask in results: the URL's userinfo and secret query values, and
// the secret headers and passwords of its check. Errors say what is wrong
// in one printable line, and never show the URL's userinfo. ParseTarget
// reads no file and opens no connection.
func ParseTarget(raw string, templates ...Check) (Target, error) {
	t, err := kinds.Parse(raw, templates)
	if err != nil {
		return Target{}, printable(err)
	}
	return Target{Name: t.Name, Kind: t.Kind, Check: t.Check, Secrets: t.Secrets}, nil
}

// printable makes err one printable line, keeping what it wraps: a target
// is anyone's text, and a message that quotes it may carry a line break or
// an escape code (a kind's error, a template's field).
func printable(err error) error {
	msg := err.Error()
	if line := sanitize.Printable(msg); line != msg {
		return &lineError{line, err}
	}
	return err
}

// lineError is an error with its message made printable.
type lineError struct {
	msg string
	err error
}

func (e *lineError) Error() string { return e.msg }
func (e *lineError) Unwrap() error { return e.err }
