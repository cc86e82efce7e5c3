package drainend

import (
	"testing"
	"time"
)

const ms = time.Millisecond

func TestDecide(t *testing.T) {
	b := Bounds{Min: 2 * time.Second, Max: 8 * time.Second, Quiet: 500 * ms}
	for _, c := range []struct {
		name                         string
		elapsed, since, longestPause time.Duration
		inFlight                     int
		want                         Verdict
	}{
		{"quiet, nothing in flight, past the minimum", 2500 * ms, 600 * ms, 0, 0, Quiet},
		{"quiet, but before the minimum", 1900 * ms, time.Minute, 0, 0, Wait},
		{"at the minimum exactly", 2 * time.Second, time.Minute, 0, 0, Quiet},
		{"a request in flight", 3 * time.Second, time.Second, 0, 1, Wait},
		{"not quiet long enough", 3 * time.Second, 400 * ms, 0, 0, Wait},
		{"a pause of 1s seen: 2s of quiet needed", 4 * time.Second, 1500 * ms, time.Second, 0, Wait},
		{"a pause of 1s seen, 2s quiet", 4 * time.Second, 2 * time.Second, time.Second, 0, Quiet},
		{"a pause of 10s seen: the quiet period is within the maximum", 7 * time.Second, 7 * time.Second, 10 * time.Second, 0, Wait},
		{"the maximum, with a request in flight", 8 * time.Second, 0, 0, 3, AtMaximum},
		{"past the maximum, quiet", 9 * time.Second, time.Minute, 0, 0, AtMaximum},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := b.Decide(c.elapsed, c.since, c.longestPause, c.inFlight); got != c.want {
				t.Errorf("Decide(%s, %s, %s, %d) = %d, want %d", c.elapsed, c.since, c.longestPause, c.inFlight, got, c.want)
			}
		})
	}
}

// Next names the moment Decide changes its mind when nothing happens: one
// step before it Decide still waits, at it Decide is over.
func TestNext(t *testing.T) {
	b := Bounds{Min: 2 * time.Second, Max: 8 * time.Second, Quiet: 500 * ms}
	for _, c := range []struct {
		name                         string
		elapsed, since, longestPause time.Duration
		want                         time.Duration
	}{
		{"before the minimum, long quiet", 500 * ms, time.Minute, 0, 1500 * ms},
		{"past the minimum, quiet for 200ms", 3 * time.Second, 200 * ms, 0, 300 * ms},
		{"a pause of 1s seen", 3 * time.Second, 200 * ms, time.Second, 1800 * ms},
		{"quiet never long enough before the maximum", 7 * time.Second, 0, 10 * time.Second, time.Second},
		{"already over", 3 * time.Second, time.Second, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := b.Next(c.elapsed, c.since, c.longestPause)
			if got != c.want {
				t.Fatalf("Next(%s, %s, %s) = %s, want %s", c.elapsed, c.since, c.longestPause, got, c.want)
			}
			if got > 0 && b.Decide(c.elapsed+got-ms, c.since+got-ms, c.longestPause, 0) != Wait {
				t.Errorf("over before Next")
			}
			if b.Decide(c.elapsed+got, c.since+got, c.longestPause, 0) == Wait {
				t.Errorf("still waiting at Next")
			}
		})
	}
}

func TestPause(t *testing.T) {
	b := Bounds{Max: 8 * time.Second}
	start := time.Unix(1_700_000_000, 0)
	for _, c := range []struct {
		name     string
		from, to time.Time
		want     time.Duration
	}{
		{"during the drain", start.Add(time.Second), start.Add(3 * time.Second), 2 * time.Second},
		{"began shortly before", start.Add(-time.Second), start.Add(time.Second), 2 * time.Second},
		{"began a minute before: an idle pool", start.Add(-time.Minute), start.Add(time.Second), 0},
		{"nothing seen before", time.Time{}, start.Add(time.Second), 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := b.Pause(c.from, c.to, start); got != c.want {
				t.Errorf("Pause = %s, want %s", got, c.want)
			}
		})
	}
}
