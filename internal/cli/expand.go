package cli

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/probe-sh/probe/internal/files"
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
// A VAR unset or empty while VAR_FILE names a file takes its value from
// that file, as the official images' entrypoints read their *_FILE
// variables (Docker and Kubernetes secrets): see secretVars.fromFile.
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

// secretVars looks variables up, and keeps the values of those whose names
// say they are secret (sanitize.IsSecretParam: API_KEY, BOT_TOKEN,
// DB_PASSWORD): wherever such a value lands, in a URL's path or a
// parameter named k, it is a secret, and output masks it (Globals.prepare,
// errorLine).
type secretVars struct {
	values []string
	err    error // the first VAR_FILE that could not be read
}

// maxSecretFile bounds what a VAR_FILE holds: a password or a token, not a
// document.
const maxSecretFile = 64 << 10

func (s *secretVars) lookup(name string) (string, bool) {
	v, ok := os.LookupEnv(name)
	if path := os.Getenv(name + "_FILE"); v == "" && path != "" && !strings.HasSuffix(name, "_FILE") {
		return s.fromFile(name, path)
	}
	if ok && v != "" && sanitize.IsSecretParam(name) {
		s.values = append(s.values, v)
	}
	return v, ok
}

// fromFile is the value of name read from the file at path, its NAME_FILE:
// a regular file of at most maxSecretFile, read once, with its trailing
// newlines trimmed, as the entrypoints' $(< file) trims them (echo and
// editors add one; a value that ends in one could not be masked where a
// line ends). It
// is masked in every output, whatever its name says, and an error names
// the variable and the file, never what the file holds.
func (s *secretVars) fromFile(name, path string) (string, bool) {
	data, err := files.ReadSmall(path, maxSecretFile)
	if err != nil {
		if s.err == nil {
			s.err = fmt.Errorf("${%s} is read from %s_FILE, and cannot be: %s", name, name, sanitize.Printable(err.Error()))
		}
		return "", true
	}
	v := strings.TrimRight(string(data), "\r\n")
	if v != "" {
		s.values = append(s.values, v)
	}
	return v, true
}

// expandArgs expands every argument.
func expandArgs(args []string, vars *secretVars) ([]string, error) {
	out := args
	for i, a := range args {
		if !strings.Contains(a, "$") {
			continue
		}
		prev := ""
		if i > 0 {
			prev = args[i-1]
		}
		v, err := expand(a, vars.lookup, secretFlag(prev, a))
		if err == nil {
			err = vars.err
		}
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

// secretFlags are the flags whose values may carry a secret, wherever a
// ${...} sits in them: a header (Authorization, an API key), a request
// body, the bytes --send writes (AUTH password). They are named so in the
// errors of expand, with their PROBE_ variables.
var secretFlags = []struct{ long, short, env string }{
	{"--header", "-H", "PROBE_HEADER"},
	{"--body", "-d", "PROBE_BODY"},
	{"--send", "", "PROBE_SEND"},
}

// secretFlag returns the flag that arg is the value of, when that flag
// carries secrets (secretFlags), as errors name it ("-H", "--send"); ""
// otherwise. prev is the argument before arg. It errs on the side of a
// secret: a word after -vH is a header, whatever -v is.
func secretFlag(prev, arg string) string {
	for _, f := range secretFlags {
		switch {
		case prev == f.long,
			strings.HasPrefix(arg, f.long+"="):
			return f.long
		case f.short == "":
		case prev == f.short,
			len(prev) > 2 && prev[0] == '-' && prev[1] != '-' && strings.HasSuffix(prev, f.short[1:]),
			strings.HasPrefix(arg, f.short) && len(arg) > 2:
			return f.short
		}
	}
	return ""
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

// expand expands one string: an argument, or flag's value, the value of
// flag when flag is set (a secret flag: secretFlag). Its errors name the
// variable, never a value, and in a secret place (secretPlace) not even
// the text: it may be part of a password.
func expand(s string, lookup func(string) (string, bool), flag string) (string, error) {
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
		name, def, hasDef := "", "", false
		if end >= 0 {
			name, def, hasDef = strings.Cut(s[i+2:i+end], ":-")
		}
		secret := secretPlace(s, i, parts, flag, end >= 0 && validVarName(name))
		if end < 0 {
			if secret != "" {
				return "", fmt.Errorf("a ${ in %s has no closing }: write ${NAME} or ${NAME:-default}, and $$ for a literal $", secret)
			}
			return "", fmt.Errorf("%q has no closing }: write ${NAME} or ${NAME:-default}, and $$ for a literal $", "${"+nameShown(s[i+2:]))
		}
		if !validVarName(name) {
			if secret != "" {
				return "", fmt.Errorf("a ${...} in %s is not a variable: a name is letters, digits and _, as in ${TOKEN} or ${TOKEN:-default}", secret)
			}
			return "", fmt.Errorf("${%s} is not a variable: a name is letters, digits and _, as in ${PORT} or ${PORT:-8080}", nameShown(name))
		}
		v, set := lookup(name)
		switch {
		case hasDef && v == "":
			v = def
		case !set && secret != "":
			return "", fmt.Errorf("a variable in %s is not set: set it, or give a default, as in ${NAME:-value}", secret)
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

// secretPlace is the one place that decides whether the ${...} at s[i] may
// be part of a secret, and so whether an error about it may show its text:
// it returns how errors name the place ("-H Authorization", "a target's
// userinfo"), or "" when it is no secret. A secret flag's value is one
// (flag, from secretFlag); so are a URL's userinfo and the value of a
// query parameter whose name says secret (sanitize.IsSecretParam), or
// whose name is not known before expanding. A ${ with no }, or with no
// name in it (read false), leaves a URL's parts unknown: anywhere in one,
// it may be in a secret.
func secretPlace(s string, i int, parts []urlPart, flag string, read bool) string {
	switch {
	case flag == "-H" || flag == "--header":
		value := s // or the flag and its value in one word
		if v, ok := strings.CutPrefix(s, "--header="); ok {
			value = v
		} else if v, ok := strings.CutPrefix(s, "-H"); ok {
			value = v
		}
		if name, _, ok := strings.Cut(value, ":"); ok && isToken(strings.TrimSpace(name)) {
			return flag + " " + strings.TrimSpace(name)
		}
		return flag
	case flag != "":
		return flag
	case !read && (parts[i] != notURL || strings.Contains(s, "@")):
		return "a target"
	case parts[i] == userinfo:
		return "a target's userinfo"
	case parts[i] == query:
		// The parameter: from the ? or & before s[i].
		start := strings.LastIndexAny(s[:i], "?&") + 1
		name, _, isValue := strings.Cut(s[start:i], "=")
		switch {
		case !isValue:
			return "" // in a parameter's name
		case strings.Contains(name, "$"):
			return "a target's query"
		case sanitize.IsSecretParam(name):
			return "a target's query parameter " + name
		}
	}
	return ""
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
func expandEnvars(vars *secretVars) error {
	for _, kv := range os.Environ() {
		name, v, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "PROBE_") || !strings.Contains(v, "$") {
			continue
		}
		flag := ""
		for _, f := range secretFlags {
			if name == f.env {
				flag = f.long
			}
		}
		expanded, err := expand(v, vars.lookup, flag)
		if err == nil {
			err = vars.err
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		os.Setenv(name, expanded)
	}
	return nil
}
