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

// TestInstallCommands: what README's Install section and docs/install.md
// tell users to fetch and verify is what the release workflow publishes:
// the image at ghcr.io/REPOSITORY, SHA256SUMS.sigstore.json beside
// SHA256SUMS, and a certificate for release.yml at a tag v*, the
// repository being the module's. No test can run the keyless commands
// here: this keeps their names true.
func TestInstallCommands(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("../..", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	module := ""
	for _, line := range strings.Split(read("go.mod"), "\n") {
		if m, ok := strings.CutPrefix(line, "module "); ok {
			module = strings.TrimSpace(m)
		}
	}
	repo, ok := strings.CutPrefix(module, "github.com/")
	if !ok {
		t.Fatalf("module %q is not on GitHub: the workflow's names below assume it is", module)
	}
	readme := read("README.md")
	install, _, _ := strings.Cut(readme[strings.Index(readme, "## Install\n"):], "\n## ")
	identity := "--certificate-identity https://" + module + "/.github/workflows/release.yml@refs/tags/v1.2.3"
	for file, wants := range map[string][]string{
		"README.md's Install": {
			"COPY --from=ghcr.io/" + repo + ":v1.2.3 /probe /probe",
			"docker run --rm -v probe:/into ghcr.io/" + repo + ":v1.2.3 install /into",
			"go install " + module + "@latest",
			"cosign verify-blob --bundle SHA256SUMS.sigstore.json --certificate-oidc-issuer https://token.actions.githubusercontent.com",
			identity + " SHA256SUMS\n",
			"sha256sum --ignore-missing -c SHA256SUMS",
		},
		"docs/install.md": {
			"ghcr.io/" + repo + ":v1.2.3",
			"cosign verify-blob --bundle SHA256SUMS.sigstore.json --certificate-oidc-issuer https://token.actions.githubusercontent.com",
			identity + " SHA256SUMS\n",
			"gh attestation verify probe-linux-amd64 --repo " + repo + "\n",
		},
		".github/workflows/release.yml": {
			"tags: [\"v*\"]",
			"IMAGE: ghcr.io/${{ github.repository }}\n",
			"cosign sign-blob --yes --bundle dist/SHA256SUMS.sigstore.json dist/SHA256SUMS\n",
			"subject-checksums: dist/SHA256SUMS\n",
			"id-token: write",
		},
	} {
		text := install
		if file != "README.md's Install" {
			text = read(file)
		}
		for _, want := range wants {
			if !strings.Contains(text, want) {
				t.Errorf("%s has no %q", file, want)
			}
		}
	}
}
