package kinds

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/probe-sh/probe/internal/sanitize"
)

// TestEveryKindIsNumbered: a template is matched to its kind by typeOf,
// which must know the check of every row (a row it did not know would
// refuse its own template), and tell apart checks of different types.
func TestEveryKindIsNumbered(t *testing.T) {
	byType := map[string]int{}
	for _, k := range table {
		n := typeOf(k.zero)
		if n == 0 {
			t.Errorf("kind %s: typeOf does not know %T", k.Name, k.zero)
		}
		name := fmt.Sprintf("%T", k.zero)
		if seen, ok := byType[name]; ok && seen != n {
			t.Errorf("%T numbered %d and %d", k.zero, seen, n)
		}
		byType[name] = n
		for other, m := range byType {
			if other != name && m == n {
				t.Errorf("%s and %s share %d", name, other, n)
			}
		}
	}
}

// TestOmittedKind: a row whose impl a probe_omit_ tag left zero refuses its
// targets with one line that names the kind (not an unknown scheme), drops
// its schemes from the lists, and Built says so. The row is emptied here,
// as the tag empties it (TestLiteBuild in the root package builds with the
// tags).
func TestOmittedKind(t *testing.T) {
	kind, _, _ := Lookup("grpc")
	saved := kind.impl
	kind.impl = &impl{}
	t.Cleanup(func() { kind.impl = saved })

	if in, out := Built(); !slices.Equal(out, []string{"grpc"}) || slices.Contains(in, "grpc") || !slices.Contains(in, "http") {
		t.Errorf("Built() = %v, %v; want grpc alone left out", in, out)
	}
	if slices.Contains(Schemes(), "grpcs") || !slices.Contains(Schemes(), "https") {
		t.Errorf("Schemes() = %v: want grpcs left out and https in", Schemes())
	}
	for _, raw := range []string{"grpc://127.0.0.1:50051", "GRPCS://user:secret@example.com"} {
		_, err := Parse[Check](raw, nil)
		want := `target "` + sanitize.RedactText(raw) + `": this build of probe leaves out the grpc kind: use the full build`
		if err == nil || err.Error() != want || strings.Contains(err.Error(), "secret") {
			t.Errorf("Parse(%q) = %v\nwant %s", raw, err, want)
		}
	}
	if _, err := Parse[Check]("http://127.0.0.1:8080/", nil); err != nil {
		t.Errorf("an http target in a build without grpc: %v", err)
	}
	if in, out := func() ([]string, []string) { kind.impl = saved; return Built() }(); in != nil || out != nil {
		t.Errorf("Built() of the full table = %v, %v; want nothing", in, out)
	}
}
