package checks_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/probe-sh/probe/checks"
)

// TestPhasesAreListed finds every phase constant in the package's source
// and wants it in checks.Phases, so that a new phase cannot reach a
// timeout message unnamed.
func TestPhasesAreListed(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	decl := regexp.MustCompile(`(?m)^\s*(?:const\s+)?Phase\w+\s*=\s*"([^"]+)"`)
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			found++
			if !slices.Contains(checks.Phases, m[1]) {
				t.Errorf("phase %q (%s) is not in checks.Phases", m[1], f)
			}
		}
	}
	if found != len(checks.Phases) {
		t.Errorf("found %d phase constants, checks.Phases has %d", found, len(checks.Phases))
	}
}
