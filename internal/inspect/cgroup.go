package inspect

import (
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/probe-sh/probe/internal/files"
	"github.com/probe-sh/probe/internal/patched/procfs"
)

// noLimit: cgroup v1 writes "no limit" as a number near 2^63.
const noLimit = 1 << 62

// cgroupMemory adds the memory limit and usage of pid's cgroup, v2 or v1.
func cgroupMemory(opt Options, pid int, m Memory) Memory {
	proc, err := opt.FS.Proc(pid)
	var groups []procfs.Cgroup
	if err == nil {
		groups, err = proc.Cgroups()
	}
	if err != nil {
		m.Error = "cannot read the cgroup of process " + strconv.Itoa(pid) + ": " + rootCause(err)
		return m
	}
	for _, g := range groups {
		var ok bool
		switch {
		case g.HierarchyID == 0 && len(g.Controllers) == 0:
			m.LimitBytes, m.UsageBytes, ok = readCgroup(opt.CgroupRoot, g.Path, "memory.max", "memory.current")
			m.Cgroup = "v2"
		case slices.Contains(g.Controllers, "memory"):
			m.LimitBytes, m.UsageBytes, ok = readCgroup(filepath.Join(opt.CgroupRoot, "memory"), g.Path, "memory.limit_in_bytes", "memory.usage_in_bytes")
			m.Cgroup = "v1"
		}
		if ok {
			return m
		}
	}
	m.Cgroup, m.LimitBytes, m.UsageBytes = "", 0, 0
	m.Error = "no cgroup memory controller under " + opt.CgroupRoot
	return m
}

// readCgroup reads the memory limit of the cgroup at base+group: the lowest
// limit on the way up to base, as each ancestor's limit applies too. The
// group's own directory may not exist (a container sees its cgroup at the
// root), so the walk starts at the deepest one that does. Its usage comes
// from that same directory.
func readCgroup(base, group, limitFile, usageFile string) (limit, usage int64, ok bool) {
	for dir := path.Clean("/" + group); ; dir = path.Dir(dir) {
		full := filepath.Join(base, dir)
		if l, found := readNumber(filepath.Join(full, limitFile)); found {
			if !ok {
				usage, _ = readNumber(filepath.Join(full, usageFile))
			}
			if l > 0 && l < noLimit && (limit == 0 || l < limit) {
				limit = l
			}
			ok = true
		}
		if dir == "/" {
			return limit, usage, ok
		}
	}
}

// readNumber reads a cgroup file holding a number or "max" (returned as 0).
func readNumber(file string) (int64, bool) {
	data, err := files.ReadSmall(file, 4<<10)
	if err != nil {
		return 0, false
	}
	text := strings.TrimSpace(string(data))
	if text == "max" {
		return 0, true
	}
	n, err := strconv.ParseInt(text, 10, 64)
	return n, err == nil
}
