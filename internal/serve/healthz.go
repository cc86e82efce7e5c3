package serve

import (
	"slices"
	"strconv"
	"strings"

	"github.com/probe-sh/probe/internal/monitor"
	"github.com/probe-sh/probe/internal/patched/fasthttp"
	"github.com/probe-sh/probe/probe"
)

// namedCheck is one line of a verbose answer: a check's name and whether it
// passes.
type namedCheck struct {
	name string
	ok   bool
}

// readyChecks are /readyz's checks, as kube-apiserver names its own where
// it can: ping (the process answers), shutdown (no drain, no marker), then
// each target, which passes while it is up and, after a marker has gone,
// once a fresh check has passed. They say the same as the Verdict made from
// the same statuses: when it is not ready and none of them failed (the
// marker could not be read), shutdown is the one that did.
func (s *Server) readyChecks(statuses []monitor.Status, v Verdict) []namedCheck {
	out := make([]namedCheck, 0, 2+len(statuses))
	out = append(out, namedCheck{"ping", true}, namedCheck{"shutdown", !v.Draining})
	from := s.recheckFrom.Load()
	for _, st := range statuses {
		ok := st.Up
		if from != 0 && (st.Last == nil || st.CheckedAt.Add(-st.Last.Duration).UnixNano() < from || st.Last.State != probe.Healthy) {
			ok = false
		}
		out = append(out, namedCheck{st.Target, ok || v.Ready})
	}
	if !v.Ready && !slices.ContainsFunc(out, func(c namedCheck) bool { return !c.ok }) {
		out[1].ok = false
	}
	return out
}

// verbose answers /readyz?verbose, /livez?verbose or /healthz?verbose as
// kube-apiserver's healthz package writes them (k8s.io/apiserver's
// handleRootHealth), byte for byte: "[+]name ok" or "[-]name failed:
// reason withheld" per check, "[+]name excluded: ok" for one ?exclude=
// names, a warning for the exclusions that match none, and "readyz check
// passed" or "readyz check failed". The reasons are withheld, as there, on
// an endpoint any client can read; the plain /readyz says why in one line.
// The status is probe's: 200, or 503 where kube-apiserver answers 500.
func verbose(c *fasthttp.RequestCtx, name string, checks []namedCheck) {
	excluded := map[string]bool{}
	for _, e := range c.QueryArgs().PeekMulti("exclude") {
		excluded[string(e)] = true
	}
	var b strings.Builder
	failed := false
	for _, ch := range checks {
		switch {
		case excluded[ch.name]:
			delete(excluded, ch.name)
			b.WriteString("[+]" + ch.name + " excluded: ok\n")
		case ch.ok:
			b.WriteString("[+]" + ch.name + " ok\n")
		default:
			failed = true
			b.WriteString("[-]" + ch.name + " failed: reason withheld\n")
		}
	}
	if len(excluded) > 0 {
		unknown := make([]string, 0, len(excluded))
		for e := range excluded {
			unknown = append(unknown, e)
		}
		slices.Sort(unknown)
		for i, e := range unknown {
			unknown[i] = strconv.Quote(e)
		}
		b.WriteString("warn: some health checks cannot be excluded: no matches for " + strings.Join(unknown, ",") + "\n")
	}
	code := fasthttp.StatusOK
	if failed {
		code = fasthttp.StatusServiceUnavailable
		b.WriteString(name + " check failed\n")
	} else {
		b.WriteString(name + " check passed\n")
	}
	c.Response.Header.Set("X-Content-Type-Options", "nosniff")
	text(c, code, b.String())
}
