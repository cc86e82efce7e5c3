//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/testserver"
)

// The database and queue targets against the real servers, from Debian,
// each started privately by the test on a free loopback port and stopped by
// its PID, side by side with the tools their users already run:
// pg_isready, redis-cli ping, mysqladmin ping. Each case logs one row of
// the README's table (docs/databases.md): the state, probe's verdict and
// line, and the anchor's.

// verdicts collects the rows, printed at the end of each test.
type verdicts struct {
	mu   sync.Mutex
	rows []string
}

func (v *verdicts) add(t *testing.T, server, state, probeOut string, probeCode int, anchor string, anchorCode int, anchorOut string) {
	t.Helper()
	line := strings.TrimSpace(probeOut)
	if i := strings.Index(line, ": "); i >= 0 {
		line = line[i+2:]
	}
	row := fmt.Sprintf("| %s | %s | exit %d: %s | `%s`: exit %d, %s |", server, state, probeCode, line, anchor, anchorCode, strings.TrimSpace(anchorOut))
	v.mu.Lock()
	v.rows = append(v.rows, row)
	v.mu.Unlock()
	t.Log(row)
}

// server is a database process of the test's.
type server struct {
	cmd  *exec.Cmd
	log  *serverLog
	port string
	dir  string
	done chan struct{}
}

// serverLog is what a server wrote to its stdout and stderr, which a test
// reads while the server runs.
type serverLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *serverLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *serverLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// since returns the lines the server wrote after offset, a length of its
// String earlier.
func (l *serverLog) since(offset int) []string {
	s := l.String()
	if offset > len(s) {
		return nil
	}
	var lines []string
	for _, line := range strings.Split(s[offset:], "\n") {
		if strings.TrimSpace(line) != "" {
			lines = append(lines, line)
		}
	}
	return lines
}

// startAs runs a server as the system user name (the packages make one;
// postgres and mariadbd refuse to run as root), in the background.
func startAs(t *testing.T, name string, dir string, argv ...string) *server {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	if name != "" {
		u, err := user.Lookup(name)
		if err != nil {
			t.Fatalf("user %s: %v (the Debian package makes it)", name, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	} else {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	}
	log := &serverLog{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", argv[0], err)
	}
	s := &server{cmd: cmd, log: log, dir: dir, done: make(chan struct{})}
	go func() { cmd.Wait(); close(s.done) }()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop ends the server by its PID (the process group it leads), and waits.
func (s *server) stop(t *testing.T) {
	select {
	case <-s.done:
		return
	default:
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// ownedDir is a directory the system user name owns, under a path every
// user may traverse.
func ownedDir(t *testing.T, name string) string {
	t.Helper()
	base, err := os.MkdirTemp("", "probe-db-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	os.Chmod(base, 0o755)
	dir := filepath.Join(base, "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	return dir
}

func freePort(t *testing.T) string {
	t.Helper()
	_, port, _ := net.SplitHostPort(freeAddr(t))
	return port
}

// probeRun runs probe and returns its stdout and exit code.
func probeRun(t *testing.T, bin string, args ...string) (string, int) {
	t.Helper()
	return probeRunEnv(t, bin, nil, args...)
}

// probeRunEnv runs probe with env added to the test's environment.
func probeRunEnv(t *testing.T, bin string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out.String()), code
}

// anchorRun runs one of the tools users already have.
func anchorRun(args ...string) (string, int) {
	cmd := exec.Command(args[0], args[1:]...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	return strings.Join(strings.Fields(string(out)), " "), code
}

// eventuallySays polls probe until its output holds want, within d.
func eventuallySays(t *testing.T, bin, want string, d time.Duration, args ...string) (string, int) {
	t.Helper()
	start := time.Now()
	for {
		out, code := probeRun(t, bin, args...)
		if strings.Contains(out, want) {
			return out, code
		}
		if time.Since(start) > d {
			t.Fatalf("probe %s does not say %q after %s: %s", strings.Join(args, " "), want, d, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// eventuallyExit polls probe until it exits with code, within d.
func eventuallyExit(t *testing.T, bin string, code int, d time.Duration, args ...string) (string, time.Duration) {
	t.Helper()
	start := time.Now()
	for {
		out, got := probeRun(t, bin, args...)
		if got == code {
			return out, time.Since(start)
		}
		if time.Since(start) > d {
			t.Fatalf("probe %s still exits %d after %s (want %d): %s", strings.Join(args, " "), got, d, code, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func need(t *testing.T, tool, pkg string) {
	t.Helper()
	requireTool(t, tool, pkg, "the database tests")
	if os.Geteuid() != 0 {
		unavailable(t, "the database tests run the servers as their own users, which needs root; CI runs as root",
			"SKIPPED: the database tests need root, to run each server as its own user")
	}
}

func TestPostgres(t *testing.T) {
	need(t, "pg_isready", "postgresql")
	bin := build(t, t.TempDir(), "probe", ".")
	pgbin, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if len(pgbin) == 0 {
		t.Fatal("no /usr/lib/postgresql/*/bin: install postgresql")
	}
	bindir := pgbin[len(pgbin)-1]
	dir := ownedDir(t, "postgres")
	pwfile := filepath.Join(dir, "pw")
	os.WriteFile(pwfile, []byte("s3cret-pg\n"), 0o600)
	u, _ := user.Lookup("postgres")
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	os.Chown(pwfile, uid, gid)
	initdb := startAs(t, "postgres", dir, filepath.Join(bindir, "initdb"), "-D", filepath.Join(dir, "db"), "-U", "postgres",
		"--auth=scram-sha-256", "--pwfile="+pwfile, "--no-sync")
	<-initdb.done
	if initdb.cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("initdb: %s", initdb.log)
	}
	port := freePort(t)
	target := "postgres://127.0.0.1:" + port
	isready := []string{"pg_isready", "-h", "127.0.0.1", "-p", port}
	var v verdicts
	defer func() { t.Logf("Postgres verdicts:\n%s", strings.Join(v.rows, "\n")) }()

	// A standby that takes no connections until it is promoted: the
	// start-up window.
	os.WriteFile(filepath.Join(dir, "db", "standby.signal"), nil, 0o600)
	os.Chown(filepath.Join(dir, "db", "standby.signal"), uid, gid)
	start := func(extra ...string) *server {
		s := startAs(t, "postgres", dir, append([]string{filepath.Join(bindir, "postgres"), "-D", filepath.Join(dir, "db"), "-p", port,
			"-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"}, extra...)...)
		s.port = port
		return s
	}
	pg := start("-c", "hot_standby=off")
	out, took := eventuallyExit(t, bin, 1, 30*time.Second, "--timeout", "2s", target)
	for !strings.Contains(out, "57P03") && took < 30*time.Second {
		time.Sleep(200 * time.Millisecond)
		out, _ = probeRun(t, bin, "--timeout", "2s", target)
	}
	if !strings.Contains(out, "not accepting connections") || !strings.Contains(out, "SQLSTATE 57P03") {
		t.Fatalf("a standby with hot_standby=off: %s", out)
	}
	ao, ac := anchorRun(isready...)
	v.add(t, "PostgreSQL 15", "standby, hot_standby=off (start-up, recovery)", out, 1, "pg_isready", ac, ao)
	// probe wait, as an app's entrypoint would run it, through the window.
	wait := exec.Command(bin, "wait", "--timeout", "60s", target, "--", "echo", "the app starts")
	var waitOut bytes.Buffer
	wait.Stdout, wait.Stderr = &waitOut, &waitOut
	if err := wait.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	windowStart := time.Now()
	promote := startAs(t, "postgres", dir, filepath.Join(bindir, "pg_ctl"), "promote", "-D", filepath.Join(dir, "db"), "-W")
	<-promote.done
	if err := wait.Wait(); err != nil || !strings.Contains(waitOut.String(), "the app starts") ||
		!strings.Contains(waitOut.String(), "probe: waiting for postgres://127.0.0.1:"+port+": not accepting connections") {
		t.Errorf("probe wait through the start-up window: %v\n%s", err, waitOut.String())
	}
	t.Logf("probe wait postgres://... -- the app, through the window:\n%s", waitOut.String())
	out, took = eventuallyExit(t, bin, 0, 30*time.Second, "--timeout", "2s", target)
	t.Logf("the window: pg_ctl promote, then probe healthy %s later (%s since promote began)", took.Round(time.Millisecond), time.Since(windowStart).Round(time.Millisecond))
	ao, ac = anchorRun(isready...)
	v.add(t, "PostgreSQL 15", "ready (SCRAM password)", out, 0, "pg_isready", ac, ao)
	if !strings.Contains(out, "accepting connections: it asks user postgres for a password (SASL, SCRAM-SHA-256); probe sends none and stops there") || ac != 0 {
		t.Errorf("ready: probe %q, pg_isready %d %q", out, ac, ao)
	}

	out, code := probeRun(t, bin, "--timeout", "2s", "postgres://postgres:wrong-password@127.0.0.1:"+port+"/postgres")
	v.add(t, "PostgreSQL 15", "ready, a wrong password in the URL", out, code, "pg_isready", ac, ao)
	if code != 0 || strings.Contains(out, "wrong-password") {
		t.Errorf("a wrong password: the server accepts connections, and the password never shows: %d %s", code, out)
	}
	pg.stop(t)

	// Too many connections: three slots, held by three logins that never
	// answer their password challenge.
	pg = start("-c", "max_connections=3", "-c", "superuser_reserved_connections=0")
	eventuallyExit(t, bin, 0, 30*time.Second, "--timeout", "2s", target)
	var held []net.Conn
	for range 3 {
		c, err := net.Dial("tcp4", "127.0.0.1:"+port)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write(startupMessage("postgres"))
		c.Read(make([]byte, 64)) // the SASL challenge, left unanswered
		held = append(held, c)
	}
	out, code = probeRun(t, bin, "--timeout", "2s", target)
	ao, ac = anchorRun(isready...)
	v.add(t, "PostgreSQL 15", "too many connections", out, code, "pg_isready", ac, ao)
	if code != 1 || !strings.Contains(out, "too many") {
		t.Errorf("too many connections: %d %s", code, out)
	}
	for _, c := range held {
		c.Close()
	}
	pg.stop(t)

	out, code = probeRun(t, bin, "--timeout", "2s", target)
	ao, ac = anchorRun(isready...)
	v.add(t, "PostgreSQL 15", "stopped", out, code, "pg_isready", ac, ao)
	if code != 1 || !strings.Contains(out, "connection refused") {
		t.Errorf("stopped: %d %s", code, out)
	}
}

// startupMessage is a protocol 3.0 StartupMessage for user.
func startupMessage(user string) []byte {
	body := []byte{0, 3, 0, 0}
	body = append(body, "user\x00"+user+"\x00\x00"...)
	n := len(body) + 4
	return append([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

// noLoginEnv clears the variables the database kinds read their default
// logins from, whatever the test's own environment holds.
var noLoginEnv = []string{"PGUSER=", "PGDATABASE=", "POSTGRES_USER=", "POSTGRES_DB=", "MARIADB_USER=", "MYSQL_USER="}

// badLines returns the lines of a server's log that a health check must
// never cause: errors, fatal errors, warnings.
func badLines(lines []string, words ...string) []string {
	var bad []string
	for _, l := range lines {
		for _, w := range words {
			if strings.Contains(l, w) {
				bad = append(bad, l)
				break
			}
		}
	}
	return bad
}

// TestPostgresOfficialImage sets a cluster up as the official image does
// with POSTGRES_USER=app: its superuser is app (there is no role
// postgres), connections from loopback are trusted, and the database app
// exists. A default check, with the image's variables in its environment
// as the image sets them in the container, logs in and leaves nothing in
// the server's log: 60 checks, 100 ms apart (Docker would run one every
// few seconds; the server's log is the same for each), then again over the
// Unix socket, and with passwords. Without the variables, the check is
// unhealthy and says what the server said, which the server logged.
func TestPostgresOfficialImage(t *testing.T) {
	need(t, "pg_isready", "postgresql")
	bin := build(t, t.TempDir(), "probe", ".")
	pgbin, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if len(pgbin) == 0 {
		t.Fatal("no /usr/lib/postgresql/*/bin: install postgresql")
	}
	bindir := pgbin[len(pgbin)-1]
	dir := ownedDir(t, "postgres")
	initdb := startAs(t, "postgres", dir, filepath.Join(bindir, "initdb"), "-D", filepath.Join(dir, "db"), "-U", "app", "--auth=trust", "--no-sync")
	<-initdb.done
	if initdb.cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("initdb: %s", initdb.log)
	}
	port := freePort(t)
	target := "postgres://127.0.0.1:" + port
	pg := startAs(t, "postgres", dir, filepath.Join(bindir, "postgres"), "-D", filepath.Join(dir, "db"), "-p", port,
		"-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off")
	official := []string{"POSTGRES_USER=app", "POSTGRES_DB=app"}
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		if out, code := probeRunEnv(t, bin, append(noLoginEnv, "POSTGRES_USER=app"), "--timeout", "2s", target); code == 0 {
			break
		} else if time.Since(start) > 30*time.Second {
			t.Fatalf("the server never let app in: %s\n%s", out, pg.log)
		}
	}
	// The image makes POSTGRES_DB, as createdb does.
	createdb := exec.Command(filepath.Join(bindir, "createdb"), "-h", "127.0.0.1", "-p", port, "-U", "app", "app")
	if out, err := createdb.CombinedOutput(); err != nil {
		t.Fatalf("createdb app: %v: %s", err, out)
	}
	time.Sleep(200 * time.Millisecond)

	checks := func(n int, every time.Duration, env []string, want string, args ...string) []string {
		t.Helper()
		offset := len(pg.log.String())
		for i := range n {
			out, code := probeRunEnv(t, bin, append(noLoginEnv, env...), append([]string{"--timeout", "2s"}, args...)...)
			if code != 0 || !strings.Contains(out, want) {
				t.Fatalf("check %d of %d (%s): exit %d: %s; want exit 0 and %q", i+1, n, strings.Join(env, " "), code, out, want)
			}
			time.Sleep(every)
		}
		time.Sleep(300 * time.Millisecond) // the last backend's exit
		return pg.log.since(offset)
	}
	// Every second for a minute, as a HEALTHCHECK --interval=1s would.
	lines := checks(60, time.Second, official, "accepting connections: logged in as app to database app, PostgreSQL ", target)
	if bad := badLines(lines, "FATAL", "ERROR", "WARNING", "could not"); len(bad) > 0 {
		t.Errorf("60 default checks with the image's variables: the server logged\n%s", strings.Join(bad, "\n"))
	}
	t.Logf("60 checks, a second apart, POSTGRES_USER=app POSTGRES_DB=app: %d line(s) in the server's log since the first", len(lines))
	lines = checks(10, 100*time.Millisecond, official, "logged in as app to database app", "--unix-socket", filepath.Join(dir, ".s.PGSQL."+port), "postgres://localhost")
	if bad := badLines(lines, "FATAL", "ERROR", "WARNING", "could not"); len(bad) > 0 {
		t.Errorf("10 checks over the Unix socket: the server logged\n%s", strings.Join(bad, "\n"))
	}

	// The negative control: no variables, so the user and database are
	// postgres; the server lets the login in (trust), then finds no such
	// role, and says so, and logs it.
	offset := len(pg.log.String())
	for range 3 {
		out, code := probeRunEnv(t, bin, noLoginEnv, "--timeout", "2s", target)
		if code != 1 || !strings.Contains(out, `the server is up, but refused the login of user postgres to database postgres: role "postgres" does not exist (SQLSTATE 28000)`) {
			t.Fatalf("no variables: exit %d: %s", code, out)
		}
	}
	time.Sleep(300 * time.Millisecond)
	fatal := badLines(pg.log.since(offset), `FATAL:  role "postgres" does not exist`)
	if len(fatal) != 3 {
		t.Errorf("3 checks as the missing role postgres: %d FATAL lines in the server's log, want 3:\n%s", len(fatal), pg.log.String()[offset:])
	}
	out, _ := probeRunEnv(t, bin, noLoginEnv, "--timeout", "2s", target)
	t.Logf("no variables: %s\nthe server's log: %s", out, fatal[0])
	// pg_isready, the anchor, says the same server accepts connections,
	// and leaves the same line.
	offset = len(pg.log.String())
	ao, ac := anchorRun("pg_isready", "-h", "127.0.0.1", "-p", port, "-U", "postgres")
	time.Sleep(300 * time.Millisecond)
	t.Logf("pg_isready -U postgres: exit %d, %s; the server's log: %q", ac, ao, pg.log.since(offset))

	// Passwords, as the image sets them with POSTGRES_PASSWORD: the server
	// asks, probe sends none and stops there, and the server logs nothing.
	psql := exec.Command(filepath.Join(bindir, "psql"), "-h", "127.0.0.1", "-p", port, "-U", "app", "-d", "app", "-c", "ALTER ROLE app PASSWORD 'x'")
	if out, err := psql.CombinedOutput(); err != nil {
		t.Fatalf("psql: %v: %s", err, out)
	}
	hba := filepath.Join(dir, "db", "pg_hba.conf")
	conf, err := os.ReadFile(hba)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hba, bytes.ReplaceAll(conf, []byte("trust"), []byte("scram-sha-256")), 0o600); err != nil {
		t.Fatal(err)
	}
	pg.cmd.Process.Signal(syscall.SIGHUP)
	time.Sleep(500 * time.Millisecond)
	lines = checks(20, 100*time.Millisecond, official, "accepting connections: it asks user app for a password (SASL, SCRAM-SHA-256); probe sends none and stops there", target)
	if bad := badLines(lines, "FATAL", "ERROR", "WARNING", "could not"); len(bad) > 0 {
		t.Errorf("20 checks, asked for a password: the server logged\n%s", strings.Join(bad, "\n"))
	}
	lines = checks(5, 100*time.Millisecond, nil, "accepting connections: it asks user postgres for a password (SASL, SCRAM-SHA-256)", target)
	if bad := badLines(lines, "FATAL", "ERROR", "WARNING", "could not"); len(bad) > 0 {
		t.Errorf("5 checks as postgres, asked for a password: the server logged\n%s", strings.Join(bad, "\n"))
	}
}

func TestRedis(t *testing.T) {
	need(t, "redis-server", "redis-server")
	need(t, "redis-cli", "redis-tools")
	bin := build(t, t.TempDir(), "probe", ".")
	dir := ownedDir(t, "redis")
	port := freePort(t)
	target := "redis://127.0.0.1:" + port
	var v verdicts
	defer func() { t.Logf("Redis verdicts:\n%s", strings.Join(v.rows, "\n")) }()
	cli := func(args ...string) (string, int) {
		return anchorRun(append([]string{"redis-cli", "-h", "127.0.0.1", "-p", port}, args...)...)
	}
	start := func(extra ...string) *server {
		return startAs(t, "redis", dir, append([]string{"redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", dir,
			"--save", "", "--appendonly", "no", "--enable-debug-command", "yes"}, extra...)...)
	}
	rs := start()
	out, _ := eventuallyExit(t, bin, 0, 20*time.Second, "--timeout", "2s", target)
	ao, ac := cli("ping")
	v.add(t, "Redis 7.0", "ready", out, 0, "redis-cli ping", ac, ao)

	// A dataset to load, then a restart that loads it slowly: the -LOADING
	// window.
	if o, c := cli("debug", "populate", "100000"); c != 0 {
		t.Fatalf("debug populate: %s", o)
	}
	if o, c := cli("save"); c != 0 {
		t.Fatalf("save: %s", o)
	}
	rs.stop(t)
	rs = start("--dbfilename", "dump.rdb", "--key-load-delay", "50", "--loading-process-events-interval-bytes", "1024")
	out, _ = eventuallySays(t, bin, "LOADING", 20*time.Second, "--timeout", "2s", target)
	ao, ac = cli("ping")
	v.add(t, "Redis 7.0", "loading its dataset", out, 1, "redis-cli ping", ac, ao)
	if !strings.Contains(out, "loading: Redis is loading its dataset into memory") {
		t.Errorf("loading: %s", out)
	}
	_, took := eventuallyExit(t, bin, 0, 120*time.Second, "--timeout", "2s", target)
	t.Logf("the -LOADING window (100,000 keys, key-load-delay 50 µs a key): healthy %s after probe first saw LOADING", took.Round(100*time.Millisecond))
	rs.stop(t)

	// A password.
	rs = start("--requirepass", "s3cret-redis")
	out, code := eventuallySays(t, bin, "NOAUTH", 20*time.Second, "--timeout", "2s", target)
	ao, ac = cli("ping")
	v.add(t, "Redis 7.0", "a password, none given", out, code, "redis-cli ping", ac, ao)
	if code != 1 || !strings.Contains(out, "it wants a password") || strings.Contains(out, "***") {
		t.Errorf("no password: %d %s", code, out)
	}
	out, code = probeRun(t, bin, "--timeout", "2s", "redis://:wrong-password@127.0.0.1:"+port)
	ao, ac = cli("-a", "wrong-password", "--no-auth-warning", "ping")
	v.add(t, "Redis 7.0", "a wrong password", out, code, "redis-cli -a wrong ping", ac, ao)
	if code != 1 || !strings.Contains(out, "wrong password") || strings.Contains(out, "wrong-password") {
		t.Errorf("a wrong password: %d %s", code, out)
	}
	os.Setenv("REDIS_PASSWORD", "s3cret-redis")
	defer os.Unsetenv("REDIS_PASSWORD")
	out, code = probeRun(t, bin, "--timeout", "2s", "redis://:${REDIS_PASSWORD}@127.0.0.1:"+port)
	ao, ac = cli("-a", "s3cret-redis", "--no-auth-warning", "ping")
	v.add(t, "Redis 7.0", "the right password, from ${REDIS_PASSWORD}", out, code, "redis-cli -a ... ping", ac, ao)
	if code != 0 || strings.Contains(out, "s3cret") {
		t.Errorf("the right password: %d %s", code, out)
	}
	// redis-cli's own variable, for a URL with no userinfo (issue 36).
	out, code = probeRunEnv(t, bin, []string{"REDISCLI_AUTH=s3cret-redis"}, "--timeout", "2s", target)
	v.add(t, "Redis 7.0", "the right password, from REDISCLI_AUTH", out, code, "REDISCLI_AUTH=... redis-cli ping", ac, ao)
	if code != 0 || strings.Contains(out, "s3cret") {
		t.Errorf("the password from REDISCLI_AUTH: %d %s", code, out)
	}
	out, code = probeRunEnv(t, bin, []string{"REDISCLI_AUTH=wrong-password"}, "--timeout", "2s", "-o", "json", target)
	if code != 1 || !strings.Contains(out, "wrong password") || strings.Contains(out, "wrong-password") {
		t.Errorf("a wrong password from REDISCLI_AUTH: %d %s", code, out)
	}
	// A Docker or Kubernetes secret: ${REDIS_PASSWORD} read from the file
	// REDIS_PASSWORD_FILE names, its newline trimmed (issue 36).
	secret := filepath.Join(t.TempDir(), "redis_password")
	if err := os.WriteFile(secret, []byte("s3cret-redis\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code = probeRunEnv(t, bin, []string{"REDIS_PASSWORD=", "REDIS_PASSWORD_FILE=" + secret}, "--timeout", "2s", "redis://:${REDIS_PASSWORD}@127.0.0.1:"+port)
	v.add(t, "Redis 7.0", "the right password, from REDIS_PASSWORD_FILE", out, code, "redis-cli -a ... ping", ac, ao)
	if code != 0 || strings.Contains(out, "s3cret") {
		t.Errorf("the password from REDIS_PASSWORD_FILE: %d %s", code, out)
	}
	// Too many connections: maxclients 1, held.
	rs.stop(t)
	rs = start("--maxclients", "1")
	eventuallyExit(t, bin, 0, 20*time.Second, "--timeout", "2s", target)
	c, err := net.Dial("tcp4", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("PING\r\n"))
	c.Read(make([]byte, 16))
	out, code = probeRun(t, bin, "--timeout", "2s", target)
	ao, ac = cli("ping")
	v.add(t, "Redis 7.0", "too many connections (maxclients 1)", out, code, "redis-cli ping", ac, ao)
	if code != 1 || !strings.Contains(out, "max number of clients") {
		t.Errorf("too many connections: %d %s", code, out)
	}
	c.Close()
	rs.stop(t)

	out, code = probeRun(t, bin, "--timeout", "2s", target)
	ao, ac = cli("ping")
	v.add(t, "Redis 7.0", "stopped", out, code, "redis-cli ping", ac, ao)
	if code != 1 || !strings.Contains(out, "connection refused") {
		t.Errorf("stopped: %d %s", code, out)
	}

	// TLS only: rediss://, verified with the tests' CA.
	certs, err := os.MkdirTemp("", "probe-redis-certs-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(certs)
	os.Chmod(certs, 0o755)
	if err := testserver.Certs().WriteFiles(certs); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"server.pem", "server-key.pem", "ca.pem"} {
		os.Chmod(filepath.Join(certs, f), 0o644)
	}
	rs = startAs(t, "redis", dir, "redis-server", "--port", "0", "--tls-port", port, "--bind", "127.0.0.1", "--dir", dir, "--save", "",
		"--tls-cert-file", filepath.Join(certs, "server.pem"), "--tls-key-file", filepath.Join(certs, "server-key.pem"),
		"--tls-ca-cert-file", filepath.Join(certs, "ca.pem"), "--tls-auth-clients", "no")
	out, _ = eventuallyExit(t, bin, 0, 20*time.Second, "--timeout", "2s", "--ca", filepath.Join(certs, "ca.pem"), "rediss://localhost:"+port)
	ao, ac = cli("--tls", "--cacert", filepath.Join(certs, "ca.pem"), "ping")
	v.add(t, "Redis 7.0", "TLS only, rediss://", out, 0, "redis-cli --tls ping", ac, ao)
	out, code = probeRun(t, bin, "--timeout", "2s", target)
	v.add(t, "Redis 7.0", "TLS only, plain redis://", out, code, "redis-cli ping", ac, ao)
	if code != 1 {
		t.Errorf("plain redis:// to a TLS port: %d %s", code, out)
	}
	rs.stop(t)
}

func TestMariaDB(t *testing.T) {
	need(t, "mariadbd", "mariadb-server")
	need(t, "mysqladmin", "mariadb-client")
	bin := build(t, t.TempDir(), "probe", ".")
	dir := ownedDir(t, "mysql")
	port := freePort(t)
	target := "mysql://127.0.0.1:" + port
	var v verdicts
	defer func() { t.Logf("MariaDB verdicts:\n%s", strings.Join(v.rows, "\n")) }()
	install := startAs(t, "", dir, "mariadb-install-db", "--no-defaults", "--user=mysql", "--datadir="+filepath.Join(dir, "db"),
		"--auth-root-authentication-method=normal", "--skip-test-db")
	<-install.done
	if install.cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("mariadb-install-db: %s", install.log)
	}
	admin := func() (string, int) {
		return anchorRun("mysqladmin", "--no-defaults", "-h", "127.0.0.1", "-P", port, "--protocol=TCP", "--connect-timeout=2", "ping")
	}
	initFile := filepath.Join(dir, "init.sql")
	os.WriteFile(initFile, []byte("DO SLEEP(6);\n"), 0o644)
	start := func(extra ...string) *server {
		return startAs(t, "", dir, append([]string{"mariadbd", "--no-defaults", "--user=mysql", "--datadir=" + filepath.Join(dir, "db"),
			"--port=" + port, "--bind-address=127.0.0.1", "--socket=" + filepath.Join(dir, "sock"), "--skip-log-bin",
			"--pid-file=" + filepath.Join(dir, "pid")}, extra...)...)
	}
	// The window: an init file that sleeps; the port answers no greeting.
	db := start("--init-file=" + initFile)
	var out string
	var code int
	sawWindow := false
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		out, code = probeRun(t, bin, "--timeout", "1s", target)
		if code == 0 {
			break
		}
		if strings.Contains(out, "timeout after") && !sawWindow {
			sawWindow = true
			ao, ac := admin()
			v.add(t, "MariaDB 10.11", "starting (init file running)", out, code, "mysqladmin ping", ac, ao)
		}
	}
	if code != 0 {
		t.Fatalf("MariaDB never greeted: %s\n%s", out, db.log)
	}
	if !sawWindow {
		t.Logf("the start-up window passed before probe saw it")
	}
	ao, ac := admin()
	v.add(t, "MariaDB 10.11", "ready", out, code, "mysqladmin ping", ac, ao)
	if !strings.HasPrefix(strings.SplitN(out, ": ", 2)[1], "accepting connections: greeting from ") {
		t.Errorf("ready: %s", out)
	}
	db.stop(t)

	// Too many connections: ten slots (MariaDB's least), held by connections
	// that never log in.
	db = start("--max-connections=10")
	eventuallyExit(t, bin, 0, 30*time.Second, "--timeout", "2s", target)
	// Ten slots, and one more for a SUPER user: eleven connections fill them.
	var held []net.Conn
	for range 11 {
		c, err := net.Dial("tcp4", "127.0.0.1:"+port)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Read(make([]byte, 128))
		held = append(held, c)
	}
	out, code = probeRun(t, bin, "--timeout", "2s", target)
	ao, ac = admin()
	v.add(t, "MariaDB 10.11", "too many connections", out, code, "mysqladmin ping", ac, ao)
	if code != 1 || !strings.Contains(out, "Too many connections (error 1040)") {
		t.Errorf("too many connections: %d %s", code, out)
	}
	for _, c := range held {
		c.Close()
	}
	db.stop(t)
	out, code = probeRun(t, bin, "--timeout", "2s", target)
	ao, ac = admin()
	v.add(t, "MariaDB 10.11", "stopped", out, code, "mysqladmin ping", ac, ao)
	if code != 1 {
		t.Errorf("stopped: %d %s", code, out)
	}
}

// TestMariaDBOfficialImage sets accounts up as the official image does
// (root@localhost and root@'%' with a password, MARIADB_USER's account,
// skip-name-resolve), and runs the default check: 60 checks, 100 ms apart,
// half with MARIADB_USER in the environment; the server's log, at
// log_warnings=2 (the default), gets no warning and no error. A client
// that reads the greeting and leaves, as probe did before, and
// mysqladmin ping each leave a warning; a login the server refuses is
// unhealthy, and logged.
func TestMariaDBOfficialImage(t *testing.T) {
	need(t, "mariadbd", "mariadb-server")
	need(t, "mysqladmin", "mariadb-client")
	bin := build(t, t.TempDir(), "probe", ".")
	dir := ownedDir(t, "mysql")
	port := freePort(t)
	target := "mysql://127.0.0.1:" + port
	sock := filepath.Join(dir, "sock")
	install := startAs(t, "", dir, "mariadb-install-db", "--no-defaults", "--user=mysql", "--datadir="+filepath.Join(dir, "db"),
		"--auth-root-authentication-method=normal", "--skip-test-db")
	<-install.done
	if install.cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("mariadb-install-db: %s", install.log)
	}
	db := startAs(t, "", dir, "mariadbd", "--no-defaults", "--user=mysql", "--datadir="+filepath.Join(dir, "db"),
		"--port="+port, "--bind-address=127.0.0.1", "--socket="+sock, "--skip-log-bin", "--pid-file="+filepath.Join(dir, "pid"),
		"--skip-name-resolve", "--log-warnings=2")
	for start := time.Now(); ; time.Sleep(200 * time.Millisecond) {
		if _, code := probeRunEnv(t, bin, noLoginEnv, "--timeout", "1s", target); code == 0 {
			break
		} else if time.Since(start) > 30*time.Second {
			t.Fatalf("MariaDB never answered: %s", db.log)
		}
	}
	// The image's accounts (docker-entrypoint.sh, docker_setup_db), and one
	// that only unix_socket lets in.
	setup := exec.Command("mariadb", "--no-defaults", "-S", sock, "-u", "root", "-e", `
		DROP USER IF EXISTS root@'127.0.0.1', root@'::1';
		EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS root@\'', @@hostname, '\'');
		SET PASSWORD FOR root@localhost = PASSWORD('s3cret-root');
		CREATE USER root@'%' IDENTIFIED BY 's3cret-root';
		GRANT ALL ON *.* TO root@'%' WITH GRANT OPTION;
		CREATE USER app@'%' IDENTIFIED BY 's3cret-app';
		CREATE USER sock@localhost IDENTIFIED VIA unix_socket;`)
	if out, err := setup.CombinedOutput(); err != nil {
		t.Fatalf("the accounts: %v: %s", err, out)
	}
	time.Sleep(200 * time.Millisecond)

	checks := func(n int, env []string, want string, args ...string) []string {
		t.Helper()
		offset := len(db.log.String())
		for i := range n {
			out, code := probeRunEnv(t, bin, append(noLoginEnv, env...), append([]string{"--timeout", "2s"}, args...)...)
			if code != 0 || !strings.Contains(out, want) {
				t.Fatalf("check %d of %d (%s): exit %d: %s; want exit 0 and %q", i+1, n, strings.Join(env, " "), code, out, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond)
		return db.log.since(offset)
	}
	lines := append(checks(30, nil, "; it asks user root to authenticate (mysql_native_password); probe sends no password and stops there", target),
		checks(30, []string{"MARIADB_USER=app"}, "; it asks user app to authenticate (mysql_native_password)", target)...)
	if bad := badLines(lines, "[Warning]", "[ERROR]"); len(bad) > 0 {
		t.Errorf("60 default checks: the server logged\n%s", strings.Join(bad, "\n"))
	}
	t.Logf("60 checks, 100 ms apart (30 as root, 30 with MARIADB_USER=app): %d line(s) in the server's log", len(lines))
	lines = checks(10, []string{"MARIADB_USER=app"}, "it asks user app to authenticate", "--unix-socket", sock, "mysql://localhost")
	lines = append(lines, checks(10, nil, "it asks user root to authenticate", "--unix-socket", sock, "mysql://localhost")...)
	if bad := badLines(lines, "[Warning]", "[ERROR]"); len(bad) > 0 {
		t.Errorf("20 checks over the Unix socket: the server logged\n%s", strings.Join(bad, "\n"))
	}

	// What probe did before: read the greeting, and leave.
	offset := len(db.log.String())
	c, err := net.Dial("tcp4", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	c.Read(make([]byte, 256))
	c.Close()
	time.Sleep(300 * time.Millisecond)
	before := badLines(db.log.since(offset), "[Warning]")
	if len(before) != 1 || !strings.Contains(before[0], "closed normally without authentication") {
		t.Errorf("a client that leaves after the greeting: want one warning, got %q", before)
	}
	t.Logf("a client that leaves after the greeting (probe before): %s", before)
	// mysqladmin ping, the anchor: alive, and a warning.
	offset = len(db.log.String())
	ao, ac := anchorRun("mysqladmin", "--no-defaults", "-h", "127.0.0.1", "-P", port, "--protocol=TCP", "--connect-timeout=2", "ping")
	time.Sleep(300 * time.Millisecond)
	t.Logf("mysqladmin ping: exit %d, %s; the server's log: %q", ac, ao, db.log.since(offset))

	// The negative control: an account only unix_socket lets in, and this
	// process is not its system user.
	offset = len(db.log.String())
	out, code := probeRunEnv(t, bin, noLoginEnv, "--timeout", "2s", "--unix-socket", sock, "mysql://sock@localhost")
	time.Sleep(300 * time.Millisecond)
	denied := badLines(db.log.since(offset), "Access denied for user 'sock'@'localhost'")
	if code != 1 || !strings.Contains(out, "refused the login of user ***: Access denied for user") || len(denied) != 1 {
		t.Errorf("a login refused: exit %d: %s; the server's log: %q", code, out, db.log.since(offset))
	}
	t.Logf("a login refused: %s; the server's log: %s", out, denied)
}

func TestMemcached(t *testing.T) {
	need(t, "memcached", "memcached")
	bin := build(t, t.TempDir(), "probe", ".")
	port := freePort(t)
	target := "memcached://127.0.0.1:" + port
	mc := startAs(t, "", t.TempDir(), "memcached", "-u", "nobody", "-l", "127.0.0.1", "-p", port, "-U", "0")
	out, _ := eventuallyExit(t, bin, 0, 20*time.Second, "--timeout", "2s", target)
	if !strings.Contains(out, ": memcached 1.") {
		t.Errorf("ready: %s", out)
	}
	t.Logf("| memcached | ready | %s |", out)
	mc.stop(t)
	out, code := probeRun(t, bin, "--timeout", "2s", target)
	if code != 1 || !strings.Contains(out, "connection refused") {
		t.Errorf("stopped: %d %s", code, out)
	}
	t.Logf("| memcached | stopped | %s |", out)
}

func TestRabbitMQ(t *testing.T) {
	server := "/usr/lib/rabbitmq/bin/rabbitmq-server"
	if _, err := os.Stat(server); err != nil {
		unavailable(t, "rabbitmq-server is not installed: .ci/run installs it",
			"SKIPPED: the RabbitMQ test: rabbitmq-server is not installed (apt-get install rabbitmq-server)")
	}
	need(t, "erl", "erlang-base")
	bin := build(t, t.TempDir(), "probe", ".")
	dir := ownedDir(t, "rabbitmq")
	port, dist, epmd := freePort(t), freePort(t), freePort(t)
	target := "amqp://127.0.0.1:" + port
	cmd := []string{"env", "HOME=" + dir, "RABBITMQ_NODENAME=probe-e2e@localhost", "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
		"RABBITMQ_NODE_PORT=" + port, "RABBITMQ_DIST_PORT=" + dist, "ERL_EPMD_PORT=" + epmd, "ERL_EPMD_ADDRESS=127.0.0.1",
		"RABBITMQ_MNESIA_BASE=" + filepath.Join(dir, "mnesia"), "RABBITMQ_LOG_BASE=" + filepath.Join(dir, "log"),
		"RABBITMQ_CONFIG_FILE=" + filepath.Join(dir, "rabbitmq"), "RABBITMQ_ENABLED_PLUGINS_FILE=" + filepath.Join(dir, "plugins"),
		"RABBITMQ_PID_FILE=" + filepath.Join(dir, "pid"), server}
	started := time.Now()
	rq := startAs(t, "rabbitmq", dir, cmd...)
	// The node starts an epmd that outlives it, daemonized: ours is the one
	// whose environment names our port.
	t.Cleanup(func() { stopByEnviron(t, "ERL_EPMD_PORT="+epmd) })
	out, code := probeRun(t, bin, "--timeout", "2s", target)
	t.Logf("| RabbitMQ | starting | exit %d: %s |", code, out)
	out, took := eventuallyExit(t, bin, 0, 60*time.Second, "--timeout", "2s", target)
	t.Logf("| RabbitMQ | ready, %s after start | %s |", time.Since(started).Round(100*time.Millisecond), out)
	_ = took
	if !strings.Contains(out, "Connection.Start, AMQP 0-9, RabbitMQ ") {
		t.Errorf("ready: %s\n%s", out, rq.log)
	}
	// What each check leaves in the broker's log: a login and a close, at
	// info level; a login refused, an error; no user, a warning, as every
	// client that leaves after Connection.Start does.
	logFile := filepath.Join(dir, "log", "probe-e2e@localhost.log")
	time.Sleep(2 * time.Second) // the lines of the checks before
	logged := func(args ...string) (string, int, []string) {
		before, _ := os.ReadFile(logFile)
		out, code := probeRun(t, bin, append([]string{"--timeout", "5s"}, args...)...)
		time.Sleep(time.Second)
		after, _ := os.ReadFile(logFile)
		var lines []string
		if len(after) >= len(before) {
			for _, l := range strings.Split(string(after[len(before):]), "\n") {
				if strings.TrimSpace(l) != "" {
					lines = append(lines, l)
				}
			}
		}
		return out, code, lines
	}
	for _, c := range []struct {
		name, target, want string
		code               int
		logs               string
		noLogs             []string
	}{
		{"a login", "amqp://guest:guest@127.0.0.1:" + port, "; logged in as *** to virtual host /", 0, "[info]", []string{"[warning]", "[error]"}},
		{"a login refused", "amqp://guest:wrong-password@127.0.0.1:" + port, "the broker is up, but refused the login of user guest: ACCESS_REFUSED", 1, "[error]", nil},
		{"a virtual host refused", "amqp://guest:guest@127.0.0.1:" + port + "/gone", "refused user *** the virtual host gone: NOT_ALLOWED - vhost gone not found (530)", 1, "[error]", nil},
		{"no user", target, "Connection.Start, AMQP 0-9, RabbitMQ ", 0, "[warning]", []string{"[error]"}},
	} {
		out, code, lines := logged(c.target)
		all := strings.Join(lines, "\n")
		if code != c.code || !strings.Contains(out, c.want) || !strings.Contains(all, c.logs) || len(badLines(lines, c.noLogs...)) > 0 ||
			strings.Contains(out, "wrong-password") {
			t.Errorf("%s: exit %d: %s; want exit %d and %q; the broker logged:\n%s", c.name, code, out, c.code, c.want, all)
		}
		t.Logf("| RabbitMQ | %s | exit %d: %s | the broker's log: %d line(s), %q |", c.name, code, out, len(lines), badLines(lines, "[warning]", "[error]"))
	}
	rq.stop(t)
	out, code = probeRun(t, bin, "--timeout", "2s", target)
	if code != 1 || !strings.Contains(out, "connection refused") {
		t.Errorf("stopped: %d %s", code, out)
	}
	t.Logf("| RabbitMQ | stopped | %s |", out)
}

// stopByEnviron ends, by PID, the processes whose environment holds
// entry: a daemon a test's server started, which left the process group.
func stopByEnviron(t *testing.T, entry string) {
	procs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, p := range procs {
		env, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(append([]byte{0}, env...), []byte("\x00"+entry+"\x00")) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil && pid != os.Getpid() {
			t.Logf("stopping PID %d, which has %s", pid, entry)
			syscall.Kill(pid, syscall.SIGTERM)
		}
	}
}

// TestNATS runs Debian's nats-server: ready, with credentials required
// (none, wrong, right), in lame duck mode, and stopped.
func TestNATS(t *testing.T) {
	need(t, "nats-server", "nats-server")
	bin := build(t, t.TempDir(), "probe", ".")
	port := freePort(t)
	target := "nats://127.0.0.1:" + port
	ns := startAs(t, "", t.TempDir(), "nats-server", "-a", "127.0.0.1", "-p", port, "-n", "probe-e2e")
	out, _ := eventuallyExit(t, bin, 0, 20*time.Second, "--timeout", "2s", target)
	if !strings.Contains(out, ": PONG from nats-server 2.") || !strings.Contains(out, "(probe-e2e)") {
		t.Errorf("ready: %s", out)
	}
	t.Logf("| NATS | ready | %s |", out)
	// Lame duck mode: the server stops taking clients, then moves its own
	// away, then exits.
	exec.Command("nats-server", "--signal", "ldm="+strconv.Itoa(ns.cmd.Process.Pid)).Run()
	out, _ = eventuallyExit(t, bin, 1, 10*time.Second, "--timeout", "2s", target)
	t.Logf("| NATS | lame duck mode | exit 1: %s |", out)
	ns.stop(t)
	out, code := probeRun(t, bin, "--timeout", "2s", target)
	if code != 1 || !strings.Contains(out, "connection refused") {
		t.Errorf("stopped: %d %s", code, out)
	}
	t.Logf("| NATS | stopped | %s |", out)

	port = freePort(t)
	target = "127.0.0.1:" + port
	startAs(t, "", t.TempDir(), "nats-server", "-a", "127.0.0.1", "-p", port, "--user", "probe", "--pass", "s3cret-pw")
	eventuallySays(t, bin, "Authorization Violation", 20*time.Second, "--timeout", "2s", "nats://"+target)
	for _, c := range []struct {
		name, target, want string
		code               int
	}{
		{"no credentials", "nats://" + target, ": -ERR Authorization Violation", 1},
		{"a wrong password", "nats://probe:wrong-pw@" + target, ": -ERR Authorization Violation", 1},
		{"the right ones", "nats://probe:s3cret-pw@" + target, ": PONG from nats-server 2.", 0},
	} {
		out, code := probeRun(t, bin, "--timeout", "2s", c.target)
		if code != c.code || !strings.Contains(out, c.want) || strings.Contains(out, "s3cret-pw") || strings.Contains(out, "wrong-pw") {
			t.Errorf("%s: exit %d: %s", c.name, code, out)
		}
		t.Logf("| NATS | %s | exit %d: %s |", c.name, code, out)
	}
}

// TestMosquitto runs Debian's mosquitto: ready, anonymous refused, a wrong
// password, the right one, and stopped.
func TestMosquitto(t *testing.T) {
	need(t, "mosquitto", "mosquitto")
	bin := build(t, t.TempDir(), "probe", ".")
	dir := t.TempDir()
	port := freePort(t)
	conf := filepath.Join(dir, "open.conf")
	os.WriteFile(conf, []byte("user root\nlistener "+port+" 127.0.0.1\nallow_anonymous true\n"), 0o644)
	ms := startAs(t, "", dir, "mosquitto", "-c", conf)
	target := "mqtt://127.0.0.1:" + port
	out, _ := eventuallyExit(t, bin, 0, 20*time.Second, "--timeout", "2s", target)
	if !strings.HasSuffix(out, ": CONNACK: connection accepted") {
		t.Errorf("ready: %s\n%s", out, ms.log)
	}
	t.Logf("| Mosquitto | ready | %s |", out)
	ms.stop(t)
	out, code := probeRun(t, bin, "--timeout", "2s", target)
	if code != 1 || !strings.Contains(out, "connection refused") {
		t.Errorf("stopped: %d %s", code, out)
	}
	t.Logf("| Mosquitto | stopped | %s |", out)

	port = freePort(t)
	pw := filepath.Join(dir, "passwd")
	os.WriteFile(pw, nil, 0o600)
	if out, err := exec.Command("mosquitto_passwd", "-b", pw, "probe", "s3cret-pw").CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
	}
	conf = filepath.Join(dir, "auth.conf")
	os.WriteFile(conf, []byte("user root\nlistener "+port+" 127.0.0.1\nallow_anonymous false\npassword_file "+pw+"\n"), 0o644)
	ms = startAs(t, "", dir, "mosquitto", "-c", conf)
	target = "127.0.0.1:" + port
	eventuallySays(t, bin, "CONNACK", 20*time.Second, "--timeout", "2s", "mqtt://"+target)
	for _, c := range []struct {
		name, target, want string
		code               int
	}{
		{"anonymous", "mqtt://" + target, ": CONNACK refused the connection: not authorized (code 5)", 1},
		{"a wrong password", "mqtt://probe:wrong-pw@" + target, ": CONNACK refused the connection: not authorized (code 5)", 1},
		{"the right one", "mqtt://probe:s3cret-pw@" + target, ": CONNACK: connection accepted", 0},
	} {
		out, code := probeRun(t, bin, "--timeout", "2s", c.target)
		if code != c.code || !strings.HasSuffix(out, c.want) || strings.Contains(out, "s3cret-pw") || strings.Contains(out, "wrong-pw") {
			t.Errorf("%s: exit %d: %s\n%s", c.name, code, out, ms.log)
		}
		t.Logf("| Mosquitto | %s | exit %d: %s |", c.name, code, out)
	}
}

// TestUnbound runs Debian's unbound with a local zone, on a free port:
// answers, NXDOMAIN, a name with no record of the type, REFUSED, --expect,
// --rcode, ?proto=tcp, a CNAME, and stopped (ICMP port unreachable).
func TestUnbound(t *testing.T) {
	need(t, "unbound", "unbound")
	bin := build(t, t.TempDir(), "probe", ".")
	dir := t.TempDir()
	port := freeUDPPort(t)
	conf := filepath.Join(dir, "unbound.conf")
	os.WriteFile(conf, []byte(`server:
  interface: 127.0.0.1
  port: `+port+`
  do-daemonize: no
  use-syslog: no
  logfile: ""
  username: ""
  chroot: ""
  pidfile: ""
  directory: "`+dir+`"
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: yes
  local-zone: "probe.test." static
  local-data: "api.probe.test. IN A 10.1.2.3"
  local-data: "api.probe.test. IN TXT version=42"
  local-data: "probe.test. IN MX 10 mail.probe.test."
  local-data: "www.probe.test. IN CNAME api.probe.test."
  local-zone: "refused.test." refuse
remote-control:
  control-enable: no
`), 0o644)
	srv := startAs(t, "", dir, "unbound", "-c", conf)
	server := "dns://127.0.0.1:" + port + "/"
	eventuallyExit(t, bin, 0, 20*time.Second, "--timeout", "2s", server+"api.probe.test")
	for _, c := range []struct {
		name, target string
		extra        []string
		want         string
		code         int
	}{
		{"A", "api.probe.test", nil, ": NOERROR, api.probe.test A: 10.1.2.3", 0},
		{"TXT", "api.probe.test?type=TXT", nil, `: NOERROR, api.probe.test TXT: "version=42"`, 0},
		{"MX", "probe.test?type=mx", nil, ": NOERROR, probe.test MX: 10 mail.probe.test.", 0},
		{"--expect", "api.probe.test", []string{"--expect", `^10\.1\.2\.3$`}, ": NOERROR, api.probe.test A: 10.1.2.3", 0},
		{"--expect, another address", "api.probe.test", []string{"--expect", `10\.9\.9\.9`}, `: the answer 10.1.2.3 does not match "10\\.9\\.9\\.9" (--expect)`, 1},
		{"NXDOMAIN", "nope.probe.test", nil, ": NXDOMAIN for nope.probe.test A", 1},
		{"no AAAA", "api.probe.test?type=AAAA", nil, ": NOERROR, but no AAAA record for api.probe.test (the answer holds no other record)", 1},
		{"REFUSED", "www.refused.test", nil, ": REFUSED for www.refused.test A", 1},
		{"over TCP", "api.probe.test?proto=tcp", nil, ": NOERROR, api.probe.test A: 10.1.2.3", 0},
		{"--rcode NXDOMAIN, a name that must not exist", "nope.probe.test", []string{"--rcode", "NXDOMAIN"}, ": NXDOMAIN for nope.probe.test A, a code accepted", 0},
		{"--rcode NXDOMAIN, a name that exists", "api.probe.test", []string{"--rcode", "NXDOMAIN"}, ": NOERROR for api.probe.test A, where the codes accepted are NXDOMAIN (--rcode)", 1},
		{"--expect on the whole record", "api.probe.test", []string{"--expect", `^api\.probe\.test\.\t3600\tIN\tA\t10\.1\.2\.3$`}, ": NOERROR, api.probe.test A: 10.1.2.3", 0},
		{"CNAME", "www.probe.test?type=CNAME", nil, ": NOERROR, www.probe.test CNAME: api.probe.test.", 0},
		// A static zone answers the CNAME alone, without the target's
		// records: a resolver's app gets no address, and probe says so.
		{"A, through a CNAME unbound does not chase", "www.probe.test", nil, ": NOERROR, but no A record for www.probe.test via CNAME api.probe.test. (the answer holds no other record)", 1},
	} {
		out, code := probeRun(t, bin, append([]string{"--timeout", "2s", server + c.target}, c.extra...)...)
		if code != c.code || !strings.HasSuffix(out, c.want) {
			t.Errorf("%s: exit %d: %s\n%s", c.name, code, out, srv.log)
		}
		t.Logf("| unbound 1.17 | %s | exit %d: %s |", c.name, code, out)
	}
	srv.stop(t)
	out, code := probeRun(t, bin, "--timeout", "2s", server+"api.probe.test")
	if code != 1 || !strings.HasSuffix(out, "no DNS server answers on 127.0.0.1:"+port+" (ICMP port unreachable)") {
		t.Errorf("stopped: %d %s", code, out)
	}
	t.Logf("| unbound 1.17 | stopped | exit %d: %s |", code, out)
}

// freeUDPPort is a UDP port nothing is bound to.
func freeUDPPort(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	_, port, _ := net.SplitHostPort(pc.LocalAddr().String())
	return port
}

// TestKafka runs kfake (franz-go's Kafka cluster in Go: the Kafka protocol
// with no JVM, e2e/kafkaserver), three brokers: ready, then a cluster whose
// Metadata has no controller (electing one), then stopped. Real Kafka needs
// a JVM and is not packaged by Debian; what kfake does not cover is in
// docs/databases.md.
func TestKafka(t *testing.T) {
	bin := build(t, t.TempDir(), "probe", ".")
	server := buildStripped(t, t.TempDir(), "kafkaserver", "kafkaserver", ".")
	for _, c := range []struct {
		mode, want string
		code       int
	}{
		{"ready", ": cluster probe-e2e: 3 broker(s), controller ", 0},
		{"electing", ": no controller: 3 broker(s), and the cluster is electing one", 1},
	} {
		cmd := exec.Command(server, "-mode", c.mode)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line := make([]byte, 256)
		n, _ := out.Read(line)
		addrs := strings.Fields(string(line[:n]))
		if len(addrs) != 3 {
			cmd.Process.Kill()
			t.Fatalf("kafkaserver said %q", line[:n])
		}
		got, code := probeRun(t, bin, "--timeout", "2s", "kafka://"+addrs[0])
		if code != c.code || !strings.Contains(got, c.want) {
			t.Errorf("%s: exit %d: %s", c.mode, code, got)
		}
		t.Logf("| kfake (franz-go) | %s | exit %d: %s |", c.mode, code, got)
		cmd.Process.Kill()
		cmd.Wait()
		if c.mode == "ready" {
			got, code := probeRun(t, bin, "--timeout", "2s", "kafka://"+addrs[0])
			if code != 1 || !strings.Contains(got, "connection refused") {
				t.Errorf("stopped: exit %d: %s", code, got)
			}
			t.Logf("| kfake (franz-go) | stopped | exit %d: %s |", code, got)
		}
	}
}

// TestFerretDB runs FerretDB 1.24 (the MongoDB wire protocol in Go, over
// SQLite), built from the Go module proxy: ready (a standalone server),
// with a connection string's options, then stopped. Debian packages no
// MongoDB; replica set roles (secondary, recovering, arbiter) are in
// checks/mongodb_kafka_test.go's scripted servers.
func TestFerretDB(t *testing.T) {
	bin := build(t, t.TempDir(), "probe", ".")
	ferret := buildFerretDB(t)
	dir := t.TempDir()
	port := freePort(t)
	srv := startAs(t, "", dir, ferret, "--handler=sqlite", "--sqlite-url=file:"+dir+"/", "--state-dir="+dir,
		"--listen-addr=127.0.0.1:"+port, "--debug-addr=-", "--telemetry=disable", "--log-level=warn")
	target := "mongodb://127.0.0.1:" + port
	out, _ := eventuallyExit(t, bin, 0, 30*time.Second, "--timeout", "2s", target)
	if !strings.HasSuffix(out, ": a standalone server, writable") {
		t.Errorf("ready: %s\n%s", out, srv.log)
	}
	t.Logf("| FerretDB 1.24 | ready | exit 0: %s |", out)
	out, code := probeRun(t, bin, "--timeout", "2s", "mongodb://user:s3cret-pw@127.0.0.1:"+port+"/app?authSource=admin&readPreference=primary&retryWrites=true")
	if code != 0 || strings.Contains(out, "s3cret-pw") {
		t.Errorf("a connection string: exit %d: %s", code, out)
	}
	t.Logf("| FerretDB 1.24 | a pasted connection string, readPreference=primary | exit %d: %s |", code, out)
	srv.stop(t)
	out, code = probeRun(t, bin, "--timeout", "2s", target)
	if code != 1 || !strings.Contains(out, "connection refused") {
		t.Errorf("stopped: %d %s", code, out)
	}
	t.Logf("| FerretDB 1.24 | stopped | exit %d: %s |", code, out)
}

// ferretVersion is the FerretDB the test builds.
const ferretVersion = "v1.24.2"

// buildFerretDB builds FerretDB from the module proxy. Its module leaves
// out build/version/version.txt, which its own build writes (FerretDB's
// version package panics without it), so the test builds a copy of the
// module with that file written.
func buildFerretDB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	dl := exec.Command("go", "mod", "download", "-json", "github.com/FerretDB/FerretDB@"+ferretVersion)
	dl.Dir = dir
	dl.Env = append(os.Environ(), "GOFLAGS=")
	out, err := dl.Output()
	if err != nil {
		unavailable(t, fmt.Sprintf("go mod download FerretDB@%s: %v", ferretVersion, err),
			"SKIPPED: TestFerretDB: cannot download FerretDB from the Go module proxy")
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "src")
	if out, err := exec.Command("cp", "-r", m.Dir, src).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	exec.Command("chmod", "-R", "u+w", src).Run()
	if err := os.WriteFile(filepath.Join(src, "build", "version", "version.txt"), []byte(ferretVersion+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "ferretdb")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/ferretdb")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		unavailable(t, fmt.Sprintf("go build FerretDB: %v\n%s", err, out), "SKIPPED: TestFerretDB: cannot build FerretDB")
	}
	t.Logf("built FerretDB %s in %s", ferretVersion, time.Since(start).Round(time.Second))
	return bin
}
