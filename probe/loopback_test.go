package probe

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/kinds"
	"github.com/probe-sh/probe/internal/netpolicy"
)

// TestLoopbackOnlyEveryKind: under --loopback-only (the context's policy),
// a target of every network kind, at every scheme, whose address is not
// loopback is refused at once, by dialNet (checks/dial.go), before any
// packet: its error unwraps to netpolicy.ErrNotLoopback, in the connect
// phase. A new kind is in the table, so in this test. (That nothing leaves
// is measured on a veth by TestLoopbackOnlySendsNothing, the root
// package's.)
func TestLoopbackOnlyEveryKind(t *testing.T) {
	ctx := netpolicy.WithLoopbackOnly(context.Background())
	n := 0
	for _, k := range kinds.All() {
		if k.Local {
			continue
		}
		for _, s := range k.Schemes {
			for _, host := range []string{"10.255.255.1", "[::ffff:10.255.255.1]", "0.0.0.0", "[2001:db8::1]"} {
				raw := s.Name + "://" + host + ":9"
				if k.Name == "dns" {
					raw += "/probe.test"
				}
				target, err := ParseTarget(raw)
				if err != nil {
					t.Errorf("%s: %v", raw, err)
					continue
				}
				start := time.Now()
				r := Run(ctx, []Target{target}, Options{Timeout: 10 * time.Second}).Results[0]
				n++
				phase := "connect"
				if k.Name == "dns" {
					phase = "reply" // over UDP, the query's phase
				}
				if !errors.Is(r.err, netpolicy.ErrNotLoopback) || r.Phase != phase || !strings.Contains(r.Detail, "is not a loopback address: refused, nothing sent") {
					t.Errorf("%s: %s in phase %q (%v); want refused as not loopback, in the %s phase", raw, r.Detail, r.Phase, r.err, phase)
				}
				if took := time.Since(start); took > 5*time.Second {
					t.Errorf("%s: refused only after %s: it waited on something", raw, took)
				}
			}
		}
	}
	t.Logf("%d targets refused", n)
}
