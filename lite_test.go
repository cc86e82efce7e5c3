package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLiteBuild builds probe as make lite does, with the Makefile's
// LITE_TAGS: it checks http and tcp targets, refuses a target of a kind it
// leaves out with one line that says so (not "unknown scheme"), says what
// it has in --version, and links none of the code of the kinds it leaves
// out (a string each of their checks carries is not in the binary).
func TestLiteBuild(t *testing.T) {
	t.Parallel()
	makefile, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^LITE_TAGS = (\S+)$`).FindSubmatch(makefile)
	if m == nil {
		t.Fatal("the Makefile has no LITE_TAGS = line")
	}
	bin := filepath.Join(t.TempDir(), "probe-lite")
	build := exec.Command("go", "build", "-trimpath", "-tags", string(m[1]), "-ldflags=-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags %s: %v\n%s", m[1], err, out)
	}
	app := startApp(t)

	run := func(args ...string) (string, int) {
		t.Helper()
		out, err := exec.Command(bin, args...).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	for _, target := range []string{"http://" + app.Addr + "/healthz", "tcp://" + app.Addr} {
		if out, code := run(target); code != 0 {
			t.Errorf("probe-lite %s: exit %d, want 0\n%s", target, code, out)
		}
	}
	for target, kind := range map[string]string{
		"grpc://127.0.0.1:50051":      "grpc",
		"postgres://127.0.0.1/db":     "postgres",
		"dns://127.0.0.1/example.com": "dns",
	} {
		want := `probe: error: target "` + target + `": this build of probe leaves out the ` + kind + " kind: use the full build\n"
		if out, code := run(target); code != 1 || out != want {
			t.Errorf("probe-lite %s: exit %d\n%s\nwant exit 1\n%s", target, code, out, want)
		}
	}
	out, _ := run("--version")
	if want := "  kinds: http, tcp, tls, unix, file, listen; left out of this build: grpc, "; !strings.Contains(out, want) {
		t.Errorf("probe-lite --version:\n%s\nwant a line that starts %q", out, want)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"/grpc.health.v1.Health/Check", "accepting connections: it asks user", "the UDP answer was truncated"} {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("probe-lite holds %q: the check of a kind it leaves out is linked", s)
		}
	}
}
