package supervise

import (
	"os"
	"slices"
	"syscall"
	"testing"
)

func TestForwarded(t *testing.T) {
	t.Parallel()
	got := Forwarded()
	for _, must := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH, 35, 64} {
		if !slices.Contains(got, os.Signal(must)) {
			t.Errorf("%v is not forwarded", must)
		}
	}
	for _, never := range []syscall.Signal{syscall.SIGKILL, syscall.SIGSTOP, syscall.SIGCHLD, syscall.SIGURG, syscall.SIGSEGV, syscall.SIGPIPE, 32, 33, 34} {
		if slices.Contains(got, os.Signal(never)) {
			t.Errorf("%v is forwarded", never)
		}
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	// The kernel's wait status: exit code in the second byte, a fatal
	// signal in the low seven bits.
	for _, tc := range []struct {
		ws   syscall.WaitStatus
		want int
		says string
	}{
		{0, 0, "exited with code 0"},
		{7 << 8, 7, "exited with code 7"},
		{syscall.WaitStatus(syscall.SIGKILL), 137, "was killed by SIGKILL (exit code 137)"},
		{syscall.WaitStatus(syscall.SIGTERM), 143, "was killed by SIGTERM (exit code 143)"},
	} {
		if got := exitCode(tc.ws); got != tc.want {
			t.Errorf("exitCode(%#x) = %d, want %d", int(tc.ws), got, tc.want)
		}
		if got := describe(tc.ws, tc.want); got != tc.says {
			t.Errorf("describe(%#x) = %q, want %q", int(tc.ws), got, tc.says)
		}
	}
}
