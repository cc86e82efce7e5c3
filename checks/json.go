package checks

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/wire/jsonpath"
)

// JSONAssertion is one condition on a JSON body (HTTP.ExpectJSON): a path
// into the body and what must hold there. Paths are written as gjson and wait4x write them, in the
// subset probe reads: keys joined by dots (components.db.status), array
// indexes (checks.0.status), # for an array's length (checks.#), * for
// every member of an object or element of an array (components.*.status),
// # before more keys for every element of an array (checks.#.status), and
// \ to make the next byte part of a key (metrics.http\.requests, \*).
// gjson's queries (#(...)), modifiers (@), pipes (|) and ? patterns are
// refused, not read as keys that are missing.
//
//	PATH=VALUE   the value there equals VALUE
//	PATH!=VALUE  a value is there and differs from VALUE
//	PATH         a value is there, whatever it is
//	!PATH        no value is there
//
// With * or #, every value the path reaches must hold the assertion, and
// there must be at least one; !PATH holds when there is none. VALUE is
// compared with a string as text ("UP"), with a number as a number, exactly
// (3 equals 3.0 and 30e-1), with true, false and null as themselves, and
// with an object or array as compact JSON. A JSON string literal ("\"3\"")
// is that string.
type JSONAssertion struct {
	Raw  string   // as given, for messages
	Path []string // the keys as written, escapes kept: "*" is every value, "\\*" a key "*"
	Op   string   // "=", "!=", "exists", "absent"
	Want string
}

// ParseJSONAssertion reads one assertion, as probe's --expect-json writes
// it: PATH=VALUE, PATH!=VALUE, PATH or !PATH. Its error quotes s first.
func ParseJSONAssertion(s string) (JSONAssertion, error) {
	a := JSONAssertion{Raw: s, Op: "exists"}
	path := s
	// The first = or != outside an escape ends the path.
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\':
			i++
		case s[i] == '!' && i+1 < len(s) && s[i+1] == '=':
			path, a.Op, a.Want = s[:i], "!=", s[i+2:]
			i = len(s)
		case s[i] == '=':
			path, a.Op, a.Want = s[:i], "=", s[i+1:]
			i = len(s)
		}
	}
	if a.Op == "exists" && strings.HasPrefix(path, "!") {
		path, a.Op = path[1:], "absent"
	}
	if path == "" {
		return JSONAssertion{}, fmt.Errorf("%q: no path: write PATH=VALUE, PATH!=VALUE, PATH or !PATH, as in status=UP", sanitize.Clip(s, 80))
	}
	segs, err := jsonpath.Split(path)
	if err != nil {
		return JSONAssertion{}, fmt.Errorf("%q: %w", sanitize.Clip(s, 80), err)
	}
	a.Path = segs
	return a, nil
}

// where is a place in the body as a message names it: printable, since
// keys are the server's, and at most 80 bytes.
func where(path string) string {
	return sanitize.Printable(sanitize.Clip(path, 80))
}

// check tests the assertion against a decoded body: "" when it holds, or
// else why not.
func (a JSONAssertion) check(doc any) string {
	places := jsonpath.Reach(doc, a.Path)
	path := strings.Join(a.Path, ".")
	if a.Op == "absent" {
		for _, f := range places {
			if f.OK {
				return fmt.Sprintf("%s is %s, want it absent", where(f.At), show(f.Value))
			}
		}
		return ""
	}
	if len(places) == 0 {
		return fmt.Sprintf("%s reaches no value", where(path))
	}
	for _, f := range places {
		switch {
		case !f.OK && a.Op == "exists":
			return where(f.At) + " is missing"
		case !f.OK && a.Op == "=":
			return fmt.Sprintf("%s is missing, want %q", where(f.At), a.Want)
		case !f.OK:
			return fmt.Sprintf("%s is missing, want a value other than %q", where(f.At), a.Want)
		case a.Op == "=" && !jsonpath.Equal(f.Value, a.Want):
			return fmt.Sprintf("%s is %s, want %q", where(f.At), show(f.Value), a.Want)
		case a.Op == "!=" && jsonpath.Equal(f.Value, a.Want):
			return fmt.Sprintf("%s is %s, want anything else", where(f.At), show(f.Value))
		}
	}
	return ""
}

// show writes a value as a message quotes it: strings quoted, the rest as
// JSON, long ones cut.
func show(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(sanitize.Clip(s, 63))
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	return sanitize.Clip(string(b), 63)
}
