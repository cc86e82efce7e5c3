package checks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/probe-sh/probe/internal/sanitize"
)

// JSONAssertion is one --expect-json: a path into the body and what must
// hold there. Paths are gjson's, as wait4x and goss write them, in their
// common subset: keys joined by dots (components.db.status), array indexes
// (checks.0.status), # for an array's length (checks.#), and \ to escape a
// dot or a backslash in a key (metrics.http\.requests).
//
//	PATH=VALUE   the value there equals VALUE
//	PATH!=VALUE  it does not (a missing value does not)
//	PATH         a value is there, whatever it is
//	!PATH        no value is there
//
// VALUE is compared with a string as text ("UP"), with a number as a
// number (3 equals 3.0), with true, false and null as themselves, and with
// an object or array as compact JSON. A JSON string literal ("\"3\"") is
// that string.
type JSONAssertion struct {
	Raw  string // as given, for messages
	Path []string
	Op   string // "=", "!=", "exists", "absent"
	Want string
}

// ParseJSONAssertion reads one --expect-json.
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
	segs, err := splitJSONPath(path)
	if err != nil {
		return JSONAssertion{}, fmt.Errorf("--expect-json %q: %w", s, err)
	}
	a.Path = segs
	return a, nil
}

func splitJSONPath(p string) ([]string, error) {
	if p == "" {
		return nil, errors.New("no path: write PATH=VALUE, PATH!=VALUE, PATH or !PATH, as in status=UP")
	}
	var segs []string
	var cur strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\' && i+1 < len(p):
			i++
			cur.WriteByte(p[i])
		case c == '.':
			segs = append(segs, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	segs = append(segs, cur.String())
	for _, s := range segs {
		if s == "" {
			return nil, fmt.Errorf("path %q has an empty key", p)
		}
	}
	return segs, nil
}

// decodeJSON reads a body for the assertions, numbers kept exact.
func decodeJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	return doc, nil
}

// lookup finds the value at path, and whether there is one.
func lookup(doc any, path []string) (any, bool) {
	v := doc
	for _, seg := range path {
		switch node := v.(type) {
		case map[string]any:
			next, ok := node[seg]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			if seg == "#" {
				v = json.Number(strconv.Itoa(len(node)))
				continue
			}
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(node) {
				return nil, false
			}
			v = node[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// Check tests the assertion against a decoded body.
func (a JSONAssertion) Check(doc any) error {
	v, found := lookup(doc, a.Path)
	path := strings.Join(a.Path, ".")
	switch a.Op {
	case "exists":
		if !found {
			return &JSONError{Msg: path + " is missing"}
		}
	case "absent":
		if found {
			return &JSONError{Msg: fmt.Sprintf("%s is %s, want it absent", path, show(v))}
		}
	case "=":
		if !found {
			return &JSONError{Msg: fmt.Sprintf("%s is missing, want %q", path, a.Want)}
		}
		if !jsonEqual(v, a.Want) {
			return &JSONError{Msg: fmt.Sprintf("%s is %s, want %q", path, show(v), a.Want)}
		}
	case "!=":
		if found && jsonEqual(v, a.Want) {
			return &JSONError{Msg: fmt.Sprintf("%s is %s, want anything else", path, show(v))}
		}
	}
	return nil
}

// jsonEqual compares a value found with the text of an assertion.
func jsonEqual(v any, want string) bool {
	switch x := v.(type) {
	case string:
		if x == want {
			return true
		}
		var s string
		return json.Unmarshal([]byte(want), &s) == nil && s == x
	case json.Number:
		got, err1 := strconv.ParseFloat(x.String(), 64)
		w, err2 := strconv.ParseFloat(want, 64)
		return err1 == nil && err2 == nil && got == w
	case bool:
		return want == strconv.FormatBool(x)
	case nil:
		return want == "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	var compact bytes.Buffer
	return json.Compact(&compact, []byte(want)) == nil && compact.String() == string(b)
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
