package sanitize

import "strings"

// Credentials written as text, by a command (probe run), a server's error
// or a reply, are masked where the text itself says one follows, whoever's
// it is: probe knows only its own secrets (scrub).
//
//   - a header that carries one, as HTTP writes it or echoes it:
//     "Authorization: Bearer ***", "Proxy-Authorization", "Cookie",
//     "Set-Cookie", and X- headers named for one ("X-Api-Key: ***",
//     "X-Auth-Token"); Authorization keeps its scheme. The value runs to the
//     end of the line (lineEnd), or to its closing quote;
//   - a field named for one, set with "=" ("password=***" in a libpq
//     connection string, "client_secret=***") or as a quoted key ("token":
//     "***" in JSON, 'password': '***' in Python): names that hold password,
//     passwd, pwd, secret, token, apikey, api_key, api-key or credential.
//     The value runs to a space, a quote or a separator (& ; , ) ] }).
//   - a bearer token: "Bearer ***" for a word of 8 token characters or more.
//
// "password: wrong" in prose is left alone (probe's own "wrong password:
// -WRONGPASS ..." among them): a name followed by ":" counts only as a
// header's or a quoted key's.

// credentialHeaders are the headers whose values are credentials.
var credentialHeaders = []string{"authorization", "proxy-authorization", "cookie", "set-cookie"}

// credentialWords make a field's name, or an X- header's, say that its
// value is a credential.
var credentialWords = []string{"password", "passwd", "pwd", "secret", "token", "apikey", "api_key", "api-key", "credential"}

// mayHoldCredential is a quick test for redactCredentials: a separator a
// header or field needs, or a bearer token.
func mayHoldCredential(s string) bool {
	return strings.ContainsAny(s, ":=") || strings.Contains(s, "earer") || strings.Contains(s, "EARER")
}

// redactCredentials masks credentials written as text (see above).
func redactCredentials(s string) string {
	var spans []span
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ':' || c == '=':
			if sp, ok := credentialAfter(s, i); ok {
				spans = append(spans, sp)
				i = sp.end - 1
			}
		case c == 'B' || c == 'b':
			if sp, ok := bearerAt(s, i); ok {
				spans = append(spans, sp)
				i = sp.end - 1
			}
		}
	}
	if len(spans) == 0 {
		return s
	}
	return maskSpans(s, spans)
}

// credentialAfter returns the value to mask after the separator s[sep],
// when the name before it says a credential follows.
func credentialAfter(s string, sep int) (span, bool) {
	// The name: a word, perhaps quoted ("token": or \"token\":), perhaps
	// followed by spaces.
	end := sep
	for end > 0 && s[end-1] == ' ' {
		end--
	}
	quoted := false
	if end > 0 && (s[end-1] == '"' || s[end-1] == '\'') {
		quoted = true
		end--
		if end > 0 && s[end-1] == '\\' {
			end--
		}
	}
	start := end
	for start > 0 && isNameByte(s[start-1]) {
		start--
	}
	if start > 0 && s[start-1] == '\\' && start < end && strings.IndexByte("nrt", s[start]) >= 0 {
		start++ // after an escaped line break: \r\nAuthorization
	}
	name := s[start:end]
	if name == "" {
		return span{}, false
	}
	header := isCredentialHeader(name)
	switch {
	case header:
	case s[sep] == ':' && !quoted:
		return span{}, false // "wrong password: ..." is prose
	case !holdsCredentialWord(name):
		return span{}, false
	}
	// The value: after spaces, a [ (Go's JSON of a header) and an
	// opening quote, to its closing quote; or to the end of the line for
	// a header, to a separator for a field.
	v := sep + 1
	for v < len(s) && s[v] == ' ' {
		v++
	}
	if v < len(s) && s[v] == '[' {
		v++
	}
	closing := ""
	switch {
	case strings.HasPrefix(s[v:], `\"`), strings.HasPrefix(s[v:], `\'`):
		closing, v = s[v:v+2], v+2
	case v < len(s) && (s[v] == '"' || s[v] == '\''):
		closing, v = s[v:v+1], v+1
	}
	if header && strings.EqualFold(name[max(0, len(name)-13):], "authorization") {
		// Keep the scheme: "Bearer ***".
		w := v
		for w < len(s) && isLetter(s[w]) {
			w++
		}
		if w > v && w+1 < len(s) && s[w] == ' ' && s[w+1] != ' ' {
			v = w + 1
		}
	}
	var stop int
	switch {
	case closing != "":
		stop = strings.Index(s[v:], closing)
	case header:
		stop = lineEnd(s[v:])
	default:
		stop = strings.IndexAny(s[v:], " \t\r\n\"'\\&;,)]}<>")
	}
	if stop < 0 {
		stop = len(s) - v
	}
	value := s[v : v+stop]
	switch {
	case value == "", strings.HasPrefix(value, "***"): // none, or masked already
		return span{}, false
	case header && value[0] == '(':
		// No header value starts so; probe's own "(a value not shown)"
		// does.
		return span{}, false
	}
	return span{v, v + stop}, true
}

// lineEnd is where a header's value ends in t: at a line break, as it is
// or escaped (\r, \n in a quoted excerpt), or at a quote that closes an
// excerpt or a quotation (followed by the end, a space or "..."); not at
// the quotes inside a value (Digest username="bob", response="...").
func lineEnd(t string) int {
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case '\r', '\n':
			return i
		case '\\':
			if i+1 < len(t) && (t[i+1] == 'r' || t[i+1] == 'n') {
				return i
			}
		case '"':
			if i+1 == len(t) || t[i+1] == ' ' || t[i+1] == '.' {
				return i
			}
		}
	}
	return -1
}

// bearerAt returns the token to mask after "Bearer " at s[i], when one is
// there: a word of 8 token characters or more.
func bearerAt(s string, i int) (span, bool) {
	if len(s)-i < 8 || !strings.EqualFold(s[i:i+7], "bearer ") || i > 0 && isNameByte(s[i-1]) {
		return span{}, false
	}
	v := i + 7
	end := v
	for end < len(s) && isToken68(s[end]) {
		end++
	}
	if end-v < 8 {
		return span{}, false
	}
	return span{v, end}, true
}

func isCredentialHeader(name string) bool {
	for _, h := range credentialHeaders {
		if strings.EqualFold(name, h) {
			return true
		}
	}
	return len(name) > 2 && (name[0] == 'x' || name[0] == 'X') && name[1] == '-' && (holdsCredentialWord(name) || containsFold(name, "key") || containsFold(name, "auth"))
}

func holdsCredentialWord(name string) bool {
	for _, w := range credentialWords {
		if containsFold(name, w) {
			return true
		}
	}
	return false
}

// containsFold reports whether s holds word, in any case; word is lower
// case ASCII.
func containsFold(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(word)], word) {
			return true
		}
	}
	return false
}

func isNameByte(c byte) bool {
	return isLetter(c) || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.'
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// isToken68 reports whether c may be in a bearer token (RFC 6750's b64token).
func isToken68(c byte) bool {
	return isLetter(c) || '0' <= c && c <= '9' || strings.IndexByte("-._~+/=", c) >= 0
}
