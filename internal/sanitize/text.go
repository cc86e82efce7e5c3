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
