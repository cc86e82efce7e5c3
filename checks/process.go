package checks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/probe-sh/probe/internal/files"
	"github.com/probe-sh/probe/internal/patched/procfs"
	"github.com/probe-sh/probe/internal/procinfo"
	"github.com/probe-sh/probe/internal/text"

	"github.com/probe-sh/probe/internal/sanitize"
)

// Process passes when a process exists and is not a zombie, and stays under
// the bounds that are set. It reads /proc only.
type Process struct {
	Proc    string // where the proc filesystem is mounted: /proc when empty
	PID     int    // the process to check; 1 when no PID, PIDFile or Name is set
	PIDFile string // read the PID from this file
	Name    string // the process whose comm (the name in /proc/PID/comm) is this
	MaxRSS  Size   // resident memory bound; 0 for none
	MaxFDs  Share  // open files bound, as a share of the soft limit; 0 for none
}

// Share is a fraction written as a percentage, such as 90%.
type Share float64

// UnmarshalText reads "90%" (or a fraction such as "0.9").
func (s *Share) UnmarshalText(text []byte) error {
	t := strings.TrimSpace(string(text))
	pct := strings.HasSuffix(t, "%")
	f, err := strconv.ParseFloat(strings.TrimSuffix(t, "%"), 64)
	if pct {
		f /= 100
	}
	if err != nil || f <= 0 || f > 1 {
		return fmt.Errorf("%q is not a share of the limit from 1%% to 100%%, such as 90%%", t)
	}
	*s = Share(f)
	return nil
}

// String prints the share as a percentage.
func (s Share) String() string { return strconv.FormatFloat(float64(s)*100, 'f', -1, 64) + "%" }

// Run finds the process and checks it.
func (p Process) Run(_ context.Context, tr *Trace) (string, error) {
	tr.Enter(PhaseProc)
	pfs, err := procinfo.Open(cmp.Or(p.Proc, "/proc"))
	if err != nil {
		return "", &StateError{Msg: err.Error(), Err: err}
	}
	pids, err := p.find(pfs)
	if err != nil {
		return "", err
	}
	var firstErr error
	for _, pid := range pids {
		seen, err := p.check(pfs, pid)
		if err == nil {
			tr.Finish()
			return seen, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return "", firstErr
}

// find returns the processes to check: one, or every one named Name.
func (p Process) find(pfs procfs.FS) ([]int, error) {
	switch {
	case p.PIDFile != "":
		pid, err := p.pidFromFile()
		if err != nil {
			return nil, err
		}
		return []int{pid}, nil
	case p.Name != "":
		all, err := pfs.AllProcs()
		if err != nil {
			return nil, &StateError{Msg: "cannot list the processes: " + procinfo.Error(err).Error(), Err: err}
		}
		var named []int
		for _, proc := range all {
			if comm, err := proc.Comm(); err == nil && comm == p.Name {
				named = append(named, proc.PID)
			}
		}
		if len(named) == 0 {
			return nil, &StateError{Msg: fmt.Sprintf("no process is named %q among the %d running", p.Name, len(all))}
		}
		return named, nil
	}
	return []int{max(p.PID, 1)}, nil
}

// maxPIDFile bounds what is read of a pidfile: a PID and a few lines after
// it (Postgres's postmaster.pid has eight).
const maxPIDFile = 4 << 10

func (p Process) pidFromFile() (int, error) {
	data, err := files.ReadSmall(p.PIDFile, maxPIDFile)
	if err != nil {
		return 0, &StateError{Field: "PIDFile", Msg: "cannot read the pidfile " + err.Error(), Err: err}
	}
	// The PID is the first line: a file may hold more, as Postgres's does.
	first, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return 0, &StateError{Field: "PIDFile", Msg: fmt.Sprintf("the pidfile %s holds %s, not a PID", p.PIDFile, sanitize.Excerpt(data, 20))}
	}
	return pid, nil
}

// check checks one process and says what it saw.
func (p Process) check(pfs procfs.FS, pid int) (string, error) {
	who := "process " + strconv.Itoa(pid)
	proc, err := pfs.Proc(pid)
	var stat procfs.ProcStat
	if err == nil {
		stat, err = proc.Stat()
	}
	if errors.Is(err, fs.ErrNotExist) {
		if p.PIDFile != "" {
			return "", &StateError{Msg: fmt.Sprintf("%s, named by the pidfile %s, is not running", who, p.PIDFile), Err: err}
		}
		return "", &StateError{Msg: who + " is not running", Err: err}
	}
	if err != nil {
		return "", &StateError{Msg: fmt.Sprintf("cannot read %s: %v", who, procinfo.Error(err)), Err: err}
	}
	who += " (" + stat.Comm + ")"
	if p.Name != "" && stat.Comm != p.Name {
		return "", &StateError{Msg: fmt.Sprintf("%s is not named %q", who, p.Name)}
	}
	switch stat.State {
	case "Z":
		return "", &StateError{Msg: who + " is a zombie: it has exited and its parent has not reaped it"}
	case "X", "x":
		return "", &StateError{Msg: who + " is dead"}
	}
	if p.PIDFile != "" {
		if err := p.fresh(who, stat); err != nil {
			return "", err
		}
	}
	rss := Size(stat.ResidentMemory())
	seen := fmt.Sprintf("%s is %s, %s, RSS %s", who, procinfo.StateName(stat.State), text.Plural(stat.NumThreads, "thread"), text.Size(int64(rss)))
	if p.MaxRSS > 0 && rss > p.MaxRSS {
		return "", &StateError{Field: "MaxRSS", Msg: fmt.Sprintf("%s uses %s of memory, above %s", who, text.Size(int64(rss)), p.MaxRSS)}
	}
	if p.MaxFDs > 0 {
		open, limit, err := procinfo.OpenFiles(proc)
		if err != nil {
			return "", &StateError{Msg: fmt.Sprintf("cannot count the open files of %s: %v", who, err), Err: err}
		}
		share := float64(open) / float64(limit)
		if share > float64(p.MaxFDs) {
			return "", &StateError{Field: "MaxFDs", Msg: fmt.Sprintf("%s has %d open files, %.0f%% of its limit %d, above %s", who, open, share*100, limit, p.MaxFDs)}
		}
		seen += fmt.Sprintf(", %d of %s files", open, procinfo.Limit(limit))
	}
	return seen, nil
}

// fresh fails when the process started after the pidfile was written: its
// PID was reused, and the process the file meant is gone.
func (p Process) fresh(who string, stat procfs.ProcStat) error {
	fi, err := os.Stat(p.PIDFile)
	if err != nil {
		return &StateError{Field: "PIDFile", Msg: fmt.Sprintf("cannot read the pidfile %s: %v", p.PIDFile, files.Cause(err)), Err: err}
	}
	started, err := stat.StartTime()
	if err != nil {
		return nil // no boot time to compare with: trust the file
	}
	start := time.Unix(0, int64(started*1e9))
	if start.Sub(fi.ModTime()) > 2*time.Second {
		return &StateError{Field: "PIDFile", Msg: fmt.Sprintf("the pidfile %s is stale: it was written at %s, but %s started later, at %s, its PID reused",
			p.PIDFile, fi.ModTime().UTC().Format(time.RFC3339), who, start.UTC().Format(time.RFC3339))}
	}
	return nil
}
