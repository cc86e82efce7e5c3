package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// perfCounts is what perf stat reports for one command: the mean of its
// -r runs, as perf prints it.
type perfCounts struct {
	PageFaults  float64
	TaskClockMS float64
}

// perfStat runs argv -rss-runs times under perf stat, with env as its
// whole environment, and returns the mean page faults and task-clock. The
// counts go to a file of their own, so that the tool's stderr cannot mix
// with them. A command that fails, or a count perf could not take, ends
// the run with one line.
func perfStat(work string, env []string, argv []string) perfCounts {
	out := filepath.Join(work, "perf.csv")
	args := append([]string{"stat", "-x,", "-o", out, "-r", strconv.Itoa(*rssRuns), "-e", "page-faults,task-clock", "--"}, argv...)
	cmd := exec.Command("perf", args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("perf stat %v: %v: %s", argv, err, strings.TrimSpace(stderr.String()))
	}
	data, err := os.ReadFile(out)
	if err != nil {
		log.Fatal(err)
	}
	c, err := parsePerf(data)
	if err != nil {
		log.Fatalf("perf stat %v: %v", argv, err)
	}
	return c
}

// parsePerf reads perf stat -x, output: a line per event, "value,unit,
// event,..." (with -r, the mean of the runs), and lines of comments. Both
// page-faults and task-clock must be there with a number: a count perf
// prints as <not supported> or <not counted> is an error, never a zero.
func parsePerf(data []byte) (perfCounts, error) {
	var c perfCounts
	var faults, clock bool
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) < 3 {
			return c, fmt.Errorf("perf printed %q, not value,unit,event", line)
		}
		value, unit := f[0], f[1]
		event, _, _ := strings.Cut(f[2], ":") // page-faults:u names the same count
		if strings.HasPrefix(value, "<") {
			return c, fmt.Errorf("perf could not count %s here: it printed %s", event, value)
		}
		n, err := strconv.ParseFloat(value, 64)
		if err != nil || n < 0 {
			return c, fmt.Errorf("perf printed %q for %s, not a count", value, event)
		}
		switch event {
		case "page-faults", "faults":
			c.PageFaults, faults = n, true
		case "task-clock":
			if unit != "msec" {
				return c, fmt.Errorf("perf printed task-clock in %q, not msec", unit)
			}
			c.TaskClockMS, clock = n, true
		}
	}
	if !faults || !clock {
		return c, fmt.Errorf("perf printed no page-faults or no task-clock count: %q", strings.TrimSpace(string(data)))
	}
	return c, nil
}
