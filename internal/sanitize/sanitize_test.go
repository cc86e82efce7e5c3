package sanitize_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/probe-sh/probe/internal/sanitize"
)

func TestRedactText(t *testing.T) {
	for in, want := range map[string]string{
		"user:PW@127.0.0.1:8080":                         "***@127.0.0.1:8080",
		"http:/u:PW@host":                                "***@host",
		"http:u:PW@host/x":                               "***@host/x",
		`target "http://u:PW@host/x?a=1"`:                `target "http://***@host/x?a=1"`,
		"http://host/path@x":                             "http://host/path@x",
		"http://host/h?token=PW&full=1":                  "http://host/h?token=***&full=1",
		"http://host/h?API_KEY=PW#frag":                  "http://host/h?API_KEY=***#frag",
		`Location "https://x/?X-Amz-Signature=PW&a=b"`:   `Location "https://x/?X-Amz-Signature=***&a=b"`,
		"no secrets here, just words":                    "no secrets here, just words",
		"http://host/?q=1&session%5Fid=PW":               "http://host/?q=1&session%5Fid=***",
		"(http://a:PW@h) and http://b:PW@h2?password=PW": "(http://***@h) and http://***@h2?password=***",
	} {
		got := sanitize.RedactText(in)
		if got != want {
			t.Errorf("RedactText(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(got, "PW") {
			t.Errorf("RedactText(%q) leaks: %q", in, got)
		}
	}
}

func TestRedactQuery(t *testing.T) {
	u, _ := url.Parse("https://admin:PW@api.example.com:8443/healthz?token=PW&verbose=1")
	if got := sanitize.Redact(u); got != "https://***@api.example.com:8443/healthz?token=***&verbose=1" {
		t.Errorf("Redact = %q", got)
	}
	if got := sanitize.SecretParams(u); len(got) != 2 || got[0] != "PW" {
		t.Errorf("SecretParams = %q", got)
	}
}

func FuzzRedactText(f *testing.F) {
	f.Add("http://u:", "@host/x?token=", "&a=b")
	f.Fuzz(func(t *testing.T, before, middle, after string) {
		const secret = "S3CR3Tvalue"
		for _, text := range []string{
			before + "http://user:" + secret + "@" + middle,
			before + "http://host/p?token=" + secret + "&" + after,
			before + "user:" + secret + "@h" + after,
		} {
			if strings.ContainsAny(before+middle+after, " \"'#?&/@") {
				continue // text that ends the URL early is another test
			}
			if got := sanitize.RedactText(text); strings.Contains(got, secret) {
				t.Fatalf("RedactText(%q) = %q: the secret leaks", text, got)
			}
		}
	})
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"healthy http://a/: HTTP 200 OK": "healthy http://a/: HTTP 200 OK",
		"café ünïcode":                   "café ünïcode",
		"\x1b[31mred\x1b[0m":             `\x1b[31mred\x1b[0m`,
		"a\nforged line":                 `a\x0aforged line`,
		"bell\x07 del\x7f nul\x00":       `bell\x07 del\x7f nul\x00`,
		"bad \xff utf8":                  `bad \xff utf8`,
		"rtl \u202egnp.exe":              `rtl \u202egnp.exe`,
		"c1 \u009b control":              `c1 \u009b control`,
	} {
		if got := sanitize.Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
}
