package checks_test

import (
	"strings"
	"testing"

	"github.com/probe-sh/probe/checks"
)

func TestJSONAssertions(t *testing.T) {
	t.Parallel()
	doc, err := checks.DecodeJSON([]byte(`{"status":"UP","n":3,"f":2.5,"ok":true,"z":null,"a":[{"s":"x"},{"s":"y"}],"o":{"k.with.dots":"v"},"big":12345678901234567890}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, err string }{
		{"status=UP", ""},
		{`status="UP"`, ""},
		{"status=DOWN", `status is "UP", want "DOWN"`},
		{"status!=DOWN", ""},
		{"status!=UP", `status is "UP", want anything else`},
		{"n=3", ""}, {"n=3.0", ""}, {"n=4", `n is 3, want "4"`}, {`n="3"`, `n is 3, want "\"3\""`},
		{"f=2.5", ""}, {"ok=true", ""}, {"ok=false", `ok is true, want "false"`}, {"z=null", ""},
		{"a.#=2", ""}, {"a.1.s=y", ""}, {"a.2.s=y", `a.2.s is missing, want "y"`}, {"a.x=1", `a.x is missing`},
		{`o.k\.with\.dots=v`, ""}, {"o=" + `{"k.with.dots": "v"}`, ""},
		{"status", ""}, {"missing", "missing is missing"}, {"!missing", ""}, {"!status", `status is "UP", want it absent`},
		{"missing!=x", ""}, {"big=12345678901234567890", ""},
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
	for _, bad := range []string{"", "=x", "a..b=1", ".a=1", "a.=1"} {
		if _, err := checks.ParseJSONAssertion(bad); err == nil {
			t.Errorf("ParseJSONAssertion(%q) took it", bad)
		}
	}
	if _, err := checks.DecodeJSON([]byte(`{"a":1} {"b":2}`)); err == nil {
		t.Error("two documents were taken as one")
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"14d": "14d", "1d12h": "36h0m0s", "36h": "36h0m0s", "30s": "30s", "0d": "0s"} {
		d, err := checks.ParseDuration(in)
		if err != nil || d.String() != want {
			t.Errorf("ParseDuration(%q) = %s, %v; want %s", in, d, err, want)
		}
	}
	for _, bad := range []string{"soon", "-1d", "1x", "d", "99999999d"} {
		if _, err := checks.ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) took it", bad)
		}
	}
}
