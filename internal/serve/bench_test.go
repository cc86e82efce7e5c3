package serve

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/monitor"
	"github.com/probe-sh/probe/internal/patched/fasthttp"
	"github.com/probe-sh/probe/probe"
)

// BenchmarkReadyz measures the handler alone, for the CPU profile behind
// bench/serve.sh's throughput figure.
func BenchmarkReadyz(b *testing.B) {
	var targets []probe.Target
	for range 5 {
		targets = append(targets, probe.Target{Name: "tcp://127.0.0.1:1", Kind: "tcp", Check: &checks.TCP{Host: "127.0.0.1", Port: "1"}})
	}
	s := &Server{Monitor: &monitor.Monitor{Targets: targets, Interval: time.Hour}, Marker: filepath.Join(b.TempDir(), "draining")}
	var c fasthttp.RequestCtx
	c.Request.SetRequestURI("/readyz")
	b.ReportAllocs()
	for b.Loop() {
		s.handle(&c)
		c.Response.Reset()
	}
}
