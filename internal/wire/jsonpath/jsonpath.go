// Package jsonpath reads a JSON body and the paths into it that
// checks.JSONAssertion (--expect-json) writes, as gjson and wait4x write
// them, in the subset probe reads: keys joined by dots, array indexes, # for
// an array's length, * for every member or element, # before more keys for
// every element, and \ to make the next byte part of a key. gjson's queries,
// modifiers, pipes and patterns are refused by Split, never read as keys.
//
// Decode keeps numbers as written (json.Number), and Equal and
// NumbersEqual compare them exactly, as decimals. A body may not repeat a
// key in one object, nor nest deeper than MaxDepth.
package jsonpath

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

// MaxDepth bounds how deeply a body may nest arrays and objects.
const MaxDepth = 512

// Split cuts a path at the dots outside escapes, and refuses the gjson
// syntax probe does not read. The keys keep their escapes: "*" is every
// value, "\\*" a key "*".
func Split(p string) ([]string, error) {
	if p == "" {
		return nil, errors.New("no path")
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

// Decode reads a body, numbers kept as written (json.Number). A key twice
// in one object is refused, since parsers disagree on which one counts
// (Go's takes the last, gjson the first), and so is anything but white
// space after the value.
func Decode(body []byte) (any, error) {
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
	if depth >= MaxDepth {
		return nil, fmt.Errorf("arrays and objects nest deeper than %d", MaxDepth)
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

// Place is one place a path reaches: where, as a path with no wildcard
// (keys escaped as a path spells them), and the value there, if there is
// one (OK).
type Place struct {
	At    string
	Value any
	OK    bool
}

// Reach lists the places path reaches in v, a value Decode returned: one
// for a path without * or #, one for each member (in the order of their
// keys) or element a wildcard meets. A wildcard that meets nothing to go
// through adds no place; a key or index that is not there, a place that is
// not OK.
func Reach(v any, path []string) []Place {
	return reach(v, path, "", nil)
}

func reach(v any, path []string, at string, out []Place) []Place {
	if len(path) == 0 {
		return append(out, Place{at, v, true})
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
			return append(out, Place{join("#"), json.Number(strconv.Itoa(len(node))), true})
		}
		if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(node) && seg == strconv.Itoa(i) {
			return reach(node[i], rest, join(seg), out)
		}
	}
	if seg == "*" || seg == "#" {
		return out // nothing to go through
	}
	return append(out, Place{join(strings.Join(path, ".")), nil, false})
}

// Equal compares a value Decode returned with the text of an assertion: a
// string as text ("UP") or as a JSON string literal ("\"UP\""), a number
// exactly (NumbersEqual), true, false and null as themselves, an object or
// array as compact JSON.
func Equal(v any, want string) bool {
	switch x := v.(type) {
	case string:
		if x == want {
			return true
		}
		var s string
		return json.Unmarshal([]byte(want), &s) == nil && s == x
	case json.Number:
		return NumbersEqual(string(x), want)
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

// NumbersEqual compares two JSON numbers exactly, as decimals: 3, 3.0 and
// 30e-1 are equal, 9007199254740993 and 9007199254740992 are not (as
// float64 they would be). A text that is not a JSON number equals nothing.
func NumbersEqual(got, want string) bool {
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
