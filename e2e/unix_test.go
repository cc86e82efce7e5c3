//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestUnixSocketNginx checks Unix sockets against a real server that
// listens on them: nginx from Debian, with an HTTP/1.1 socket and an
// HTTP/2-only (h2c) one. It also runs probe as nobody against a socket
// closed to nobody, and against the socket file nginx leaves behind when
// it is killed.
func TestUnixSocketNginx(t *testing.T) {
	nginx := requireTool(t, "nginx", "nginx", "the Unix socket test")
	if os.Geteuid() != 0 {
		unavailable(t, "the Unix socket test runs probe as nobody, which needs root; CI runs as root",
			"SKIPPED: TestUnixSocketNginx needs root, to run probe as another user")
	}
	dir, err := os.MkdirTemp("", "ng") // short: a socket's path holds 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	probe := build(t, dir, "probe", ".")
	if err := os.Chmod(probe, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`daemon off;
master_process off;
error_log %[1]s/error.log;
pid %[1]s/nginx.pid;
events {}
http {
	access_log off;
	client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; fastcgi_temp_path %[1]s/fcgi;
	uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
	server {
		listen unix:%[1]s/app.sock;
		location = /healthz { default_type application/json; return 200 '{"status":"UP"}'; }
		location = /down { return 503 'down'; }
	}
	server {
		listen unix:%[1]s/h2.sock http2;
		location / { return 200 'h2 ok'; }
	}
}
`, dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nginx, "-c", conf, "-p", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, _ := os.Create(filepath.Join(dir, "nginx.out"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); <-done })
	app, h2 := filepath.Join(dir, "app.sock"), filepath.Join(dir, "h2.sock")
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(h2); err == nil {
			break
		}
		if time.Since(start) > 10*time.Second {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx made no socket in 10s:\n%s", log)
		}
	}

	cases := []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--unix-socket", app, "--expect-json", "status=UP", "http://localhost/healthz"}, 0, `^healthy http://localhost/healthz in .*: HTTP 200 OK$`},
		{[]string{"--unix-socket", app, "http://localhost/down"}, 1, `: HTTP 503 Service Unavailable, want 200-399 \(--status\)$`},
		{[]string{"--http2", "--unix-socket", h2, "--expect-body", "h2 ok", "http://localhost/"}, 0, `^healthy http://localhost/ in .*: HTTP 200 OK$`},
		{[]string{"--unix-socket", h2, "http://localhost/"}, 1, `: http2: the server answered with HTTP/2 frames: it speaks only HTTP/2 \(h2c; gRPC\?\): check it over HTTP/2, or with grpc:// \(--http2\)$`},
		{[]string{"unix://" + app, "--send", `GET /healthz HTTP/1.0\r\n\r\n`, "--expect", `"status":"UP"`}, 0, `: reply matched$`},
		{[]string{"--unix-socket", filepath.Join(dir, "nope.sock"), "http://localhost/"}, 1, `: connect: no such socket \(` + regexp.QuoteMeta(dir) + `/nope.sock\)$`},
		{[]string{"--unix-socket", conf, "http://localhost/"}, 1, `: connect: not a socket: the path is a regular file`},
	}
	for _, c := range cases {
		got, code := probeRun(t, probe, c.args...)
		if code != c.code || !regexp.MustCompile(c.says).MatchString(got) {
			t.Errorf("probe %s: exit %d, %q; want exit %d and %s", strings.Join(c.args, " "), code, got, c.code, c.says)
		}
	}

	// A socket closed to the user probe runs as: the mode, the owner and
	// probe's own user, in one line.
	if err := os.Chmod(app, 0o600); err != nil {
		t.Fatal(err)
	}
	nobody := exec.Command(probe, "--unix-socket", app, "http://localhost/healthz")
	nobody.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	b, err := nobody.CombinedOutput()
	want := `: connect: permission denied: the socket's mode is 0600, owner uid 0 gid 0; probe runs as uid 65534 gid 65534 \(` + regexp.QuoteMeta(app) + `\)\n$`
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !regexp.MustCompile(want).Match(b) {
		t.Errorf("probe as nobody on a 0600 socket: %v, %q; want exit 1 and %s", err, b, want)
	}

	// nginx killed: its socket files stay, with no server behind them.
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
	got, code := probeRun(t, probe, "--unix-socket", h2, "http://localhost/")
	if code != 1 || !strings.Contains(got, "connect: connection refused: a socket file that no server listens on") {
		t.Errorf("probe on the socket of a killed nginx: exit %d, %q", code, got)
	}
}
