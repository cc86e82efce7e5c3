package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/probe-sh/probe/internal/sanitize"
)

// Variables in targets and flag values, expanded by probe itself: the exec
// form of HEALTHCHECK, the only one a scratch image can run, has no shell
// to do it.
//
//	${VAR}           the value of VAR; an error when VAR is not set
//	${VAR:-default}  the value of VAR, or default when VAR is unset or empty
//	$$               a literal $
//
// Any other $ is itself ("UP$" stays a regular expression). The command
// after "--" of wait and exec is left as it is: it is the app's.

// maxQuoted keeps what an error quotes of a ${...} short: it may hold part
// of a value.
const maxQuoted = 27

// expandArgs expands every argument.
func expandArgs(args []string) ([]string, error) {
	out := args
	for i, a := range args {
		if !strings.Contains(a, "$") {
			continue
		}
		v, err := expand(a, os.LookupEnv)
		if err != nil {
			return nil, err
		}
		if &out[0] == &args[0] {
			out = append([]string(nil), args...)
		}
		out[i] = v
	}
	return out, nil
}

// expand expands one string. Its errors name the variable, never a value.
func expand(s string, lookup func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 || i == len(s)-1 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			s = s[i+2:]
			continue
		case '{':
		default:
			b.WriteByte('$')
			s = s[i+1:]
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("%q has no closing }: write ${NAME} or ${NAME:-default}, and $$ for a literal $", sanitize.Clip(s[i:], maxQuoted))
		}
		body := s[i+2 : i+end]
		name, def, hasDef := strings.Cut(body, ":-")
		if !validVarName(name) {
			return "", fmt.Errorf("${%s} is not a variable: a name is letters, digits and _, as in ${PORT} or ${PORT:-8080}", sanitize.Clip(name, maxQuoted))
		}
		v, set := lookup(name)
		switch {
		case hasDef && v == "":
			v = def
		case !set:
			return "", fmt.Errorf("${%s} is not set: set it, or give a default, as in ${%s:-value}", name, name)
		}
		b.WriteString(v)
		s = s[i+end+1:]
	}
}

func validVarName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// expandEnvars expands the PROBE_... variables that set flags, as their
// arguments are expanded: PROBE_HEADER='Authorization: Bearer ${TOKEN}'.
func expandEnvars() error {
	for _, kv := range os.Environ() {
		name, v, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "PROBE_") || !strings.Contains(v, "$") {
			continue
		}
		expanded, err := expand(v, os.LookupEnv)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		os.Setenv(name, expanded)
	}
	return nil
}
