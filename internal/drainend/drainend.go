// Package drainend is the one rule that ends an adaptive drain, shared by
// probe exec (which sees the app's traffic from the kernel: package
// supervise) and probe.Drain (which sees it from the server's own
// connection states, inside the app): once no request is in flight and the
// traffic has been quiet long enough, but never before the minimum, and
// always at the maximum.
package drainend

import "time"

// The defaults of both drains. The minimum covers a balancer that checks
// every second and lets go after two failures (HAProxy's inter 1s fall 2,
// the rolling-restart test), for an app idle when the drain begins; under
// load the drain sees the traffic itself. The maximum leaves 2s of Docker's
// default 10s stop timeout for the app's own shutdown.
const (
	DefaultMin   = 2 * time.Second
	DefaultMax   = 8 * time.Second
	DefaultQuiet = 500 * time.Millisecond
)

// Bounds are a drain's minimum, maximum and quiet period.
type Bounds struct{ Min, Max, Quiet time.Duration }

// Verdict is what Decide says of a drain at one moment.
type Verdict int

const (
	Wait      Verdict = iota // not over yet
	Quiet                    // over: past the minimum, nothing in flight, quiet long enough
	AtMaximum                // over: the maximum has come, whatever is in flight
)

// QuietFor is how long the traffic must have been quiet: Quiet, or twice
// the longest pause seen during the drain, within Max. An app that gets a
// request every 2s is not quiet after half a second without one.
func (b Bounds) QuietFor(longestPause time.Duration) time.Duration {
	return max(b.Quiet, min(2*longestPause, b.Max))
}

// Decide says whether a drain that began elapsed ago is over, with
// inFlight requests in flight, the last traffic since ago, and longestPause
// the longest pause in the traffic seen during the drain (Pause).
func (b Bounds) Decide(elapsed, since, longestPause time.Duration, inFlight int) Verdict {
	switch {
	case elapsed >= b.Max:
		return AtMaximum
	case elapsed < b.Min || inFlight > 0 || since < b.QuietFor(longestPause):
		return Wait
	}
	return Quiet
}

// Next is how long after elapsed the verdict may change if nothing else
// happens (no request comes, none in flight ends): when to decide again.
func (b Bounds) Next(elapsed, since, longestPause time.Duration) time.Duration {
	at := max(b.Min, elapsed+b.QuietFor(longestPause)-since)
	return max(min(at, b.Max)-elapsed, 0)
}

// Pause is the pause in the traffic from from to to that counts toward the
// longest: one that began during the drain, which began at start, or
// shortly before (within Max); an idle pool's last request a minute before
// says nothing of the rate. Zero when it does not count.
func (b Bounds) Pause(from, to, start time.Time) time.Duration {
	if from.IsZero() || !from.After(start.Add(-b.Max)) {
		return 0
	}
	return to.Sub(from)
}
