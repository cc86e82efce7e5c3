package inspect

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/probe-sh/probe/internal/procinfo"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/text"
)

// maxRows keeps the process table on one screen. On a host with hundreds
// of processes it shows PID 1 and the largest by RSS.
const maxRows = 20

// WriteText writes the view for people, on one screen.
func (r *Report) WriteText(w io.Writer) error {
	r = r.printable()
	var b strings.Builder
	rows, hidden := shown(r.Processes)
	fmt.Fprintf(&b, "probe inspect at %s: %d process(es)\n", r.Time.Format(time.RFC3339), len(r.Processes))
	tw := text.NewTable(&b)
	tw.Printf("PID\tPPID\tNAME\tSTATE\tTHREADS\tRSS\tCPU\tFILES\n")
	unreadable := 0
	for _, p := range rows {
		if p.Name == "" {
			tw.Printf("%d\t\t?\t%s\t\t\t\t\n", p.PID, p.Error)
			continue
		}
		files := "?"
		if p.OpenFiles < 0 {
			unreadable++
		} else {
			files = strconv.Itoa(p.OpenFiles) + "/" + procinfo.Limit(p.FileLimit)
		}
		tw.Printf("%d\t%d\t%s\t%s\t%d\t%s\t%.2fs\t%s\n", p.PID, p.PPID, p.Name, p.State, p.Threads,
			text.Size(int64(p.RSSBytes)), p.CPUSeconds, files)
	}
	tw.Flush()
	if n := max(unreadable, r.FDsUnreadable); n > 0 {
		fmt.Fprintf(&b, "?: the descriptors of %d process(es) may not be read, so their files and sockets are unknown: run as root or as the app's user\n", n)
	}
	if hidden > 0 {
		fmt.Fprintf(&b, "... and %d more, smaller by RSS (probe inspect PID shows one)\n", hidden)
	}

	fmt.Fprintf(&b, "memory: RSS %s in %d process(es)", text.Size(int64(r.Memory.RSSBytes)), len(r.Processes))
	switch m := r.Memory; {
	case m.Error != "":
		fmt.Fprintf(&b, "; no cgroup memory limit found (%s)\n", m.Error)
	case m.LimitBytes == 0:
		fmt.Fprintf(&b, "; cgroup %s: no memory limit, usage %s\n", m.Cgroup, text.Size(int64(m.UsageBytes)))
	default:
		fmt.Fprintf(&b, "; cgroup %s limit %s, usage %s (%.0f%%), RSS is %.0f%% of the limit\n", m.Cgroup,
			text.Size(int64(m.LimitBytes)), text.Size(int64(m.UsageBytes)),
			pct(m.UsageBytes, m.LimitBytes), pct(m.RSSBytes, m.LimitBytes))
	}

	if len(r.Listening) == 0 {
		b.WriteString("listening: no TCP socket\n")
	} else {
		b.WriteString("listening:\n")
		tw := text.NewTable(&b)
		for _, l := range r.Listening {
			owner := "? (no process in this PID namespace holds it open)"
			if r.FDsUnreadable > 0 {
				owner = "? (owner not readable: run as root or as the app's user)"
			}
			if len(l.Holders) > 0 {
				owner = holders(l.Holders)
			}
			tw.Printf("  %s\t%s\n", l.Address, owner)
		}
		tw.Flush()
	}

	s := r.SIGTERM
	who := fmt.Sprintf("PID %d", s.PID)
	if s.Name != "" {
		who += " (" + s.Name + ")"
	}
	switch {
	case s.Error != "":
		fmt.Fprintf(&b, "SIGTERM: cannot tell whether %s catches it: %s\n", who, s.Error)
	case s.Catches:
		fmt.Fprintf(&b, "SIGTERM: %s catches it, so docker stop lets it shut down\n", who)
	case s.Advice != "":
		fmt.Fprintf(&b, "SIGTERM: %s does not catch it: %s\n", who, s.Advice)
	default:
		fmt.Fprintf(&b, "SIGTERM: %s does not catch it: it ends at once, without shutting down cleanly\n", who)
	}

	if m := r.Marker; m != nil {
		switch {
		case m.Error != "":
			fmt.Fprintf(&b, "shutdown marker %s: %s\n", m.Path, m.Error)
		case m.Present:
			fmt.Fprintf(&b, "shutdown marker %s: present for %s (since %s): health checks report draining\n",
				m.Path, time.Duration(m.AgeSeconds*float64(time.Second)), m.Since.Format(time.RFC3339))
		default:
			fmt.Fprintf(&b, "shutdown marker %s: absent\n", m.Path)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// holders names the processes that hold a socket: "nginx (PIDs 1, 7, 8)",
// "app (PID 7)", or each name when they differ.
func holders(hs []Holder) string {
	sameName := true
	for _, h := range hs {
		sameName = sameName && h.Name == hs[0].Name
	}
	if len(hs) == 1 || !sameName {
		parts := make([]string, len(hs))
		for i, h := range hs {
			parts[i] = fmt.Sprintf("%s (PID %d)", h.Name, h.PID)
		}
		return strings.Join(parts, ", ")
	}
	pids := make([]string, len(hs))
	for i, h := range hs {
		pids[i] = strconv.Itoa(h.PID)
	}
	return fmt.Sprintf("%s (PIDs %s)", hs[0].Name, strings.Join(pids, ", "))
}

// printable is a copy of r whose every text a process or a file could set
// is escaped (sanitize.Printable): a process can name itself with escape
// codes. JSON escapes them by itself.
func (r *Report) printable() *Report {
	c := *r
	c.Processes = slices.Clone(r.Processes)
	for i := range c.Processes {
		c.Processes[i].Name = sanitize.Printable(c.Processes[i].Name)
		c.Processes[i].Error = sanitize.Printable(c.Processes[i].Error)
	}
	c.Listening = slices.Clone(r.Listening)
	for i := range c.Listening {
		hs := slices.Clone(c.Listening[i].Holders)
		for j := range hs {
			hs[j].Name = sanitize.Printable(hs[j].Name)
		}
		c.Listening[i].Holders = hs
	}
	c.SIGTERM.Name, c.SIGTERM.Error = sanitize.Printable(r.SIGTERM.Name), sanitize.Printable(r.SIGTERM.Error)
	c.Memory.Cgroup, c.Memory.Error = sanitize.Printable(r.Memory.Cgroup), sanitize.Printable(r.Memory.Error)
	if r.Marker != nil {
		m := *r.Marker
		m.Path, m.Error = sanitize.Printable(m.Path), sanitize.Printable(m.Error)
		c.Marker = &m
	}
	return &c
}

// WriteJSON writes the view as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// shown picks the rows for one screen: all of them, or PID 1 and the
// largest by RSS, in PID order.
func shown(all []Process) ([]Process, int) {
	if len(all) <= maxRows {
		return all, 0
	}
	rows := slices.Clone(all)
	sort.Stable(byRSS(rows))
	rows = rows[:maxRows]
	sort.Sort(byPID(rows))
	return rows, len(all) - maxRows
}

// byRSS orders processes PID 1 first, then by RSS, the largest first.
type byRSS []Process

func (s byRSS) Len() int      { return len(s) }
func (s byRSS) Swap(i, j int) { s[i], s[j] = s[j], s[i] }
func (s byRSS) Less(i, j int) bool {
	if (s[i].PID == 1) != (s[j].PID == 1) {
		return s[i].PID == 1
	}
	return s[i].RSSBytes > s[j].RSSBytes
}

// byPID orders processes by PID.
type byPID []Process

func (s byPID) Len() int           { return len(s) }
func (s byPID) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s byPID) Less(i, j int) bool { return s[i].PID < s[j].PID }

func pct(a, b int64) float64 { return float64(a) / float64(b) * 100 }
