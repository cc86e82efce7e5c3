package sanitize

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Excerpt returns at most n bytes of b as one printable, quoted line.
func Excerpt(b []byte, n int) string {
	cut := len(b) > n
	if cut {
		b = b[:n]
	}
	s := strconv.QuoteToASCII(string(b))
	if cut {
		s += "..."
	}
	return s
}

// Clip cuts s to at most n bytes, ending a cut with "...". It never cuts a
// UTF-8 character in two: the cut is made before it.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n-3, 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// Mask is what output shows of s: every one of secrets masked (scrub),
// then URL userinfo and secret query values (RedactText). Secrets go first:
// RedactText would cut a password that holds an @ in two, and leave the
// part after it for scrub to miss.
func Mask(s string, secrets []string) string {
	return RedactText(scrub(s, secrets))
}

// shortSecret: a secret shorter than this is masked only where it stands
// alone, not inside a word: masking every "p" of a message for the password
// "p" would garble it ("connection acce***ted") and show which letters the
// password is made of.
const shortSecret = 4

// replaceWords masks each occurrence of w in s that no letter or digit
// touches.
func replaceWords(s, w string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, w)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(w)
		if (i == 0 || !isWordByte(s[i-1])) && (end == len(s) || !isWordByte(s[end])) {
			b.WriteString(s[:i] + "***")
		} else {
			b.WriteString(s[:end])
		}
		s = s[end:]
	}
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= 0x80
}

// scrub masks every secret in s, so that a server that echoes a credential
// (or an error that quotes one) cannot leak it into docker inspect. A
// secret may appear as it is, or escaped by a quoted excerpt (%q or
// QuoteToASCII), and cut short by any excerpt, clip or truncation, all of
// which end a cut with "..." (before or after the closing quote): so a
// start of a secret, three bytes or more, right before "..." is masked too.
func scrub(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		forms := []string{secret}
		for _, q := range []string{strconv.QuoteToASCII(secret), strconv.Quote(secret)} {
			if inner := q[1 : len(q)-1]; inner != secret {
				forms = append(forms, inner)
			}
		}
		// As a URL carries it: a server may echo the URL it was given.
		for _, e := range []string{url.QueryEscape(secret), url.PathEscape(secret), url.User(secret).String()} {
			if e != secret && !slices.Contains(forms, e) {
				forms = append(forms, e)
			}
		}
		for _, form := range forms {
			if len(form) < shortSecret {
				s = replaceWords(s, form)
				continue
			}
			s = strings.ReplaceAll(s, form, "***")
			if !strings.Contains(s, "...") {
				continue
			}
			for k := len(form) - 1; k >= 3; k-- {
				s = strings.ReplaceAll(s, form[:k]+`"...`, `***"...`)
				s = strings.ReplaceAll(s, form[:k]+`..."`, `***..."`)
				s = strings.ReplaceAll(s, form[:k]+"...", "***...")
			}
		}
	}
	return s
}
