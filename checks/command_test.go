package checks_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
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
		seen, err := runCommand(t, 300*time.Millisecond, c.argv...)
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

// The deadline kills the command's whole process group: a shell's
// background child too, not left behind to pile up at every check.
func TestCommandDeadlineKillsTheGroup(t *testing.T) {
	t.Parallel()
	pidfile := filepath.Join(t.TempDir(), "child")
	start := time.Now()
	_, err := runCommand(t, 300*time.Millisecond, "sh", "-c", "sleep 30 & echo $! > "+pidfile+"; wait")
	if !checks.IsTimeout(err) || time.Since(start) > 2*time.Second {
		t.Fatalf("%v after %s; want the deadline at 300ms", err, time.Since(start))
	}
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	for end := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(st), ") Z ") {
			break // gone, or a zombie its parent (init) will reap
		}
		if time.Now().After(end) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the background child %d outlived the deadline", pid)
		}
	}
}

// A command that prints without end is judged by what it kept: 4 KiB, the
// start and the end, whatever it printed.
func TestCommandOutputIsBounded(t *testing.T) {
	t.Parallel()
	tr := checks.NewTrace()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	seen, err := checks.Command{Argv: []string{"sh", "-c", "head -c 50000000 /dev/zero | tr '\\0' x; echo; echo the end"}}.Run(ctx, tr)
	if err != nil || seen != "exit 0: the end" {
		t.Fatalf("%q, %v", seen, err)
	}
	if reply := tr.Snapshot().Reply; len(reply) > 300 {
		t.Errorf("the reply kept is %d bytes", len(reply))
	}
}
