package supervise

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/logline"
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

// TestGroupLeftovers: with Group, a command that exits by itself while a
// process it started ignores SIGTERM. The rest of the group gets SIGTERM,
// then SIGKILL after GroupGrace, and the supervisor returns the command's
// own code: the restart policy must be able to act.
func TestGroupLeftovers(t *testing.T) {
	pidfile := filepath.Join(t.TempDir(), "worker.pid")
	var log bytes.Buffer
	s := &Supervisor{
		Path:  "/bin/sh",
		Args:  []string{"sh", "-c", `sh -c 'trap "" TERM; echo $$ >` + pidfile + `; while :; do sleep 0.05; done' & sleep 0.3; exit 3`},
		Group: true, GroupGrace: 300 * time.Millisecond, Log: &logline.Logger{W: &log},
	}
	start := time.Now()
	code, err := s.Run(make(chan os.Signal), make(chan os.Signal))
	took := time.Since(start)
	if err != nil || code != 3 {
		t.Fatalf("Run = %d, %v; want the command's 3\n%s", code, err, log.String())
	}
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	worker, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if worker <= 0 || syscall.Kill(worker, 0) != syscall.ESRCH {
		t.Fatalf("the worker %q is still there", b)
	}
	for _, want := range []string{
		"probe: sh exited with code 3\n",
		"probe: passing SIGTERM on to the rest of its process group, and waiting up to 300ms for it to exit\n",
		"probe: the rest of the process group of sh still runs 300ms after SIGTERM: sending SIGKILL\n",
		"probe: the rest of the process group of sh has exited\n",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, log.String())
		}
	}
	if took < 600*time.Millisecond {
		t.Errorf("returned %s after start: before the command's 300ms and the 300ms grace", took)
	}
}
