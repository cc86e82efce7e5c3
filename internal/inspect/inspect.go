// Package inspect gathers probe inspect's incident view from /proc and the
// cgroup filesystem: the processes, their memory against the cgroup limit,
// the listening sockets and who owns them, whether PID 1 catches SIGTERM,
// and the shutdown marker. What it may not read is reported as such, never
// as a failure of the whole view.
package inspect

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/probe-sh/probe/internal/patched/procfs"
	"github.com/probe-sh/probe/internal/procinfo"
	"github.com/probe-sh/probe/probe"
)

// Options say where to look.
type Options struct {
	FS         procfs.FS
	ProcRoot   string // where FS is mounted: status lines procfs does not parse are read from here
	CgroupRoot string // where the cgroup filesystem is mounted, usually /sys/fs/cgroup
	Marker     string // the shutdown marker; "" leaves it out
	PID        int    // one process; 0 for all of them
}

// Report is the whole view; its JSON is probe inspect -o json.
type Report struct {
	Time      time.Time  `json:"time"`
	Processes []Process  `json:"processes"`
	Memory    Memory     `json:"memory"`
	Listening []Listener `json:"listening"`
	SIGTERM   Signal     `json:"sigterm"`
	Marker    *Marker    `json:"marker,omitempty"`

	// FDsUnreadable counts the processes whose /proc/PID/fd may not be
	// read: their sockets have no known owner.
	FDsUnreadable int `json:"fds_unreadable"`
}

// Process is one row of the process table.
type Process struct {
	PID        int     `json:"pid"`
	PPID       int     `json:"ppid"`
	Name       string  `json:"name"`
	State      string  `json:"state,omitempty"` // spelled out: sleeping, running, a zombie...
	Threads    int     `json:"threads"`
	RSSBytes   int64   `json:"rss_bytes"`
	CPUSeconds float64 `json:"cpu_seconds"`
	OpenFiles  int     `json:"open_files"` // -1 when its fds may not be read
	FileLimit  uint64  `json:"file_limit"` // the soft limit
	Error      string  `json:"error,omitempty"`
}

// Memory is the processes' RSS against the cgroup's memory limit.
type Memory struct {
	RSSBytes   int64  `json:"rss_bytes"` // summed over the processes shown
	Cgroup     string `json:"cgroup,omitempty"`
	LimitBytes int64  `json:"limit_bytes,omitempty"` // 0: no limit
	UsageBytes int64  `json:"usage_bytes,omitempty"` // the cgroup's own count, page cache included
	Error      string `json:"error,omitempty"`
}

// Listener is a listening TCP socket and the processes that hold it,
// found through the socket inodes in /proc/PID/fd: an nginx or gunicorn
// master and its workers share one socket.
type Listener struct {
	Address string   `json:"address"`
	PID     int      `json:"pid,omitempty"` // the first holder, by PID; 0 when no readable process holds it
	Name    string   `json:"name,omitempty"`
	Holders []Holder `json:"holders,omitempty"` // every holder, by PID
	port    uint16
}

// Holder is a process that holds a socket open.
type Holder struct {
	PID  int    `json:"pid"`
	Name string `json:"name"`
}

// Signal says whether a process catches SIGTERM (SigCgt in /proc/PID/status).
type Signal struct {
	PID     int    `json:"pid"`
	Name    string `json:"name,omitempty"`
	Catches bool   `json:"catches"`
	Ignores bool   `json:"ignores"`
	Advice  string `json:"advice,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Marker is the state of the shutdown marker.
type Marker struct {
	Path       string     `json:"path"`
	Present    bool       `json:"present"`
	Since      *time.Time `json:"since,omitempty"`
	AgeSeconds float64    `json:"age_seconds,omitempty"`
	Error      string     `json:"error,omitempty"`
}

// Gather reads everything. Its error means nothing could be read: a PID
// that does not exist, or no /proc.
func Gather(opt Options) (*Report, error) {
	r := &Report{Time: time.Now().UTC(), Processes: []Process{}, Listening: []Listener{}}
	var procs procfs.Procs
	if opt.PID > 0 {
		p, err := opt.FS.Proc(opt.PID)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("process %d does not exist", opt.PID)
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read process %d: %w", opt.PID, err)
		}
		procs = procfs.Procs{p}
	} else {
		all, err := opt.FS.AllProcs()
		if err != nil {
			return nil, fmt.Errorf("cannot list the processes in %s: %w", opt.ProcRoot, err)
		}
		procs = all
		sort.Sort(procs) // by PID
	}

	owners := map[uint64][]int{} // socket inode -> PIDs, in PID order
	names := map[int]string{}
	for _, p := range procs {
		row, ok := process(p)
		if !ok {
			continue // it exited while we looked
		}
		r.Processes = append(r.Processes, row)
		r.Memory.RSSBytes += row.RSSBytes
		names[p.PID] = row.Name
		targets, err := p.FileDescriptorTargets()
		if err != nil {
			r.FDsUnreadable++
		} else {
			for _, t := range targets {
				if inode, ok := strings.CutPrefix(t, "socket:["); ok {
					if n, err := strconv.ParseUint(strings.TrimSuffix(inode, "]"), 10, 64); err == nil {
						if o := owners[n]; len(o) == 0 || o[len(o)-1] != p.PID {
							owners[n] = append(o, p.PID)
						}
					}
				}
			}
		}
	}

	if socks, err := procinfo.Sockets(opt.ProcRoot); err == nil {
		for _, s := range socks {
			if !s.Listen {
				continue
			}
			pids := owners[s.Inode]
			if opt.PID > 0 && !slices.Contains(pids, opt.PID) {
				continue
			}
			l := Listener{Address: s.Addr.String(), port: s.Addr.Port()}
			for _, pid := range pids {
				l.Holders = append(l.Holders, Holder{PID: pid, Name: names[pid]})
			}
			if len(pids) > 0 {
				l.PID, l.Name = pids[0], names[pids[0]]
			}
			r.Listening = append(r.Listening, l)
		}
		// By port, as numbers, then by address, each address once.
		sort.Sort(byPort(r.Listening))
		kept := r.Listening[:0]
		for _, l := range r.Listening {
			if len(kept) == 0 || l.Address != kept[len(kept)-1].Address {
				kept = append(kept, l)
			}
		}
		clear(r.Listening[len(kept):])
		r.Listening = kept
	}

	signalPID := max(opt.PID, 1)
	r.SIGTERM = sigterm(opt.ProcRoot, signalPID, names[signalPID])
	r.Memory = cgroupMemory(opt, signalPID, r.Memory)
	if opt.Marker != "" {
		r.Marker = marker(opt.Marker, r.Time)
	}
	return r, nil
}

// byPort orders listeners by port, as numbers, then by address. The sorts
// here go through sort.Interface, which every type shares, rather than
// slices.SortFunc, compiled again for each type (8 to 24 KB each).
type byPort []Listener

func (s byPort) Len() int      { return len(s) }
func (s byPort) Swap(i, j int) { s[i], s[j] = s[j], s[i] }
func (s byPort) Less(i, j int) bool {
	return s[i].port < s[j].port || s[i].port == s[j].port && s[i].Address < s[j].Address
}

func process(p procfs.Proc) (Process, bool) {
	row := Process{PID: p.PID, OpenFiles: -1}
	stat, err := p.Stat()
	if errors.Is(err, fs.ErrNotExist) {
		return row, false
	}
	if err != nil {
		row.Error = "cannot read: " + rootCause(err)
		return row, true
	}
	row.PPID, row.Name, row.State, row.Threads = stat.PPID, stat.Comm, procinfo.StateName(stat.State), stat.NumThreads
	row.RSSBytes, row.CPUSeconds = int64(stat.ResidentMemory()), stat.CPUTime()
	open, limit, err := procinfo.OpenFiles(p)
	if err != nil {
		row.Error = "cannot count its open files: " + rootCause(err)
	} else {
		row.OpenFiles, row.FileLimit = open, limit
	}
	return row, true
}

// rootCause drops the path from an error: the row already names the process.
func rootCause(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

const sigtermBit = 1 << (15 - 1) // SIGTERM is 15; bit n-1 stands for signal n

func sigterm(procRoot string, pid int, name string) Signal {
	s := Signal{PID: pid, Name: name}
	f, err := os.Open(filepath.Join(procRoot, strconv.Itoa(pid), "status"))
	if err != nil {
		s.Error = "cannot read its status: " + rootCause(err)
		return s
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), ":")
		mask, err := strconv.ParseUint(strings.TrimSpace(value), 16, 64)
		switch {
		case err != nil:
		case key == "SigCgt":
			s.Catches = mask&sigtermBit != 0
		case key == "SigIgn":
			s.Ignores = mask&sigtermBit != 0
		}
	}
	if pid == 1 && !s.Catches {
		// The kernel delivers no signal to a namespace's init unless it has a
		// handler: SIGTERM does nothing, and docker stop has to kill it.
		s.Advice = "docker stop will wait out the grace period (10s by default) and then kill it with SIGKILL; " +
			"run the app under probe exec, which forwards SIGTERM and drains first"
	}
	return s
}

func marker(path string, now time.Time) *Marker {
	m := &Marker{Path: path}
	present, since, err := probe.Marker{Path: path}.Since()
	switch {
	case err != nil:
		m.Error = err.Error()
	case present:
		since = since.UTC()
		m.Present, m.Since, m.AgeSeconds = true, &since, now.Sub(since).Round(time.Second).Seconds()
	}
	return m
}
