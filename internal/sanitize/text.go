package sanitize

import (
	"strconv"
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
