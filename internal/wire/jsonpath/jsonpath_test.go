package jsonpath

import (
	"encoding/json"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestDecode: what a body must be for --expect-json to read it.
func TestDecode(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("[", 513) + strings.Repeat("]", 513)
	for body, want := range map[string]string{
		`{"a":1} {"b":2}`:                 "text follows the JSON value at byte 8",
		`{"a":1}}`:                        "text follows the JSON value at byte 7",
		`{"a":1}]`:                        "text follows the JSON value at byte 7",
		`{"a":1} garbage`:                 "text follows",
		`{"status":"DOWN","status":"UP"}`: `the key "status" is in one object twice`,
		`{"a":{"s":1,"s":1}}`:             `the key "s" is in one object twice`,
		``:                                "the body is empty",
		`   `:                             "the body is empty",
		`{"a":`:                           "unexpected EOF",
		`[1,`:                             "unexpected EOF",
		`[[`:                              "unexpected EOF",
		`{"a" 1}`:                         "invalid character",
		deep:                              "nest deeper than 512",
	} {
		if _, err := Decode([]byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Decode(%.30q) = %v, want %q", body, err, want)
		}
	}
	for _, body := range []string{`{"a":1}` + "\n\t ", strings.Repeat("[", 512) + strings.Repeat("]", 512), `"UP"`, `[{"a":1},{"a":1}]`, `{"a":1,"A":2}`} {
		if _, err := Decode([]byte(body)); err != nil {
			t.Errorf("Decode(%.30q): %v", body, err)
		}
	}
	// Numbers as written, not as float64.
	doc, err := Decode([]byte(`{"n":12345678901234567891,"f":1.50}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"n": json.Number("12345678901234567891"), "f": json.Number("1.50")}; !reflect.DeepEqual(doc, want) {
		t.Errorf("Decode: %#v, want %#v", doc, want)
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path string
		want []string
		err  string
	}{
		{path: "status", want: []string{"status"}},
		{path: "components.db.status", want: []string{"components", "db", "status"}},
		{path: "checks.#.status", want: []string{"checks", "#", "status"}},
		{path: "checks.#", want: []string{"checks", "#"}},
		{path: "*.status", want: []string{"*", "status"}},
		{path: `metrics.http\.requests`, want: []string{"metrics", `http\.requests`}},
		{path: `\*.\#.\@a.a\|b`, want: []string{`\*`, `\#`, `\@a`, `a\|b`}},
		{path: `a@b`, want: []string{"a@b"}},         // @ only opens a modifier
		{path: `status\`, want: []string{`status\`}}, // a \ at the end escapes nothing
		{path: `a.b\`, want: []string{"a", `b\`}},
		{path: "", err: "no path"},
		{path: "a..b", err: `path "a..b" has an empty key`},
		{path: ".a", err: "has an empty key"},
		{path: "a.", err: "has an empty key"},
		{path: `checks.#(status=="UP")`, err: `uses gjson's '#'`},
		{path: "checks.#x", err: `uses gjson's '#'`},
		{path: "d*", err: `uses gjson's '*'`},
		{path: "d?", err: `uses gjson's '?'`},
		{path: "checks|@reverse", err: `uses gjson's '|'`},
		{path: "@this.status", err: `uses gjson's '@'`},
	} {
		got, err := Split(tc.path)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("Split(%q) = %q, %v; want the error %q", tc.path, got, err, tc.err)
		case tc.err == "" && (err != nil || !reflect.DeepEqual(got, tc.want)):
			t.Errorf("Split(%q) = %q, %v; want %q", tc.path, got, err, tc.want)
		}
	}
}

func TestReach(t *testing.T) {
	t.Parallel()
	doc, err := Decode([]byte(`{"a":[{"s":"x"},{"s":"y"}],"o":{"k.with.dots":"v","*":"star","b":{"s":1}},"none":[],"empty":{},"n":3}`))
	if err != nil {
		t.Fatal(err)
	}
	type place struct {
		At string
		OK bool
	}
	for _, tc := range []struct {
		path string
		want []place
	}{
		{"n", []place{{"n", true}}},
		{"a.1.s", []place{{"a.1.s", true}}},
		{"a.#", []place{{"a.#", true}}},
		{"a.#.s", []place{{"a.0.s", true}, {"a.1.s", true}}},
		{"a.*.s", []place{{"a.0.s", true}, {"a.1.s", true}}},
		// Members in the order of their keys, escaped as a path writes them.
		{"o.*", []place{{`o.\*`, true}, {"o.b", true}, {`o.k\.with\.dots`, true}}},
		{`o.k\.with\.dots`, []place{{`o.k\.with\.dots`, true}}},
		{`o.\*`, []place{{`o.\*`, true}}},
		{"a.2.s", []place{{"a.2.s", false}}},
		{"a.01.s", []place{{"a.01.s", false}}},
		{"a.-1", []place{{"a.-1", false}}},
		{"missing.*.s", []place{{"missing.*.s", false}}},
		{"o.b.s.deeper", []place{{"o.b.s.deeper", false}}},
		{"none.#.s", nil}, // a wildcard with nothing to go through
		{"empty.*", nil},
		{"n.*", nil},
		{"o.#", nil}, // # is an array's
	} {
		path, err := Split(tc.path)
		if err != nil {
			t.Fatalf("Split(%q): %v", tc.path, err)
		}
		var got []place
		for _, p := range Reach(doc, path) {
			got = append(got, place{p.At, p.OK})
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Reach(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
	if p := Reach(doc, []string{"a", "#"}); len(p) != 1 || p[0].Value != json.Number("2") {
		t.Errorf("a.#: %v, want the length 2", p)
	}
}

func TestEqual(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body, want string
		equal      bool
	}{
		{`"UP"`, "UP", true}, {`"UP"`, `"UP"`, true}, {`"UP"`, "up", false}, {`"3"`, "3", true},
		{`3`, "3.0", true}, {`3`, "30e-1", true}, {`3`, `"3"`, false}, {`3`, "0x3", false},
		{`true`, "true", true}, {`true`, "1", false}, {`null`, "null", true}, {`null`, "", false},
		{`{"b":1,"a":[1, 2]}`, `{"a":[1,2],"b":1}`, true}, {`[1,2]`, "[1, 2]", true}, {`[1,2]`, "[2,1]", false}, {`[]`, "not json", false},
	} {
		v, err := Decode([]byte(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if got := Equal(v, tc.want); got != tc.equal {
			t.Errorf("Equal(%s, %q) = %v", tc.body, tc.want, got)
		}
	}
}

func TestNumbersEqual(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b  string
		equal bool
	}{
		{"3", "3.0", true}, {"3", "30e-1", true}, {"0.3E+1", "3", true}, {"-0", "0e5", true}, {"0", "0.000", true},
		{"1.5e-3", "0.0015", true}, {"100", "1e2", true}, {"-1", "1", false},
		{"9007199254740993", "9007199254740992", false},
		{"1e9999999999999", "1e9999999999999", false}, // an exponent past 2^40 is not read
		{"3", "+3", false}, {"3", "03", false}, {"3", "", false}, {"3", "three", false}, {"", "", false},
	} {
		if got := NumbersEqual(tc.a, tc.b); got != tc.equal {
			t.Errorf("NumbersEqual(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

// FuzzDecode: any body is read without a panic; a body Decode takes is
// valid JSON, and a valid body it refuses has a key twice or nests too
// deeply. Every place a path reaches in it is named by a path with no
// wildcard, which Split reads back.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"status":"UP","components":{"db":{"status":"UP"}},"checks":[{"status":"UP"}]}`), "components.*.status")
	f.Add([]byte(`{"a":{"a":1,"a":2}}`), "a.a")
	f.Add([]byte(`[[[1]]] x`), "0.0.#")
	f.Add([]byte(`{"e\u001b":1e400,"k.\\*":[]}`), `*.#`)
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		doc, err := Decode(body)
		if err == nil && !json.Valid(body) {
			t.Fatalf("took %q, which is not JSON", body)
		}
		if err != nil {
			if json.Valid(body) && !strings.Contains(err.Error(), "in one object twice") && !strings.Contains(err.Error(), "nest deeper") {
				t.Fatalf("refused valid JSON %q: %v", body, err)
			}
			return
		}
		segs, err := Split(path)
		if err != nil {
			return
		}
		for _, p := range Reach(doc, segs) {
			if !p.OK {
				continue
			}
			again, err := Split(p.At)
			if err != nil {
				t.Fatalf("%q reached %q, which does not split: %v", path, p.At, err)
			}
			if back := Reach(doc, again); len(back) != 1 || !back[0].OK {
				t.Fatalf("%q reached %q, which reaches %v", path, p.At, back)
			}
		}
	})
}

// FuzzNumbersEqual: numbers compare exactly, as math/big's rationals do,
// for any digits and exponents small enough for big.Rat.
func FuzzNumbersEqual(f *testing.F) {
	f.Add("3", "3.0")
	f.Add("9007199254740993", "9007199254740992")
	f.Add("-0", "0e5")
	f.Add("1.5e-3", "0.0015")
	f.Fuzz(func(t *testing.T, a, b string) {
		got := NumbersEqual(a, b)
		isNumber := func(s string) bool {
			return s != "" && (s[0] == '-' || '0' <= s[0] && s[0] <= '9') && json.Valid([]byte(s))
		}
		if got && !(isNumber(a) && isNumber(b)) {
			t.Fatalf("NumbersEqual(%q, %q): equal, though one is no JSON number", a, b)
		}
		ra, oka := exactNumber(a)
		rb, okb := exactNumber(b)
		if !oka || !okb {
			return
		}
		if want := ra.Cmp(rb) == 0; got != want {
			t.Fatalf("NumbersEqual(%q, %q) = %v, want %v", a, b, got, want)
		}
	})
}

// exactNumber is a JSON number as a rational, when its exponent is small.
func exactNumber(s string) (*big.Rat, bool) {
	if s == "" || !(s[0] == '-' || '0' <= s[0] && s[0] <= '9') || !json.Valid([]byte(s)) {
		return nil, false
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		if e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+")); err != nil || e > 300 || e < -300 {
			return nil, false
		}
	}
	return new(big.Rat).SetString(s)
}
