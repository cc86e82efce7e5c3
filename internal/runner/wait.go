package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/probe-sh/probe/internal/sanitize"
)

// firstDelay is the pause after the first failed round; it doubles each
// round up to Waiter.MaxDelay.
const firstDelay = 100 * time.Millisecond

// Waiter checks targets until each has passed once, pausing between rounds
// with capped exponential backoff: probe wait.
type Waiter struct {
	Targets  []Target
	Timeout  time.Duration // for the whole wait
	Options  Options       // Timeout bounds each attempt; Marker is ignored: a dependency is not this container
	MaxDelay time.Duration // the longest pause between rounds
	Out      io.Writer     // progress; nil for none
	Live     bool          // Out is a terminal: redraw a status block in place instead of logging changes
}

// Wait returns once every target has passed, or when ctx ends, with an error
// that names each target still failing and why. The report holds each
// target's latest result.
func (w *Waiter) Wait(ctx context.Context) (*Report, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	n := len(w.Targets)
	report := &Report{State: Unhealthy, Timeout: w.Timeout, Results: make([]Result, n)}
	passed, attempts := make([]bool, n), make([]int, n)
	delay := firstDelay
	ticker := time.NewTicker(250 * time.Millisecond)
	defer ticker.Stop()
	for round := 0; ; round++ {
		var pending []int
		var targets []Target
		for i, ok := range passed {
			if !ok {
				pending, targets = append(pending, i), append(targets, w.Targets[i])
			}
		}
		opt := w.Options
		opt.Marker = ""
		if deadline, ok := ctx.Deadline(); ok {
			opt.Timeout = min(opt.Timeout, time.Until(deadline))
		}
		if opt.Timeout > 0 && ctx.Err() == nil {
			r := Run(ctx, targets, opt)
			for k, i := range pending {
				res := r.Results[k]
				attempts[i]++
				res.Attempts, res.Duration = attempts[i], time.Since(start)
				report.Results[i] = res
				passed[i] = res.State == Healthy
				if !w.Live {
					w.logChange(res)
				}
			}
		}
		report.Duration = time.Since(start)
		w.draw(report, passed, round > 0)
		if count(passed, false) == 0 {
			report.State = Healthy
			return report, nil
		}
		timer := time.NewTimer(delay)
	sleep:
		for {
			select {
			case <-timer.C:
				break sleep
			case <-ticker.C:
				report.Duration = time.Since(start)
				w.draw(report, passed, true)
			case <-ctx.Done():
				timer.Stop()
				return report, w.gaveUp(ctx, report, passed, time.Since(start))
			}
		}
		delay = min(delay*2, max(w.MaxDelay, firstDelay))
	}
}

func count(bs []bool, want bool) int {
	n := 0
	for _, b := range bs {
		if b == want {
			n++
		}
	}
	return n
}

// logChange writes a line when a target is first seen failing and when it
// passes: one line per change of state, for logs.
func (w *Waiter) logChange(r Result) {
	switch {
	case w.Out == nil:
	case r.State == Healthy:
		fmt.Fprintln(w.Out, sanitize.Printable(fmt.Sprintf("probe: %s is healthy after %s (%s): %s", r.Target, Round(r.Duration), plural(r.Attempts, "attempt"), r.Detail)))
	case r.Attempts == 1:
		fmt.Fprintln(w.Out, sanitize.Printable(fmt.Sprintf("probe: waiting for %s: %s", r.Target, r.Detail)))
	}
}

// draw redraws the live status block: one line for the run, one per target.
func (w *Waiter) draw(r *Report, passed []bool, again bool) {
	if !w.Live || w.Out == nil {
		return
	}
	var b strings.Builder
	if again {
		fmt.Fprintf(&b, "\x1b[%dA", len(r.Results)+1)
	}
	fmt.Fprintf(&b, "\r\x1b[Kprobe: waiting %s for %d of %d target(s)\n", Round(r.Duration), count(passed, false), len(passed))
	for i, res := range r.Results {
		line := "  .. " + w.Targets[i].Name + ": not checked yet"
		switch {
		case passed[i]:
			line = fmt.Sprintf("  ok %s: %s after %s", res.Target, res.Detail, plural(res.Attempts, "attempt"))
		case res.Attempts > 0:
			line = fmt.Sprintf("  .. %s: attempt %d: %s", res.Target, res.Attempts, res.Detail)
		}
		b.WriteString("\r\x1b[K" + sanitize.Clip(sanitize.Printable(line), 160) + "\n")
	}
	io.WriteString(w.Out, b.String())
}

func (w *Waiter) gaveUp(ctx context.Context, r *Report, passed []bool, took time.Duration) error {
	var failing []string
	for i, res := range r.Results {
		if passed[i] {
			continue
		}
		if res.Attempts == 0 {
			failing = append(failing, w.Targets[i].Name+" was never checked")
			continue
		}
		failing = append(failing, fmt.Sprintf("%s is still unhealthy after %s: %s", res.Target, plural(res.Attempts, "attempt"), res.Detail))
	}
	why := fmt.Sprintf("gave up after %s (--timeout %s)", Round(took), w.Timeout)
	if cause := context.Cause(ctx); !errors.Is(cause, context.DeadlineExceeded) {
		why = fmt.Sprintf("stopped after %s (%s)", Round(took), cause)
	}
	return fmt.Errorf("%s: %s", why, strings.Join(failing, "; "))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
