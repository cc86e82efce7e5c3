package sanitize

import (
	"net/url"
	"strings"
)

// What output never shows, wherever it comes from: the userinfo of a URL,
// the values of secret headers, and the values of query parameters whose
// names say they are secret (?token=, ?api_key=, ?X-Amz-Signature= ...).
// Target names are masked when they are built (Redact); text that may hold a
// URL someone typed or a server sent, when it is printed (RedactText); and
// probe.Run masks every secret value it was given in what checks report,
// cut or quoted (package probe, scrub).

// IsSecretHeader reports whether the value of header name must never be
// printed: Authorization, Proxy-Authorization, Cookie, and a reply's
// Set-Cookie.
func IsSecretHeader(name string) bool {
	switch strings.ToLower(name) {
	case "authorization", "proxy-authorization", "cookie", "set-cookie":
		return true
	}
	return false
}

// secretParamWords are the parts of a query parameter name that make its
// value a secret, as blackbox_exporter users and cloud providers name them.
var secretParamWords = []string{"token", "key", "secret", "pass", "pwd", "auth", "sig", "credential", "session", "code", "jwt"}

// IsSecretParam reports whether the value of query parameter name must
// never be printed.
func IsSecretParam(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretParamWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// SecretParams returns the values of u's secret query parameters, for the
// engine (probe.Run) to mask wherever a reply echoes them.
func SecretParams(u *url.URL) []string {
	var out []string
	for name, values := range u.Query() {
		if IsSecretParam(name) {
			for _, v := range values {
				if v != "" {
					out = append(out, v, url.QueryEscape(v))
				}
			}
		}
	}
	return out
}

// Redact returns u as text with its userinfo and secret query values
// masked: http://***@host/healthz?token=***.
func Redact(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = redactQuery(u.RawQuery)
	s := c.String()
	if u.User != nil {
		if i := strings.Index(s, "://"); i >= 0 {
			return s[:i+3] + "***@" + s[i+3:]
		}
	}
	return s
}

// redactQuery masks the values of secret parameters in a raw query,
// keeping everything else as it was written.
func redactQuery(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		name, _, hasValue := strings.Cut(p, "=")
		if unescaped, err := url.QueryUnescape(name); err == nil {
			name = unescaped
		}
		if hasValue && IsSecretParam(name) {
			parts[i] = p[:strings.IndexByte(p, '=')+1] + "***"
		}
	}
	return strings.Join(parts, "&")
}

// RedactText masks, in text that may hold URLs, even malformed ones
// ("user:pass@host", "http:/u:p@host"), anything before an "@" in what could
// be a URL's authority, and the values of secret query parameters; and
// credentials written as text, where the text says one follows
// ("Authorization: Bearer ***", "password=***": credentials.go). It errs
// on the side of masking: it runs on what is printed, not on what is sent.
func RedactText(s string) string {
	if strings.ContainsAny(s, "@?&") {
		var b strings.Builder
		for _, word := range strings.SplitAfter(s, " ") {
			b.WriteString(redactWord(word))
		}
		s = b.String()
	}
	if mayHoldCredential(s) {
		s = redactCredentials(s)
	}
	return s
}

// redactWord masks one space-separated word.
func redactWord(w string) string {
	w = maskUserinfo(w)
	// Secret query values: NAME=VALUE after "?" or "&", up to "&", "#", a
	// quote or the end.
	q := strings.IndexByte(w, '?')
	if q < 0 {
		return w
	}
	var b strings.Builder
	b.WriteString(w[:q])
	rest := w[q:]
	for rest != "" {
		sep := rest[0] // '?' or '&'
		rest = rest[1:]
		end := strings.IndexAny(rest, "&#\"' ")
		param := rest
		if end >= 0 {
			param = rest[:end]
		}
		name, _, hasValue := strings.Cut(param, "=")
		if unescaped, err := url.QueryUnescape(name); err == nil {
			name = unescaped
		}
		b.WriteByte(sep)
		if hasValue && IsSecretParam(name) {
			b.WriteString(param[:strings.IndexByte(param, '=')+1] + "***")
		} else {
			b.WriteString(param)
		}
		if end < 0 {
			break
		}
		rest = rest[end:]
		if rest[0] != '&' {
			b.WriteString(rest)
			break
		}
	}
	return b.String()
}

// maskUserinfo masks the userinfo of every URL in w: the first and any
// inside it, in a path or a parameter ("file:///a://u:p@h",
// "?next=http://u:p@h"), up to the last "@" of each authority.
func maskUserinfo(w string) string {
	i := strings.Index(w, "://")
	if i < 0 {
		// No "//": a malformed URL ("http:/u:p@host", "u:p@host"). An "@"
		// before any "?" or "#" is taken as the end of a userinfo.
		auth := w
		if end := strings.IndexAny(w, "?#"); end >= 0 {
			auth = w[:end]
		}
		at := strings.LastIndexByte(auth, '@')
		// Keep a leading quote or parenthesis, mask the rest.
		start := 0
		for start < at && strings.IndexByte(`"'(<[`, w[start]) >= 0 {
			start++
		}
		if start < at { // an empty userinfo, such as @NAME, hides nothing
			w = w[:start] + "***" + w[at:]
		}
		return w
	}
	var b strings.Builder
	for i >= 0 {
		b.WriteString(w[:i+3])
		w = w[i+3:]
		auth := w
		if end := strings.IndexAny(w, "/?#"); end >= 0 {
			auth = w[:end]
		}
		if at := strings.LastIndexByte(auth, '@'); at > 0 {
			b.WriteString("***")
			w = w[at:]
		}
		i = strings.Index(w, "://")
	}
	b.WriteString(w)
	return b.String()
}
