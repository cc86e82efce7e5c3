package checks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/probe-sh/probe/internal/sanitize"
)

// JSONAssertion is one --expect-json: a path into the body and what must
// hold there. Paths are written as gjson and wait4x write them, in the
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
		return JSONAssertion{}, fmt.Errorf("--expect-json %q: %w", sanitize.Clip(s, 80), err)
	}
	a.Path = segs
	return a, nil
}

// splitJSONPath cuts a path at the dots outside escapes, and refuses the
// gjson syntax probe does not read.
func splitJSONPath(p string) ([]string, error) {
	if p == "" {
		return nil, errors.New("no path: write PATH=VALUE, PATH!=VALUE, PATH or !PATH, as in status=UP")
	}
	var segs []string
	begin := 0
	for i := 0; i <= len(p); i++ {
		if i+1 < len(p) && p[i] == '\\' { // a \ at the end escapes nothing: it is a key's
			i++
			continue
		}
		if i < len(p) && p[i] != '.' {
			continue
		}
		seg := p[begin:i]
		begin = i + 1
		if seg == "" {
			return nil, fmt.Errorf("path %q has an empty key", p)
		}
		if err := checkSegment(seg); err != nil {
			return nil, err
		}
		segs = append(segs, seg)
	}
	return segs, nil
}

// checkSegment refuses, outside escapes, gjson's syntax that probe does not
// read: a query or length with more (#(...), #x), a modifier (@), a pipe
// (|), and a pattern (* or ? within a key).
func checkSegment(seg string) error {
	if seg == "*" || seg == "#" {
		return nil
	}
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case c == '\\':
			i++
		case c == '#' || c == '*' || c == '?' || c == '|' || c == '@' && i == 0:
			return fmt.Errorf("%q uses gjson's %q, which probe does not read: it reads keys, indexes, * and # (every value, or an array's length); write \\%c for a %c in a key",
				sanitize.Clip(seg, 40), c, c, c)
		}
	}
	return nil
}

// unescape is a key as the body spells it.
func unescape(seg string) string {
	if !strings.Contains(seg, "\\") {
		return seg
	}
	var b strings.Builder
	for i := 0; i < len(seg); i++ {
		if seg[i] == '\\' && i+1 < len(seg) {
			i++
		}
		b.WriteByte(seg[i])
	}
	return b.String()
}

// maxJSONDepth bounds how deeply a body may nest arrays and objects.
const maxJSONDepth = 512

// decodeJSON reads a body for the assertions, numbers kept as written. A
// key twice in one object is refused, since parsers disagree on which one
// counts (Go's takes the last, gjson the first), and so is anything but
// white space after the value.
func decodeJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	doc, err := decodeValue(dec, 0)
	if err == io.EOF {
		return nil, errors.New("the body is empty")
	}
	if err != nil {
		return nil, err
	}
	if rest := bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return nil, fmt.Errorf("text follows the JSON value at byte %d", len(body)-len(rest))
	}
	return doc, nil
}

// decodeValue reads one value from dec, depth levels down.
func decodeValue(dec *json.Decoder, depth int) (any, error) {
	tok, err := dec.Token()
	if err == io.EOF && depth > 0 {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil // a string, json.Number, bool or nil
	}
	if depth >= maxJSONDepth {
		return nil, fmt.Errorf("arrays and objects nest deeper than %d", maxJSONDepth)
	}
	if delim == '[' {
		arr := []any{}
		for dec.More() {
			v, err := decodeValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		return arr, closing(dec)
	}
	obj := map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		if _, dup := obj[key]; dup {
			return nil, fmt.Errorf("the key %s is in one object twice: which one counts depends on the parser", strconv.Quote(sanitize.Clip(key, 40)))
		}
		if obj[key], err = decodeValue(dec, depth+1); err != nil {
			return nil, err
		}
	}
	return obj, closing(dec)
}

// closing reads the ] or } that ends an array or object.
func closing(dec *json.Decoder) error {
	_, err := dec.Token()
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// found is one place a path reaches: where, as a path with no wildcard,
// and the value there, if there is one.
type found struct {
	at    string
	value any
	ok    bool
}

// reach lists the places path reaches in v, from at: one for a path
// without * or #, one for each member or element a wildcard meets.
func reach(v any, path []string, at string, out []found) []found {
	if len(path) == 0 {
		return append(out, found{at, v, true})
	}
	seg, rest := path[0], path[1:]
	join := func(key string) string {
		if at == "" {
			return key
		}
		return at + "." + key
	}
	switch node := v.(type) {
	case map[string]any:
		if seg == "*" {
			for _, k := range slices.Sorted(maps.Keys(node)) {
				out = reach(node[k], rest, join(escapeKey(k)), out)
			}
			return out
		}
		if seg == "#" {
			return out // # is an array's
		}
		if next, ok := node[unescape(seg)]; ok {
			return reach(next, rest, join(seg), out)
		}
	case []any:
		switch {
		case seg == "*" || seg == "#" && len(rest) > 0:
			for i, e := range node {
				out = reach(e, rest, join(strconv.Itoa(i)), out)
			}
			return out
		case seg == "#":
			return append(out, found{join("#"), json.Number(strconv.Itoa(len(node))), true})
		}
		if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(node) && seg == strconv.Itoa(i) {
			return reach(node[i], rest, join(seg), out)
		}
	}
	if seg == "*" || seg == "#" {
		return out // nothing to go through
	}
	return append(out, found{join(strings.Join(path, ".")), nil, false})
}

// where is a place in the body as a message names it: printable, since
// keys are the server's, and at most 80 bytes.
func where(path string) string {
	return sanitize.Printable(sanitize.Clip(path, 80))
}

// escapeKey writes a key as a path spells it.
func escapeKey(k string) string {
	if !strings.ContainsAny(k, ".\\*?#|@") {
		return k
	}
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		if strings.IndexByte(".\\*?#|@", k[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(k[i])
	}
	return b.String()
}

// Check tests the assertion against a decoded body.
func (a JSONAssertion) Check(doc any) error {
	places := reach(doc, a.Path, "", nil)
	path := strings.Join(a.Path, ".")
	if a.Op == "absent" {
		for _, f := range places {
			if f.ok {
				return &JSONError{Msg: fmt.Sprintf("%s is %s, want it absent", where(f.at), show(f.value))}
			}
		}
		return nil
	}
	if len(places) == 0 {
		return &JSONError{Msg: fmt.Sprintf("%s reaches no value", where(path))}
	}
	for _, f := range places {
		switch {
		case !f.ok && a.Op == "exists":
			return &JSONError{Msg: where(f.at) + " is missing"}
		case !f.ok && a.Op == "=":
			return &JSONError{Msg: fmt.Sprintf("%s is missing, want %q", where(f.at), a.Want)}
		case !f.ok:
			return &JSONError{Msg: fmt.Sprintf("%s is missing, want a value other than %q", where(f.at), a.Want)}
		case a.Op == "=" && !jsonEqual(f.value, a.Want):
			return &JSONError{Msg: fmt.Sprintf("%s is %s, want %q", where(f.at), show(f.value), a.Want)}
		case a.Op == "!=" && jsonEqual(f.value, a.Want):
			return &JSONError{Msg: fmt.Sprintf("%s is %s, want anything else", where(f.at), show(f.value))}
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
		return numbersEqual(string(x), want)
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

// numbersEqual compares two JSON numbers exactly, as decimals: 3, 3.0 and
// 30e-1 are equal, 9007199254740993 and 9007199254740992 are not (as
// float64 they would be). want that is not a JSON number equals nothing.
func numbersEqual(got, want string) bool {
	g, ok1 := decimal(got)
	w, ok2 := decimal(want)
	return ok1 && ok2 && g == w
}

// decimalValue is a number as sign, digits without leading or trailing
// zeros, and the power of ten of the first digit: 0.DIGITS x 10^exp.
type decimalValue struct {
	neg    bool
	digits string
	exp    int64
}

// decimal reads a JSON number into its canonical decimalValue, without
// computing it (a number may carry any exponent).
func decimal(s string) (decimalValue, bool) {
	if !json.Valid([]byte(s)) || s == "" || !(s[0] == '-' || '0' <= s[0] && s[0] <= '9') {
		return decimalValue{}, false
	}
	var d decimalValue
	if s[0] == '-' {
		d.neg, s = true, s[1:]
	}
	mant, expText, hasExp := strings.Cut(strings.ToLower(s), "e")
	if hasExp {
		e, err := strconv.ParseInt(strings.TrimPrefix(expText, "+"), 10, 64)
		if err != nil || e > 1<<40 || e < -(1<<40) {
			return decimalValue{}, false
		}
		d.exp = e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	d.exp += int64(len(intPart))
	trimmed := strings.TrimLeft(digits, "0")
	d.exp -= int64(len(digits) - len(trimmed))
	d.digits = strings.TrimRight(trimmed, "0")
	if d.digits == "" {
		return decimalValue{digits: "0"}, true // zero, whatever its sign
	}
	return d, true
}
