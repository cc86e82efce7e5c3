package checks

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration that may also be written in days, as
// certificate lifetimes and file ages are thought of: 14d, 1d12h, 36h, 30s.
// It is what --cert-expiry and --max-age take.
type Duration time.Duration

// ParseDuration reads a Go duration with an optional leading number of
// days.
func ParseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	var days int64
	if i := strings.IndexByte(t, 'd'); i >= 0 {
		n, err := strconv.ParseInt(t[:i], 10, 64)
		if err != nil || n < 0 || n > 36500 {
			return 0, fmt.Errorf("invalid duration %q: want a number of days (14d), a Go duration (36h, 30s), or both (1d12h)", s)
		}
		days, t = n, t[i+1:]
	}
	var rest time.Duration
	if t != "" {
		var err error
		if rest, err = time.ParseDuration(t); err != nil || rest < 0 {
			return 0, fmt.Errorf("invalid duration %q: want a number of days (14d), a Go duration (36h, 30s), or both (1d12h)", s)
		}
	}
	return Duration(time.Duration(days)*24*time.Hour + rest), nil
}

// UnmarshalText parses text as ParseDuration does.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := ParseDuration(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// String writes whole days as 14d, and the rest as Go does.
func (d Duration) String() string {
	dur := time.Duration(d)
	if dur >= 24*time.Hour && dur%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(dur/(24*time.Hour)), 10) + "d"
	}
	return dur.String()
}
