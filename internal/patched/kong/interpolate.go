package kong

import (
	"fmt"
	"strings"
)

// interpolation is one piece of a text to interpolate: a variable
// reference (${name} or ${name=default}), or text to keep as it is ("$$"
// keeps "$").
type interpolation struct {
	text       string // the piece as written, kept when it is no variable
	name       string // the variable, for ${name}; "" for text
	hasDefault bool
	def        string
}

// scanInterpolations splits s into pieces as the regular expression
// (\$\$)|((?:\${([[:alpha:]_][[:word:]]*))(?:(=)([^}]*))?})|(\$)|([^$]+) does,
// leftmost-first, without compiling one: that took about a million
// instructions at every start of a program that uses kong.
func scanInterpolations(s string, piece func(interpolation)) {
	for len(s) > 0 {
		if s[0] != '$' {
			end := strings.IndexByte(s, '$')
			if end < 0 {
				end = len(s)
			}
			piece(interpolation{text: s[:end]})
			s = s[end:]
			continue
		}
		if strings.HasPrefix(s, "$$") {
			piece(interpolation{text: "$"})
			s = s[2:]
			continue
		}
		if v, n, ok := scanVariable(s); ok {
			piece(v)
			s = s[n:]
			continue
		}
		piece(interpolation{text: "$"})
		s = s[1:]
	}
}

// scanVariable reads ${name} or ${name=default} at the start of s, and how
// many bytes it took.
func scanVariable(s string) (interpolation, int, bool) {
	if !strings.HasPrefix(s, "${") || len(s) < 3 || !isAlpha(s[2]) {
		return interpolation{}, 0, false
	}
	i := 3
	for i < len(s) && isWord(s[i]) {
		i++
	}
	v := interpolation{name: s[2:i]}
	if i < len(s) && s[i] == '=' {
		end := strings.IndexByte(s[i+1:], '}')
		if end < 0 {
			return interpolation{}, 0, false
		}
		v.hasDefault, v.def = true, s[i+1:i+1+end]
		i += 1 + end
	}
	if i >= len(s) || s[i] != '}' {
		return interpolation{}, 0, false
	}
	v.text = s[:i+1]
	return v, i + 1, true
}

func isAlpha(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isWord(c byte) bool  { return isAlpha(c) || '0' <= c && c <= '9' }

// HasInterpolatedVar returns true if the variable "v" is interpolated in "s".
func HasInterpolatedVar(s string, v string) bool {
	if !strings.Contains(s, "${") { // no "${": nothing to interpolate
		return false
	}
	found := false
	scanInterpolations(s, func(p interpolation) { found = found || p.name == v })
	return found
}

// Interpolate variables from vars into s for substrings in the form ${var} or ${var=default}.
func interpolate(s string, vars Vars, updatedVars map[string]string) (string, error) {
	if !strings.Contains(s, "$") { // without a "$" the result is s
		return s, nil
	}
	for key, val := range updatedVars {
		if vars[key] != val {
			vars = vars.CloneWith(updatedVars)
			break
		}
	}
	var out strings.Builder
	var err error
	scanInterpolations(s, func(p interpolation) {
		if err != nil {
			return
		}
		if p.name == "" {
			out.WriteString(p.text)
			return
		}
		value, ok := vars[p.name]
		if !ok {
			// "${name=}" is an empty default; "${name}" has none.
			if !p.hasDefault {
				err = fmt.Errorf("undefined variable ${%s}", p.name)
				return
			}
			value = p.def
		}
		out.WriteString(value)
	})
	if err != nil {
		return "", err
	}
	return out.String(), nil
}
