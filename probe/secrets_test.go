package probe_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/probe"
)

// noting is a check that records what a peer controls in a note (a TLS
// certificate's name, say) and fails.
type noting string

func (n noting) Run(_ context.Context, tr *checks.Trace) (string, error) {
	tr.SetNote("tls", string(n))
	return string(n), nil
}

// TestRunMasksNotes: -v's notes are the peer's text too (a certificate's
// name, which a server that has seen the token once can choose): masked as
// every detail and reply is.
func TestRunMasksNotes(t *testing.T) {
	t.Parallel()
	note := `TLS 1.3, certificate for "Tk9\u0026zQ\u003c7.example" expires 2030-01-01`
	r := runBounded(t, []probe.Target{{Name: "t", Kind: "test", Check: noting(note)}}, probe.Options{Timeout: time.Second, Secrets: []string{"Tk9&zQ<7"}})
	res := r.Results[0]
	if len(res.Notes) != 1 || strings.Contains(res.Notes[0].Value, "Tk9") || !strings.Contains(res.Notes[0].Value, `"***.example"`) {
		t.Errorf("notes: %q", res.Notes)
	}
	if strings.Contains(res.Detail, "Tk9") {
		t.Errorf("detail: %q", res.Detail)
	}
}
