package main

// The adversarial suite: what an attacker, or an unlucky operator, does to
// the real binary. Each test names the defect of issue 19 it pins, or the
// class of abuse it belongs to. Hostile CLI input, files and servers are in
// testdata/script/adversarial.txtar; probe serve under abuse in
// internal/serve (TestServeOneAddressCannotStarveTheRest) and bench/abuse.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Defect 4: probe exec's own stderr is a broken pipe (a log collector gone).
// Writing its log raises SIGPIPE in probe, which once went on to the app and
// killed it with no drain. Now the app gets SIGTERM, after the drain.
func TestExecWithBrokenStderr(t *testing.T) {
	t.Parallel()
	bin := buildProbe(t, t.TempDir())
	dir := t.TempDir()
	marker, got := filepath.Join(dir, "draining"), filepath.Join(dir, "got")
	// A stale marker makes probe exec write a line at start too.
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // nobody will read probe's stderr
	app := fmt.Sprintf(`trap 'echo PIPE >>%[1]s' PIPE; trap 'echo TERM $(date +%%s%%N) >>%[1]s; exit 0' TERM; echo ready >>%[1]s; while :; do sleep 0.02; done`, got)
	cmd := exec.Command(bin, "exec", "--marker", marker, "--drain-delay", "500ms", "--", "sh", "-c", app)
	cmd.Stderr = w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	waitFor(t, got, "ready")
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("probe exec: %v (the app's code), want 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("probe exec did not exit")
	}
	log, _ := os.ReadFile(got)
	if strings.Contains(string(log), "PIPE") {
		t.Fatalf("the app got SIGPIPE: %q", log)
	}
	var ns int64
	if _, err := fmt.Sscanf(strings.TrimSpace(strings.SplitN(string(log), "TERM ", 2)[1]), "%d", &ns); err != nil {
		t.Fatalf("the app never got SIGTERM: %q", log)
	}
	if after := time.Unix(0, ns).Sub(sent); after < 450*time.Millisecond {
		t.Fatalf("SIGTERM reached the app %s after it was sent: before the 500ms drain", after)
	}
}

func waitFor(t *testing.T, file, want string) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if b, _ := os.ReadFile(file); strings.Contains(string(b), want) {
			return
		}
	}
	t.Fatalf("%s never said %q", file, want)
}

// Defect 5: a storm of other signals filled probe exec's one channel, Go
// dropped the overflow, and SIGTERM was lost in 1 or 2 rounds of 20: no
// marker, no drain. Stop signals now have a channel of their own.
func TestExecNeverLosesSIGTERMInAStorm(t *testing.T) {
	t.Parallel()
	bin := buildProbe(t, t.TempDir())
	// More kinds of signal than the channel once held (16): Go keeps one
	// pending of each kind, so it is the kinds that overflow it.
	storm := []syscall.Signal{syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGHUP, syscall.SIGWINCH, syscall.SIGALRM}
	trap := "USR1 USR2 HUP WINCH ALRM"
	for n := syscall.Signal(35); n <= 64; n++ {
		storm = append(storm, n)
		trap += fmt.Sprint(" ", int(n))
	}
	rounds := 10
	if testing.Short() {
		rounds = 3
	}
	for round := range rounds {
		// One P: the goroutine that hands signals out and the one that
		// takes them in do not run at once, as on a busy machine.
		p := startExec(t, "env", "GOMAXPROCS=1", bin, "exec", "--drain-delay", "100ms", "--",
			"sh", "-c", `trap '' `+trap+`; trap 'exit 0' TERM; echo ready; while :; do sleep 0.02; done`)
		p.waitLine("ready", false)
		// Stopped, probe exec keeps every signal pending; continued, it
		// gets them all at once, as from many senders at the same moment.
		pid := p.cmd.Process.Pid
		syscall.Kill(pid, syscall.SIGSTOP)
		for i, sig := range storm {
			if i == len(storm)/2 {
				p.signal(syscall.SIGTERM)
			}
			syscall.Kill(pid, sig)
		}
		syscall.Kill(pid, syscall.SIGCONT)
		if code := p.exit(10 * time.Second); code != 0 {
			t.Fatalf("round %d: probe exec exited %d; stderr:\n%s", round, code, p.output(true))
		}
		if !strings.Contains(p.output(true), "received SIGTERM: draining for 100ms") {
			t.Fatalf("round %d of %d: SIGTERM was lost in the storm; stderr:\n%s", round, rounds, p.output(true))
		}
	}
}

// Defect 13: on a read-only /dev/shm with no marker there, probe exec once
// warned that health checks "will report draining" (removing a marker that
// is not there fails on a read-only filesystem too). The real problem is
// that it cannot create one at SIGTERM, and that is what it says.
func TestExecOnAReadOnlyMarkerDirectory(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("the read-only mount needs root: CI runs as root")
		}
		t.Skip("SKIPPED: mounting a read-only tmpfs needs root")
	}
	bin := buildProbe(t, t.TempDir())
	dir := t.TempDir()
	script := fmt.Sprintf(`mount -t tmpfs -o ro tmpfs %[1]s && exec %[2]s exec --marker %[1]s/probe.draining --drain-delay 0s -- true`, dir, bin)
	out, err := exec.Command("unshare", "--mount", "sh", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("probe exec on a read-only directory: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "will report draining") {
		t.Errorf("a wrong warning: %s", out)
	}
	if !strings.Contains(string(out), "warning: cannot create the shutdown marker "+dir+"/probe.draining: read-only file system; health checks will not report draining on SIGTERM") {
		t.Errorf("no warning that the marker cannot be created: %s", out)
	}
}

// Defect 8: a process names itself with escape codes (its executable's
// name, or prctl PR_SET_NAME); probe process and probe inspect show them as
// text, never raw to the operator's terminal or docker inspect.
func TestHostileProcessName(t *testing.T) {
	t.Parallel()
	bin := buildProbe(t, t.TempDir())
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("SKIPPED: no sleep(1)")
	}
	evil := filepath.Join(t.TempDir(), "\x1b[2J\x1b]0;x\x07")
	if err := os.Symlink(sleep, evil); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(evil, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	time.Sleep(50 * time.Millisecond)
	pid := fmt.Sprint(cmd.Process.Pid)
	for _, args := range [][]string{{"process", "--pid", pid}, {"process", "--pid", pid, "--max-rss", "1KiB"}, {"inspect", pid}} {
		out, _ := exec.Command(bin, args...).CombinedOutput()
		if strings.ContainsAny(string(out), "\x1b\x07") || !strings.Contains(string(out), `\x1b[2J\x1b]0;x\x07`) {
			t.Errorf("probe %s printed the name raw: %q", strings.Join(args, " "), out)
		}
	}
}
