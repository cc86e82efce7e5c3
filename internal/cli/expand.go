package cli

import (
	"fmt"
	"net/url"
	"os"
	"strings"
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
//
// In a target URL a value takes the place of its ${...} in the part of the
// URL the ${...} is written in, escaped for that part, so that it can never
// move the URL's boundaries: REDIS_PASSWORD='ab@cd/ef' in
// redis://:${REDIS_PASSWORD}@cache:6379 is a password, not part of a host
// (issue 29: the password once went to DNS, and was printed in part). A
// value is never expanded again: one that holds ${...} stays as it is.

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

// urlPart is where in a URL template a ${...} sits, and so how its value is
// escaped.
type urlPart int

const (
	notURL   urlPart = iota // not a URL: the value as it is
	userinfo                // between :// and the last @ of the authority
	hostPort                // the host and port: the value as it is
	path
	query // a query's name or value
	fragment
)

// escape escapes v for part, so that the URL parser reads it back whole.
func (p urlPart) escape(v string) string {
	switch p {
	case userinfo:
		// Each of user and password is escaped: what separates them is
		// the template's, not the value's.
		return url.User(v).String()
	case path, fragment:
		return url.PathEscape(v)
	case query:
		return url.QueryEscape(v)
	}
	return v
}

// expand expands one string. Its errors name the variable, never a value.
func expand(s string, lookup func(string) (string, bool)) (string, error) {
	parts := urlParts(s)
	var b strings.Builder
	for at := 0; ; {
		i := strings.IndexByte(s[at:], '$')
		if i < 0 || at+i == len(s)-1 {
			b.WriteString(s[at:])
			return b.String(), nil
		}
		i += at
		b.WriteString(s[at:i])
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			at = i + 2
			continue
		case '{':
		default:
			b.WriteByte('$')
			at = i + 1
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("%q has no closing }: write ${NAME} or ${NAME:-default}, and $$ for a literal $", "${"+nameShown(s[i+2:]))
		}
		body := s[i+2 : i+end]
		name, def, hasDef := strings.Cut(body, ":-")
		if !validVarName(name) {
			return "", fmt.Errorf("${%s} is not a variable: a name is letters, digits and _, as in ${PORT} or ${PORT:-8080}", nameShown(name))
		}
		v, set := lookup(name)
		switch {
		case hasDef && v == "":
			v = def
		case !set:
			return "", fmt.Errorf("${%s} is not set: set it, or give a default, as in ${%s:-value}", name, name)
		}
		if parts[i] == hostPort && strings.ContainsAny(v, "/?#@ ") {
			return "", fmt.Errorf("${%s} is in a URL's host and port, and its value holds /, ?, #, @ or a space, which would change where the host ends", name)
		}
		b.WriteString(parts[i].escape(v))
		at = i + end + 1
	}
}

// nameShown is what an error shows of the text after "${": the name it
// starts with, and "..." for the rest, which may be part of a value (-H
// 'Authorization: Bearer ${TOKEN-s3cr3t}' must not print the token).
func nameShown(s string) string {
	n := 0
	for n < len(s) && n < 24 && isNameByte(s[n]) {
		n++
	}
	if n == len(s) {
		return s
	}
	return s[:n] + "..."
}

func validVarName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

func isNameByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// urlParts says, for each byte of s, which part of a URL it is in, when s
// is a URL template (SCHEME://...), reading each ${...} as opaque: where a
// part ends is decided by the template as written, never by a value.
func urlParts(s string) []urlPart {
	parts := make([]urlPart, len(s))
	scheme, _, ok := strings.Cut(s, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "${}/?#@") {
		return parts
	}
	start := len(scheme) + 3
	// The authority ends at the first /, ? or # outside ${...}; the
	// userinfo, at its last @.
	end, lastAt := len(s), -1
	for i := start; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) && s[i+1] == '{' {
			if j := strings.IndexByte(s[i:], '}'); j >= 0 {
				i += j
				continue
			}
		}
		if strings.IndexByte("/?#", s[i]) >= 0 {
			end = i
			break
		}
		if s[i] == '@' {
			lastAt = i
		}
	}
	part := hostPort
	if lastAt >= 0 {
		part = userinfo
	}
	for i := start; i < len(s); i++ {
		switch {
		case i == lastAt:
			part = hostPort
		case i == end && s[i] == '/':
			part = path
		case part != fragment && s[i] == '#' && i >= end:
			part = fragment
		case part == path && s[i] == '?', part == hostPort && i == end && s[i] == '?':
			part = query
		}
		if s[i] == '$' && i+1 < len(s) && s[i+1] == '{' {
			if j := strings.IndexByte(s[i:], '}'); j >= 0 {
				for k := i; k <= i+j; k++ {
					parts[k] = part
				}
				i += j
				continue
			}
		}
		parts[i] = part
	}
	return parts
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
