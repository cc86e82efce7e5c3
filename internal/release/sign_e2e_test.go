//go:build e2e

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// checkSignature signs make release's SHA256SUMS as the release workflow
// does, with the cosign .ci/run installs (the version the workflow installs),
// but with a throwaway key pair in place of keyless signing: no Fulcio
// certificate, no Rekor entry, and no network at all when this machine can
// make a network namespace. The signature must verify with the public key,
// and must not verify a SHA256SUMS with one byte changed.
func checkSignature(t *testing.T, dist string) {
	cosign := requireTool(t, "cosign", "go install "+cosignModule, "signing SHA256SUMS")
	dir := t.TempDir()
	sums := filepath.Join(dist, "SHA256SUMS")
	tampered := filepath.Join(dir, "SHA256SUMS")
	b, err := os.ReadFile(sums)
	if err != nil {
		t.Fatal(err)
	}
	b[0] ^= 1 // a hex digit of the first checksum: 0 and 1, 2 and 3...
	if err := os.WriteFile(tampered, b, 0o644); err != nil {
		t.Fatal(err)
	}

	// cosign writes its TUF cache and config under HOME: a home of its own,
	// and no network to reach anything with.
	prefix := []string{cosign}
	if out, err := exec.Command("unshare", "--net", "true").CombinedOutput(); err == nil {
		prefix = []string{"unshare", "--net", cosign}
	} else {
		t.Logf("cosign runs with the network (unshare --net: %v %s)", err, bytes.TrimSpace(out))
	}
	cosignRun := func(args ...string) (string, error) {
		cmd := exec.Command(prefix[0], append(prefix[1:], args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+dir, "COSIGN_PASSWORD=throwaway", "TUF_ROOT="+filepath.Join(dir, "tuf"))
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := cosignRun(args...)
		if err != nil {
			t.Fatalf("cosign %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	version := must("version")
	must("generate-key-pair") // cosign.key (encrypted with COSIGN_PASSWORD), cosign.pub
	must("sign-blob", "--yes", "--key", "cosign.key", "--tlog-upload=false", "--output-signature", "SHA256SUMS.sig", sums)
	verify := []string{"verify-blob", "--key", "cosign.pub", "--insecure-ignore-tlog=true", "--signature", "SHA256SUMS.sig"}
	if out := must(append(verify, sums)...); !strings.Contains(out, "Verified OK") {
		t.Errorf("cosign verify-blob of make release's SHA256SUMS: exit 0 but no \"Verified OK\":\n%s", out)
	}
	out, err := cosignRun(append(verify, tampered)...)
	if err == nil {
		t.Fatalf("cosign verify-blob accepted a SHA256SUMS with one byte changed:\n%s", out)
	}
	if !strings.Contains(out, "invalid signature") {
		t.Errorf("cosign verify-blob of the changed SHA256SUMS failed, but not for its signature:\n%s", out)
	}
	t.Logf("cosign %s: SHA256SUMS signed with a throwaway key and verified; one byte changed, verify-blob says: %s",
		strings.TrimSpace(field(version, "GitVersion:")), lastLine(out))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
