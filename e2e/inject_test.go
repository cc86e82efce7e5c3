//go:build e2e

package e2e

import (
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The recipes for images you don't build (docs/examples.md): probe is
// copied into a volume by `probe install`, run from probe's own image, and
// the app's image, which has no shell and no curl, calls the copy.

// injectAppImage is examples/inject/compose.yaml's default app image: the
// demo app alone, FROM scratch.
const injectAppImage = "probe-inject-app"

// TestInjectCompose runs examples/inject/compose.yaml as it is: the
// one-shot probe-install seeds the named volume, the app (an image of one
// file, /app) starts after it and turns healthy by its exec-form health
// check calling /probe-bin/probe; unhealthy once the app fails, healthy
// again once it heals; a second probe-install changes nothing.
func TestInjectCompose(t *testing.T) {
	e := dockerEngine(t)
	requireCompose(t, e)
	e.images(t)
	e.build(t, injectAppImage, "examples/inject/Dockerfile", "GO_IMAGE="+goBuilder)
	var names []string
	for _, f := range imageFiles(t, e, injectAppImage) {
		names = append(names, f.Name)
	}
	if strings.Join(names, " ") != "app" {
		t.Fatalf("%s holds %v; want /app alone: no probe, no shell, no curl", injectAppImage, names)
	}

	file := "../examples/inject/compose.yaml"
	compose := func(args ...string) (string, error) {
		cmd := exec.Command("docker", append([]string{"compose", "-f", file, "-p", "probe-e2e-inject"}, args...)...)
		cmd.Env = e.env()
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { compose("down", "-v", "-t", "1") })
	start := time.Now()
	if out, err := compose("up", "--wait", "--wait-timeout", "90", "--no-build"); err != nil {
		t.Fatalf("docker compose up --wait: %v\n%s\nprobe-install said: %s\napp's last check: %q", err, out,
			e.logs("probe-e2e-inject-probe-install-1"), e.state(t, "probe-e2e-inject-app-1").lastOutput())
	}
	t.Logf("docker compose up --wait: the app healthy after %s", time.Since(start).Round(time.Millisecond))

	installer, app := "probe-e2e-inject-probe-install-1", "probe-e2e-inject-app-1"
	is := e.state(t, installer)
	logs := strings.TrimSpace(e.logs(installer))
	if is.Running || is.ExitCode != 0 || !strings.HasPrefix(logs, "installed /probe-bin/probe (") {
		t.Errorf("probe-install: running %v, exit code %d, said %q; want exit 0 and \"installed /probe-bin/probe (...)\"", is.Running, is.ExitCode, logs)
	}
	as := e.state(t, app)
	if as.health() != "healthy" || !strings.HasPrefix(as.lastOutput(), "healthy http://127.0.0.1:8080/healthz") {
		t.Fatalf("app: health %q, last check %q; want healthy by /probe-bin/probe", as.health(), as.lastOutput())
	}
	// depends_on: service_completed_successfully: the app started after
	// the copy was made.
	if !as.StartedAt.After(is.FinishedAt) {
		t.Errorf("the app started at %s, before probe-install finished (%s)", as.StartedAt, is.FinishedAt)
	}
	t.Logf("probe-install: %s; the app started %s after it exited; its check: %s", logs,
		as.StartedAt.Sub(is.FinishedAt).Round(time.Millisecond), strings.TrimSpace(as.lastOutput()))

	admin := "http://" + e.ip(t, app) + ":8080/admin/health?up="
	client := &http.Client{Timeout: 3 * time.Second}
	setHealth := func(up string) {
		t.Helper()
		resp, err := client.Post(admin+up, "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// interval 5s x retries 2, and a check's 3s timeout.
	failed := time.Now()
	setHealth("false")
	_, s := e.waitHealth(t, app, "unhealthy", 2*5*time.Second+8*time.Second)
	if out := s.lastOutput(); !strings.HasPrefix(out, "unhealthy http://127.0.0.1:8080/healthz") || !strings.Contains(out, "503") {
		t.Errorf("the check of a failing app said %q; want unhealthy ... 503", out)
	}
	t.Logf("the app fails: unhealthy %s later: %s", time.Since(failed).Round(time.Millisecond), strings.TrimSpace(s.lastOutput()))
	setHealth("true")
	healed := time.Now()
	e.waitHealth(t, app, "healthy", 5*time.Second+8*time.Second)
	t.Logf("the app heals: healthy %s later", time.Since(healed).Round(time.Millisecond))

	// Idempotent: the same binary is already there.
	out, err := compose("run", "--rm", "-T", "probe-install")
	if err != nil || !strings.Contains(out, "already installed: /probe-bin/probe is this binary") {
		t.Errorf("probe-install again: %v, %q; want \"already installed\"", err, out)
	}
}
