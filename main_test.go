package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/probe-sh/probe/internal/logline"
	"github.com/probe-sh/probe/internal/testserver"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"probe": main,
	})
}

// TestScripts runs the end-to-end scripts in testdata/script: the real
// binary against real loopback servers, one script per feature.
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, scriptParams("testdata/script"))
}

// scriptParams runs the scripts in dir with the commands they share.
func scriptParams(dir string) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		Condition:           haveProgram,
		Setup: func(env *testscript.Env) error {
			// Never touch the machine's real /dev/shm marker from a test.
			env.Setenv("PROBE_MARKER", filepath.Join(env.WorkDir, "draining"))
			env.Setenv("HOME", env.WorkDir)
			return testserver.Certs().WriteFiles(env.WorkDir)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"serve":    cmdServe,
			"exits":    cmdExits,
			"freeport": cmdFreeport,
			"setenv":   cmdSetenv,
			"chtimes":  cmdChtimes,
			"hold":     cmdHold,
			"mkfifo":   cmdMkfifo,
			"records":  cmdRecords,
		},
	}
}

// TestOneLiners runs the README's one-liners as written, on the ports they
// name (8080, 5432, 6379, 9090...), in a network namespace of their own,
// where those ports are always free, and a mount namespace with a /dev/shm
// of its own: the test re-runs itself under unshare, with loopback up, and
// runs testdata/oneliners there.
func TestOneLiners(t *testing.T) {
	t.Parallel()
	if os.Getenv("PROBE_TEST_NETNS") == "1" {
		testscript.Run(t, scriptParams("testdata/oneliners"))
		return
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--net", "--mount"}
	if os.Geteuid() != 0 {
		args = append(args, "--map-root-user") // a user namespace gives the right to make one
	}
	// A /dev/shm of their own too: the heartbeat one-liner writes there.
	// And a /run: the Unix socket one-liners listen there.
	script := `ip link set lo up && mount -t tmpfs tmpfs /dev/shm && mount -t tmpfs tmpfs /run && exec "$0" -test.run '^TestOneLiners$' -test.count=1`
	if testing.Verbose() {
		script += " -test.v"
	}
	cmd := exec.Command("unshare", append(args, "sh", "-c", script, self)...)
	cmd.Env = append(os.Environ(), "PROBE_TEST_NETNS=1")
	out, err := cmd.CombinedOutput()
	if err != nil && (errors.Is(err, exec.ErrNotFound) || strings.Contains(string(out), "unshare failed") || strings.Contains(string(out), "ip: not found")) {
		if os.Getenv("CI") != "" {
			t.Fatalf("the one-liners need unshare and ip (util-linux, iproute2) and the right to make a network namespace: %v\n%s", err, out)
		}
		fmt.Fprintln(os.Stderr, "SKIPPED: TestOneLiners: cannot make a network namespace here (unshare --net):", strings.TrimSpace(string(out)))
		t.Skip("SKIPPED: cannot make a network namespace here: the README's one-liners are not run")
	}
	t.Logf("in a network namespace of their own:\n%s", out)
	if err != nil || !strings.Contains(string(out), "\nPASS") && !strings.HasPrefix(string(out), "PASS") {
		t.Fatalf("the one-liners failed: %v", err)
	}
}

// cmdServe starts a test server for the rest of the script:
//
//	serve KIND ADDR [VAR]
//
// ADDR is 127.0.0.1:0, [::1]:0 or a fixed port; VAR receives the address
// and VAR_PORT its port. unix:NAME listens on a Unix socket NAME in a
// directory of short name (a socket's address holds 108 bytes, which
// $WORK can pass), and @NAME on an abstract socket; VAR receives its path.
func cmdServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: serve KIND ADDR [VAR]")
	}
	network, addr := "tcp4", args[1]
	switch {
	case addr[0] == '[':
		network = "tcp6"
	case addr[0] == '@' || addr[0] == '/':
		network = "unix"
	case strings.HasPrefix(addr, "unix:"):
		dir, err := os.MkdirTemp("", "ps")
		ts.Check(err)
		ts.Defer(func() { os.RemoveAll(dir) })
		network, addr = "unix", filepath.Join(dir, strings.TrimPrefix(addr, "unix:"))
	}
	s, err := testserver.Start(args[0], network, addr)
	ts.Check(err)
	ts.Defer(s.Close)
	if len(args) == 3 {
		_, port, _ := net.SplitHostPort(s.Addr)
		ts.Setenv(args[2], s.Addr)
		ts.Setenv(args[2]+"_PORT", port)
	}
}

// haveProgram is the condition [have:PROGRAM]: whether PROGRAM is
// installed. In CI (CI set), where .ci/run installs them, a missing one is
// an error, not a skip:
//
//	[!have:zsh] skip 'zsh missing (apt-get install zsh)'
func haveProgram(cond string) (bool, error) {
	name, ok := strings.CutPrefix(cond, "have:")
	if !ok {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			return false, fmt.Errorf("%s missing: .ci/run installs it", name)
		}
		return false, nil
	}
	return true, nil
}

// cmdSetenv sets VAR to a Go-quoted string, or to a string repeated, for
// arguments that testscript cannot spell: control bytes, huge values.
//
//	setenv VAR "go \x1b string"
//	setenv VAR repeat STRING N
func cmdSetenv(ts *testscript.TestScript, neg bool, args []string) {
	switch {
	case !neg && len(args) == 2:
		v, err := strconv.Unquote(args[1])
		ts.Check(err)
		ts.Setenv(args[0], v)
	case !neg && len(args) == 4 && args[1] == "repeat":
		n, err := strconv.Atoi(args[3])
		ts.Check(err)
		ts.Setenv(args[0], strings.Repeat(args[2], n))
	default:
		ts.Fatalf(`usage: setenv VAR "quoted" | setenv VAR repeat STRING N`)
	}
}

// cmdFreeport sets VAR to a loopback address that nothing listens on:
//
//	freeport VAR
func cmdFreeport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	ts.Check(err)
	ts.Setenv(args[0], ln.Addr().String())
	ts.Setenv(args[0]+"_PORT", strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:"))
	ln.Close()
}

// cmdExits runs a command and pins its exit code, where testscript's "!"
// only knows "non-zero":
//
//	exits CODE [-within DURATION] COMMAND [ARGS...]
//
// -within fails the script if the command runs longer: a hang check with a
// generous bound, not a speed measurement.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE [-within DURATION] COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	args = args[1:]
	var within time.Duration
	if args[0] == "-within" && len(args) > 2 {
		within, err = time.ParseDuration(args[1])
		ts.Check(err)
		args = args[2:]
	}
	start := time.Now()
	err = ts.Exec(args[0], args[1:]...)
	took := time.Since(start)
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[0], got, want)
	}
	if within > 0 && took > within {
		ts.Fatalf("%s took %s, more than %s", args[0], took.Round(time.Millisecond), within)
	}
}

// TestREADMEOneLinersAreTested: every probe command line in the README's
// one-liners, and its flag-binding example, is run as written by
// testdata/oneliners (app and db become 127.0.0.1 there, and the command
// after "--" a harmless one).
func TestREADMEOneLinersAreTested(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile("testdata/oneliners/oneliners.txtar")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	inBlock := false
	for _, l := range strings.Split(string(readme), "\n") {
		switch {
		case strings.HasPrefix(l, "```"):
			inBlock = !inBlock
		case inBlock && strings.HasPrefix(l, "probe "):
			lines = append(lines, l)
		}
	}
	if len(lines) < 14 {
		t.Fatalf("found %d probe lines in the README's code blocks", len(lines))
	}
	for _, l := range lines {
		cmd, _, _ := strings.Cut(l, "  #")
		cmd = strings.TrimSpace(cmd)
		cmd = strings.NewReplacer("app:8080", "127.0.0.1:8080", "db:5432", "127.0.0.1:5432").Replace(cmd)
		if before, _, ok := strings.Cut(cmd, " -- "); ok {
			cmd = before + " --" // the command after it differs by design
		}
		for _, part := range strings.Split(cmd, " | ") {
			if !strings.Contains(string(script), part) {
				t.Errorf("the README's %q is not run as written by testdata/oneliners/oneliners.txtar", part)
			}
		}
	}
}

// cmdChtimes sets a file's modification time from now: chtimes FILE 1h
// (an hour ahead) or chtimes FILE -90s.
func cmdChtimes(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: chtimes FILE DURATION")
	}
	d, err := time.ParseDuration(args[1])
	ts.Check(err)
	at := time.Now().Add(d)
	ts.Check(os.Chtimes(ts.MkAbs(args[0]), at, at))
}

// cmdHold opens N connections to ADDR (from the local address FROM, or
// 127.0.0.1), sends half a request on each, and holds them open until the
// script ends: a slowloris, a flood.
//
//	hold N ADDR [FROM]
func cmdHold(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: hold N ADDR [FROM]")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	from := "127.0.0.1"
	if len(args) == 3 {
		from = args[2]
	}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	for range n {
		c, err := d.Dial("tcp4", args[1])
		ts.Check(err)
		ts.Defer(func() { c.Close() })
		c.Write([]byte("GET /readyz HTTP/1.1\r\n"))
	}
}

// cmdMkfifo makes a named pipe: mkfifo PATH.
func cmdMkfifo(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mkfifo PATH")
	}
	ts.Check(syscall.Mkfifo(ts.MkAbs(args[0]), 0o644))
}

// cmdRecords checks that every line of a log is one record of the format,
// read as a log pipeline reads it: time (RFC 3339), level, probe and msg
// first, in that order, then only target and state.
//
//	records json|logfmt stdout|stderr
func cmdRecords(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: records json|logfmt stdout|stderr")
	}
	format, err := logline.ParseFormat(args[0])
	ts.Check(err)
	lines := strings.Split(strings.TrimSuffix(ts.ReadFile(args[1]), "\n"), "\n")
	if len(lines) == 0 || lines[0] == "" {
		ts.Fatalf("%s is empty", args[1])
	}
	for _, line := range lines {
		fields, err := logline.Parse(format, line)
		if err != nil {
			ts.Fatalf("%s: %v", args[1], err)
		}
		if len(fields) < 4 || fields[0].Key != "time" || fields[1].Key != "level" || fields[2].Key != "probe" || fields[3].Key != "msg" {
			ts.Fatalf("%s: not time, level, probe, msg first: %q", args[1], line)
		}
		if _, err := time.Parse(time.RFC3339Nano, fields[0].Value); err != nil {
			ts.Fatalf("%s: time: %v", args[1], err)
		}
		if l := fields[1].Value; l != "info" && l != "warn" && l != "error" {
			ts.Fatalf("%s: level %q", args[1], l)
		}
		for _, f := range fields[4:] {
			if f.Key != "target" && f.Key != "state" {
				ts.Fatalf("%s: a field %q: %q", args[1], f.Key, line)
			}
		}
	}
}
