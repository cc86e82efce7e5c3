package checks_test

import (
	"strings"
	"testing"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/wire/jsonpath"
)

func TestJSONAssertions(t *testing.T) {
	t.Parallel()
	doc, err := jsonpath.Decode([]byte(`{"status":"UP","n":3,"f":2.5,"ok":true,"z":null,"a":[{"s":"x"},{"s":"y"}],"o":{"k.with.dots":"v","*":"star"},"big":12345678901234567890,
		"components":{"db":{"status":"UP"},"redis":{"status":"UP"}},"mixed":{"db":{"status":"UP"},"mq":{"status":"DOWN"},"old":{}},"empty":{},"none":[],
		"checks":[{"status":"UP"},{"status":"UP"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, err string }{
		{"status=UP", ""},
		{`status="UP"`, ""},
		{"status=DOWN", `status is "UP", want "DOWN"`},
		{"status!=DOWN", ""},
		{"status!=UP", `status is "UP", want anything else`},
		{"n=3", ""}, {"n=3.0", ""}, {"n=30e-1", ""}, {"n=0.3E+1", ""}, {"n=4", `n is 3, want "4"`}, {`n="3"`, `n is 3, want "\"3\""`},
		{"n=3/1", `n is 3, want "3/1"`}, {"n=0x3", `n is 3, want "0x3"`},
		{"f=2.5", ""}, {"ok=true", ""}, {"ok=false", `ok is true, want "false"`}, {"z=null", ""},
		{"a.#=2", ""}, {"a.1.s=y", ""}, {"a.2.s=y", `a.2.s is missing, want "y"`}, {"a.x=1", `a.x is missing`}, {"a.01.s=y", "a.01.s is missing"},
		{`o.k\.with\.dots=v`, ""}, {"o=" + `{"*":"star","k.with.dots": "v"}`, ""}, {`o.\*=star`, ""},
		{"status", ""}, {"missing", "missing is missing"}, {"!missing", ""}, {"!status", `status is "UP", want it absent`},
		// != wants a value: a missing one is no proof that it differs.
		{"missing!=x", `missing is missing, want a value other than "x"`},
		{"big=12345678901234567890", ""}, {"big=12345678901234567891", `want "12345678901234567891"`}, {"big=1.2345678901234567890e19", ""},
		// Every value a wildcard reaches, and at least one.
		{"components.*.status=UP", ""}, {"components.*.status!=DOWN", ""}, {"checks.#.status=UP", ""}, {"checks.*.status!=DOWN", ""},
		{"mixed.*.status=UP", `mixed.mq.status is "DOWN", want "UP"`},
		{"mixed.*.status!=DOWN", `mixed.mq.status is "DOWN", want anything else`},
		{"!mixed.*.status", `mixed.db.status is "UP", want it absent`},
		{"mixed.*.status", `mixed.old.status is missing`},
		{"empty.*.status=UP", `empty.*.status reaches no value`}, {"none.#.status!=DOWN", `none.#.status reaches no value`},
		{"missing.*.status!=DOWN", `missing.*.status is missing`}, {"!missing.*.status", ""}, {"!empty.*", ""},
		{"status.*=UP", "reaches no value"}, {"components.#.status=UP", "reaches no value"},
	} {
		a, err := checks.ParseJSONAssertion(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		err = a.Check(doc)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v, want it to hold", tc.in, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: %v, want %q", tc.in, err, tc.err)
		}
	}
	// A key from the body is shown as text, never as an escape sequence.
	hostile, err := jsonpath.Decode([]byte(`{"e\u001b[31m\u202e":{"status":"DOWN"}}`))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := checks.ParseJSONAssertion("*.status!=DOWN")
	if err := a.Check(hostile); err == nil || !strings.Contains(err.Error(), `e\x1b[31m\u202e.status is "DOWN"`) {
		t.Errorf("a hostile key: %v", err)
	}
	for _, bad := range []string{"", "=x", "a..b=1", ".a=1", "a.=1"} {
		if _, err := checks.ParseJSONAssertion(bad); err == nil {
			t.Errorf("ParseJSONAssertion(%q) took it", bad)
		}
	}
}

// TestJSONFalseHealthy: a body where every component is DOWN fails every
// way of writing "no component is DOWN": the paths probe reads judge each
// component, and gjson's queries, modifiers and patterns, which it does not
// read, are refused when parsed instead of read as missing keys.
func TestJSONFalseHealthy(t *testing.T) {
	t.Parallel()
	doc, err := jsonpath.Decode([]byte(`{"status":"DOWN","components":{"db":{"status":"DOWN"},"mq":{"status":"DOWN"}},"checks":[{"name":"db","status":"DOWN"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{
		"components.*.status!=DOWN", "checks.#.status!=DOWN", "checks.*.status=UP", "components.*.status=UP",
		"!checks.#(status%\"DOWN\")", "checks.#(status==\"UP\")", "checks|@reverse|0.status!=DOWN", "checks.@reverse.0.status!=DOWN",
		"components.d?.status!=DOWN", "components.d*.status!=DOWN", "checks.#.status|@this!=DOWN", "@this.status!=DOWN",
		"components.db.status!=DOWN", "components.db.state!=DOWN", "status!=DOWN", "!components.db",
		// A trailing \ escapes nothing: it is part of the last key, which
		// the body does not have.
		`status\`, `components.db.status\`, `components.db\`,
	} {
		a, err := checks.ParseJSONAssertion(in)
		if err != nil {
			if !strings.Contains(err.Error(), "probe does not read") {
				t.Errorf("%q refused as %v", in, err)
			}
			continue
		}
		if err := a.Check(doc); err == nil {
			t.Errorf("%q holds on a body where everything is DOWN", in)
		}
	}
}
