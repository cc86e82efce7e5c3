package inspect_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/patched/procfs"

	"github.com/probe-sh/probe/internal/inspect"
	"github.com/probe-sh/probe/internal/procfixture"
)

const sigterm = 1 << 14

type fixture struct {
	procs   []procfixture.Proc
	sockets []procfixture.Socket
	cgroup  map[string]string // file under the cgroup root -> content
}

func (f fixture) options(t *testing.T) inspect.Options {
	t.Helper()
	root, cg := t.TempDir(), t.TempDir()
	procfixture.Write(t, root, f.procs, f.sockets, true)
	for file, content := range f.cgroup {
		procfixture.WriteFile(t, filepath.Join(cg, file), content)
	}
	pfs, err := procfs.NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	return inspect.Options{FS: pfs, ProcRoot: root, CgroupRoot: cg, Marker: filepath.Join(t.TempDir(), "draining")}
}

func gather(t *testing.T, opt inspect.Options) (*inspect.Report, string) {
	t.Helper()
	r, err := inspect.Gather(opt)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return r, b.String()
}

func mustContain(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Fatalf("the view lacks %q:\n%s", w, text)
		}
	}
}

func TestInspectContainerV2(t *testing.T) {
	t.Parallel()
	page := os.Getpagesize()
	f := fixture{
		procs: []procfixture.Proc{
			{PID: 1, Comm: "probe", State: "S", Threads: 5, RSSPages: (8 << 20) / page, UTime: 150, FDs: 6, Sockets: []int{300}, SigCgt: sigterm | 1<<1},
			{PID: 7, PPID: 1, Comm: "app", State: "S", Threads: 9, RSSPages: (40 << 20) / page, FDs: 12, Sockets: []int{100}, FileLimit: "1048576"},
			{PID: 9, PPID: 7, Comm: "worker", State: "Z"},
			{PID: 11, PPID: 1, Comm: "secret", State: "S", FDs: -1},
		},
		sockets: []procfixture.Socket{
			{Addr: netip.MustParseAddrPort("[::]:8080"), Listen: true, Inode: 100},
			{Addr: netip.MustParseAddrPort("127.0.0.1:9090"), Listen: true, Inode: 300},
			{Addr: netip.MustParseAddrPort("0.0.0.0:5000"), Listen: true, Inode: 999},
			{Addr: netip.MustParseAddrPort("127.0.0.1:8080"), Listen: false, Inode: 101},
		},
		cgroup: map[string]string{"memory.max": "536870912\n", "memory.current": "104857600\n"},
	}
	opt := f.options(t)
	if err := os.WriteFile(opt.Marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-90 * time.Second)
	os.Chtimes(opt.Marker, old, old)
	r, text := gather(t, opt)

	if len(r.Processes) != 4 || r.Processes[1].Name != "app" || r.Processes[1].Threads != 9 || r.Processes[1].RSSBytes != 40<<20 ||
		r.Processes[0].CPUSeconds != 1.5 || r.Processes[1].OpenFiles != 12 || r.Processes[1].FileLimit != 1048576 {
		t.Fatalf("processes: %+v", r.Processes)
	}
	if p := r.Processes[3]; p.OpenFiles != -1 || p.Error == "" || r.FDsUnreadable != 1 {
		t.Fatalf("a process whose fds may not be read: %+v, %d unreadable", p, r.FDsUnreadable)
	}
	if m := r.Memory; m.Cgroup != "v2" || m.LimitBytes != 512<<20 || m.UsageBytes != 100<<20 || m.RSSBytes != 48<<20 {
		t.Fatalf("memory: %+v", m)
	}
	// By port as a number (issue 19: 9090 came before 8080 as text).
	var got []string
	for _, l := range r.Listening {
		got = append(got, fmt.Sprintf("%s %d %s %v", l.Address, l.PID, l.Name, l.Holders))
	}
	want := []string{"0.0.0.0:5000 0  []", "[::]:8080 7 app [{7 app}]", "127.0.0.1:9090 1 probe [{1 probe}]"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("listening: %q, want %q", got, want)
	}
	if s := r.SIGTERM; !s.Catches || s.Advice != "" || s.Name != "probe" {
		t.Fatalf("sigterm: %+v", s)
	}
	if m := r.Marker; !m.Present || m.AgeSeconds < 89 || m.AgeSeconds > 120 {
		t.Fatalf("marker: %+v", m)
	}
	mustContain(t, text,
		"PID  PPID  NAME    STATE     THREADS  RSS      CPU    FILES\n",
		"7    1     app     sleeping  9        40.0MiB  0.00s  12/1048576\n",
		"9    7     worker  a zombie  1        0B       0.00s  0/1024\n",
		"11   1     secret  sleeping  1        0B       0.00s  ?\n",
		"?: the descriptors of 1 process(es) may not be read, so their files and sockets are unknown: run as root or as the app's user\n",
		"memory: RSS 48.0MiB in 4 process(es); cgroup v2 limit 512MiB, usage 100MiB (20%), RSS is 9% of the limit\n",
		"  0.0.0.0:5000    ? (owner not readable: run as root or as the app's user)\n",
		"  127.0.0.1:9090  probe (PID 1)\n",
		"  [::]:8080       app (PID 7)\n",
		"SIGTERM: PID 1 (probe) catches it, so docker stop lets it shut down\n",
		"shutdown marker "+opt.Marker+": present for 1m3",
	)

	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"time", "processes", "memory", "listening", "sigterm", "marker", "fds_unreadable"} {
		if _, ok := back[key]; !ok {
			t.Fatalf("JSON lacks %q: %s", key, b.String())
		}
	}
}

func TestInspectCgroupV1AndSignals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cgroup map[string]string
		want   string
	}{
		{"v1, the container's cgroup seen at the root", map[string]string{
			"memory/memory.limit_in_bytes": "268435456\n", "memory/memory.usage_in_bytes": "52428800\n"},
			"cgroup v1 limit 256MiB, usage 50.0MiB (20%)"},
		{"v1, nested: the lowest limit on the way up", map[string]string{
			"memory/memory.limit_in_bytes": "9223372036854771712\n", "memory/docker/memory.limit_in_bytes": "1073741824\n",
			"memory/docker/abc/memory.limit_in_bytes": "9223372036854771712\n", "memory/docker/abc/memory.usage_in_bytes": "1048576\n"},
			"cgroup v1 limit 1.00GiB, usage 1.00MiB (0%)"},
		{"v1, no limit", map[string]string{"memory/memory.limit_in_bytes": "9223372036854771712\n", "memory/memory.usage_in_bytes": "1048576\n"},
			"cgroup v1: no memory limit, usage 1.00MiB"},
		{"no cgroup files", nil, "; no cgroup memory limit found (no cgroup memory controller under "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := fixture{procs: []procfixture.Proc{{PID: 1, Comm: "sleep", State: "S", Cgroup: "4:memory:/docker/abc\n0::/\n"}}, cgroup: tc.cgroup}
			r, text := gather(t, f.options(t))
			mustContain(t, text, tc.want,
				"SIGTERM: PID 1 (sleep) does not catch it: docker stop will wait out the grace period (10s by default) and then kill it with SIGKILL; run the app under probe exec",
				"listening: no TCP socket\n", ": absent\n")
			if r.SIGTERM.Catches {
				t.Fatal("SIGTERM caught without the bit")
			}
		})
	}
}

func TestInspectOneProcessAndBadInput(t *testing.T) {
	t.Parallel()
	f := fixture{
		procs: []procfixture.Proc{{PID: 1, Comm: "init", State: "S", SigCgt: sigterm}, {PID: 7, Comm: "app", State: "S", FDs: 2, Sockets: []int{100}}},
		sockets: []procfixture.Socket{
			{Addr: netip.MustParseAddrPort("[::]:8080"), Listen: true, Inode: 100},
			{Addr: netip.MustParseAddrPort("127.0.0.1:9090"), Listen: true, Inode: 300},
		},
	}
	opt := f.options(t)
	opt.PID = 7
	r, text := gather(t, opt)
	if len(r.Processes) != 1 || r.Processes[0].PID != 7 || len(r.Listening) != 1 || r.Listening[0].Address != "[::]:8080" {
		t.Fatalf("inspect 7: %+v", r)
	}
	mustContain(t, text, "SIGTERM: PID 7 (app) does not catch it: it ends at once, without shutting down cleanly\n")

	opt.PID = 4242
	if _, err := inspect.Gather(opt); err == nil || err.Error() != "process 4242 does not exist" {
		t.Fatalf("inspect 4242: %v", err)
	}
}

func TestInspectOneScreen(t *testing.T) {
	t.Parallel()
	var procs []procfixture.Proc
	for pid := 1; pid <= 60; pid++ {
		procs = append(procs, procfixture.Proc{PID: pid, Comm: fmt.Sprintf("p%d", pid), State: "S", RSSPages: pid % 30})
	}
	_, text := gather(t, fixture{procs: procs}.options(t))
	mustContain(t, text, "probe inspect at ", ": 60 process(es)\n", "\n1    0     p1 ", "... and 40 more, smaller by RSS (probe inspect PID shows one)\n")
	if lines := strings.Count(text, "\n"); lines > 30 {
		t.Fatalf("%d lines: more than one screen", lines)
	}
}

// Against this machine's real /proc and cgroup filesystem.
func TestInspectRealProc(t *testing.T) {
	t.Parallel()
	pfs, err := procfs.NewFS("/proc")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r, text := gather(t, inspect.Options{FS: pfs, ProcRoot: "/proc", CgroupRoot: "/sys/fs/cgroup", Marker: filepath.Join(t.TempDir(), "m")})
	self := -1
	for i, p := range r.Processes {
		if p.PID == os.Getpid() {
			self = i
		}
	}
	if self < 0 || r.Processes[self].RSSBytes == 0 || r.Processes[self].Threads < 2 || r.Processes[self].OpenFiles < 3 {
		t.Fatalf("this test's own process is missing or empty: %+v", r.Processes)
	}
	found := false
	for _, l := range r.Listening {
		found = found || (l.Address == ln.Addr().String() && l.PID == os.Getpid())
	}
	if !found {
		t.Fatalf("the listener %s owned by PID %d is not in %+v", ln.Addr(), os.Getpid(), r.Listening)
	}
	mustContain(t, text, "PID  ", "memory: RSS ", "listening:\n", "SIGTERM: PID 1 ", ": absent\n")
	t.Logf("probe inspect on this machine:\n%s", text)
}

// An nginx master and its workers hold one socket: all are named, not the
// last one read. A process that names itself with escape codes is shown
// as text (issue 19, defects 8 and 15).
func TestInspectHoldersAndHostileNames(t *testing.T) {
	t.Parallel()
	f := fixture{
		procs: []procfixture.Proc{
			{PID: 1, Comm: "nginx", State: "S", FDs: 3, Sockets: []int{100}, SigCgt: sigterm},
			{PID: 7, PPID: 1, Comm: "nginx", State: "S", FDs: 3, Sockets: []int{100}},
			{PID: 8, PPID: 1, Comm: "nginx", State: "S", FDs: 3, Sockets: []int{100}},
			{PID: 9, PPID: 1, Comm: "\x1b[2J\x1b]0;pwned\x07", State: "S", FDs: 3, Sockets: []int{200}},
		},
		sockets: []procfixture.Socket{
			{Addr: netip.MustParseAddrPort("0.0.0.0:80"), Listen: true, Inode: 100},
			{Addr: netip.MustParseAddrPort("0.0.0.0:9000"), Listen: true, Inode: 200},
		},
		cgroup: map[string]string{"memory.max": "max\n", "memory.current": "1\n"},
	}
	r, text := gather(t, f.options(t))
	if l := r.Listening[0]; l.PID != 1 || len(l.Holders) != 3 || l.Holders[2].PID != 8 {
		t.Fatalf("the socket's holders: %+v", l)
	}
	if !strings.Contains(text, "0.0.0.0:80    nginx (PIDs 1, 7, 8)") {
		t.Errorf("the view does not name every holder:\n%s", text)
	}
	if strings.ContainsAny(text, "\x1b\x07") || !strings.Contains(text, `\x1b[2J\x1b]0;pwned\x07`) {
		t.Errorf("the view prints a process name raw:\n%q", text)
	}
}
