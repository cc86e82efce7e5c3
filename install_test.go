package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestInstallReadOnlyAndFull: probe install into a read-only file system,
// and into one too small for the binary, each a real tmpfs in a mount
// namespace of the test's own: one line each, exit 1, and nothing left in
// the full one (the partial copy is removed).
func TestInstallReadOnlyAndFull(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := buildProbe(t, dir)
	for _, d := range []string{"ro", "small"} {
		os.Mkdir(filepath.Join(dir, d), 0o755)
	}
	args := []string{"--mount"}
	if os.Geteuid() != 0 {
		args = append(args, "--map-root-user")
	}
	script := `set -u
mount -t tmpfs -o ro tmpfs "$1/ro" && mount -t tmpfs -o size=1m tmpfs "$1/small" || exit 99
"$2" install "$1/ro"; echo "exit $?"
"$2" install "$1/small"; echo "exit $?"
ls -A "$1/small"; echo "left"`
	out, err := exec.Command("unshare", append(args, "sh", "-c", script, "sh", dir, bin)...).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("cannot make a mount namespace with tmpfs mounts here: %v: %s", err, out)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		fmt.Fprintln(os.Stderr, "SKIPPED: TestInstallReadOnlyAndFull:", msg)
		t.Skip(msg)
	}
	want := "probe: error: cannot install into " + dir + "/ro: a read-only file system; mount a writable volume there (an emptyDir, a named volume)\nexit 1\n" +
		"probe: error: cannot install into " + dir + "/small: no space left on its device\nexit 1\nleft\n"
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if strings.Count(string(out), "probe: error:") != 2 {
		t.Errorf("want one line each")
	}
}
