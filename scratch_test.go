package main

import (
	"bytes"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
			"tls: certificate signed by unknown authority (no CA bundle on this system; use --ca FILE, SSL_CERT_FILE or --insecure)", false, false},
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
