package signals

import (
	"syscall"
	"testing"
)

func TestParseSignal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want syscall.Signal
		name string
	}{
		{"SIGTERM", syscall.SIGTERM, "SIGTERM"}, {"QUIT", syscall.SIGQUIT, "SIGQUIT"},
		{"sigwinch", syscall.SIGWINCH, "SIGWINCH"}, {"15", syscall.SIGTERM, "SIGTERM"},
		{"SIGRTMIN+3", 37, "SIGRTMIN+3"}, {"RTMIN+0", 34, "SIGRTMIN+0"},
	} {
		got, err := Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if Name(got) != tc.name {
			t.Errorf("Name(%d) = %q, want %q", got, Name(got), tc.name)
		}
	}
	for _, bad := range []string{"", "SIGNOPE", "0", "65", "-1", "SIGRTMIN+31", "RTMIN+x"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}
