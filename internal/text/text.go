// Package text writes the counts and durations of probe's messages, the same
// way everywhere: "1 attempt", "3 attempts"; "0.42ms", "12.3ms", "1.02s"; and
// the columns of its tables (Table).
package text

import (
	"strconv"
	"time"
)

// Plural writes n and word, with an s unless n is 1: "1 attempt", "2 attempts".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// Duration writes d for people, to about three figures: 0.42ms, 12.3ms,
// 1.02s. Phase timings, check durations and timeouts are all written so.
func Duration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + "ms"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) + "ms"
	default:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
	}
}

// Size writes a number of bytes for reading, to three significant figures:
// 100B, 9.10MiB, 512KiB.
func Size(n int64) string {
	v, units := float64(n), []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for ; v >= 1024 && i < len(units)-1; i++ {
		v /= 1024
	}
	switch {
	case i == 0 || v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64) + units[i]
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64) + units[i]
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + units[i]
}

// Present says since when something has been there, to the second: "present
// for 12s". A time in the future (a clock set back, or a file touched by
// hand) is named as such, not as a negative age.
func Present(since time.Time) string {
	age := time.Since(since).Round(time.Second)
	if age < 0 {
		return "present, but dated " + (-age).String() + " in the future (is the clock right?)"
	}
	return "present for " + age.String()
}

// Days writes d as certificate lifetimes and file ages are thought of:
// whole days as 14d, anything else as Go does (36h0m0s, 30s).
func Days(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}
