package checks_test

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/procinfo"
	"github.com/probe-sh/probe/probe"
)

func runCommand(t *testing.T, timeout time.Duration, argv ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return checks.Command{Argv: argv}.Run(ctx, checks.NewTrace())
}

func TestCommand(t *testing.T) {
	t.Parallel()
	notExecutable := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(notExecutable, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		argv      []string
		seen, err string
		code      int
		deadline  bool
	}{
		{argv: []string{"true"}, seen: "exit 0"},
		{argv: []string{"sh", "-c", "echo starting; echo; echo ready  "}, seen: "exit 0: ready"},
		{argv: []string{"sh", "-c", "echo not yet >&2; exit 3"}, err: "exit status 3: not yet", code: 3},
		{argv: []string{"sh", "-c", "kill -TERM $$"}, err: "killed by SIGTERM", code: -1},
		{argv: []string{"sh", "-c", `printf '\033]0;pwned\007\r\nhealthy\n'; exit 1`}, err: `exit status 1: healthy`, code: 1},
		{argv: []string{"sh", "-c", `printf 'a\033[2Jb\n'; exit 1`}, err: `exit status 1: a\x1b[2Jb`, code: 1},
		{argv: []string{"/no/such/program"}, err: `cannot run "/no/such/program": no such file or directory`, code: -1},
		{argv: []string{"no-such-program-in-path"}, err: `cannot run "no-such-program-in-path": not found in $PATH`, code: -1},
		{argv: []string{notExecutable}, err: `cannot run "` + notExecutable + `": permission denied`, code: -1},
		{argv: []string{"sh", "-c", "sleep 10"}, deadline: true},
		{argv: nil, err: "no command to run"},
	} {
		timeout := 10 * time.Second // a loaded machine is slow to start sh
		if c.deadline {
			timeout = 300 * time.Millisecond
		}
		seen, err := runCommand(t, timeout, c.argv...)
		switch {
		case c.deadline:
			if !checks.IsTimeout(err) {
				t.Errorf("%q: %q, %v; want the deadline", c.argv, seen, err)
			}
		case c.err == "":
			if err != nil || seen != c.seen {
				t.Errorf("%q: %q, %v; want %q", c.argv, seen, err, c.seen)
			}
		default:
			var ce *checks.CommandError
			if err == nil || !strings.Contains(err.Error(), c.err) || strings.ContainsAny(err.Error(), "\r\n\x1b\x07") {
				t.Errorf("%q: %q, %v; want an error with %q, printable", c.argv, seen, err, c.err)
			} else if c.argv != nil && (!errors.As(err, &ce) || ce.Code != c.code) {
				t.Errorf("%q: %#v, want a CommandError with code %d", c.argv, err, c.code)
			}
		}
	}
}

// gone reports whether pid is gone or a zombie (its parent reaps it), read
// once, now: no wait.
func gone(pid int) bool {
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err != nil || strings.Contains(string(st), ") Z ")
}

// pids reads the process ids a test command wrote, one a line.
func pids(t *testing.T, path string) []int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("%s: %q", path, b)
		}
		out = append(out, pid)
	}
	return out
}

// liveInGroup counts the processes of group pgid that still run.
func liveInGroup(t *testing.T, pgid int) int {
	t.Helper()
	procs, err := procinfo.Processes("/proc")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range procs {
		if p.PGID == pgid && p.Live() {
			n++
		}
	}
	return n
}

// Whatever the command's exit, its process group is ended before Run
// returns: a shell's background child, holding the output or not, is not
// left behind to pile up at every check (a HEALTHCHECK every few seconds
// until the container's pids.max). Each command writes the ids of what it
// started to the file $1; each must be gone, or a zombie, the moment Run
// returns.
func TestCommandEndsItsGroup(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, script string
		timeout      time.Duration
		cancel       bool
		seen, err    string
		stop         error
	}{
		{name: "exit 0, a background child holding the output",
			script: `sleep 60 & echo $! > "$1"; echo started`, seen: "exit 0: started"},
		{name: "exit 0, a background child with output elsewhere",
			script: `sleep 60 >/dev/null 2>&1 & echo $! > "$1"; echo started`, seen: "exit 0: started"},
		{name: "exit 3, a background child",
			script: `sleep 60 & echo $! > "$1"; echo not ready; exit 3`, err: "exit status 3: not ready"},
		{name: "exit 0, a grandchild whose parent is gone",
			script: `(sleep 60 & echo $! > "$1") ; echo started`, seen: "exit 0: started"},
		{name: "exit 0, many children",
			script: `for i in 1 2 3 4 5 6 7 8 9 10; do sleep 60 & echo $! >> "$1"; done; echo started`, seen: "exit 0: started"},
		{name: "killed by a signal, a background child",
			script: `sleep 60 & echo $! > "$1"; kill -KILL $$`, err: "killed by SIGKILL"},
		{name: "the deadline",
			script: `sleep 60 & echo $! > "$1"; echo $$ >> "$1"; echo working; wait`, timeout: 1500 * time.Millisecond,
			err: "its process group was killed", stop: context.DeadlineExceeded},
		{name: "a cancel",
			script: `sleep 60 & echo $! > "$1"; echo $$ >> "$1"; echo working; wait`, cancel: true,
			err: "its process group was killed", stop: context.Canceled},
		{name: "the deadline, a child that ignores SIGTERM and SIGHUP",
			script: `sh -c 'trap "" TERM HUP INT; echo $$ > "$1"; while :; do sleep 1; done' sh "$1" & wait`, timeout: 1500 * time.Millisecond,
			err: "its process group was killed", stop: context.DeadlineExceeded},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "pids")
			timeout := cmp.Or(c.timeout, 10*time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			if c.cancel {
				go func() {
					for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
						if b, _ := os.ReadFile(file); strings.Count(string(b), "\n") == 2 {
							break
						}
					}
					cancel()
				}()
			}
			seen, err := checks.Command{Argv: []string{"sh", "-c", c.script, "sh", file}}.Run(ctx, checks.NewTrace())
			started := pids(t, file)
			for _, pid := range started {
				if !gone(pid) {
					syscall.Kill(pid, syscall.SIGKILL)
					t.Errorf("process %d outlived the check", pid)
				}
			}
			var ce *checks.CommandError
			switch {
			case c.err == "" && (err != nil || seen != c.seen):
				t.Errorf("%q, %v; want %q", seen, err, c.seen)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Errorf("%q, %v; want an error with %q", seen, err, c.err)
			case c.stop != nil && (!errors.As(err, &ce) || ce.Err != c.stop || !errors.Is(err, c.stop)):
				t.Errorf("%#v; want a CommandError stopped by %v", err, c.stop)
			}
		})
	}
}

// A process that left the group (setsid) and holds the output does not
// hold the check: it is named, and the check returns. (probe run, a child
// subreaper, ends it; checks.Command cannot.)
func TestCommandOutputHeldOutsideTheGroup(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "pids")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seen, err := checks.Command{Argv: []string{"sh", "-c", `setsid sh -c 'echo $$ > "$1"; exec sleep 60' sh "$1" & while [ ! -s "$1" ]; do sleep 0.01; done; echo started`, "sh", file}}.Run(ctx, checks.NewTrace())
	for _, pid := range pids(t, file) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	if err != nil || seen != "exit 0, but a process it started outside its process group still holds its output open" {
		t.Fatalf("%q, %v", seen, err)
	}
}

// The deadline's kill is done, and waited for, before the result is
// reported, even when probe is descheduled across the deadline (a
// container at its CPU quota): a helper process runs probe.Run on one CPU
// (GOMAXPROCS=1) with a command of 500 children and exits the moment Run
// returns, as probe does; this test stops it (SIGSTOP) from just before
// its deadline to after the deadline plus Run's grace, so that every timer
// has fired when it runs again. No process of the group may be left.
func TestCommandDeadlineKillUnderStress(t *testing.T) {
	t.Parallel()
	const timeout = 3 * time.Second
	for round := range 3 {
		dir := t.TempDir()
		helper := exec.Command(os.Args[0], "-test.run=^TestCommandKillHelper$", "-test.count=1")
		helper.Env = append(os.Environ(), "GOMAXPROCS=1", "PROBE_COMMAND_HELPER="+dir, "PROBE_COMMAND_TIMEOUT="+timeout.String())
		out, err := helper.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := helper.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if line != "start\n" {
			helper.Process.Kill()
			helper.Wait()
			t.Fatalf("the helper said %q, %v", line, err)
		}
		started := time.Now()
		// Stopped from before the kill (25ms before the deadline) to after
		// the deadline plus grace (20ms), in a different place each round.
		time.Sleep(timeout - 100*time.Millisecond + time.Duration(round)*20*time.Millisecond)
		helper.Process.Signal(syscall.SIGSTOP)
		time.Sleep(time.Until(started.Add(timeout + 200*time.Millisecond)))
		helper.Process.Signal(syscall.SIGCONT)
		rest, _ := io.ReadAll(out)
		helper.Wait()
		t.Logf("round %d: %s", round, strings.TrimSpace(string(rest)))
		pgid := pids(t, filepath.Join(dir, "pgid"))[0]
		if n := liveInGroup(t, pgid); n > 0 {
			syscall.Kill(-pgid, syscall.SIGKILL)
			t.Errorf("round %d: %d processes of the group outlived probe.Run, which said %q", round, n, rest)
		}
	}
}

// TestCommandKillHelper is TestCommandDeadlineKillUnderStress's helper
// process.
func TestCommandKillHelper(t *testing.T) {
	dir := os.Getenv("PROBE_COMMAND_HELPER")
	if dir == "" {
		t.Skip("the helper of TestCommandDeadlineKillUnderStress")
	}
	timeout, _ := time.ParseDuration(os.Getenv("PROBE_COMMAND_TIMEOUT"))
	script := `echo $$ > "$1"; i=0; while [ $i -lt 500 ]; do sleep 60 & i=$((i+1)); done; echo spawned; wait`
	check := checks.Command{Argv: []string{"sh", "-c", script, "sh", filepath.Join(dir, "pgid")}}
	fmt.Println("start")
	r := probe.Run(context.Background(), []probe.Target{{Name: "stress", Kind: "command", Check: check}}, probe.Options{Timeout: timeout})
	fmt.Println(r.Results[0].Detail)
	os.Exit(0) // at once, as probe exits once it has reported
}

// A command that prints without end is judged by what it kept: 4 KiB, the
// start and the end, whatever it printed.
func TestCommandOutputIsBounded(t *testing.T) {
	t.Parallel()
	tr := checks.NewTrace()
	// 5 MB, over a thousand times what is kept; a deadline far beyond what
	// it takes (failed once at 50 MB in 5 s on a loaded 2-core machine).
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	seen, err := checks.Command{Argv: []string{"sh", "-c", "head -c 5000000 /dev/zero | tr '\\0' x; echo; echo the end"}}.Run(ctx, tr)
	if err != nil || seen != "exit 0: the end" {
		t.Fatalf("%q, %v", seen, err)
	}
	if reply := tr.Snapshot().Reply; len(reply) > 300 {
		t.Errorf("the reply kept is %d bytes", len(reply))
	}
}
