package checks_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/procfixture"
)

func runProcess(p checks.Process) (string, error) {
	return p.Run(context.Background(), checks.NewTrace())
}

func TestProcessRealProc(t *testing.T) {
	t.Parallel()
	realProc(t)
	dir := t.TempDir()
	pidfile := func(name string, pid int, mtime time.Time) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return path
	}

	t.Run("PID 1 by default", func(t *testing.T) {
		seen, err := runProcess(checks.Process{})
		if err != nil || !strings.HasPrefix(seen, "process 1 (") {
			t.Fatalf("got %q, %v", seen, err)
		}
	})

	t.Run("a child that becomes a zombie, then is reaped", func(t *testing.T) {
		child := exec.Command("sh", "-c", "exit 0")
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		pid := child.Process.Pid
		want := "process " + strconv.Itoa(pid) + " (sh) is a zombie: it has exited and its parent has not reaped it"
		var err error
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
			if _, err = runProcess(checks.Process{PID: pid}); err != nil && err.Error() == want {
				break
			}
		}
		if err == nil || err.Error() != want {
			t.Fatalf("got %v, want %q", err, want)
		}
		child.Wait()
		_, err = runProcess(checks.Process{PID: pid})
		if want := "process " + strconv.Itoa(pid) + " is not running"; err == nil || err.Error() != want {
			t.Fatalf("after reaping: %v, want %q", err, want)
		}
	})

	t.Run("a pidfile naming a dead PID", func(t *testing.T) {
		gone := exec.Command("true")
		if err := gone.Run(); err != nil {
			t.Fatal(err)
		}
		path := pidfile("dead.pid", gone.Process.Pid, time.Now())
		_, err := runProcess(checks.Process{PIDFile: path})
		want := "process " + strconv.Itoa(gone.Process.Pid) + ", named by the pidfile " + path + ", is not running"
		if err == nil || err.Error() != want {
			t.Fatalf("got %v, want %q", err, want)
		}
	})

	t.Run("a stale pidfile, whose PID another process now has", func(t *testing.T) {
		sleeper := exec.Command("sleep", "30")
		if err := sleeper.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
		pid := sleeper.Process.Pid
		// Until the child has exec'd, it still has the test's name.
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
			if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); string(comm) == "sleep\n" {
				break
			}
		}
		stale := pidfile("stale.pid", pid, time.Now().Add(-time.Hour))
		_, err := runProcess(checks.Process{PIDFile: stale})
		if err == nil || !strings.HasPrefix(err.Error(), "the pidfile "+stale+" is stale: it was written at ") ||
			!strings.HasSuffix(err.Error(), ", its PID reused") {
			t.Fatalf("got %v, want a stale pidfile", err)
		}
		fresh := pidfile("fresh.pid", pid, time.Now())
		if seen, err := runProcess(checks.Process{PIDFile: fresh}); err != nil || !strings.HasPrefix(seen, "process "+strconv.Itoa(pid)+" (sleep) is ") {
			t.Fatalf("fresh pidfile: %q, %v", seen, err)
		}
		if _, err := runProcess(checks.Process{Name: "sleep", MaxFDs: 0.99}); err != nil {
			t.Fatalf("--name sleep: %v", err)
		}
	})

	t.Run("bad pidfiles", func(t *testing.T) {
		garbage := filepath.Join(dir, "garbage.pid")
		os.WriteFile(garbage, []byte("not a pid\n"), 0o644)
		for path, want := range map[string]string{
			garbage:                            "the pidfile " + garbage + ` holds "not a pid\n", not a PID`,
			filepath.Join(dir, "none.pid"):     "cannot read the pidfile " + filepath.Join(dir, "none.pid") + ": no such file or directory",
			dir:                                "cannot read the pidfile " + dir + ": is a directory, not a file",
			pidfile("zero.pid", 0, time.Now()): "the pidfile " + filepath.Join(dir, "zero.pid") + ` holds "0\n", not a PID`,
		} {
			if _, err := runProcess(checks.Process{PIDFile: path}); err == nil || err.Error() != want {
				t.Errorf("%s: got %v, want %q", path, err, want)
			}
		}
	})

	// Hostile pidfiles (issue 19, defect 9): each is refused at once, with
	// nothing read whole.
	t.Run("hostile pidfiles", func(t *testing.T) {
		fifo := filepath.Join(dir, "fifo.pid")
		if err := syscall.Mkfifo(fifo, 0o644); err != nil {
			t.Fatal(err)
		}
		sparse := filepath.Join(dir, "sparse.pid")
		f, _ := os.Create(sparse)
		f.Truncate(64 << 30) // 64 GiB of nothing
		f.Close()
		long := filepath.Join(dir, "long.pid")
		os.WriteFile(long, []byte(strings.Repeat("7", 5000)), 0o644)
		for path, want := range map[string]string{
			"/dev/zero": "cannot read the pidfile /dev/zero: is a device, not a file",
			fifo:        "cannot read the pidfile " + fifo + ": is a named pipe, not a file",
			sparse:      "cannot read the pidfile " + sparse + ": 64.0GiB, larger than the 4.00KiB a file like this can be",
			long:        "cannot read the pidfile " + long + ": 4.88KiB, larger than the 4.00KiB a file like this can be",
		} {
			start := time.Now()
			if _, err := runProcess(checks.Process{PIDFile: path}); err == nil || err.Error() != want {
				t.Errorf("%s: got %v, want %q", path, err, want)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("%s took %s", path, took)
			}
		}
	})

	// Postgres's postmaster.pid: the PID on line 1, then the data directory,
	// the start time, the port... (defect 15).
	t.Run("multi-line pidfile", func(t *testing.T) {
		pm := filepath.Join(dir, "postmaster.pid")
		os.WriteFile(pm, []byte(strconv.Itoa(os.Getpid())+"\n/var/lib/postgresql/data\n1700000000\n5432\n/var/run/postgresql\n*\n  5432001         0\nready   \n"), 0o600)
		if seen, err := runProcess(checks.Process{PIDFile: pm}); err != nil || !strings.HasPrefix(seen, "process "+strconv.Itoa(os.Getpid())+" ") {
			t.Fatalf("postmaster.pid: %q, %v", seen, err)
		}
	})
}

// The bounds, against fixture trees.
func TestProcessFixtures(t *testing.T) {
	t.Parallel()
	page := os.Getpagesize()
	root := t.TempDir()
	procfixture.Write(t, root, []procfixture.Proc{
		{PID: 1, Comm: "app", State: "S", Threads: 8, RSSPages: (600 << 20) / page, FDs: 95, FileLimit: "100"},
		{PID: 7, Comm: "worker", State: "Z"},
		{PID: 8, Comm: "worker", State: "S", FDs: 3},
		{PID: 9, Comm: "lonely", State: "Z"},
		{PID: 10, Comm: "open", State: "R", FDs: 5, FileLimit: "unlimited"},
	}, nil, false)
	tests := []struct {
		name string
		p    checks.Process
		want string
	}{
		{"alive", checks.Process{}, "process 1 (app) is sleeping, 8 threads, RSS 600MiB"},
		{"under --max-rss", checks.Process{MaxRSS: 1 << 30}, "process 1 (app) is sleeping, 8 threads, RSS 600MiB"},
		{"over --max-rss", checks.Process{MaxRSS: 512 << 20}, "process 1 (app) uses 600MiB of memory, above 512MiB"},
		{"over --max-fds", checks.Process{MaxFDs: 0.9}, "process 1 (app) has 95 open files, 95% of its limit 100, above 90%"},
		{"under --max-fds", checks.Process{MaxFDs: 0.96}, "process 1 (app) is sleeping, 8 threads, RSS 600MiB, 95 of 100 files"},
		{"unlimited files", checks.Process{PID: 10, MaxFDs: 0.5}, "process 10 (open) is running, 1 thread, RSS 0B, 5 of unlimited files"},
		{"--name: one of two is alive", checks.Process{Name: "worker"}, "process 8 (worker) is sleeping, 1 thread, RSS 0B"},
		{"--name: the only one is a zombie", checks.Process{Name: "lonely"}, "process 9 (lonely) is a zombie: it has exited and its parent has not reaped it"},
		{"--name: none", checks.Process{Name: "nginx"}, `no process is named "nginx" among the 5 running`},
		{"--pid missing", checks.Process{PID: 4242}, "process 4242 is not running"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.p.Proc = root
			seen, err := runProcess(tc.p)
			got := seen
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestShare(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"90%": "90%", "0.5": "50%", "100%": "100%", " 12.5% ": "12.5%"} {
		var s checks.Share
		if err := s.UnmarshalText([]byte(in)); err != nil || s.String() != want {
			t.Errorf("%q: %v, %v; want %s", in, s, err, want)
		}
	}
	for _, in := range []string{"0%", "101%", "1.5", "lots", "-5%", ""} {
		var s checks.Share
		if err := s.UnmarshalText([]byte(in)); err == nil {
			t.Errorf("%q: accepted as %v", in, s)
		}
	}
}
