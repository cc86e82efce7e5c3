package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParsePerf(t *testing.T) {
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	// Real perf stat -x, -o output, captured on the bench machine (perf
	// 6.1): -r 5, a single run, and -r 5 with cycles, which a VM without a
	// PMU prints as <not supported>.
	r5, r1, cycles := read("perf-version-r5.txt"), read("perf-version-r1.txt"), read("perf-cycles-not-supported.txt")
	for _, tc := range []struct {
		name, out string
		want      perfCounts
		err       string
	}{
		{name: "mean of 5 runs", out: r5, want: perfCounts{PageFaults: 329, TaskClockMS: 8.93}},
		{name: "one run, no variance column", out: r1, want: perfCounts{PageFaults: 319, TaskClockMS: 10.47}},
		{name: "a count perf cannot take", out: cycles, err: "perf could not count cycles here: it printed <not supported>"},
		// The line as perf prints an event it could not schedule.
		{name: "page faults not counted", out: strings.Replace(r5, "329,", "<not counted>,", 1), err: "perf could not count page-faults here: it printed <not counted>"},
		{name: "task-clock not supported", out: strings.Replace(r5, "8.93,", "<not supported>,", 1), err: "perf could not count task-clock here: it printed <not supported>"},
		{name: "no task-clock line", out: strings.Split(r5, "8.93,")[0], err: "perf printed no page-faults or no task-clock count"},
		{name: "nothing", out: "", err: "perf printed no page-faults or no task-clock count"},
		{name: "not a number", out: strings.Replace(r5, "329,", "many,", 1), err: `perf printed "many" for page-faults, not a count`},
		{name: "task-clock in another unit", out: strings.Replace(r5, ",msec,", ",usec,", 1), err: `perf printed task-clock in "usec", not msec`},
		{name: "not CSV", out: "Performance counter stats for 'probe':\n", err: "not value,unit,event"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parsePerf([]byte(tc.out))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("parsePerf = %+v, %v; want one line with %q", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("parsePerf = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
