package main

import (
	"fmt"
	"html"
	"slices"
	"strings"
)

func (r *report) find(checkName, toolName string) (result, bool) {
	for _, c := range r.Checks {
		if c.Name != checkName {
			continue
		}
		for _, res := range c.Results {
			if res.Tool == toolName {
				return res, true
			}
		}
	}
	return result{}, false
}

// markdown is bench/results/bench.md: every figure of this run, the one
// copy of them (docs/benchmarks.md says how they are measured).
func (r *report) markdown() string {
	var b strings.Builder
	write(&b, "Measured on %s on %s, %s, %s with `make bench`, in one run: the tools side by side, each figure from the same run. Wall times are the median of %d interleaved rounds of hyperfine runs (%d runs a tool in all); CPU is hyperfine's mean user+sys; task-clock and page faults are `perf stat`'s mean of %d runs; peak RSS is GNU time's, median of %d runs; instructions are callgrind's count, median of 3 runs.\n\n",
		r.Date, r.CPU, r.MachineKind, r.Machine, rounds, r.Runs, r.RSSRuns, r.RSSRuns)
	for _, c := range r.Checks {
		title := c.Name + " check on loopback"
		if c.Name == "Start-up" {
			title = "Start-up, no check"
		}
		write(&b, "**%s**", title)
		if c.Note != "" {
			write(&b, " (%s)", c.Note)
		}
		b.WriteString("\n\n| tool | wall, median | CPU user+sys, mean | task-clock, mean | peak RSS, median | page faults, mean | instructions |\n|---|---|---|---|---|---|---|\n")
		base := c.Results[0]
		for _, res := range c.Results {
			ratio := func(v, p float64) string {
				if res.Tool == base.Tool || v == 0 {
					return ""
				}
				return fmt.Sprintf(" (probe %.2fx)", p/v)
			}
			write(&b, "| %s | %.2f ms%s | %.2f ms%s | %.2f ms%s | %.1f MB%s | %.0f%s | %.2f M%s |\n", res.Tool,
				res.WallMS, ratio(res.WallMS, base.WallMS), res.CPUMS, ratio(res.CPUMS, base.CPUMS),
				res.TaskClockMS, ratio(res.TaskClockMS, base.TaskClockMS),
				float64(res.RSSKB)/1000, ratio(float64(res.RSSKB), float64(base.RSSKB)),
				res.PageFaults, ratio(res.PageFaults, base.PageFaults),
				float64(res.Instructions)/1e6, ratio(float64(res.Instructions), float64(base.Instructions)))
		}
		b.WriteString("\n")
	}

	p, _ := r.find("HTTP", "probe")
	curl, _ := r.find("HTTP", "curl")
	hello, _ := r.find("HTTP", "Go hello world")
	version, _ := r.find("Start-up", "probe --version")
	goal := func(name string, got, limit float64, format string) {
		verdict := "met"
		if got > limit {
			verdict = "**missed**"
		}
		write(&b, "| %s | "+format+" | %s |\n", name, got, verdict)
	}
	b.WriteString("**Goals** (issue 39; a healthy HTTP check, and start-up)\n\n| goal | measured | |\n|---|---|---|\n")
	goal("page faults of a healthy HTTP check at most 250", p.PageFaults, 250, "%.0f")
	goal("page faults of probe --version at most 220", version.PageFaults, 220, "%.0f")
	goal("peak RSS at most 4.5 MB", float64(p.RSSKB)/1000, 4.5, "%.1f MB")
	goal("wall time at most 2.0x a Go hello world", p.WallMS/hello.WallMS, 2.0, "%.2fx")
	goal("wall time at most 0.5x curl", p.WallMS/curl.WallMS, 0.5, "%.2fx")
	goal("CPU at most 0.5x curl", p.CPUMS/curl.CPUMS, 0.5, "%.2fx")
	goal("instructions of a healthy HTTP check at most 2.06 M", float64(p.Instructions)/1e6, 2.06, "%.2f M")
	goal("instructions of probe --version at most 1.5 M", float64(version.Instructions)/1e6, 1.5, "%.2f M")
	goal("binary at most 8 MiB (CI fails above 10 MiB)", float64(r.SizeBytes)/(1<<20), 8, "%.2f MiB")
	b.WriteString("\n")

	if len(r.GOMAXPROCS) > 0 {
		write(&b, "**Page faults and GOMAXPROCS**: probe under `perf stat`, the mean of %d runs each, with the environment as it is and with `GOMAXPROCS=1` in the command's environment. With more than one core the Go runtime starts a second P and thread before main runs.\n\n| command | environment | page faults, mean | task-clock, mean |\n|---|---|---|---|\n", r.RSSRuns)
		for _, g := range r.GOMAXPROCS {
			write(&b, "| %s | %s | %.0f | %.2f ms |\n", g.Command, g.Env, g.PageFaults, g.TaskClockMS)
		}
		b.WriteString("\n")
	}

	d := slices.Clone(r.DeadlineMS)
	slices.Sort(d)
	write(&b, "**Deadline**: `probe --timeout 1s` against a server that accepts and never answers exits after %.0f ms (median) and %.0f ms (worst) of %d runs.\n\n", median(d), d[len(d)-1], len(d))
	cc := slices.Clone(r.ConcurrencyMS)
	slices.Sort(cc)
	write(&b, "**Concurrency**: 16 targets that each answer after 200 ms take %.0f ms together (median of %d; worst %.0f ms), not 3.2 s.\n\n", median(cc), len(cc), cc[len(cc)-1])
	if r.Container != nil {
		write(&b, "**In a container**: the duration Docker records in `.State.Health.Log` for an exec-form HEALTHCHECK against the demo app, median of the last five: probe %.1f ms, curl %.1f ms (probe %.2fx), both images built here from root filesystems that hold only the app and the checker (curl with its libraries).\n\n",
			r.Container["probe"], r.Container["curl"], r.Container["probe"]/r.Container["curl"])
	} else {
		note := r.ContainerNote
		if note == "" {
			note = "not measured in this run (-docker=false)"
		}
		write(&b, "**In a container**: %s.\n\n", note)
	}
	write(&b, "**Size**: the static stripped binary is %d bytes (%.2f MiB). Its symbols by module (from the ELF symbols of an unstripped build: code, read-only data and data):\n\n| module | bytes |\n|---|---|\n", r.SizeBytes, float64(r.SizeBytes)/(1<<20))
	for _, m := range r.SizeByModule {
		write(&b, "| %s | %d |\n", m.Module, m.Bytes)
	}
	b.WriteString("\nVersions: ")
	var names []string
	for n := range r.Versions {
		names = append(names, n)
	}
	slices.Sort(names)
	for i, n := range names {
		if i > 0 {
			b.WriteString("; ")
		}
		write(&b, "%s", r.Versions[n])
	}
	b.WriteString(".\n")
	return b.String()
}

// svg draws the HTTP check: one group of bars per measure, one bar per
// tool, each measure scaled to its largest value.
func (r *report) svg() string {
	var c check
	for _, x := range r.Checks {
		if x.Name == "HTTP" {
			c = x
		}
	}
	colors := map[string]string{"probe": "#2b7a3d", "curl": "#c0392b", "busybox wget": "#7f8c8d", "GNU wget": "#2c3e8f", "Go hello world": "#b7950b"}
	measures := []struct {
		name  string
		value func(result) float64
		label func(result) string
	}{
		{"wall time, exec to exit", func(x result) float64 { return x.WallMS }, func(x result) string { return fmt.Sprintf("%.2f ms", x.WallMS) }},
		{"CPU, user+sys", func(x result) float64 { return x.CPUMS }, func(x result) string { return fmt.Sprintf("%.2f ms", x.CPUMS) }},
		{"peak RSS", func(x result) float64 { return float64(x.RSSKB) }, func(x result) string { return fmt.Sprintf("%.1f MB", float64(x.RSSKB)/1000) }},
		{"page faults", func(x result) float64 { return x.PageFaults }, func(x result) string { return fmt.Sprintf("%.0f", x.PageFaults) }},
		{"instructions", func(x result) float64 { return float64(x.Instructions) }, func(x result) string { return fmt.Sprintf("%.1f M", float64(x.Instructions)/1e6) }},
	}
	const left, barMax, barH, gap = 150.0, 420.0, 16.0, 4.0
	groupH := float64(len(c.Results))*(barH+gap) + 26
	height := 60 + float64(len(measures))*groupH + 30
	var b strings.Builder
	write(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="680" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", height)
	write(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	write(&b, `<text x="10" y="22" font-size="15" font-weight="bold">A healthy HTTP check on loopback: probe, curl, busybox wget, GNU wget; a Go hello world</text>`+"\n")
	write(&b, `<text x="10" y="40" fill="#555">%s; shorter is better</text>`+"\n", html.EscapeString(r.Date+", "+r.CPU+", "+r.MachineKind))
	y := 60.0
	for _, m := range measures {
		write(&b, `<text x="10" y="%.0f" font-weight="bold">%s</text>`+"\n", y+12, m.name)
		y += 20
		top := 0.0
		for _, x := range c.Results {
			top = max(top, m.value(x))
		}
		for _, x := range c.Results {
			w := 0.0
			if top > 0 {
				w = barMax * m.value(x) / top
			}
			write(&b, `<text x="%.0f" y="%.0f" text-anchor="end">%s</text>`, left-8, y+barH-4, html.EscapeString(x.Tool))
			write(&b, `<rect x="%.0f" y="%.0f" width="%.1f" height="%.0f" fill="%s"/>`, left, y, w, barH, colors[x.Tool])
			write(&b, `<text x="%.1f" y="%.0f">%s</text>`+"\n", left+w+6, y+barH-4, m.label(x))
			y += barH + gap
		}
		y += 6
	}
	write(&b, `<text x="10" y="%.0f" fill="#555">make bench: hyperfine (wall, CPU), GNU time (RSS), perf stat (page faults), callgrind (instructions)</text>`+"\n", y+14)
	b.WriteString("</svg>\n")
	return b.String()
}
