package kinds

import (
	"fmt"
	"testing"
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
