package sanitize

import (
	"encoding/base64"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf16"
	"unicode/utf8"
)

// Mask is what output shows of s: every one of secrets masked (scrub),
// then URL userinfo, secret query values and credentials written as text
// (RedactText). Secrets go first: RedactText would cut a password that
// holds an @ in two, and leave the part after it for scrub to miss.
func Mask(s string, secrets []string) string {
	return RedactText(scrub(s, secrets))
}

// shortSecret: a secret shorter than this is masked only where it stands
// alone, not inside a word: masking every "p" of a message for the password
// "p" would garble it ("connection acce***ted") and show which letters the
// password is made of.
const shortSecret = 4

// scrub masks every secret in s, so that a server that echoes a credential
// (or an error that quotes one) cannot leak it into docker inspect.
//
// A server echoes what it was sent in the escaping of whatever writes its
// reply, and probe's own excerpts quote it again; so a secret is found
// character by character, each character as it is or escaped in any of the
// forms in common use (see runeAt): Go's %q and JSON's backslash escapes
// (\", \\, \/, \n, \u003c, \u00e9, surrogate pairs \ud83d\ude00, \U0001f600,
// \xHH), URL escaping (%40, + for a space), and HTML's character references
// (&amp;, &lt;, &#39;, &#x27;). One occurrence may mix them, as a JSON
// encoding of a URL-escaped value does. Base64, as Basic credentials carry
// text, is matched as literal forms (base64Forms). An escape of an escape
// (%2540, \\u0026) is not undone.
//
// Excerpts, clips and truncations end a cut with "..." (before or after the
// closing quote): a start of a secret, three bytes or more, right before
// "..." is masked too, with a partial escape it ends in (\u00...).
func scrub(s string, secrets []string) string {
	if len(secrets) == 0 {
		return s
	}
	var spans []span
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		spans = findEscaped(spans, s, secret)
		if len(secret) >= minBase64Secret {
			for _, form := range base64Forms(secret) {
				for at := 0; ; {
					i := strings.Index(s[at:], form)
					if i < 0 {
						break
					}
					spans = append(spans, span{at + i, at + i + len(form)})
					at += i + len(form)
				}
			}
		}
	}
	// An escape of an escape: a JSON reply in a quoted excerpt (\\u0026),
	// JSON in a JSON string, a URL escaped twice (%2540). The text with
	// one layer undone is searched too, up to three layers deep.
	view, pos := s, []int32(nil)
	for range maxLayers {
		var ok bool
		if view, pos, ok = undoLayer(view, pos); !ok {
			break
		}
		var found []span
		for _, secret := range secrets {
			if secret != "" {
				found = findEscaped(found, view, secret)
			}
		}
		for _, sp := range found {
			spans = append(spans, span{int(pos[sp.start]), int(pos[sp.end])})
		}
	}
	if len(spans) == 0 {
		return s
	}
	return maskSpans(s, spans)
}

// maxLayers is how many layers of escaping scrub undoes: a JSON string
// that holds JSON, in a quoted excerpt, is three.
const maxLayers = 3

// undoLayer undoes one layer of escaping in view, whose byte i is at pos[i]
// of the text it came from (at i when pos is nil): backslash escapes where
// an escaped backslash shows that text was escaped twice (\\), otherwise
// URL escapes where an escaped % shows it (%25). It returns the text with
// the layer undone and where each of its bytes came from (one more, the
// end), or false when no layer shows.
func undoLayer(view string, pos []int32) (string, []int32, bool) {
	backslash := strings.Contains(view, `\\`)
	if !backslash && !strings.Contains(view, "%25") {
		return "", nil, false
	}
	out := make([]byte, 0, len(view))
	from := make([]int32, 0, len(view)+1)
	at := func(i int) int32 {
		if pos == nil {
			return int32(i)
		}
		return pos[i]
	}
	for i := 0; i < len(view); {
		c, n := view[i], 1
		switch {
		case backslash && c == '\\' && i+1 < len(view):
			if decoded, m := undoBackslash(out, view[i:]); m > 0 {
				for len(from) < len(decoded) {
					from = append(from, at(i))
				}
				out = decoded
				i += m
				continue
			}
		case !backslash && c == '%' && i+2 < len(view) && hexValue(view[i+1:i+3]) >= 0:
			c, n = byte(hexValue(view[i+1:i+3])), 3
		}
		out = append(out, c)
		from = append(from, at(i))
		i += n
	}
	from = append(from, at(len(view)))
	return string(out), from, true
}

// undoBackslash appends to dst what the backslash escape at the start of t
// stands for, in UTF-8, and returns its length; 0 when it is none.
func undoBackslash(dst []byte, t string) ([]byte, int) {
	c := t[1]
	switch {
	case c == 'u' && len(t) >= 6 && hexValue(t[2:6]) >= 0:
		r, n := rune(hexValue(t[2:6])), 6
		if utf16.IsSurrogate(r) && len(t) >= 12 && t[6] == '\\' && t[7] == 'u' {
			if pair := utf16.DecodeRune(r, rune(hexValue(t[8:12]))); pair != utf8.RuneError {
				r, n = pair, 12
			}
		}
		return utf8.AppendRune(dst, r), n
	case c == 'U' && len(t) >= 10 && hexValue(t[2:10]) >= 0:
		return utf8.AppendRune(dst, rune(hexValue(t[2:10]))), 10
	case c == 'x' && len(t) >= 4 && hexValue(t[2:4]) >= 0:
		return append(dst, byte(hexValue(t[2:4]))), 4
	case c < 0x80 && backslashEscapes[c] != 0:
		return append(dst, byte(backslashEscapes[c])), 2
	}
	return dst, 0
}

// span is a part of a text to mask: [start, end).
type span struct{ start, end int }

// byStart orders spans by where they start (through sort.Interface, which
// every type shares; slices.SortFunc is compiled again for each type).
type byStart []span

func (s byStart) Len() int           { return len(s) }
func (s byStart) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s byStart) Less(i, j int) bool { return s[i].start < s[j].start }

// maskSpans writes s with each span, merged where they overlap, as "***".
func maskSpans(s string, spans []span) string {
	sort.Sort(byStart(spans))
	var b strings.Builder
	b.Grow(len(s))
	at := 0
	for i := 0; i < len(spans); {
		start, end := spans[i].start, spans[i].end
		for i++; i < len(spans) && spans[i].start <= end; i++ {
			end = max(end, spans[i].end)
		}
		if start < at { // inside what was masked already
			start = at
		}
		b.WriteString(s[at:start])
		b.WriteString("***")
		at = max(at, end)
	}
	b.WriteString(s[at:])
	return b.String()
}

// findEscaped appends to spans every occurrence of secret in s, each of its
// characters as it is or escaped (runeAt).
func findEscaped(spans []span, s, secret string) []span {
	first, _ := utf8.DecodeRuneInString(secret)
	m := matcher{s: s, secret: secret, budget: 64*len(s) + 4*len(secret) + 256}
	for i := 0; i < len(s); i++ {
		if !mayStart(s[i:], secret[0], first) {
			continue
		}
		m.start = i
		end, whole, ok := m.at(i, 0)
		if m.budget < 0 {
			// Text that matches long starts of the secret again and
			// again, which would take time quadratic in its length:
			// made to, so the rest of it is masked.
			return append(spans, span{i, len(s)})
		}
		switch {
		case !ok:
			continue
		case whole && end-i < shortSecret && (i > 0 && isWordByte(s[i-1]) || end < len(s) && isWordByte(s[end])):
			continue // a short secret inside a word
		}
		spans = append(spans, span{i, end})
		i = end - 1
	}
	return spans
}

// mayStart reports whether an occurrence of a secret that starts with the
// byte b, of the character r, may start at t: the byte, or an escape that
// may stand for the character (a quick test; the matcher decides).
func mayStart(t string, b byte, r rune) bool {
	switch c := t[0]; {
	case c == b:
		return true
	case c == '\\':
		if len(t) < 2 {
			return false
		}
		e := t[1]
		return e == 'u' || e == 'U' || e == 'x' || e < 0x80 && backslashEscapes[e] == r
	case c == '%', c == '&':
		return true
	case c == '+':
		return r == ' '
	}
	return false
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= 0x80
}

// matcher matches a secret in s from start, each character as it is or
// escaped. A character that starts escapes itself (\ % & +) may be either
// (\\ is one backslash escaped, or two as they are), so the match may take
// both ways; budget bounds how many steps it tries in all, over every
// start in s.
type matcher struct {
	s, secret string
	start     int
	budget    int
}

// at matches secret[k:] at s[j:]: ok when it matches, whole or cut short,
// and end is where the match ends in s.
func (m *matcher) at(j, k int) (end int, whole, ok bool) {
	if k == len(m.secret) {
		return j, true, true
	}
	if m.budget--; m.budget < 0 {
		return j, false, false
	}
	r, size := utf8.DecodeRuneInString(m.secret[k:])
	raw, t := m.secret[k:k+size], m.s[j:]
	escaped := escapedAt(t, raw, r, size > 1 || r != utf8.RuneError)
	if escaped > 0 {
		if end, whole, ok := m.at(j+escaped, k+size); ok {
			return end, whole, ok
		}
	}
	if strings.HasPrefix(t, raw) && len(raw) != escaped {
		if end, whole, ok := m.at(j+len(raw), k+size); ok {
			return end, whole, ok
		}
	}
	if j-m.start >= 3 && len(m.secret) >= shortSecret {
		if n, cut := cutShort(t, m.secret[k:]); cut {
			return j + n, false, true
		}
	}
	return j, false, false
}

// cutShort reports whether rest, what follows the start of a secret that
// stopped matching before left, is where an excerpt cut it short: "...",
// a closing quote and "...", or the start of left's next character cut
// (a byte of it, \u00, %4, &#x2) before either. n is how much of rest is
// that cut character.
func cutShort(rest, left string) (n int, cut bool) {
	dots := strings.Index(rest[:min(len(rest), 16)], "...")
	if dots < 0 {
		return 0, false
	}
	part := strings.TrimSuffix(rest[:dots], `"`)
	switch {
	case part == "":
	case strings.HasPrefix(left, part): // bytes of a UTF-8 character
	case strings.IndexByte(`\%&`, part[0]) >= 0 && len(part) <= 11 && isEscapeWord(part[1:]):
	default:
		return 0, false
	}
	return len(part), true
}

// isEscapeWord reports whether s could follow the \, % or & that starts an
// escape: letters, digits, # and more escapes (\xc3\xa).
func isEscapeWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || !isWordByte(c) && c != '#' && c != '\\' && c != '%' {
			return false
		}
	}
	return true
}

// escapedAt returns the length of the character r (written raw in UTF-8;
// valid unless raw is a byte that is not UTF-8) escaped at the start of t,
// or 0.
func escapedAt(t, raw string, r rune, valid bool) int {
	if t == "" {
		return 0
	}
	switch t[0] {
	case '\\':
		if valid {
			if n := backslashRune(t, r); n > 0 {
				return n
			}
		}
	case '&':
		if valid {
			return entityRune(t, r)
		}
		return 0
	case '+':
		if r == ' ' {
			return 1
		}
		return 0
	case '%':
	default:
		if len(raw) == 1 {
			return 0
		}
	}
	return bytesAt(t, raw)
}

// bytesAt returns the length of raw at the start of t, each byte as it is,
// URL-escaped (%HH) or as Go and Python quote a byte (\xHH), or 0.
func bytesAt(t, raw string) int {
	p := 0
	for k := 0; k < len(raw); k++ {
		switch {
		case p+2 < len(t) && t[p] == '%' && hexValue(t[p+1:p+3]) == int(raw[k]):
			p += 3
		case p+3 < len(t) && t[p] == '\\' && t[p+1] == 'x' && hexValue(t[p+2:p+4]) == int(raw[k]):
			p += 4
		case p < len(t) && t[p] == raw[k]:
			p++
		default:
			return 0
		}
	}
	return p
}

// backslashEscapes are the one-letter escapes of Go, JSON, JavaScript and
// Python, and the characters they stand for.
var backslashEscapes = [128]rune{'n': '\n', 'r': '\r', 't': '\t', 'b': '\b', 'f': '\f', 'v': '\v', 'a': '\a',
	'"': '"', '\\': '\\', '/': '/', '\'': '\''}

// backslashRune returns the length of a backslash escape of r at the start
// of t: \n, \", \uXXXX (UTF-16, so a pair of them past U+FFFF), \UXXXXXXXX,
// or \xHH for a code point below 256 (Python); or 0.
func backslashRune(t string, r rune) int {
	if len(t) < 2 {
		return 0
	}
	switch c := t[1]; c {
	case 'u':
		if len(t) < 6 {
			return 0
		}
		v := rune(hexValue(t[2:6]))
		if v == r {
			return 6
		}
		if utf16.IsSurrogate(v) && len(t) >= 12 && t[6] == '\\' && t[7] == 'u' && utf16.DecodeRune(v, rune(hexValue(t[8:12]))) == r {
			return 12
		}
	case 'U':
		if len(t) >= 10 && rune(hexValue(t[2:10])) == r {
			return 10
		}
	case 'x':
		if len(t) >= 4 && r < 0x100 && rune(hexValue(t[2:4])) == r {
			return 4
		}
	default:
		if c < 0x80 && backslashEscapes[c] == r && r != 0 {
			return 2
		}
	}
	return 0
}

// entityRune returns the length of an HTML character reference to r at the
// start of t (&amp; &lt; &gt; &quot; &apos; &#39; &#x27;), or 0.
func entityRune(t string, r rune) int {
	semi := strings.IndexByte(t[:min(len(t), 12)], ';')
	if semi < 2 {
		return 0
	}
	name, v := t[1:semi], rune(-1)
	switch {
	case name[0] == '#' && len(name) > 2 && (name[1] == 'x' || name[1] == 'X'):
		v = rune(hexValue(name[2:]))
	case name[0] == '#':
		v = rune(decimalValue(name[1:]))
	default:
		switch strings.ToLower(name) {
		case "amp":
			v = '&'
		case "lt":
			v = '<'
		case "gt":
			v = '>'
		case "quot":
			v = '"'
		case "apos":
			v = '\''
		case "nbsp":
			v = 0xa0
		}
	}
	if v != r {
		return 0
	}
	return semi + 1
}

// hexValue is the value of the hexadecimal digits s, or -1.
func hexValue(s string) int {
	if s == "" || len(s) > 8 {
		return -1
	}
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			v = v<<4 | int(c-'0')
		case 'a' <= c && c <= 'f':
			v = v<<4 | int(c-'a'+10)
		case 'A' <= c && c <= 'F':
			v = v<<4 | int(c-'A'+10)
		default:
			return -1
		}
	}
	return v
}

// decimalValue is the value of the decimal digits s, or -1.
func decimalValue(s string) int {
	if s == "" || len(s) > 7 {
		return -1
	}
	v := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		v = v*10 + int(s[i]-'0')
	}
	return v
}

// minBase64Secret: a secret shorter than this has no base64 form long
// enough to be told from other base64 text.
const minBase64Secret = 6

// base64Forms are what base64 (standard and URL-safe, padded or not) makes
// of secret wherever it sits in the text encoded: for each of the three
// offsets of its first byte in a group of three, the characters that
// depend on the secret's bytes alone. Servers echo Basic credentials, and
// JSON Web Tokens and cookies carry text in base64.
func base64Forms(secret string) []string {
	if forms, ok := base64Cache.Load(secret); ok {
		return forms.([]string)
	}
	var out []string
	buf := make([]byte, 0, len(secret)+2)
	for offset := range 3 {
		buf = append(buf[:0], "\x00\x00"[:offset]...)
		buf = append(buf, secret...)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			e := enc.EncodeToString(buf)
			from, to := (8*offset+5)/6, 8*len(buf)/6
			if to-from < 8 {
				continue
			}
			if form := e[from:to]; !slices.Contains(out, form) {
				out = append(out, form)
			}
		}
	}
	// The same few secrets are masked in every result: a run's, a
	// watch's, a sidecar's. A library that masks ever new ones stops
	// filling the cache.
	if base64Cached.Add(1) <= maxBase64Cached {
		base64Cache.Store(secret, out)
	}
	return out
}

// base64Cache holds each secret's base64 forms.
var (
	base64Cache  sync.Map
	base64Cached atomic.Int32
)

const maxBase64Cached = 256
