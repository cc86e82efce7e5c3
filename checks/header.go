package checks

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/wire/h2"
)

// Header is one request header, sent as given (-H), or one header of a
// reply.
type Header struct {
	Name, Value string
}

// ParseHeaders reads the request headers of -H, each "Name: value". Its
// errors name the header by its name or its place, never by its value,
// which may be a credential.
func ParseHeaders(raw []string) ([]Header, error) {
	out := make([]Header, 0, len(raw))
	for i, h := range raw {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") {
			return nil, fmt.Errorf("-H number %d is not 'Name: value'", i+1)
		}
		if !IsToken(name) {
			return nil, fmt.Errorf("-H number %d: a header name has letters, digits and !#$%%&'*+-.^_`|~ only", i+1)
		}
		value = strings.TrimSpace(value)
		if strings.EqualFold(name, "Host") && value == "" {
			return nil, errors.New("-H Host: the value cannot be empty")
		}
		if strings.ContainsAny(value, "\r\n") {
			return nil, fmt.Errorf("-H %s: the value cannot hold a line break", name)
		}
		if strings.IndexFunc(value, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) >= 0 {
			return nil, fmt.Errorf("-H %s: the value cannot hold control characters", name)
		}
		if why := managedHeaders[strings.ToLower(name)]; why != "" {
			return nil, fmt.Errorf("-H %s: %s", name, why)
		}
		out = append(out, Header{Name: name, Value: value})
	}
	return out, nil
}

// managedHeaders are the headers probe sets itself, one connection per
// check: sent from -H too, they would go out twice, or contradict the
// request (issue 19: -H 'Connection: keep-alive' went out beside probe's
// Connection: close).
var managedHeaders = map[string]string{
	"connection":        "probe opens one connection per check and closes it, and says so itself",
	"keep-alive":        "probe opens one connection per check and closes it",
	"proxy-connection":  "probe opens one connection per check and closes it",
	"transfer-encoding": "probe sends the body of -d with its length",
	"content-length":    "probe sets it from the body of -d",
	"te":                "probe reads the reply as it comes",
	"trailer":           "probe sends no trailers",
	"upgrade":           "probe checks with HTTP/1.1 and does not switch protocols",
}

// IsToken reports whether s is an HTTP token (RFC 9110, 5.6.2): a method or
// a header name.
func IsToken(s string) bool { return h2.IsToken(s) }

// HeaderMatch is a response header to look for: its name, and a pattern
// its value must match (nil: any value).
type HeaderMatch struct {
	Name    string
	Pattern *regexp.Regexp
	// Optional: the header may be absent, but when present a value must
	// match (NAME?: REGEXP; blackbox_exporter's allow_missing).
	Optional bool
}

// ParseHeaderMatch reads --expect-header and --reject-header: NAME, or
// NAME: REGEXP (text that is not a regular expression matches literally);
// NAME? or NAME?: REGEXP is Optional.
func ParseHeaderMatch(s string) (HeaderMatch, error) {
	name, pattern, hasPattern := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	name, optional := strings.CutSuffix(name, "?")
	if !IsToken(name) {
		return HeaderMatch{}, fmt.Errorf("%q: want NAME, 'NAME: REGEXP' or 'NAME?: REGEXP', with a header name", sanitize.Clip(s, 40))
	}
	m := HeaderMatch{Name: name, Optional: optional}
	if pattern = strings.TrimSpace(pattern); hasPattern && pattern != "" {
		re, err := Pattern(pattern)
		if err != nil {
			return HeaderMatch{}, fmt.Errorf("%s: %w", name, err)
		}
		m.Pattern = re
	}
	if optional && m.Pattern == nil {
		return HeaderMatch{}, fmt.Errorf("%s?: a header that may be absent, with any value, always holds: give the pattern a value present must match, as in '%s?: REGEXP'", name, name)
	}
	return m, nil
}

// Pattern compiles what --expect-body, --expect and the like are given: a
// regular expression, or, when text does not compile as one (such as the
// '+PONG' of a Redis check), that text literally, so the obvious one-liner
// works. Text must be UTF-8.
func Pattern(text string) (*regexp.Regexp, error) {
	if !utf8.ValidString(text) {
		return nil, errors.New("not valid UTF-8: a pattern is text (use \\xHH for a byte's code point)")
	}
	re, err := regexp.Compile(text)
	if err != nil {
		re = regexp.MustCompile(regexp.QuoteMeta(text))
	}
	return re, nil
}
