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
			{Tool: "probe", WallMS: 2, CPUMS: 2, RSSKB: 7000, Instructions: 6e6},
			{Tool: "curl", WallMS: 5, CPUMS: 5, RSSKB: 10000, Instructions: 15e6},
			{Tool: "busybox wget", WallMS: 1, CPUMS: 1, RSSKB: 1500, Instructions: 1e5},
			{Tool: "Go hello world", WallMS: 1.6, CPUMS: 1, RSSKB: 1800, MinorFaults: 120, Instructions: 3e5},
		}}, {Name: "Start-up", Results: []result{
			{Tool: "probe --version", WallMS: 2, CPUMS: 2, RSSKB: 6000, Instructions: 1.4e6},
			{Tool: "Go hello world", WallMS: 1.6, CPUMS: 1, RSSKB: 1800, Instructions: 3e5},
		}}},
		DeadlineMS: []float64{1004, 1003, 1010}, ConcurrencyMS: []float64{205, 207},
		Container: map[string]float64{"probe": 40, "curl": 50}}
	md := r.markdown()
	for _, want := range []string{
		"Measured on 2026-11-26 on AMD EPYC, Firecracker microVM (KVM; no DMI, virtio-pci) in a container (docker), 2 cores, Debian GNU/Linux 12 (bookworm), kernel 6.18.44, go1.26.8 with `make bench`",
		"| curl | 5.00 ms (probe 0.40x) |",
		"| wall time at most 0.5x curl | 0.40x | met |",
		"| wall time at most 1.5x a Go hello world | 1.25x | met |",
		"| instructions of a healthy HTTP check at most 2.4 M | 6.00 M | **missed** |",
		"| instructions of probe --version at most 1.5 M | 1.40 M | met |",
		"| Go hello world | 1.60 ms (probe 1.25x) | 1.00 ms (probe 2.00x) | 1.8 MB (probe 3.89x) | 120 | 0.30 M (probe 20.00x) |",
		"| peak RSS at most 0.7x curl | 0.70x | met |",
		"| wall time within 2.5x of busybox wget | 2.00x | met |",
		"| binary at most 8 MiB (CI fails above 10 MiB) | 7.00 MiB | met |",
		"exits after 1004 ms (median) and 1010 ms (worst) of 3 runs",
		"probe 40.0 ms, curl 50.0 ms (probe 0.80x)",
		// The run's own counts (bash bench/bench.sh -runs 200 -rss-runs 7),
		// not the defaults.
		"median of 5 interleaved rounds of hyperfine runs (200 runs a tool in all)",
		"GNU time's, median of 7 runs",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the table lacks %q:\n%s", want, md)
		}
	}
	r.Container = nil
	if md := r.markdown(); !strings.Contains(md, "**In a container**: not measured in this run (-docker=false).") {
		t.Errorf("a run without Docker does not say so:\n%s", md)
	}
	r.Checks[0].Results[0].WallMS = 3
	if md := r.markdown(); !strings.Contains(md, "| wall time at most 0.5x curl | 0.60x | **missed** |") {
		t.Errorf("a missed goal is not marked:\n%s", md)
	}
	if err := xml.Unmarshal([]byte(r.svg()), new(struct{})); err != nil {
		t.Errorf("the chart is not well-formed XML: %v", err)
	}
}
