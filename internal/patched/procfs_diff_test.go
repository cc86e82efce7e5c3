package patched_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	upstream "github.com/prometheus/procfs"

	"github.com/probe-sh/probe/internal/patched/procfs"
)

// The differential tests of procfs: every parser the patch touches (each one
// whose regular expression is now compiled on first use) reads the same
// files through upstream procfs and through the copy, and the values and
// errors must be the same. The files are this machine's /proc where it has
// them, and a made-up tree with the shapes a container may not have
// (mdstat, schedstat, inotify fdinfo, smaps without smaps_rollup), good and
// malformed.

// procfsFixtures: 101 good limits, 102 bad; 103 fdinfo, good and bad; 104
// smaps without smaps_rollup, 105 bad; 106 this process's real smaps; 107
// a process's schedstat, 108 a bad one.
var procfsFixtures = map[string]string{
	"mdstat": `Personalities : [linear] [raid0] [raid1] [raid6] [raid5] [raid4] [raid10]
md3 : active raid6 sda1[8] sdh1[7] sdg1[6] sdf1[5] sde1[11] sdd1[3] sdc1[10] sdb1[9] sdd1[10](S) sdd2[11](S)
      5853468288 blocks super 1.2 level 6, 64k chunk, algorithm 2 [8/8] [UUUUUUUU]

md127 : active raid1 sdi2[0] sdj2[1]
      312319552 blocks [2/2] [UU]

md4 : inactive raid1 sda3[0](F) sdb3[1](S)
      4883648 blocks [2/2] [UU]

md6 : active raid1 sdb2[2](F) sdc[1](S) sda2[0]
      195310144 blocks [2/1] [U_]
      [=>...................]  recovery =  8.5% (16775552/195310144) finish=17.0min speed=259783K/sec

md8 : active raid1 sdb1[1] sda1[0]
      195310144 blocks [2/2] [UU]
      [=>...................]  resync =  8.5% (16775552/195310144) finish=17.0min speed=259783K/sec

unused devices: <none>
`,
	"schedstat": `version 15
timestamp 15819019232
cpu0 498494191 0 3533438552 2553969831 3853684107 2465731542 2045936778163039 343796328169361 4767485306
domain0 00000000,00000003 212499247 210112015 1861015 1860405436 536440 369895 32599 210079416 25368550 24241256 384652 927363878 807233 6366 1647 804946
cpu1 518377256 0 4155211005 2778589869 10466382 2867629021 1904686152592476 364107263788241 5145567945
domain0 00000000,00000003 217653037 215526982 1577949 1580427380 557469 393576 28538 215498859 22592006 22008745 233911 828087823 711289 4932 1498 708301
`,
	"slabinfo": `slabinfo - version: 2.1
# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>
nf_conntrack_expect      0      0    256   32    2 : tunables    0    0    0 : slabdata      0      0      0
ext4_groupinfo_4k   1144   1144    144   28    1 : tunables    0    0    0 : slabdata     41     41      0
`,
	"101/limits": `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max file size             unlimited            unlimited            bytes
Max data size             unlimited            unlimited            bytes
Max stack size            8388608              unlimited            bytes
Max core file size        0                    unlimited            bytes
Max resident set          unlimited            unlimited            bytes
Max processes             62898                62898                processes
Max open files            2048                 4096                 files
Max locked memory         18446744073708503040 18446744073708503040 bytes
Max address space         8589934592           unlimited            bytes
Max file locks            unlimited            unlimited            locks
Max pending signals       62898                62898                signals
Max msgqueue size         819200               819200               bytes
Max nice priority         0                    0
Max realtime priority     0                    0
Max realtime timeout      unlimited            unlimited            us
`,
	"102/limits":   "Limit Soft Hard Units\nMax open files 12 lots files\nMax processes            xyz                  62898                processes\n",
	"103/fdinfo/0": "pos:\t0\nflags:\t02004002\nmnt_id:\t13\nino:\t1234\n",
	"103/fdinfo/1": "pos:\t0\nflags:\t02004000\nmnt_id:\t13\nino:\t1235\n" +
		"inotify wd:3 ino:1 sdev:34 mask:fce ignored_mask:0 fhandle-bytes:c fhandle-type:1 f_handle:000000000100000000000000\n" +
		"inotify wd:2 ino:1300016 sdev:fd00002 mask:fce ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:24061301dd56b3d6\n",
	"103/fdinfo/2":  "pos:\tx\nflags:\t02004000\n",
	"103/fdinfo/3":  "flags:\t0\nmnt_id:\t1\ninotify wd:1 ino:zz sdev:1\n",
	"104/smaps":     "00400000-00401000 r-xp 00000000 08:02 1234 /bin/x\nSize:                  4 kB\nRss:                   4 kB\nPss:                   4 kB\nShared_Clean:          0 kB\nPrivate_Dirty:         8 kB\nSwap:                  0 kB\nSwapPss:               0 kB\n7ffc0000-7ffc1000 rw-p 00000000 00:00 0 [stack]\nSize:                132 kB\nRss:                  12 kB\nPss:                  12 kB\nReferenced:          12 kB\nAnonymous:           12 kB\nVmFlags: rd wr mr mw me gd ac\n",
	"105/smaps":     "00400000-00401000 r-xp 00000000 08:02 1234 /bin/x\nSize: lots kB\n",
	"107/schedstat": "411605849 93680043 79\n",
	"108/schedstat": "411605849 x 79\n",
	"zoneinfo": `Node 0, zone      DMA
  per-node stats
      nr_inactive_anon 230981
      nr_active_anon 547580
  pages free     3952
        min      33
        low      41
        high     49
        spanned  4095
        present  3975
        managed  3956
        protection: (0, 2877, 7826, 7826, 7826)
      nr_free_pages 3952
      numa_hit     1
  pagesets
    cpu: 0
              count: 0
              high:  0
              batch: 1
  vm stats threshold: 8
    cpu: 1
              count: 0
  node_unreclaimable:  0
  start_pfn:           1
Node 0, zone    DMA32
  pages free     204252
        min      19510
        managed  725665
        protection: (0, 0, 4949, 4949, 4949)
      nr_free_pages 204252
`,
}

func TestProcfsMatchesUpstream(t *testing.T) {
	root := t.TempDir()
	for name, text := range procfsFixtures {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A snapshot of this machine's /proc, whose files change from one read
	// to the next: its cpuinfo, slabinfo, zoneinfo..., and as PID 200 this
	// process's limits, fdinfo, smaps_rollup and schedstat; as PID 106 its
	// smaps alone, for the manual roll-up.
	snap := t.TempDir()
	for from, to := range map[string]string{
		"cpuinfo": "cpuinfo", "mdstat": "mdstat", "schedstat": "schedstat", "slabinfo": "slabinfo", "zoneinfo": "zoneinfo",
		"self/limits": "200/limits", "self/smaps_rollup": "200/smaps_rollup", "self/schedstat": "200/schedstat",
		"self/fdinfo/0": "200/fdinfo/0", "self/fdinfo/1": "200/fdinfo/1", "self/fdinfo/2": "200/fdinfo/2", "self/fdinfo/3": "200/fdinfo/3",
		"self/smaps": "106/smaps",
	} {
		b, err := os.ReadFile(filepath.Join("/proc", from))
		if err != nil {
			t.Logf("not compared: %v", err)
			continue
		}
		dst := filepath.Join(snap, to)
		if to == "106/smaps" {
			dst = filepath.Join(root, to)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(snap, "200"), 0o755); err != nil {
		t.Fatal(err)
	}

	for _, dir := range []string{snap, root} {
		up, err := upstream.NewFS(dir)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := procfs.NewFS(dir)
		if err != nil {
			t.Fatal(err)
		}
		compared, rejected := 0, 0
		same := func(what string, upV any, upErr error, cpV any, cpErr error) {
			t.Helper()
			if errText(upErr) != errText(cpErr) {
				t.Errorf("%s %s: upstream error %q, the copy's %q", dir, what, errText(upErr), errText(cpErr))
				return
			}
			u, c := jsonOf(t, upV), jsonOf(t, cpV)
			if u != c {
				t.Errorf("%s %s:\nupstream  %s\nthe copy  %s", dir, what, u, c)
			}
			if upErr == nil {
				compared++
			} else if !errors.Is(upErr, fs.ErrNotExist) {
				rejected++
				t.Logf("%s %s: both fail with %v", dir, what, upErr)
			}
		}
		{
			u, ue := up.CPUInfo()
			c, ce := cp.CPUInfo()
			same("CPUInfo", u, ue, c, ce)
		}
		{
			u, ue := up.MDStat()
			c, ce := cp.MDStat()
			same("MDStat", u, ue, c, ce)
		}
		{
			u, ue := up.Schedstat()
			c, ce := cp.Schedstat()
			same("Schedstat", u, ue, c, ce)
		}
		{
			u, ue := up.SlabInfo()
			c, ce := cp.SlabInfo()
			same("SlabInfo", u, ue, c, ce)
		}
		{
			u, ue := up.Zoneinfo()
			c, ce := cp.Zoneinfo()
			same("Zoneinfo", u, ue, c, ce)
		}
		pids := []string{"200"}
		if dir == root {
			pids = []string{"101", "102", "103", "104", "105", "106", "107", "108"}
		}
		for _, pid := range pids {
			var upP upstream.Proc
			var cpP procfs.Proc
			var ue, ce error
			n, _ := strconv.Atoi(pid)
			upP, ue = up.Proc(n)
			cpP, ce = cp.Proc(n)
			if ue != nil || ce != nil {
				t.Fatalf("%s/%s: %v, %v", dir, pid, ue, ce)
			}
			{
				u, ue := upP.Limits()
				c, ce := cpP.Limits()
				same(pid+" Limits", u, ue, c, ce)
			}
			for _, fd := range []string{"0", "1", "2", "3"} {
				u, ue := upP.FDInfo(fd)
				c, ce := cpP.FDInfo(fd)
				same(pid+" FDInfo "+fd, u, ue, c, ce)
			}
			{
				u, ue := upP.ProcSMapsRollup()
				c, ce := cpP.ProcSMapsRollup()
				same(pid+" ProcSMapsRollup", u, ue, c, ce)
			}
			{
				u, ue := upP.Schedstat()
				c, ce := cpP.Schedstat()
				same(pid+" Schedstat", u, ue, c, ce)
			}
		}
		t.Logf("%s: %d parses compared without error, %d rejected by both", dir, compared, rejected)
		if dir == root && (compared < 11 || rejected < 4) {
			t.Errorf("the made-up tree gave %d good parses and %d rejections, want at least 11 and 4: the fixtures no longer exercise the parsers", compared, rejected)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%T: %v", v, err)
	}
	return string(b)
}
