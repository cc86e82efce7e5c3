// Package sanitize decides what output may show: nothing a terminal would
// act on (Printable), short quoted excerpts of what a peer sent (Excerpt,
// Clip), and never a secret (Mask, RedactText, Redact).
package sanitize

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable returns s with every byte that could act on a terminal, or
// disguise text, escaped as Go writes it (\x1b, \u202e): control
// characters, line breaks, invalid UTF-8, and Unicode's invisible format
// characters (bidirectional overrides among them). Anyone can set a
// process's name, and a server its reply, to escape codes; output meant for
// an operator's terminal or docker inspect shows them as text.
func Printable(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return printable(s)
		}
	}
	return s
}

func printable(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && (r < 0x20 || r == 0x7f):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && !unicode.IsPrint(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
