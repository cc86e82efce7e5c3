package probe

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
)

// checksPhases finds every phase constant in package checks' source: the
// values a trace's phase may take.
func checksPhases(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("../checks/*.go")
	if err != nil {
		t.Fatal(err)
	}
	decl := regexp.MustCompile(`(?m)^\s*(?:const\s+)?(Phase\w+)\s*=\s*"([^"]+)"`)
	phases := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			phases[m[1]] = m[2]
		}
	}
	if len(phases) < 10 {
		t.Fatalf("found %d phase constants in ../checks: %v", len(phases), phases)
	}
	return phases
}

// stuckIn enters a phase and waits there for the deadline.
type stuckIn string

func (s stuckIn) Run(ctx context.Context, tr *checks.Trace) (string, error) {
	tr.Enter(string(s))
	<-ctx.Done()
	return "", ctx.Err()
}

// TestEveryPhaseHasWords: a timeout names the phase it hit, in words, for
// every phase a check may be in: a new phase cannot reach a timeout
// message unnamed.
func TestEveryPhaseHasWords(t *testing.T) {
	t.Parallel()
	for name, phase := range checksPhases(t) {
		r := Run(context.Background(), []Target{{Name: "x", Check: stuckIn(phase)}}, Options{Timeout: 20 * time.Millisecond})
		d := r.Results[0].Detail
		if !strings.HasPrefix(d, "timeout after ") || strings.Contains(d, "before the check finished") {
			t.Errorf("checks.%s (%q): the timeout says %q, which does not name the phase", name, phase, d)
		}
	}
}
