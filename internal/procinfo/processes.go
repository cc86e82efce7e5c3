package procinfo

import (
	"os"
	"strconv"
	"strings"
)

// Process is where a process sits, as /proc/PID/stat says: its state
// letter, its parent and its process group.
type Process struct {
	PID, PPID, PGID int
	State           byte // R, S, D, Z (a zombie: exited, not yet reaped), X, ...
}

// Live reports whether the process still runs: neither a zombie nor dead.
// A zombie holds no memory, no file and no socket; only its parent's
// wait ends it.
func (p Process) Live() bool { return p.State != 'Z' && p.State != 'X' }

// Processes lists every process of the proc filesystem at root ("/proc"),
// leaving out any that exits while it reads: what probe run reads to know
// that a command's process group is gone and who its leftovers are.
func Processes(root string) ([]Process, error) {
	dir, err := os.Open(root)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	out := make([]Process, 0, len(names))
	buf := make([]byte, 512)
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil || pid <= 0 {
			continue
		}
		if p, ok := readStat(root+"/"+name+"/stat", pid, buf); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// readStat reads "PID (COMM) STATE PPID PGRP ...". COMM may hold spaces
// and parentheses of its own, so the fields count from the last ")".
func readStat(path string, pid int, buf []byte) (Process, bool) {
	f, err := os.Open(path)
	if err != nil {
		return Process{}, false
	}
	n, _ := f.Read(buf)
	f.Close()
	b := string(buf[:n])
	i := strings.LastIndexByte(b, ')')
	if i < 0 {
		return Process{}, false
	}
	fields := strings.Fields(b[i+1:])
	if len(fields) < 3 || len(fields[0]) != 1 {
		return Process{}, false
	}
	ppid, err1 := strconv.Atoi(fields[1])
	pgid, err2 := strconv.Atoi(fields[2])
	if err1 != nil || err2 != nil {
		return Process{}, false
	}
	return Process{PID: pid, PPID: ppid, PGID: pgid, State: fields[0][0]}, true
}
