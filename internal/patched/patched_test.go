package patched_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/probe-sh/probe/internal/patched"
)

// TestCopiesAreUpstreamPlusPatches regenerates every copy from the upstream
// version go.mod requires, plus the patches, and fails on any difference
// from what is committed, as Go's cmd/internal/moddeps does for src/vendor.
// A version bump in go.mod fails it until regen.sh has run.
func TestCopiesAreUpstreamPlusPatches(t *testing.T) {
	for _, tool := range []string{"bash", "patch", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing: CI must install it", tool)
			}
			t.Skipf("SKIPPED: %s is missing, so the copies cannot be checked against upstream", tool)
		}
	}
	out := t.TempDir()
	cmd := exec.Command("bash", "regen.sh", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("regen.sh: %v\n%s", err, b)
	}
	want := tree(t, out)
	got := tree(t, ".")
	for name := range got {
		if !slices.ContainsFunc(patched.Copies, func(c patched.Copy) bool { return strings.HasPrefix(name, c.Name+"/") }) && name != "copies.go" {
			delete(got, name) // this package's own files
		}
	}
	for _, name := range sortedKeys(want) {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s is missing from the copy: run internal/patched/regen.sh", name)
		case !bytes.Equal(g, want[name]):
			t.Errorf("%s differs from upstream plus the patches: put the change in a patch under patches/, or run regen.sh\n%s", name, firstDiff(g, want[name]))
		}
	}
	for _, name := range sortedKeys(got) {
		if _, ok := want[name]; !ok {
			t.Errorf("%s is in the copy but not in upstream plus the patches", name)
		}
	}
}

// TestCopiesNameGoMod: each copy's upstream version is the one go.mod
// requires, so go.mod tells readers, scanners and bots what is compiled in.
func TestCopiesNameGoMod(t *testing.T) {
	if len(patched.Copies) != 3 {
		t.Fatalf("Copies = %v, want kong, fasthttp and procfs", patched.Copies)
	}
	for _, c := range patched.Copies {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", c.Module).Output()
		if err != nil {
			t.Fatalf("go list -m %s: %v (go.mod must keep requiring it)", c.Module, err)
		}
		if v := strings.TrimSpace(string(out)); v != c.Version {
			t.Errorf("go.mod requires %s %s, but the copy %s comes from %s: run internal/patched/regen.sh", c.Module, v, c.Name, c.Version)
		}
	}
}

// tree reads every file under dir, by slash path.
func tree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		b, err := os.ReadFile(path)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// firstDiff shows the first line that differs.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n  copy:     " + gl + "\n  upstream: " + wl
		}
	}
	return ""
}
