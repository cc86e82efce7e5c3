package probe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/probe-sh/probe/internal/text"
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

	// Progress, when set, is called after each round of checks, with the
	// targets it checked, and every 250ms between rounds, with none: probe
	// wait logs each change of state from it, or redraws a status block on
	// a terminal (package render). It runs on the Waiter's goroutine.
	Progress func(WaitProgress)
}

// WaitProgress is where a wait stands.
type WaitProgress struct {
	Elapsed time.Duration
	// Results holds each target's latest result, in the order given; a
	// target not checked yet has its name and no attempts.
	Results []Result
	Passed  []bool // which targets have passed
	Checked []int  // the targets this round checked, by index; none between rounds
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
	for i, t := range w.Targets {
		report.Results[i] = Result{Target: t.Name, Kind: t.Kind}
	}
	passed, attempts := make([]bool, n), make([]int, n)
	delay := firstDelay
	ticker := time.NewTicker(250 * time.Millisecond)
	defer ticker.Stop()
	for {
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
			}
		}
		report.Duration = time.Since(start)
		w.progress(report, passed, pending)
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
				w.progress(report, passed, nil)
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

// progress tells Progress where the wait stands.
func (w *Waiter) progress(r *Report, passed []bool, checked []int) {
	if w.Progress != nil {
		w.Progress(WaitProgress{Elapsed: r.Duration, Results: r.Results, Passed: passed, Checked: checked})
	}
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
		failing = append(failing, fmt.Sprintf("%s is still unhealthy after %s: %s", res.Target, text.Plural(res.Attempts, "attempt"), res.Detail))
	}
	cause := context.Cause(ctx)
	why := fmt.Sprintf("gave up after %s", text.Duration(took))
	if !errors.Is(cause, context.DeadlineExceeded) {
		why = fmt.Sprintf("stopped after %s (%s)", text.Duration(took), cause)
	}
	return &waitError{msg: why + ": " + strings.Join(failing, "; "), cause: cause}
}

// waitError is why a wait ended before every target passed; it unwraps to
// the context's cause: context.DeadlineExceeded once Timeout has passed.
type waitError struct {
	msg   string
	cause error
}

func (e *waitError) Error() string { return e.msg }

func (e *waitError) Unwrap() error { return e.cause }
