package procinfo_test

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/probe-sh/probe/internal/procfixture"
	"github.com/probe-sh/probe/internal/procinfo"
)

func TestError(t *testing.T) {
	t.Parallel()
	if err := procinfo.Error(nil); err != nil {
		t.Fatalf("Error(nil) = %v, want nil", err)
	}
	_, missing := os.Open(filepath.Join(t.TempDir(), "proc", "1", "stat"))
	err := procinfo.Error(missing)
	if want := missing.Error() + " (is /proc mounted?)"; err.Error() != want || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %q, want %q, still an fs.ErrNotExist", err, want)
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		t.Fatalf("%v lost its *fs.PathError", err)
	}
	// Any other error stays as it is: the hint is for a missing file only.
	for _, other := range []error{fs.ErrPermission, syscall.EISDIR, errors.New("a line with 3 fields")} {
		if got := procinfo.Error(other); got != other {
			t.Errorf("Error(%v) = %v, want it unchanged", other, got)
		}
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	procfixture.WriteFile(t, file, "")
	tests := []struct {
		name, root, want string
	}{
		{"a fixture tree", dir, ""},
		{"missing", filepath.Join(dir, "none"), "cannot read " + filepath.Join(dir, "none") + ": no such file or directory (is /proc mounted?)"},
		{"a file", file, "cannot read " + file + `: mount point "` + file + `" is not a directory`},
	}
	if _, err := os.Stat("/proc/self"); err == nil {
		tests = append(tests, struct{ name, root, want string }{"the real /proc", "/proc", ""})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := procinfo.Open(tc.root)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// OpenFiles counts the descriptors of fixture processes and reads their
// soft limit (the fixture's hard limit is 4096).
func TestOpenFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	procfixture.Write(t, root, []procfixture.Proc{
		{PID: 1, Comm: "app", State: "S", FDs: 95, FileLimit: "100"},
		{PID: 2, Comm: "none", State: "S"},
		{PID: 3, Comm: "free", State: "S", FDs: 3, FileLimit: "unlimited"},
		{PID: 4, Comm: "hidden", State: "S", FDs: -1},
		{PID: 5, Comm: "nolimits", State: "S", FDs: 1},
		{PID: 6, Comm: "badlimits", State: "S", FDs: 1},
		{PID: 7, Comm: "zero", State: "S", FDs: 2, FileLimit: "0"},
	}, nil, false)
	if err := os.Remove(filepath.Join(root, "5", "limits")); err != nil {
		t.Fatal(err)
	}
	procfixture.WriteFile(t, filepath.Join(root, "6", "limits"),
		"Limit                     Soft Limit           Hard Limit           Units     \nMax open files            lots                 4096                 files     \n")
	pfs, err := procinfo.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		pid, open   int
		limit       uint64
		err         string
		errNotExist bool
	}{
		{"near its limit", 1, 95, 100, "", false},
		{"no descriptor", 2, 0, 1024, "", false},
		{"unlimited", 3, 3, math.MaxUint64, "", false},
		{"a soft limit of 0", 7, 2, 0, "", false},
		{"fd unlistable", 4, 0, 0, "fd: not a directory", false},
		{"no limits file", 5, 0, 0, "limits: no such file or directory", true},
		{"a limit that is not a number", 6, 0, 0, `couldn't parse value "lots"`, false},
		{"no such process", 42, 0, 0, "no such file or directory", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			proc, err := pfs.Proc(tc.pid)
			if err != nil && tc.err == "" {
				t.Fatal(err)
			}
			var open int
			var limit uint64
			if err == nil {
				open, limit, err = procinfo.OpenFiles(proc)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || errors.Is(err, fs.ErrNotExist) != tc.errNotExist {
					t.Fatalf("got %d of %d, %v; want an error with %q (fs.ErrNotExist: %v)", open, limit, err, tc.err, tc.errNotExist)
				}
				return
			}
			if err != nil || open != tc.open || limit != tc.limit {
				t.Fatalf("got %d of %d, %v; want %d of %d", open, limit, err, tc.open, tc.limit)
			}
		})
	}
}

// In the real /proc: the descriptors this process opens count, and the
// limit is the soft one setrlimit reports.
func TestOpenFilesOwn(t *testing.T) {
	pfs, err := procinfo.Open("/proc")
	if err != nil {
		t.Skip("no /proc here:", err)
	}
	self, err := pfs.Self()
	if err != nil {
		t.Fatal(err)
	}
	before, limit, err := procinfo.OpenFiles(self)
	if err != nil {
		t.Fatal(err)
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	if limit != rl.Cur {
		t.Fatalf("limit %d, want the soft limit %d (hard %d)", limit, rl.Cur, rl.Max)
	}
	const more = 3
	for range more {
		f, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
	}
	after, _, err := procinfo.OpenFiles(self)
	if err != nil {
		t.Fatal(err)
	}
	if after != before+more {
		t.Fatalf("%d open, then %d after opening %d more", before, after, more)
	}
}

func TestLimit(t *testing.T) {
	t.Parallel()
	for n, want := range map[uint64]string{
		0:              "0",
		1024:           "1024",
		1048576:        "1048576",
		1<<62 - 1:      "4611686018427387903",
		1 << 62:        "unlimited",
		math.MaxUint64: "unlimited", // what procfs reads "unlimited" as
	} {
		if got := procinfo.Limit(n); got != want {
			t.Errorf("Limit(%d) = %q, want %q", n, got, want)
		}
	}
}

// Every letter of the kernel's task_state_array (fs/proc/array.c), and
// one it does not write.
func TestStateName(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]string{
		"R": "running",
		"S": "sleeping",
		"D": "in disk sleep",
		"T": "stopped",
		"t": "stopped", // tracing stop: stopped under a debugger
		"Z": "a zombie",
		"X": "dead",
		"x": "dead",
		"I": "idle",
		"P": "parked", // a kernel thread parked (Linux 4.14 and later)
		"W": "in state W",
	} {
		if got := procinfo.StateName(s); got != want {
			t.Errorf("StateName(%q) = %q, want %q", s, got, want)
		}
	}
}
