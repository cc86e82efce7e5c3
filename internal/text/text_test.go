package text_test

import (
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/text"
)

func TestPlural(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{0, "0 attempts"}, {1, "1 attempt"}, {2, "2 attempts"}, {-1, "-1 attempts"}} {
		if got := text.Plural(c.n, "attempt"); got != c.want {
			t.Errorf("Plural(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{420 * time.Microsecond, "0.42ms"},
		{0, "0.00ms"},
		{12345 * time.Microsecond, "12.3ms"},
		{999 * time.Millisecond, "999.0ms"},
		{1020 * time.Millisecond, "1.02s"},
		{90 * time.Second, "90.00s"},
	} {
		if got := text.Duration(c.d); got != c.want {
			t.Errorf("Duration(%s) = %q, want %q", c.d, got, c.want)
		}
	}
}
