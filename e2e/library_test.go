//go:build e2e

package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// libraryImage is examples/library: a Go service that embeds probe's checks
// as its own healthcheck subcommand.
const libraryImage = "probe-library-example"

// TestLibraryImage: the service built with probe as a library is one
// binary in a FROM scratch image; its HEALTHCHECK runs the binary itself,
// healthy while it serves, draining from docker stop on, and its own drain
// (probe.Drain, at least DRAIN_MIN) keeps it serving until it exits 0.
func TestLibraryImage(t *testing.T) {
	e := dockerEngine(t)
	e.images(t)
	e.build(t, libraryImage, "examples/library/Dockerfile", "GO_IMAGE="+goBuilder)

	files := imageFiles(t, e, libraryImage)
	var names []string
	for _, f := range files {
		names = append(names, fmt.Sprintf("%s (%d bytes)", f.Name, f.Size))
	}
	if len(files) != 1 || files[0].Name != "app" {
		t.Fatalf("the image holds %v; want the one binary, app", names)
	}
	t.Logf("%s: %s: %s", libraryImage, e.size(t, libraryImage), strings.Join(names, ", "))

	name := "probe-e2e-library"
	e.removeAtEnd(t, name)
	e.docker(t, "run", "-d", "--name", name, "--read-only", "--user", "65534", "--cap-drop", "ALL",
		"--health-interval", healthInterval.String(), "-e", "DRAIN_MIN=3s", libraryImage)
	_, s := e.waitHealth(t, name, "healthy", 15*time.Second)
	checkHealthLog(t, s)
	if out := s.lastOutput(); out != "healthy http://127.0.0.1:8080/healthz: HTTP 200 OK\n" {
		t.Errorf("the HEALTHCHECK said %q", out)
	}
	base := "http://" + e.ip(t, name) + ":8080"
	client := &http.Client{Timeout: 5 * time.Second}

	stopAt := time.Now()
	stopped := e.stopInBackground(name)
	unhealthyAt, s := e.waitHealth(t, name, "unhealthy", 3*healthInterval)
	if out := s.lastOutput(); !strings.HasPrefix(out, "draining http://127.0.0.1:8080/healthz: shutdown marker /dev/shm/probe.draining present for ") {
		t.Errorf("the health check after docker stop said %q; want draining", out)
	}
	t.Logf("docker stop: unhealthy (draining) %s later, polled", unhealthyAt.Sub(stopAt).Round(time.Millisecond))
	served := 0
	for time.Since(stopAt) < 2500*time.Millisecond {
		if code, _, err := fetch(client, base+"/"); code != 200 {
			t.Fatalf("a request %s into the 3s drain: %d %v", time.Since(stopAt).Round(time.Millisecond), code, err)
		}
		served++
		time.Sleep(100 * time.Millisecond)
	}
	r := <-stopped
	if r.err != nil {
		t.Fatal(r.err)
	}
	final := e.state(t, name)
	checkHealthLog(t, final)
	if final.ExitCode != 0 || r.took < 3*time.Second || r.took > 10*time.Second {
		t.Errorf("docker stop took %s, exit code %d; want the drain's 3s minimum and exit 0", r.took, final.ExitCode)
	}
	t.Logf("during the drain: %d requests served; docker stop took %s, exit code %d", served, r.took.Round(time.Millisecond), final.ExitCode)
}
