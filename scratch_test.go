package main

import (
	"bytes"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/testserver"
)

// requireRoot skips outside CI, loudly, and fails in CI, where the tests run
// as root and nothing may be skipped.
func requireRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s needs root, and CI runs as root: something is wrong with this runner", why)
	}
	t.Skipf("SKIPPED: %s needs root (chroot); run as root or in CI to cover it", why)
}

// TestScratchChroot runs the static binary alone in an empty directory, as
// root and as nobody: the honest stand-in for a FROM scratch image, with no
// /etc/hosts, no resolv.conf, no CA bundle and no /dev/shm.
func TestScratchChroot(t *testing.T) {
	t.Parallel()
	requireRoot(t, "the scratch-like chroot test")
	if _, err := exec.LookPath("chroot"); err != nil {
		t.Fatalf("chroot is not installed: %v", err)
	}
	// In a network namespace of its own: "localhost" reaches the IPv6 app
	// only when nothing answers on 127.0.0.1 at its port, and on a shared
	// loopback another test's server once did (an h2c one, which dropped
	// the request).
	if os.Getenv("PROBE_SCRATCH_NETNS") == "" {
		cmd := exec.Command("unshare", "--net", os.Args[0], "-test.run", "^TestScratchChroot$", "-test.count", "1", "-test.v")
		cmd.Env = append(os.Environ(), "PROBE_SCRATCH_NETNS=1")
		out, err := cmd.CombinedOutput()
		t.Logf("in a network namespace of its own:\n%s", out)
		if err != nil {
			t.Fatalf("TestScratchChroot in its network namespace: %v", err)
		}
		return
	}
	if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("ip link set lo up: %v: %s", err, out)
	}
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	buildProbe(t, root)
	if err := os.WriteFile(filepath.Join(root, "ca.pem"), testserver.Certs().CAPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 2 {
		t.Fatalf("the root holds %d entries, want only probe and ca.pem", len(entries))
	}
	// A second root with a resolv.conf that points at a DNS server of the
	// test's own on loopback, so no query leaves the machine.
	withDNS := t.TempDir()
	if err := os.Chmod(withDNS, 0o755); err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(filepath.Join(root, "probe"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(withDNS, "probe"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(withDNS, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(withDNS, "etc", "resolv.conf"), []byte("nameserver 127.0.0.77\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dns, err := testserver.StartDNS("127.0.0.77:53", map[string]netip.Addr{"app.test": netip.MustParseAddr("127.0.0.1")})
	if err != nil {
		t.Fatalf("the test DNS server needs 127.0.0.77:53: %v", err)
	}
	defer dns.Close()
	httpApp, err := testserver.Start("http", "tcp6", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer httpApp.Close()
	v4App, err := testserver.Start("http", "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer v4App.Close()
	tlsApp, err := testserver.Start("https", "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tlsApp.Close()
	port := func(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }

	tests := []struct {
		name     string
		user     string
		args     []string
		wantExit int
		want     string
		dns      bool // run in the root with a resolv.conf
		stderr   bool // want is on stderr, not stdout
	}{
		{"localhost without /etc/hosts reaches an IPv6 app", "", []string{"http://localhost:" + port(httpApp.Addr) + "/healthz"}, 0, "healthy http://localhost:", false, false},
		{"as nobody", "65534:65534", []string{"http://localhost:" + port(httpApp.Addr) + "/healthz"}, 0, "healthy ", false, false},
		{"https with --ca", "65534:65534", []string{"--ca", "/ca.pem", "https://localhost:" + port(tlsApp.Addr) + "/healthz"}, 0, "healthy https://", false, false},
		{"https with SSL_CERT_FILE", "", []string{"https://localhost:" + port(tlsApp.Addr) + "/healthz"}, 0, "healthy https://", false, false},
		{"https without a CA bundle", "", []string{"https://localhost:" + port(tlsApp.Addr) + "/healthz"}, 1,
			"tls: certificate signed by unknown authority; this system has no CA bundle (use --ca FILE, SSL_CERT_FILE or --insecure)", false, false},
		{"a name needs DNS, and there is none", "", []string{"--timeout", "2s", "http://app.internal:8080/"}, 1,
			`unhealthy http://app.internal:8080/ in`, false, false},
		{"a name resolved through DNS", "65534:65534", []string{"-v", "http://app.test:" + port(v4App.Addr) + "/healthz"}, 0,
			"  phases: dns ", true, false},
		{"an unresolvable host", "", []string{"http://no-such-host.invalid/healthz"}, 1,
			`unhealthy http://no-such-host.invalid/healthz in`, true, false},
		{"listen without /proc", "65534:65534", []string{"listen", "8080"}, 1,
			"probe: error: cannot read /proc: no such file or directory (is /proc mounted?)\n", false, true},
		{"inspect without /proc", "", []string{"inspect"}, 1,
			"probe: error: cannot read /proc: no such file or directory (is /proc mounted?)\n", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{}
			if tc.user != "" {
				args = append(args, "--userspec="+tc.user)
			}
			dir := root
			if tc.dns {
				dir = withDNS
			}
			args = append(append(args, dir, "/probe"), tc.args...)
			cmd := exec.Command("chroot", args...)
			// An empty environment: the default marker path, no SSL_CERT_FILE.
			cmd.Env = []string{}
			if strings.Contains(tc.name, "SSL_CERT_FILE") {
				cmd.Env = []string{"SSL_CERT_FILE=/ca.pem"}
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			t.Logf("exit %d, stdout: %s", code, stdout.String())
			out, other := stdout.String(), stderr.String()
			if tc.stderr {
				out, other = other, out
			}
			if code != tc.wantExit || !strings.Contains(out, tc.want) || other != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, stdout.String(), stderr.String(), tc.wantExit, tc.want)
			}
		})
	}
}

// TestExecReadOnlyScratch: the default marker works where ARCHITECTURE.md says it
// must, in a scratch-like root that is read-only, with a world-writable
// tmpfs at /dev/shm as Docker mounts one, run as nobody. probe exec wraps a
// probe serve that checks itself, and that sidecar's /readyz reflects the
// marker on SIGTERM.
func TestExecReadOnlyScratch(t *testing.T) {
	t.Parallel()
	requireRoot(t, "the read-only scratch-like test (mount, chroot)")
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	buildProbe(t, root)
	shm := filepath.Join(root, "dev", "shm")
	if err := os.MkdirAll(shm, 0o755); err != nil {
		t.Fatal(err)
	}
	mount := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
			t.Fatalf("mount %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	mount("--bind", root, root)
	t.Cleanup(func() { exec.Command("umount", "-l", root).Run() })
	mount("-o", "remount,bind,ro", root)
	mount("-t", "tmpfs", "-o", "mode=1777,size=1m", "tmpfs", shm)
	t.Cleanup(func() { exec.Command("umount", "-l", shm).Run() })

	// The root really is read-only, even for root.
	out, err := exec.Command("chroot", root, "/probe", "drain", "--marker", "/probe.draining").CombinedOutput()
	if !strings.Contains(string(out), "read-only file system") {
		t.Fatalf("creating a file in the root: %v %s; want read-only file system", err, out)
	}

	addr := freeAddr(t)
	cmd := exec.Command("chroot", "--userspec=65534:65534", root,
		"/probe", "exec", "--drain-delay", "1s", "--", "/probe", "serve", "--listen", addr, "--interval", "100ms", "tcp://"+addr)
	cmd.Env = []string{} // the default marker: /dev/shm/probe.draining
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	readyz := func() (int, string) { return httpGet("http://" + addr + "/readyz") }
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if code, _ := readyz(); code == 200 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the sidecar never turned ready:\n%s", stderr.String())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(500 * time.Millisecond); ; time.Sleep(10 * time.Millisecond) {
		code, body := readyz()
		if code == 503 && strings.HasPrefix(body, "draining: shutdown marker /dev/shm/probe.draining present for") {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("500ms after SIGTERM /readyz says %d %q, want draining by the marker:\n%s", code, body, stderr.String())
		}
	}
	fi, err := os.Stat(filepath.Join(shm, "probe.draining"))
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 65534 {
		t.Fatalf("the marker belongs to uid %d, want nobody", st.Uid)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("probe exec: %v, want the sidecar's 0:\n%s", err, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(shm, "probe.draining")); err == nil {
		t.Fatal("the marker outlived probe exec")
	}
	if strings.Contains(stderr.String(), "warning") {
		t.Fatalf("probe exec warned:\n%s", stderr.String())
	}
}
