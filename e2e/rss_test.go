//go:build e2e

package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/testserver"
)

// TestHostilePeersBoundedRSS runs the probe binary against the worst
// hostile peer of each kind and reads its peak RSS from the kernel, through
// GNU time (%M, wait4's ru_maxrss: a child the test started itself would
// report the test's own RSS, which execve carries over from the address
// space it shared with its parent until then): whatever a peer sends, a
// check stays within a bound, and ends by its deadline.
func TestHostilePeersBoundedRSS(t *testing.T) {
	gnuTime := requireTool(t, "/usr/bin/time", "time", "the RSS test")
	bin := build(t, t.TempDir(), "probe", ".")
	start := func(kind string) string {
		s, err := testserver.Start(kind, "tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s.Addr
	}
	// A TCP peer that sends without end, for the protocols read line by
	// line or by length: the same bytes whatever probe asks.
	flood := func() string {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			chunk := []byte(strings.Repeat("A", 64<<10))
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					for {
						if _, err := c.Write(chunk); err != nil {
							return
						}
					}
				}()
			}
		}()
		return ln.Addr().String()
	}()
	cases := []struct{ peer, target string }{
		{"HTTP: a body that never ends", "http://" + start("endless") + "/"},
		{"HTTP: 64 KiB of headers", "http://" + start("bigheaders") + "/"},
		{"HTTP: headers a byte every 50 ms", "http://" + start("drip") + "/"},
		{"HTTP/2: a flood of frames", "--http2 http://" + start("h2-flood") + "/"},
		{"HTTP/2: DATA that never ends", "--http2 http://" + start("h2-endless") + "/"},
		{"gRPC: a flood of frames", "grpc://" + start("h2-flood")},
		{"TCP --expect: bytes without end", "tcp://" + flood + " --expect NEVER"},
		{"redis:// a line without end", "redis://" + flood},
		{"postgres:// bytes without end", "postgres://" + flood},
		{"mysql:// bytes without end", "mysql://" + flood},
		{"nats:// bytes without end", "nats://" + flood},
		{"kafka:// bytes without end", "kafka://" + flood},
		{"mongodb:// bytes without end", "mongodb://" + flood},
		{"HTTP --expect-json: a body that never ends", "--expect-json status=UP http://" + start("endless") + "/"},
	}
	for _, c := range cases {
		rssFile := filepath.Join(t.TempDir(), "rss")
		args := append([]string{"-f", "%M", "-o", rssFile, bin, "--timeout", "2s"}, strings.Fields(c.target)...)
		cmd := exec.Command(gnuTime, args...)
		began := time.Now()
		out, _ := cmd.Output()
		took := time.Since(began)
		b, err := os.ReadFile(rssFile)
		if err != nil {
			t.Fatal(err)
		}
		// GNU time writes "Command exited with non-zero status 1" first.
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		kb, _ := strconv.Atoi(lines[len(lines)-1])
		line := strings.TrimSpace(string(out))
		t.Logf("| %s | %d kB | %s | %s |", c.peer, kb, took.Round(time.Millisecond), line)
		if kb == 0 || kb > 32<<10 {
			t.Errorf("%s: peak RSS %d kB, not within 32 MiB", c.peer, kb)
		}
		if took > 2500*time.Millisecond {
			t.Errorf("%s: took %s with --timeout 2s", c.peer, took)
		}
		if cmd.ProcessState.ExitCode() != 1 || strings.Count(line, "\n") != 0 {
			t.Errorf("%s: exit %d, output %q: want exit 1 and one line", c.peer, cmd.ProcessState.ExitCode(), line)
		}
	}
}
