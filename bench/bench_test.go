package main

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestModule(t *testing.T) {
	for symbol, want := range map[string]string{
		"github.com/probe-sh/probe/internal/patched/fasthttp.(*HostClient).Do":        "github.com/valyala/fasthttp (patched copy)",
		"go:itab.*github.com/probe-sh/probe/internal/patched/kong.Value,fmt.Stringer": "github.com/alecthomas/kong (patched copy)",
		"github.com/probe-sh/probe/checks.(*HTTP).Run":                                "probe",
		"type:.eq.github.com/probe-sh/probe/internal/patched/procfs.ProcStat":         "github.com/prometheus/procfs (patched copy)",
		"golang.org/x/sys/unix.Statfs":                                                "golang.org/x/sys",
		"crypto/tls.(*Conn).Handshake":                                                "Go: crypto (TLS, x509)",
		"runtime.mallocgc":                                                            "Go: runtime",
		"main.run":                                                                    "probe (main)",
		"vendor/golang.org/x/net/http2/hpack.NewEncoder":                              "Go: vendored x/net, x/crypto",
		"fmt.Sprintf": "Go: the rest of the standard library",
	} {
		if got := module(symbol); got != want {
			t.Errorf("module(%q) = %q, want %q", symbol, got, want)
		}
	}
}

func TestReportRendering(t *testing.T) {
	r := report{Date: "2026-11-26", CPU: "AMD EPYC", MachineKind: "Firecracker microVM (KVM; no DMI, virtio-pci) in a container (docker)",
		Machine: "2 cores, Debian GNU/Linux 12 (bookworm), kernel 6.18.44, go1.26.8", Runs: 200, RSSRuns: 7, SizeBytes: 7 << 20,
		Checks: []check{{Name: "HTTP", Results: []result{
			{Tool: "probe", WallMS: 2, CPUMS: 2, TaskClockMS: 3, RSSKB: 4400, PageFaults: 240, MinorFaults: 999, Instructions: 2e6},
			{Tool: "curl", WallMS: 5, CPUMS: 5, TaskClockMS: 6, RSSKB: 10000, PageFaults: 600, Instructions: 15e6},
			{Tool: "busybox wget", WallMS: 1, CPUMS: 1, TaskClockMS: 1.5, RSSKB: 1500, PageFaults: 80, Instructions: 1e5},
			{Tool: "Go hello world", WallMS: 1.6, CPUMS: 1, TaskClockMS: 2, RSSKB: 1800, PageFaults: 120, Instructions: 3e5},
		}}, {Name: "Start-up", Results: []result{
			{Tool: "probe --version", WallMS: 2, CPUMS: 2, TaskClockMS: 2.5, RSSKB: 4000, PageFaults: 210, Instructions: 1.4e6},
			{Tool: "Go hello world", WallMS: 1.6, CPUMS: 1, TaskClockMS: 2, RSSKB: 1800, PageFaults: 120, Instructions: 3e5},
		}}},
		GOMAXPROCS: []gomaxprocsRun{
			{Command: "probe --version", Env: "default (2 cores)", PageFaults: 300.4, TaskClockMS: 3.456},
			{Command: "probe --version", Env: "GOMAXPROCS=1", PageFaults: 270, TaskClockMS: 3},
		},
		DeadlineMS: []float64{1004, 1003, 1010}, ConcurrencyMS: []float64{205, 207},
		Container: map[string]float64{"probe": 40, "curl": 50}}
	met := []string{
		"| page faults of a healthy HTTP check at most 250 | 240 | met |",
		"| page faults of probe --version at most 220 | 210 | met |",
		"| peak RSS at most 4.5 MB | 4.4 MB | met |",
		"| wall time at most 2.0x a Go hello world | 1.25x | met |",
		"| wall time at most 0.5x curl | 0.40x | met |",
		"| CPU at most 0.5x curl | 0.40x | met |",
		"| instructions of a healthy HTTP check at most 2.06 M | 2.00 M | met |",
		"| instructions of probe --version at most 1.5 M | 1.40 M | met |",
		"| binary at most 8 MiB (CI fails above 10 MiB) | 7.00 MiB | met |",
	}
	md := r.markdown()
	for _, want := range append(met,
		"Measured on 2026-11-26 on AMD EPYC, Firecracker microVM (KVM; no DMI, virtio-pci) in a container (docker), 2 cores, Debian GNU/Linux 12 (bookworm), kernel 6.18.44, go1.26.8 with `make bench`",
		"| tool | wall, median | CPU user+sys, mean | task-clock, mean | peak RSS, median | page faults, mean | instructions |",
		"| curl | 5.00 ms (probe 0.40x) |",
		"| probe | 2.00 ms | 2.00 ms | 3.00 ms | 4.4 MB | 240 | 2.00 M |",
		"| Go hello world | 1.60 ms (probe 1.25x) | 1.00 ms (probe 2.00x) | 2.00 ms (probe 1.50x) | 1.8 MB (probe 2.44x) | 120 (probe 2.00x) | 0.30 M (probe 6.67x) |",
		"| probe --version | default (2 cores) | 300 | 3.46 ms |",
		"| probe --version | GOMAXPROCS=1 | 270 | 3.00 ms |",
		"exits after 1004 ms (median) and 1010 ms (worst) of 3 runs",
		"probe 40.0 ms, curl 50.0 ms (probe 0.80x)",
		// The run's own counts (bash bench/bench.sh -runs 200 -rss-runs 7),
		// not the defaults.
		"median of 5 interleaved rounds of hyperfine runs (200 runs a tool in all)",
		"`perf stat`'s mean of 7 runs",
		"GNU time's, median of 7 runs",
	) {
		if !strings.Contains(md, want) {
			t.Errorf("the table lacks %q:\n%s", want, md)
		}
	}
	// GNU time's minor faults are in bench.json only: one faults figure in the table.
	if strings.Contains(md, "999") || strings.Contains(md, "minor faults") {
		t.Errorf("the table shows GNU time's minor faults beside perf's page faults:\n%s", md)
	}
	if err := xml.Unmarshal([]byte(r.svg()), new(struct{})); err != nil {
		t.Errorf("the chart is not well-formed XML: %v", err)
	}
	r.Container = nil
	if md := r.markdown(); !strings.Contains(md, "**In a container**: not measured in this run (-docker=false).") {
		t.Errorf("a run without Docker does not say so:\n%s", md)
	}
	r.Container = map[string]float64{"probe": 40, "curl": 50}

	// Each goal just over its limit is marked missed.
	p, curl, version := &r.Checks[0].Results[0], &r.Checks[0].Results[1], &r.Checks[1].Results[0]
	p.PageFaults, version.PageFaults, p.RSSKB = 251, 221, 4600
	p.WallMS, curl.WallMS, p.CPUMS = 3.3, 6.5, 3.3 // 2.06x the hello world, 0.51x curl
	p.Instructions, version.Instructions, r.SizeBytes = 2.07e6, 1.51e6, 8<<20+1<<16
	missed := []string{
		"| page faults of a healthy HTTP check at most 250 | 251 | **missed** |",
		"| page faults of probe --version at most 220 | 221 | **missed** |",
		"| peak RSS at most 4.5 MB | 4.6 MB | **missed** |",
		"| wall time at most 2.0x a Go hello world | 2.06x | **missed** |",
		"| wall time at most 0.5x curl | 0.51x | **missed** |",
		"| CPU at most 0.5x curl | 0.66x | **missed** |",
		"| instructions of a healthy HTTP check at most 2.06 M | 2.07 M | **missed** |",
		"| instructions of probe --version at most 1.5 M | 1.51 M | **missed** |",
		"| binary at most 8 MiB (CI fails above 10 MiB) | 8.06 MiB | **missed** |",
	}
	md = r.markdown()
	for _, want := range missed {
		if !strings.Contains(md, want) {
			t.Errorf("a missed goal is not marked: no %q:\n%s", want, md)
		}
	}
	if n := strings.Count(md, "| met |"); n != 0 {
		t.Errorf("%d goals still met after each went over its limit:\n%s", n, md)
	}
}
