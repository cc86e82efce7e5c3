package procinfo_test

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/procfixture"
	"github.com/probe-sh/probe/internal/procinfo"
)

func TestProcesses(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	procfixture.Write(t, root, []procfixture.Proc{
		{PID: 1, PPID: 0, PGID: 1, Comm: "init", State: "S"},
		{PID: 7, PPID: 1, PGID: 7, Comm: "sh", State: "R"},
		{PID: 8, PPID: 7, PGID: 7, Comm: "worker", State: "Z"},
		{PID: 9, PPID: 7, PGID: 7, Comm: "gone", State: "X"},
		// A name may hold spaces and parentheses: the fields count from
		// the last ")".
		{PID: 10, PPID: 1, PGID: 10, Comm: "a) Z 99 99 (b", State: "S"},
		{PID: 11, PPID: 1, PGID: 10, Comm: "x)", State: "D"},
		{PID: 4194304, PPID: 1, PGID: 1, Comm: "last", State: "I"},
	}, nil, false)
	stat := func(pid, content string) {
		procfixture.WriteFile(t, filepath.Join(root, pid, "stat"), content)
	}
	// What is not a process, or not one that can be read, is left out:
	// it exited between the listing and the read, or is not a PID at all.
	procfixture.WriteFile(t, filepath.Join(root, "self", "stat"), "1 (init) S 0 1 1\n")
	procfixture.WriteFile(t, filepath.Join(root, "0", "stat"), "0 (swapper) S 0 0 0\n")
	procfixture.WriteFile(t, filepath.Join(root, "-3", "stat"), "3 (neg) S 0 0 0\n")
	procfixture.WriteFile(t, filepath.Join(root, "12", "comm"), "exited\n") // no stat
	stat("13", "13 (noparen S 1 13 13 0\n")
	stat("14", "14 (short) S 1\n")
	stat("15", "15 (word) S one 15 15\n")
	stat("16", "16 (twoletters) SS 1 16 16\n")
	stat("17", "")
	stat("18", "18 (nopgid) S 1 x 0\n")
	procfixture.WriteFile(t, filepath.Join(root, "19"), "a file, not a directory") // stat cannot be opened
	// Longer than the 512 bytes read: what is needed comes first.
	stat("20", "20 (long) S 1 20 20"+strings.Repeat(" 18446744073709551615", 60)+"\n")
	// A workqueue worker's name runs to 63 bytes (fs/proc/array.c).
	stat("4194303", "4194303 (kworker/u16:2-"+strings.Repeat("w", 40)+") I 2 0 0"+strings.Repeat(" 18446744073709551615", 60)+"\n")

	got, err := procinfo.Processes(root)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b procinfo.Process) int { return a.PID - b.PID })
	want := []procinfo.Process{
		{PID: 1, PPID: 0, PGID: 1, State: 'S'},
		{PID: 7, PPID: 1, PGID: 7, State: 'R'},
		{PID: 8, PPID: 7, PGID: 7, State: 'Z'},
		{PID: 9, PPID: 7, PGID: 7, State: 'X'},
		{PID: 10, PPID: 1, PGID: 10, State: 'S'},
		{PID: 11, PPID: 1, PGID: 10, State: 'D'},
		{PID: 20, PPID: 1, PGID: 20, State: 'S'},
		{PID: 4194303, PPID: 2, PGID: 0, State: 'I'},
		{PID: 4194304, PPID: 1, PGID: 1, State: 'I'},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestProcessesMissing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	procfixture.WriteFile(t, file, "")
	for root, want := range map[string]error{filepath.Join(dir, "none"): fs.ErrNotExist, file: syscall.ENOTDIR} {
		if got, err := procinfo.Processes(root); !errors.Is(err, want) || got != nil {
			t.Errorf("%s: got %+v, %v; want the error %v", root, got, err, want)
		}
	}
	// An empty tree is no error: no process.
	if got, err := procinfo.Processes(dir + "/"); err != nil || len(got) != 0 {
		t.Errorf("an empty tree: got %+v, %v", got, err)
	}
}

func TestLive(t *testing.T) {
	t.Parallel()
	for state, live := range map[byte]bool{'R': true, 'S': true, 'D': true, 'T': true, 't': true, 'I': true, 'P': true, 'Z': false, 'X': false} {
		if got := (procinfo.Process{PID: 2, State: state}).Live(); got != live {
			t.Errorf("state %c: Live() = %v, want %v", state, got, live)
		}
	}
}

// In the real /proc: this process with its parent and group, and a child
// that has exited and is not yet reaped, a zombie.
func TestProcessesOwn(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here:", err)
	}
	find := func(pid int) (procinfo.Process, bool) {
		t.Helper()
		procs, err := procinfo.Processes("/proc")
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(procs, func(p procinfo.Process) bool { return p.PID == pid })
		if i < 0 {
			return procinfo.Process{}, false
		}
		return procs[i], true
	}
	me, ok := find(os.Getpid())
	if !ok || me.PPID != os.Getppid() || me.PGID != syscall.Getpgrp() || !me.Live() {
		t.Fatalf("got %+v, %v; want PPID %d, PGID %d, live", me, ok, os.Getppid(), syscall.Getpgrp())
	}

	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	pid := cmd.Process.Pid
	// Until it exits; bounded, in case it never shows as a zombie.
	var child procinfo.Process
	for range 1000 {
		if child, ok = find(pid); !ok || child.Live() {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		break
	}
	if child.State != 'Z' || child.Live() || child.PPID != os.Getpid() || child.PGID != syscall.Getpgrp() {
		t.Fatalf("the exited child: got %+v, %v; want a zombie of PPID %d, PGID %d", child, ok, os.Getpid(), syscall.Getpgrp())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if p, ok := find(pid); ok {
		t.Fatalf("the reaped child is still listed: %+v", p)
	}
}
