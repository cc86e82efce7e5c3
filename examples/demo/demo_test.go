//go:build e2e

package main

import (
	"bytes"
	"regexp"
	"testing"
)

// TestDemo runs the README's first command and checks that its transcript
// shows every state with the right exit code.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		`(?m)^healthy http://127\.0\.0\.1:\d+/healthz in .*: HTTP 200 OK\n\[exit 0\]$`,
		`(?m)^  phases: connect .*, first byte .*, total .*$`,
		`(?m)^healthy tcp://127\.0\.0\.1:\d+ in .*: connected\n\[exit 0\]$`,
		`(?m)^unhealthy http://.*: HTTP 503 Service Unavailable, want 200-399 \(--status\)\n\[exit 1\]$`,
		`(?m)^draining: created the shutdown marker .*\n\[exit 0\]$`,
		`(?m)^draining http://.*: shutdown marker .* present for \d+s\n\[exit 1\]$`,
		`(?m)^undrained: removed the shutdown marker .*\n\[exit 0\]$`,
		`(?m)^probe: received SIGTERM: draining until the app's traffic stops \(at least 1s, at most 5s\) before passing it on to app \(shutdown marker .* created: health checks report draining\)$`,
		`(?m)^# 0\.5s into the drain the app still serves, and the drain waits for it: GET /work\?ms=1500 -> 200 OK, "done after 1500ms" at \d\.\ds$`,
		`(?m)^probe: the app's traffic stopped after \d\.\d+s of the drain: no data in or out for [\d.]+m?s, none in flight, \d+ idle connections? open: passing SIGTERM on to app$`,
		`(?m)^probe: app exited with code 0$`,
		`(?m)^# probe exec exited 0, \d+\.\ds after SIGTERM$`,
		`(?m)^\{"state":"draining",.*\}\n\[exit 1\]$`,
		`(?m)^unhealthy http://.*: connect: connection refused \(127\.0\.0\.1:\d+\)\n\[exit 1\]$`,
		`(?m)^unhealthy http://.* in .*, 4 attempts: connect: connection refused`,
		`(?m)^app: bye$`,
	} {
		if !regexp.MustCompile(want).Match(out.Bytes()) {
			t.Errorf("the demo transcript lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("transcript:\n%s", out.String())
	}
}
