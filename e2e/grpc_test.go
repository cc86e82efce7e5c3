//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/testserver"
)

// ghpVersion is the grpc-health-probe that probe is compared with.
const ghpVersion = "v0.4.63"

// TestGRPC runs probe's grpc:// and grpcs:// checks against real grpc-go
// servers (e2e/grpcserver, a module of its own) in every case issue 14
// names, and grpc-health-probe, built from the Go module proxy, against the
// same servers beside it. Each case asserts both verdicts and exit codes;
// docs/grpc.md holds the table this prints, and the test checks that the
// table's exit codes are the ones measured.
func TestGRPC(t *testing.T) {
	dir, err := os.MkdirTemp("", "pg") // short: a Unix socket's path holds 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	probe := buildStripped(t, dir, "probe", "..", ".")
	server := buildStripped(t, dir, "grpcserver", "grpcserver", ".")
	ghp := installGHP(t, dir)
	if err := testserver.Certs().WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	pem := func(name string) string { return filepath.Join(dir, name) }
	tlsFlags := []string{"-cert", pem("server.pem"), "-key", pem("server-key.pem")}

	serving := startGRPC(t, server, "serving")
	notServing := startGRPC(t, server, "not-serving")
	noHealth := startGRPC(t, server, "no-health")
	endless := startGRPC(t, server, "endless")
	goaway := startGRPC(t, server, "goaway")
	silent := startGRPC(t, server, "silent")
	meta := startGRPC(t, server, "metadata")
	tlsServer := startGRPC(t, server, "serving", tlsFlags...)
	mtls := startGRPC(t, server, "serving", append(tlsFlags, "-client-ca", pem("ca.pem"))...)
	sock := filepath.Join(dir, "grpc.sock")
	startGRPC(t, server, "serving", "-listen", "unix:"+sock)
	refused := freeAddr(t)

	ca := []string{"--ca", pem("ca.pem")}
	ghpTLS := []string{"-tls", "-tls-ca-cert", pem("ca.pem")}
	client := []string{"--cert", pem("client.pem"), "--key", pem("client-key.pem")}
	ghpClient := []string{"-tls-client-cert", pem("client.pem"), "-tls-client-key", pem("client-key.pem")}
	cases := []struct {
		name      string
		probe     []string
		ghp       []string
		probeCode int
		probeSays string // a regular expression over probe's one line
		ghpCode   int
	}{
		{"serving", []string{"grpc://" + serving}, []string{"-addr", serving}, 0, `: SERVING$`, 0},
		{"a service serving", []string{"grpc://" + serving + "/helloworld.Greeter"}, []string{"-addr", serving, "-service", "helloworld.Greeter"},
			0, `: SERVING \(service "helloworld.Greeter"\)$`, 0},
		{"not serving", []string{"grpc://" + notServing}, []string{"-addr", notServing}, 1, `: grpc: the server is NOT_SERVING$`, 4},
		{"a service not serving", []string{"grpc://" + serving + "/down"}, []string{"-addr", serving, "-service", "down"},
			1, `: grpc: service "down" is NOT_SERVING$`, 4},
		{"a service the server does not know", []string{"grpc://" + serving + "/nope"}, []string{"-addr", serving, "-service", "nope"},
			1, `: grpc: the health service does not know service "nope" \(NOT_FOUND: unknown service\)$`, 3},
		{"no health service", []string{"grpc://" + noHealth}, []string{"-addr", noHealth},
			1, `: grpc: the server has no health service \(/grpc.health.v1.Health/Check is UNIMPLEMENTED: unknown service grpc.health.v1.Health\)$`, 3},
		{"TLS with a CA", append([]string{"grpcs://" + tlsServer}, ca...), append([]string{"-addr", tlsServer}, ghpTLS...), 0, `: SERVING$`, 0},
		{"TLS, an unknown CA", []string{"grpcs://" + tlsServer}, []string{"-addr", tlsServer, "-tls"},
			1, `: tls: certificate signed by unknown authority`, 2},
		{"TLS, a wrong name", append([]string{"grpcs://" + tlsServer, "-H", "Host: other.example"}, ca...),
			append([]string{"-addr", tlsServer, "-tls-server-name", "other.example"}, ghpTLS...), 1, `: tls: certificate is not valid for "other.example"`, 2},
		{"mTLS", append(append([]string{"grpcs://" + mtls}, ca...), client...), append(append([]string{"-addr", mtls}, ghpTLS...), ghpClient...), 0, `: SERVING$`, 0},
		{"mTLS without a client certificate", append([]string{"grpcs://" + mtls}, ca...), append([]string{"-addr", mtls}, ghpTLS...),
			1, `: tls: the server refused the connection: certificate required`, 2},
		{"cleartext to a TLS port", []string{"grpc://" + tlsServer}, []string{"-addr", tlsServer},
			1, `: http2: the server closed the connection during the HTTP/2 handshake \(is it a TLS port\? then use grpcs://\)$`, 2},
		{"TLS to a cleartext port", append([]string{"grpcs://" + serving}, ca...), append([]string{"-addr", serving}, ghpTLS...),
			1, `: tls: the server did not answer with TLS: it sent "[^"]*" \(an HTTP/2 SETTINGS frame: cleartext HTTP/2, use grpc://, or http:// over HTTP/2\)$`, 2},
		{"refused", []string{"grpc://" + refused}, []string{"-addr", refused}, 1, `: connect: connection refused \(127.0.0.1:\d+\)$`, 2},
		{"a silent server", []string{"grpc://" + silent}, []string{"-addr", silent},
			1, `: timeout after 1.0\ds in the HTTP/2 handshake \(--timeout 1s\)$`, 2},
		{"GOAWAY", []string{"grpc://" + goaway}, []string{"-addr", goaway},
			1, `: http2: the server sent GOAWAY \(ENHANCE_YOUR_CALM: "too_many_pings"\) before answering$`, 3},
		{"a reply that never ends", []string{"grpc://" + endless}, []string{"-addr", endless},
			1, `: timeout after 1.0\ds reading the response; got the headers of HTTP/2 200, no body so far \(--timeout 1s\)$`, 3},
		{"a Unix socket", []string{"--unix-socket", sock, "grpc://localhost"}, []string{"-addr", "unix://" + sock}, 0, `: SERVING$`, 0},
		{"binary metadata", []string{"grpc://" + meta + "/blackbox.metadata", "-H", "key1: value1", "-H", "key1: value2", "-H", "key2-bin: test", "-H", "Authorization: Bearer token"},
			[]string{"-addr", meta, "-service", "blackbox.metadata", "-rpc-header", "key1: value1", "-rpc-header", "key1: value2", "-rpc-header", "key2-bin: test", "-rpc-header", "Authorization: Bearer token"},
			0, `: SERVING \(service "blackbox.metadata"\)$`, 0},
		{"a user agent of its own", []string{"grpc://" + meta + "/user-agent", "-H", "User-Agent: kube-probe/1.34"}, []string{"-addr", meta, "-service", "user-agent", "-user-agent", "kube-probe/1.34"},
			0, `: SERVING \(service "user-agent"\)$`, 0},
		{"TLS, a server name", append([]string{"grpcs://" + tlsServer, "--server-name", "api.example.com"}, ca...),
			append([]string{"-addr", tlsServer, "-tls-server-name", "api.example.com"}, ghpTLS...), 0, `: SERVING$`, 0},
	}

	var rows []string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pOut, pCode, pTook := timedRun(probe, append([]string{"--timeout", "1s"}, c.probe...)...)
			gOut, gCode, gTook := timedRun(ghp, append([]string{"-connect-timeout", "1s", "-rpc-timeout", "1s"}, c.ghp...)...)
			if pCode != c.probeCode || !regexp.MustCompile(c.probeSays).MatchString(pOut) {
				t.Errorf("probe %s: exit %d, %q; want exit %d and %s", strings.Join(c.probe, " "), pCode, pOut, c.probeCode, c.probeSays)
			}
			if strings.Count(pOut, "\n") > 0 {
				t.Errorf("probe said more than one line: %q", pOut)
			}
			if pTook > 1500*time.Millisecond {
				t.Errorf("probe took %s under --timeout 1s", pTook)
			}
			if gCode != c.ghpCode {
				t.Errorf("grpc-health-probe %s: exit %d, want %d (%s)", strings.Join(c.ghp, " "), gCode, c.ghpCode, gOut)
			}
			line := pOut
			if i := strings.Index(line, ": "); i >= 0 {
				line = line[i+2:]
			}
			rows = append(rows, fmt.Sprintf("| %s | %d | %s | %s | %d | %s | %s |", c.name, pCode, mdCell(line), roundMS(pTook), gCode, mdCell(lastLine(gOut)), roundMS(gTook)))
		})
	}
	t.Logf("probe and grpc-health-probe %s, side by side:\n%s", ghpVersion, strings.Join(rows, "\n"))

	// Sizes, both built the same way: static, -trimpath, -s -w.
	for _, b := range []string{probe, ghp} {
		fi, err := os.Stat(b)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("size of %s: %d bytes (%.1f MiB)", filepath.Base(b), fi.Size(), float64(fi.Size())/(1<<20))
	}

	// docs/grpc.md shows this table: its exit codes must be the ones
	// measured here (times and sizes vary by machine, so they are not
	// compared).
	doc, err := os.ReadFile("../docs/grpc.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		want := fmt.Sprintf("| %s | %d |", c.name, c.probeCode)
		row := ""
		for _, l := range strings.Split(string(doc), "\n") {
			if strings.HasPrefix(l, want) {
				row = l
			}
		}
		cells := strings.Split(row, " | ")
		if row == "" || len(cells) < 6 || cells[4] != fmt.Sprint(c.ghpCode) {
			t.Errorf("docs/grpc.md has no row %q with grpc-health-probe's exit %d: update the table from this test's log", want, c.ghpCode)
		}
	}
}

// buildStripped builds the package pkg of the module in modDir (relative
// to e2e/) as a release is built: static, -trimpath, -s -w.
func buildStripped(t *testing.T, dir, name, modDir, pkg string) string {
	t.Helper()
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, pkg)
	cmd.Dir = modDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		unavailable(t, fmt.Sprintf("go build %s in %s: %v\n%s", pkg, modDir, err, out),
			fmt.Sprintf("SKIPPED: TestGRPC: cannot build %s (%v): are the Go module proxy and grpc-go reachable?", name, err))
	}
	return bin
}

// installGHP builds grpc-health-probe from the Go module proxy, as its
// README says to, stripped as probe is.
func installGHP(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command("go", "install", "-trimpath", "-ldflags=-s -w", "github.com/grpc-ecosystem/grpc-health-probe@"+ghpVersion)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOBIN="+dir, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		unavailable(t, fmt.Sprintf("go install grpc-health-probe@%s: %v\n%s", ghpVersion, err, out),
			fmt.Sprintf("SKIPPED: TestGRPC: cannot build grpc-health-probe@%s from the module proxy: %v", ghpVersion, err))
	}
	return filepath.Join(dir, "grpc-health-probe")
}

// startGRPC runs e2e/grpcserver in mode, on a free loopback port unless
// args say -listen, and returns the address it printed.
func startGRPC(t *testing.T, bin, mode string, args ...string) string {
	t.Helper()
	if !strings.Contains(strings.Join(args, " "), "-listen") {
		args = append(args, "-listen", "127.0.0.1:0")
	}
	cmd := exec.Command(bin, append([]string{"-mode", mode}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("grpcserver -mode %s: %v", mode, err)
	}
	return strings.TrimSpace(addr)
}

// timedRun runs a program and returns its output, exit code and wall time.
func timedRun(bin string, args ...string) (string, int, time.Duration) {
	cmd := exec.Command(bin, args...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		return err.Error(), -1, took
	}
	return strings.TrimSpace(string(out)), code, took
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	if len(s) > 110 {
		s = s[:107] + "..."
	}
	return "`" + s + "`"
}

func roundMS(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.0f ms", float64(d)/1e6)
}
