//go:build e2e

package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// What a probe every second costs, exec against httpGet, side by side in one
// run under the real dockerd, for probeCostWindow:
//
//   - exec: the example image with its HEALTHCHECK (an exec of /probe in
//     the container, as a kubelet exec probe is: a runc exec through
//     dockerd, containerd and the container's shim), every second;
//   - httpGet: the same image under probe exec --listen --check, no
//     HEALTHCHECK, and a GET of /readyz from the host every second, as the
//     kubelet's httpGet probe sends it.
//
// CPU is counted where it is spent: the container's cgroup (the app, probe
// exec, and each exec'd probe), its containerd shim, and, for exec, dockerd
// and containerd, which serve only the exec probes during the window (the
// test makes no Docker call in it). The runc processes of each exec are
// children the shim reaps, but so are the exec'd probes, already counted in
// the cgroup: the shim's children are shown apart and not added, so the
// exec total is a lower bound.
const probeCostWindow = time.Minute

func TestProbeCost(t *testing.T) {
	e := dockerEngine(t)
	e.images(t)
	execName, httpName := "probe-e2e-cost-exec", "probe-e2e-cost-httpget"
	e.removeAtEnd(t, execName)
	e.removeAtEnd(t, httpName)
	e.docker(t, "run", "-d", "--name", execName, "--health-interval", "1s", "--health-start-period", "0s", exampleImage)
	e.docker(t, "run", "-d", "--name", httpName, "--no-healthcheck", "--entrypoint", "/probe", exampleImage,
		"exec", "--drain-delay", "1s", "--listen", ":9090", "--check", "http://127.0.0.1:8080/healthz", "--interval", "1s",
		"--", "/app", "-listen", ":8080")
	e.waitHealth(t, execName, "healthy", 15*time.Second)
	readyz := "http://" + e.ip(t, httpName) + ":9090/readyz"
	client := &http.Client{Timeout: 2 * time.Second}
	for end := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if code, _, _ := fetch(client, readyz); code == 200 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("%s never ready:\n%s", readyz, e.logs(httpName))
		}
	}
	dockerd := e.cmd.Process.Pid
	containerd := childNamed(t, dockerd, "containerd")
	type meter struct {
		cgroup string
		shim   int
	}
	meterOf := func(name string) meter {
		pid1 := e.state(t, name).Pid
		return meter{cgroup: cpuCgroup(t, pid1), shim: parentOf(t, pid1)}
	}
	exe, get := meterOf(execName), meterOf(httpName)
	execHealthBefore := len(e.state(t, execName).Health.Log)

	type reading struct{ execCg, execShim, execShimKids, httpCg, httpShim, daemons time.Duration }
	read := func() reading {
		self, kids := procCPU(t, exe.shim)
		httpSelf, _ := procCPU(t, get.shim)
		dSelf, dKids := procCPU(t, dockerd)
		cSelf, cKids := procCPU(t, containerd)
		return reading{cgroupCPU(t, exe.cgroup), self, kids, cgroupCPU(t, get.cgroup), httpSelf, dSelf + dKids + cSelf + cKids}
	}
	before, start := read(), time.Now()
	gets, failed := 0, 0
	for tick := time.NewTicker(time.Second); time.Since(start) < probeCostWindow; <-tick.C {
		gets++
		if code, _, _ := fetch(client, readyz); code != 200 {
			failed++
		}
	}
	after, took := read(), time.Since(start)

	// Both kinds of probe ran all along: Docker's last health check ended
	// within the last few seconds, and the GETs were answered (a loaded
	// machine may miss one or two).
	s := e.state(t, execName)
	if s.Health == nil || len(s.Health.Log) == 0 || time.Since(s.Health.Log[len(s.Health.Log)-1].End) > 5*time.Second {
		t.Fatalf("Docker's exec health checks stopped during the window: %+v", s.Health)
	}
	if failed > gets/10 {
		t.Fatalf("%d of %d GETs of /readyz failed", failed, gets)
	}
	execCost := after.execCg - before.execCg + after.execShim - before.execShim
	daemons := after.daemons - before.daemons
	httpCost := after.httpCg - before.httpCg + after.httpShim - before.httpShim
	if execCost+daemons <= httpCost {
		t.Errorf("exec probes cost %s (+ %s in dockerd and containerd), not more than httpGet's %s", execCost, daemons, httpCost)
	}
	// Docker keeps the last five results; it ran about one a second.
	t.Logf("probes every second for %s, side by side (%d GETs of /readyz, %d failed; Docker kept %d health results at the start):\n"+
		"| | container cgroup | its shim | dockerd + containerd | total | per probe |\n|---|---|---|---|---|---|\n"+
		"| exec probe (HEALTHCHECK /probe ..., 1s) | %s | %s | %s | %s | %s |\n"+
		"| httpGet /readyz of probe exec --listen (1s) | %s | %s | 0 | %s | %s |\n"+
		"exec costs at least %.1fx the CPU of httpGet; not added: the exec shim's reaped children (runc, and the exec'd probes counted in the cgroup), %s",
		took.Round(time.Second), gets, failed, execHealthBefore,
		(after.execCg - before.execCg).Round(time.Millisecond), (after.execShim - before.execShim).Round(time.Millisecond), daemons.Round(time.Millisecond),
		(execCost + daemons).Round(time.Millisecond), ((execCost + daemons) / time.Duration(gets)).Round(10*time.Microsecond),
		(after.httpCg - before.httpCg).Round(time.Millisecond), (after.httpShim - before.httpShim).Round(time.Millisecond),
		httpCost.Round(time.Millisecond), (httpCost / time.Duration(gets)).Round(10*time.Microsecond),
		float64(execCost+daemons)/float64(httpCost), (after.execShimKids - before.execShimKids).Round(time.Millisecond))
}

// cpuCgroup is the directory of pid's CPU accounting cgroup: cgroup v1's
// cpuacct controller, or v2's unified hierarchy.
func cpuCgroup(t *testing.T, pid int) string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		for _, c := range strings.Split(f[1], ",") {
			if c == "cpuacct" {
				return filepath.Join("/sys/fs/cgroup/cpuacct", f[2])
			}
		}
		if f[0] == "0" && f[1] == "" {
			if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
				return filepath.Join("/sys/fs/cgroup", f[2])
			}
		}
	}
	t.Fatalf("no CPU accounting cgroup for %d:\n%s", pid, data)
	return ""
}

// cgroupCPU is the CPU time used in a cgroup so far.
func cgroupCPU(t *testing.T, dir string) time.Duration {
	t.Helper()
	if data, err := os.ReadFile(filepath.Join(dir, "cpuacct.usage")); err == nil {
		ns, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return time.Duration(ns)
	}
	data, err := os.ReadFile(filepath.Join(dir, "cpu.stat"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "usage_usec "); ok {
			us, _ := strconv.ParseInt(v, 10, 64)
			return time.Duration(us) * time.Microsecond
		}
	}
	t.Fatalf("no usage in %s/cpu.stat", dir)
	return 0
}

// procCPU is the CPU time of a process, and that of the children it has
// reaped.
func procCPU(t *testing.T, pid int) (self, children time.Duration) {
	t.Helper()
	f := statFields(t, pid)
	tick := func(i int) time.Duration {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		return time.Duration(n) * 10 * time.Millisecond // USER_HZ is 100 on Linux
	}
	return tick(11) + tick(12), tick(13) + tick(14) // utime + stime, cutime + cstime
}

// statFields are the fields of /proc/PID/stat after the command name: the
// state is [0], the parent [1].
func statFields(t *testing.T, pid int) []string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
}

func parentOf(t *testing.T, pid int) int {
	t.Helper()
	ppid, _ := strconv.Atoi(statFields(t, pid)[1])
	return ppid
}

// childNamed is the child of pid whose command name is name.
func childNamed(t *testing.T, pid int, name string) int {
	t.Helper()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		child, _ := strconv.Atoi(filepath.Base(d))
		comm, err := os.ReadFile(filepath.Join(d, "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != name {
			continue
		}
		if data, err := os.ReadFile(filepath.Join(d, "stat")); err == nil {
			s := string(data)
			if f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(f) > 1 && f[1] == strconv.Itoa(pid) {
				return child
			}
		}
	}
	t.Fatalf("dockerd (%d) has no child named %s", pid, name)
	return 0
}
