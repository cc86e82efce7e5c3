package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWorkflows runs actionlint, with shellcheck for the run: scripts, over
// every workflow in .github/workflows: the release workflow cannot run here
// (it needs a tag on GitHub), so this is what checks it before a tag does.
// Then actionlint must reject copies of release.yml with one mistake each,
// so that a pass means it read the file.
func TestWorkflows(t *testing.T) {
	actionlint := requireTool(t, "actionlint", "go install "+actionlintModule, "checking the GitHub workflows")
	requireTool(t, "shellcheck", "apt-get install shellcheck", "checking the workflows' run: scripts")
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	workflows, _ := filepath.Glob(filepath.Join(root, ".github/workflows/*.y*ml"))
	if len(workflows) == 0 {
		t.Fatal("no workflow in .github/workflows")
	}
	cmd := exec.Command(actionlint, append([]string{"-no-color", "-oneline"}, workflows...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("actionlint: %v\n%s", err, out)
	}
	t.Logf("actionlint: %d workflows, no finding", len(workflows))

	release, err := os.ReadFile(filepath.Join(root, ".github/workflows/release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"a permission misspelled", "id-token: write", "id-token: writ", `"writ" is invalid as permission of scope "id-token"`},
		{"a step that does not exist", "steps.push.outputs.digest", "steps.pushed.outputs.digest", `property "pushed" is not defined`},
		{"a job key misspelled", "runs-on:", "run-on:", `unexpected key "run-on" for "job" section`},
		{"a variable unquoted in a script", `"$IMAGE@$DIGEST"`, `$IMAGE@$DIGEST`, "SC2086"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(release), tc.old) {
				t.Fatalf("release.yml has no %q to change", tc.old)
			}
			dir := t.TempDir()
			broken := filepath.Join(dir, ".github/workflows/release.yml")
			os.MkdirAll(filepath.Dir(broken), 0o755)
			if err := os.WriteFile(broken, []byte(strings.Replace(string(release), tc.old, tc.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(actionlint, "-no-color", "-oneline", ".github/workflows/release.yml")
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), tc.want) {
				t.Errorf("actionlint of release.yml with %q for %q: %v, want a failure saying %q:\n%s", tc.new, tc.old, err, tc.want, out)
			}
		})
	}
}

// cosignModule is the cosign the release workflow signs with and the release
// test signs with, which .ci/run installs; actionlintModule is .ci/run's too.
const (
	cosignModule     = "github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5"
	actionlintModule = "github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"
)

// TestToolVersions: the workflow signs with the cosign the release test
// signs with, and .ci/run installs the cosign and actionlint the tests name.
func TestToolVersions(t *testing.T) {
	for file, want := range map[string][]string{
		"../../.github/workflows/release.yml": {"COSIGN: " + cosignModule + "\n"},
		"../../.ci/run":                       {"go install " + cosignModule + "\n", "go install " + actionlintModule + "\n"},
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s has no %q: the tests would run another version than CI installs and the release uses", file, strings.TrimSpace(w))
			}
		}
	}
}

// requireTool returns the path of a program the test needs. Outside CI a
// missing one skips the test, loudly; in CI it fails it, since .ci/run
// installs every tool and nothing may be skipped there.
func requireTool(t *testing.T, name, install, why string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (for %s): .ci/run installs it (%s)", name, why, install)
		}
		msg := fmt.Sprintf("SKIPPED: %s: %s is not installed (%s); CI runs it", why, name, install)
		fmt.Fprintln(os.Stderr, msg)
		t.Skip(msg)
	}
	return path
}
