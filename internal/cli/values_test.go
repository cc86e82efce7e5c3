package cli

import (
	"strings"
	"testing"
)

func FuzzUnescape(f *testing.F) {
	for _, s := range []string{`PING\r\n`, `\x00`, `\0`, `\`, `\x`, `\u00e9`, `plain`, `\\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := unescape(s)
		if err == nil && !strings.Contains(s, `\`) && string(b) != s {
			t.Fatalf("%q without escapes changed to %q", s, b)
		}
	})
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"14d": "14d", "1d12h": "36h0m0s", "36h": "36h0m0s", "30s": "30s", "0d": "0s"} {
		d, err := parseDuration(in)
		if err != nil || d.String() != want {
			t.Errorf("ParseDuration(%q) = %s, %v; want %s", in, d, err, want)
		}
	}
	for _, bad := range []string{"soon", "-1d", "1x", "d", "99999999d"} {
		if _, err := parseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) took it", bad)
		}
	}
}

func TestUnescape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: `PING\r\n`, want: "PING\r\n"},
		{in: `a\tb\\c`, want: "a\tb\\c"},
		{in: `\x00\x7f`, want: "\x00\x7f"},
		{in: `\0`, want: "\x00"},
		{in: `null\0end`, want: "null\x00end"},
		{in: `héllo`, want: "héllo"},
		{in: ``, want: ""},
		{in: `\q`, wantErr: true},
		{in: `\x4`, wantErr: true},
		{in: `trailing\`, wantErr: true},
	}
	for _, tc := range tests {
		got, err := unescape(tc.in)
		if tc.wantErr {
			if err == nil {
				t.Errorf("Unescape(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("Unescape(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestHeaderMatchOptionalNeedsPattern: NAME? alone would always hold.
func TestHeaderMatchOptionalNeedsPattern(t *testing.T) {
	if _, err := parseHeaderMatch("X-Version?"); err == nil || !strings.Contains(err.Error(), "give the pattern a value present must match") {
		t.Errorf("NAME? without a pattern: %v", err)
	}
}
