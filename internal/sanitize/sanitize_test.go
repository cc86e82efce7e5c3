package sanitize_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

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
		// A URL inside a URL (CI's fuzzer, FuzzParseTarget: a file path
		// holding "://u:PW@"), however deep.
		"file:///://user:PW@":                  "file:///://***@",
		"http://h/x?next=https://u:PW@evil/y":  "http://h/x?next=https://***@evil/y",
		"http://a:PW@h/p://b:PW@i/q://c:PW@j/": "http://***@h/p://***@i/q://***@j/",
		"http://h/://@x":                       "http://h/://@x",
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

// TestMask: every form in which a secret can reach output is masked: whole,
// quoted as an excerpt quotes it, escaped as a URL carries it, cut short
// before "...", and inside a URL's userinfo; text around it stays.
func TestMask(t *testing.T) {
	const pw = "ab@cdXYZ/efQRS"
	for _, c := range []struct {
		in, want string
		secrets  []string
	}{
		{"-ERR invalid password ab@cdXYZ/efQRS", "-ERR invalid password ***", []string{pw}},
		{`got "ab@cdXYZ/efQRS\n"`, `got "***\n"`, []string{pw}},
		{"redis://:ab%40cdXYZ%2FefQRS@cache:6379", "redis://***@cache:6379", []string{pw}},
		{"token=ab%40cdXYZ%2FefQRS&x=1", "token=***&x=1", []string{pw}},
		{`reply "hello ab@cdXYZ/ef..."`, `reply "hello ***..."`, []string{pw}},
		{`tab "p\tw" and p	w`, `tab "***" and ***`, []string{"p\tw"}},
		{"snowman ☃ quoted \\u2603x", "snowman *** quoted ***x", []string{"☃"}},
		{"nothing secret here", "nothing secret here", []string{pw, ""}},
		{"http://user:other@host/ and Bearer t0k3n", "http://***@host/ and Bearer ***", []string{"t0k3n"}},
		{"a cut of two bytes ab...", "a cut of two bytes ab...", []string{pw}},
		// A short secret is masked where it stands alone, not inside words.
		{"CONNACK: connection accepted", "CONNACK: connection accepted", []string{"p"}},
		{"wrong password p, try again", "wrong password ***, try again", []string{"p"}},
		{"user=ab&x=about", "user=***&x=about", []string{"ab"}},
		{`"ab"`, `"***"`, []string{"ab"}},
	} {
		got := sanitize.Mask(c.in, c.secrets)
		if got != c.want {
			t.Errorf("Mask(%q) = %q, want %q", c.in, got, c.want)
		}
		for _, s := range c.secrets {
			if len(s) >= 3 && strings.Contains(got, s) {
				t.Errorf("Mask(%q) = %q: %q leaks", c.in, got, s)
			}
		}
	}
}

func TestClipIsUTF8Safe(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"0123456789abc", 10, "0123456..."},
		{"ab☃☃☃☃", 7, "ab..."},     // the cut falls inside the first snowman
		{"abc☃☃☃☃", 10, "abc☃..."}, // and here after it
	} {
		got := sanitize.Clip(c.in, c.n)
		if got != c.want || !utf8.ValidString(got) || len(got) > max(c.n, 3) {
			t.Errorf("Clip(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

// echoSecret holds every character that some encoder escapes: HTML's & < >
// ' ", JSON's " \ / and control characters, URL escaping's space, @ : ? #
// and %, and runes past ASCII, one of them past U+FFFF.
const echoSecret = "Tk9&zQ<7>'\"a\\b/c d@e:f?g#h%i\té😀+="

// encodings are the ways servers and probe's own excerpts commonly write
// text back: each must be masked (TestMaskEncodings).
var encodings = []struct {
	name   string
	encode func(string) string
}{
	{"raw", func(s string) string { return s }},
	{"Go %q", func(s string) string { return strconv.Quote(s) }},
	{"Go QuoteToASCII", func(s string) string { return strconv.QuoteToASCII(s) }},
	{"Go encoding/json", func(s string) string { b, _ := json.Marshal(s); return string(b) }},
	{"Go json, HTML escaping off", func(s string) string {
		var b strings.Builder
		e := json.NewEncoder(&b)
		e.SetEscapeHTML(false)
		e.Encode(s) //nolint:errcheck
		return b.String()
	}},
	{"Go json of a header, as a debug endpoint answers", func(s string) string {
		b, _ := json.Marshal(map[string][]string{"Authorization": {"Bearer " + s}})
		return string(b)
	}},
	{"JSON with every non-ASCII rune escaped (Python, PHP)", jsonASCII},
	{"a probe excerpt of JSON", func(s string) string { b, _ := json.Marshal(s); return sanitize.Excerpt(b, 400) }},
	{"JSON in a JSON string", func(s string) string {
		inner, _ := json.Marshal(map[string]string{"token": s})
		outer, _ := json.Marshal(string(inner))
		return string(outer)
	}},
	{"a probe excerpt of JSON in a JSON string", func(s string) string {
		inner, _ := json.Marshal(s)
		outer, _ := json.Marshal(string(inner))
		return sanitize.Excerpt(outer, 400)
	}},
	{"query escaping", url.QueryEscape},
	{"query escaping twice", func(s string) string { return url.QueryEscape(url.QueryEscape(s)) }},
	{"path escaping", url.PathEscape},
	{"userinfo", func(s string) string { return url.UserPassword("u", s).String() }},
	{"JSON of a URL", func(s string) string { b, _ := json.Marshal("http://h/?token=" + url.QueryEscape(s)); return string(b) }},
	{"HTML, Go's html", html.EscapeString},
	{"HTML, Go's html/template", template.HTMLEscapeString},
	{"HTML, hexadecimal references", func(s string) string {
		return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&#x27;", `"`, "&#X22;").Replace(s)
	}},
	{"base64", func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }},
	{"base64 URL", func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }},
	{"base64 Basic credentials", func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+s)) }},
	{"base64 Basic credentials, two bytes of user", func(s string) string {
		return base64.StdEncoding.EncodeToString([]byte("ab:" + s + ":x"))
	}},
}

// jsonASCII writes s as JSON encoders that keep to ASCII do (Python's
// json.dumps, PHP's json_encode): \uXXXX for every rune past ASCII, in
// UTF-16, and \/ for a slash (PHP).
func jsonASCII(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r == '/':
			b.WriteString(`\` + string(r))
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r >= 0x7f && r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// TestMaskEncodings: a secret echoed in any common encoding is masked, whole
// and cut short before "..." at any byte past its third (issue 34: JSON's
// \u0026 printed a bearer token).
func TestMaskEncodings(t *testing.T) {
	for _, secret := range []string{echoSecret, "Tk9&zQ<7", "Tk9plainASCII"} {
		for _, e := range encodings {
			encoded := e.encode(secret)
			in := "reply: " + encoded + " (end)"
			got := sanitize.Mask(in, []string{secret})
			if strings.Contains(got, "Tk9") || !strings.Contains(got, "***") || !strings.HasPrefix(got, "reply: ") || !strings.HasSuffix(got, " (end)") {
				t.Errorf("%s of %q: Mask(%q) = %q", e.name, secret, in, got)
			}
			if strings.HasPrefix(e.name, "base64") {
				continue // what base64 cuts short is not the secret's start
			}
			// Cut short, as excerpts and clips cut: after its opening
			// quote, if any, and three bytes of it or more.
			start := strings.Index(encoded, "Tk9")
			for n := start + 3; n < len(encoded); n++ {
				for _, end := range []string{"...", `"...`} {
					in := "reply " + encoded[:n] + end
					if got := sanitize.Mask(in, []string{secret}); strings.Contains(got, "Tk9") {
						t.Errorf("%s of %q cut at %d: Mask(%q) = %q", e.name, secret, n, in, got)
					}
				}
			}
		}
	}
}

// TestMaskKeepsText: the escapes that find a secret find nothing else:
// text that merely looks like an escape, or holds a short secret inside a
// word, stays as it is.
func TestMaskKeepsText(t *testing.T) {
	for _, c := range []struct {
		in     string
		secret string
	}{
		{`JSON "\u0026\u003c" and 100% of &amp; ok`, "secret1"},
		{"HTTP 200 OK", "Tk9&zQ<7"},
		{"a base64 word dGVzdA== that is not it", "hunter2hunter2"},
		{"exit code 3, 50%% done, see &lt;url&gt;", "p"},
		{"in the middle: xpx %70x", "p"},
	} {
		if got := sanitize.Mask(c.in, []string{c.secret}); got != c.in {
			t.Errorf("Mask(%q, %q) = %q, want it unchanged", c.in, c.secret, got)
		}
	}
}

// FuzzMask: whatever the text and the secret, Mask does not panic, and a
// secret of four bytes or more, written in any of the encodings, is gone.
func FuzzMask(f *testing.F) {
	f.Add("reply ", "Tk9&zQ<7", " end")
	f.Add(`"\\u00`, `\\\%%&amp;+ `, `..."`)
	f.Fuzz(func(t *testing.T, before, secret, after string) {
		sanitize.Mask(before+secret+after, []string{secret})
		if len(secret) < 4 || !utf8.ValidString(secret) {
			return
		}
		for _, e := range encodings {
			got := sanitize.Mask(before+" "+e.encode(secret)+" "+after, []string{secret})
			if strings.Contains(got, secret) {
				t.Fatalf("%s: Mask(%q) = %q: the secret leaks", e.name, before+" "+e.encode(secret)+" "+after, got)
			}
		}
	})
}

// TestMaskQuadratic: text made to match long starts of a secret again and
// again is masked from where the search would turn quadratic (without the
// bound, its search takes 4 billion steps), and never shows the secret.
func TestMaskQuadratic(t *testing.T) {
	secret := strings.Repeat("a", 20000) + "b"
	got := sanitize.Mask("reply "+strings.Repeat("a", 200000)+"b", []string{secret})
	if !strings.HasPrefix(got, "reply a") || !strings.HasSuffix(got, "a***") || strings.Contains(got, secret) {
		t.Errorf("Mask = %.40q...%q", got, got[max(0, len(got)-20):])
	}
}

// TestRedactCredentials: a credential written as text, by a command or a
// server, is masked where the text says one follows (a header, a field
// named for one, a bearer token), whoever's it is; prose stays as written.
func TestRedactCredentials(t *testing.T) {
	for in, want := range map[string]string{
		"exit 0: Authorization: Bearer xyz":                                     "exit 0: Authorization: Bearer ***",
		"authorization: Basic dXNlcjpwYXNz":                                     "authorization: Basic ***",
		"Authorization: abc123":                                                 "Authorization: ***",
		"> Proxy-Authorization: Digest username=\"bob\", response=\"6629fae4\"": "> Proxy-Authorization: Digest ***\"",
		`reply "GET / HTTP/1.1\r\nAuthorization: Bearer xyz\r\nHost: a\r\n"`:    `reply "GET / HTTP/1.1\r\nAuthorization: Bearer ***\r\nHost: a\r\n"`,
		`got "Authorization: Bearer xyz" so far`:                                `got "Authorization: Bearer ***" so far`,
		`{"Authorization":["Bearer xyz"],"Accept":["*/*"]}`:                     `{"Authorization":["Bearer ***"],"Accept":["*/*"]}`,
		`"{\"Authorization\":[\"Bearer xyz\"],\"Accept\":[\"*/*\"]}"`:           `"{\"Authorization\":[\"Bearer ***\"],\"Accept\":[\"*/*\"]}"`,
		"Cookie: session=abc; theme=dark":                                       "Cookie: ***",
		"Set-Cookie: id=abc; HttpOnly":                                          "Set-Cookie: ***",
		"X-Api-Key: abc123":                                                     "X-Api-Key: ***",
		"x-auth-token: abc123":                                                  "x-auth-token: ***",
		"Authorization=Bearer xyz":                                              "Authorization=Bearer ***",
		"host=db user=app password=hunter2 dbname=app":                          "host=db user=app password=*** dbname=app",
		"export PGPASSWORD=hunter2":                                             "export PGPASSWORD=***",
		`{"access_token":"eyJabc.def","expires_in":3600}`:                       `{"access_token":"***","expires_in":3600}`,
		`{'password': 'hunter2'}`:                                               `{'password': '***'}`,
		`"{\"client_secret\":\"abc\"}"`:                                         `"{\"client_secret\":\"***\"}"`,
		"curl -H 'Bearer eyJhbGciOiJIUzI1NiJ9'":                                 "curl -H 'Bearer ***'",
		"http://host/h?API_KEY=PW#frag":                                         "http://host/h?API_KEY=***#frag",
		// Prose stays: a name followed by ":" is no field, and a short
		// word after Bearer no token.
		"wrong password: -WRONGPASS invalid password":                     "wrong password: -WRONGPASS invalid password",
		"token count: 5, secret: none":                                    "token count: 5, secret: none",
		"Bearer token required":                                           "Bearer token required",
		"exit code=3, x=1":                                                "exit code=3, x=1",
		"HTTP 503, want 200-399 (--status)":                               "HTTP 503, want 200-399 (--status)",
		"connect: connection refused (127.0.0.1:1)":                       "connect: connection refused (127.0.0.1:1)",
		"cookies: 3, authorization required":                              "cookies: 3, authorization required",
		"a bearer of bad news":                                            "a bearer of bad news",
		"the reply has Set-Cookie: (a value not shown) (--reject-header)": "the reply has Set-Cookie: (a value not shown) (--reject-header)",
		`HTTP 200, but --expect-json "status=UP" does not hold`:           `HTTP 200, but --expect-json "status=UP" does not hold`,
	} {
		if got := sanitize.RedactText(in); got != want {
			t.Errorf("RedactText(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}
