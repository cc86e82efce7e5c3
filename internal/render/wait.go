package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/probe-sh/probe/internal/logline"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/text"
	"github.com/probe-sh/probe/probe"
)

// WaitLog shows probe wait for a log: a line when a target is first seen
// failing, and one when it passes, so that a log holds each change of state
// and no more.
func WaitLog(log *logline.Logger) func(probe.WaitProgress) {
	return func(p probe.WaitProgress) {
		for _, i := range p.Checked {
			r := p.Results[i]
			switch {
			case r.State == probe.Healthy:
				log.Log(logline.Info, fmt.Sprintf("%s is healthy after %s (%s): %s", r.Target, text.Duration(r.Duration), text.Plural(r.Attempts, "attempt"), r.Detail),
					logline.Target(r.Target), logline.State(r.State.String()))
			case r.Attempts == 1:
				log.Log(logline.Info, fmt.Sprintf("waiting for %s: %s", r.Target, r.Detail), logline.Target(r.Target), logline.State(r.State.String()))
			}
		}
	}
}

// WaitLive shows probe wait on a terminal: a status block, one line for the
// wait and one per target, redrawn in place.
func WaitLive(w io.Writer) func(probe.WaitProgress) {
	drawn := false
	return func(p probe.WaitProgress) {
		var b strings.Builder
		if drawn {
			fmt.Fprintf(&b, "\x1b[%dA", len(p.Results)+1) // back to the block's first line
		}
		drawn = true
		waiting := 0
		for _, ok := range p.Passed {
			if !ok {
				waiting++
			}
		}
		fmt.Fprintf(&b, "\r\x1b[Kprobe: waiting %s for %d of %d target(s)\n", text.Duration(p.Elapsed), waiting, len(p.Passed))
		for i, res := range p.Results {
			line := "  .. " + res.Target + ": not checked yet"
			switch {
			case p.Passed[i]:
				line = fmt.Sprintf("  ok %s: %s after %s", res.Target, res.Detail, text.Plural(res.Attempts, "attempt"))
			case res.Attempts > 0:
				line = fmt.Sprintf("  .. %s: attempt %d: %s", res.Target, res.Attempts, res.Detail)
			}
			b.WriteString("\r\x1b[K" + sanitize.Clip(sanitize.Printable(line), 160) + "\n")
		}
		io.WriteString(w, b.String())
	}
}
