package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readPIDs reads the ids a command wrote to path, once it has written
// want of them.
func readPIDs(t *testing.T, path string, want int) []int {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		b, _ := os.ReadFile(path)
		if fields := strings.Fields(string(b)); len(fields) == want && strings.HasSuffix(string(b), "\n") {
			var pids []int
			for _, f := range fields {
				pid, _ := strconv.Atoi(f)
				pids = append(pids, pid)
			}
			return pids
		}
	}
	t.Fatalf("%s: no %d process ids after 10s", path, want)
	return nil
}

// running reports whether pid runs: not gone, not a zombie.
func running(pid int) bool {
	_, state := procStat(pid)
	return state != "" && state != "Z"
}

// leaveGroup starts a sleep in a session of its own (setsid), and waits
// until it is there: the id it writes second.
const leaveGroup = `setsid sh -c 'echo $$ >> "$1"; exec sleep 60' sh "$1" & while [ $(wc -l < "$1") -lt 2 ]; do sleep 0.01; done`

// TestRunLeavesNothing: nothing probe run's command starts outlives probe,
// whether the command passed, hit the deadline or probe got SIGTERM, a
// process that left the command's group (setsid) included.
func TestRunLeavesNothing(t *testing.T) {
	t.Parallel()
	bin := buildProbe(t, t.TempDir())
	for _, c := range []struct {
		name, script string
		pids         int
		args         []string
		signal       syscall.Signal
		line         string
	}{
		{name: "exit 0", pids: 1, script: `sleep 60 & echo $! >> "$1"; echo started`,
			line: `^healthy run: .* in \S+: exit 0: started$`},
		{name: "exit 0, a process that left the group", pids: 2,
			script: `sleep 60 & echo $! >> "$1"; ` + leaveGroup + `; echo started`,
			line:   `^healthy run: .* in \S+: exit 0, but a process it started outside its process group still holds its output open$`},
		{name: "the deadline", pids: 2, args: []string{"--timeout", "500ms"},
			script: `sleep 60 & echo $! >> "$1"; ` + leaveGroup + `; wait`,
			line:   `^unhealthy run: .* in \S+: timeout after \S+ while the command ran \(its process group was killed\) \(--timeout 500ms\)$`},
		{name: "SIGTERM", pids: 2, signal: syscall.SIGTERM,
			script: `sleep 60 & echo $! >> "$1"; echo $$ >> "$1"; echo working; wait`,
			line:   `^unhealthy run: .* in \S+: received SIGTERM after \S+ while the command ran \(its process group was killed\); got "working" so far$`},
		{name: "SIGINT", pids: 2, signal: syscall.SIGINT,
			script: `sleep 60 & echo $! >> "$1"; echo $$ >> "$1"; wait`,
			line:   `^unhealthy run: .* in \S+: received SIGINT after \S+ while the command ran \(its process group was killed\)$`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "pids")
			args := append(append([]string{"run"}, c.args...), "--", "sh", "-c", c.script, "sh", file)
			p := startExec(t, bin, args...)
			pids := readPIDs(t, file, c.pids)
			t.Cleanup(func() {
				for _, pid := range pids {
					if running(pid) {
						syscall.Kill(pid, syscall.SIGKILL)
					}
				}
			})
			if c.signal != 0 {
				p.signal(c.signal)
			}
			if code := p.exit(10 * time.Second); (code == 0) != strings.HasPrefix(c.line, "^healthy") {
				t.Errorf("exit %d", code)
			}
			for _, pid := range pids {
				if running(pid) {
					t.Errorf("process %d outlived probe run", pid)
				}
			}
			if out := p.output(false); !regexp.MustCompile(c.line).MatchString(out) || p.output(true) != "" {
				t.Errorf("stdout %q, stderr %q; want %s", out, p.output(true), c.line)
			}
		})
	}
}
