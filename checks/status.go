package checks

import (
	"fmt"
	"strconv"
	"strings"
)

// StatusRange is an inclusive range of HTTP status codes.
type StatusRange struct{ Lo, Hi int }

// StatusRanges is a list of accepted HTTP status codes, such as
// "200-299,304".
type StatusRanges []StatusRange

// defaultStatus is what passes when HTTP.Status is empty: success and
// redirects, as Docker users expect from curl -f without -L.
var defaultStatus = StatusRanges{{200, 399}}

// parseStatusRanges parses a comma-separated list of codes and ranges.
func parseStatusRanges(s string) (StatusRanges, error) {
	var out StatusRanges
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		l, errL := parseCode(lo)
		h, errH := parseCode(hi)
		if errL != nil || errH != nil {
			return nil, fmt.Errorf("invalid status %q: want codes 100-599 or ranges such as 200-299,304", part)
		}
		if l > h {
			return nil, fmt.Errorf("invalid status range %q: %d is above %d", part, l, h)
		}
		out = append(out, StatusRange{l, h})
	}
	return out, nil
}

func parseCode(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 100 || n > 599 {
		return 0, fmt.Errorf("bad code %q", s)
	}
	return n, nil
}

// UnmarshalText reads a comma-separated list of codes and ranges, as
// String writes it: "200-299,304".
func (r *StatusRanges) UnmarshalText(text []byte) error {
	v, err := parseStatusRanges(string(text))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Contains reports whether code is in one of the ranges.
func (r StatusRanges) Contains(code int) bool {
	for _, sr := range r {
		if code >= sr.Lo && code <= sr.Hi {
			return true
		}
	}
	return false
}

// String writes r as UnmarshalText reads it: "200-299,304".
func (r StatusRanges) String() string {
	parts := make([]string, len(r))
	for i, sr := range r {
		parts[i] = strconv.Itoa(sr.Lo)
		if sr.Hi != sr.Lo {
			parts[i] += "-" + strconv.Itoa(sr.Hi)
		}
	}
	return strings.Join(parts, ",")
}
