//go:build e2e

package e2e

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// requireCompose fails in CI and skips loudly elsewhere when the Compose v2
// plugin is missing (.ci/run builds it from the Go module proxy).
func requireCompose(t *testing.T, e *engine) {
	t.Helper()
	if _, err := e.run("", "compose", "version"); err != nil {
		msg := "the compose test needs the Compose v2 plugin (docker compose), which is not installed; .ci/run builds it: " +
			"GOBIN=$PWD/bin go install github.com/docker/compose/v2/cmd@v2.29.7, copied to /usr/local/lib/docker/cli-plugins/docker-compose"
		unavailable(t, msg, "SKIPPED: "+msg)
	}
}

// TestCompose brings up examples/compose with docker compose up --wait:
// the app turns healthy by probe's check, the frontend starts only after,
// and the sidecar's /readyz follows the app's shutdown marker through the
// shared IPC namespace.
// TestPostgresExample: the compose file of examples/postgres is valid, and
// says what the README says: the app depends on the database's probe health
// check, and its entrypoint is probe wait, then probe exec. (Its Postgres
// image cannot be pulled here; TestPostgres runs a real Postgres under
// probe, and probe wait through its start-up window.)
func TestPostgresExample(t *testing.T) {
	e := dockerEngine(t)
	requireCompose(t, e)
	out, err := e.run("", "compose", "-f", "../examples/postgres/compose.yaml", "config")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"condition: service_healthy", "postgres://app:$${DB_PASSWORD}@db:5432/postgres", "- /probe\n      - exec"} {
		if !strings.Contains(out, want) {
			t.Errorf("docker compose config lacks %q:\n%s", want, out)
		}
	}
}

func TestCompose(t *testing.T) {
	e := dockerEngine(t)
	requireCompose(t, e)
	e.images(t)
	file := "../examples/compose/compose.yaml"
	compose := func(args ...string) (string, error) {
		cmd := exec.Command("docker", append([]string{"compose", "-f", file, "-p", "probe-e2e"}, args...)...)
		cmd.Env = e.env()
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { compose("down", "-t", "1") })
	start := time.Now()
	if out, err := compose("up", "--wait", "--wait-timeout", "120", "--no-build"); err != nil {
		t.Fatalf("docker compose up --wait: %v\n%s", err, out)
	}
	t.Logf("docker compose up --wait: every service healthy after %s", time.Since(start).Round(time.Millisecond))

	app, frontend, sidecar := "probe-e2e-app-1", "probe-e2e-frontend-1", "probe-e2e-readyz-1"
	appState := e.state(t, app)
	for _, c := range []string{app, frontend, sidecar} {
		if s := e.state(t, c); s.health() != "healthy" {
			t.Errorf("%s: health %q after up --wait", c, s.health())
		}
	}
	// depends_on: condition: service_healthy: the frontend started after
	// the app's first passing check.
	firstPass := time.Time{}
	for _, r := range appState.Health.Log {
		if r.ExitCode == 0 {
			firstPass = r.End
			break
		}
	}
	if fs := e.state(t, frontend); firstPass.IsZero() || fs.StartedAt.Before(firstPass) {
		t.Errorf("the frontend started at %s, before the app's first passing check (%s)", fs.StartedAt, firstPass)
	} else {
		t.Logf("the app's first passing check ended %s after it started; the frontend started %s after that",
			firstPass.Sub(appState.StartedAt).Round(time.Millisecond), fs.StartedAt.Sub(firstPass).Round(time.Millisecond))
	}

	// The sidecar, seen from the host as a load balancer would see it.
	readyz := "http://" + e.ip(t, app) + ":9090/readyz"
	client := &http.Client{Timeout: 3 * time.Second}
	// waitReadyz polls until the sidecar answers want, and returns when,
	// counted from since.
	waitReadyz := func(since time.Time, want int, body string) time.Duration {
		t.Helper()
		start := time.Now()
		for {
			code, got, err := fetch(client, readyz)
			if code == want && strings.Contains(got, body) {
				return time.Since(since)
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("sidecar %s: %d %q %v; want %d with %q", readyz, code, got, err, want, body)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitReadyz(time.Now(), 200, "ready")
	// probe serve checks every second (--interval 1s in compose.yaml).
	drained := time.Now()
	if out, err := compose("exec", "-T", "app", "/probe", "drain"); err != nil {
		t.Fatalf("docker compose exec app /probe drain: %v\n%s", err, out)
	}
	t.Logf("sidecar /readyz: 503 draining %s after docker compose exec app /probe drain began", waitReadyz(drained, 503, "draining").Round(time.Millisecond))
	compose("exec", "-T", "app", "/probe", "undrain")
	waitReadyz(time.Now(), 200, "ready")

	// SIGTERM, as docker compose stop sends it: the sidecar reports
	// draining while the app still serves.
	killed := time.Now()
	if out, err := compose("kill", "-s", "SIGTERM", "app"); err != nil {
		t.Fatalf("docker compose kill -s SIGTERM app: %v\n%s", err, out)
	}
	took := waitReadyz(killed, 503, "draining")
	if took > 2*time.Second+time.Second {
		t.Errorf("the sidecar reported draining %s after SIGTERM; want within its 1s interval (plus the CLI's own time)", took)
	}
	if code, _, err := fetch(client, "http://"+e.ip(t, app)+":8080/healthz"); code != 200 {
		t.Errorf("the app during the drain: %d %v; want 200", code, err)
	}
	t.Logf("sidecar /readyz: 503 draining %s after SIGTERM, while the app answers 200", took.Round(time.Millisecond))
}

// TestSwarmStack deploys examples/swarm/stack.yml on a one-node swarm: it
// converges to healthy, and an update to an image whose health check fails
// rolls back on its own, without stopping the tasks that were serving.
func TestSwarmStack(t *testing.T) {
	e := dockerEngine(t)
	e.images(t)
	if out, err := e.run("", "swarm", "init", "--advertise-addr", "127.0.0.1"); err != nil {
		t.Fatalf("docker swarm init: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		// The stack's overlay network must be gone before the node leaves
		// the swarm, or its namespace and VXLAN device outlive dockerd.
		e.run("", "stack", "rm", "probe-e2e")
		for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
			if out, err := e.run("", "network", "ls", "-q", "--filter", "label=com.docker.stack.namespace=probe-e2e"); err == nil && strings.TrimSpace(out) == "" {
				break
			}
		}
		e.run("", "swarm", "leave", "--force")
	})
	// Two tags of the example: v1, and a broken release that listens on
	// the wrong port, so its health check never passes.
	e.docker(t, "tag", exampleImage, exampleImage+":v1")
	broken := e.dir + "/Dockerfile.broken"
	os.WriteFile(broken, []byte("FROM "+exampleImage+"\n"+
		`ENTRYPOINT ["/probe", "exec", "--drain-delay", "10s", "--", "/app", "-listen", ":8081"]`+"\n"), 0o644)
	if _, err := e.run(broken, "build", "-q", "-t", exampleImage+":broken", "-"); err != nil {
		t.Fatal(err)
	}
	deploy := func(image string) {
		t.Helper()
		if out, err := e.runEnv([]string{"APP_IMAGE=" + image}, "", "stack", "deploy", "--resolve-image", "never",
			"-c", "../examples/swarm/stack.yml", "probe-e2e"); err != nil {
			t.Fatalf("docker stack deploy: %v\n%s", err, out)
		}
	}
	healthy := func() []string {
		out, _ := e.run("", "ps", "-q", "--filter", "label=com.docker.swarm.service.name=probe-e2e_app", "--filter", "health=healthy")
		return strings.Fields(out)
	}

	start := time.Now()
	deploy(exampleImage + ":v1")
	var serving []string
	for serving = healthy(); len(serving) < 2; serving = healthy() {
		if time.Since(start) > 90*time.Second {
			out, _ := e.run("", "service", "ps", "--no-trunc", "probe-e2e_app")
			t.Fatalf("%d of 2 tasks healthy 90s after deploy:\n%s", len(serving), out)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("stack deployed: 2 of 2 tasks healthy after %s", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	deploy(exampleImage + ":broken")
	var status string
	var seen []string
	for {
		status = e.docker(t, "service", "inspect", "-f", "{{if .UpdateStatus}}{{.UpdateStatus.State}}: {{.UpdateStatus.Message}}{{end}}", "probe-e2e_app")
		state, _, _ := strings.Cut(status, ":")
		if len(seen) == 0 || seen[len(seen)-1] != state {
			seen = append(seen, state)
			t.Logf("+%5.1fs UpdateStatus.State %s", time.Since(start).Seconds(), status)
		}
		if state == "rollback_completed" || state == "rollback_paused" || state == "paused" {
			break
		}
		if time.Since(start) > 3*time.Minute {
			t.Fatalf("the update to a broken image is still %q after 3m", status)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if !strings.HasPrefix(status, "rollback_completed") {
		t.Errorf("the update to a broken image ended %q; want rollback_completed", status)
	}
	if img := e.docker(t, "service", "inspect", "-f", "{{.Spec.TaskTemplate.ContainerSpec.Image}}", "probe-e2e_app"); img != exampleImage+":v1" {
		t.Errorf("after the rollback the service runs %q; want %s:v1", img, exampleImage)
	}
	// start-first: the tasks that served before the update were never
	// stopped, since the new task never turned healthy.
	now := healthy()
	for _, id := range serving {
		if !strings.Contains(" "+strings.Join(now, " ")+" ", " "+id+" ") {
			t.Errorf("task container %s, healthy before the update, is gone after it (healthy now: %v)", id, now)
		}
	}
	out, _ := e.run("", "ps", "-a", "--filter", "ancestor="+exampleImage+":broken", "-q")
	for _, id := range strings.Fields(out) {
		if s := e.state(t, id); s.Health != nil {
			for _, r := range s.Health.Log {
				if strings.HasPrefix(r.Output, "unhealthy") {
					t.Logf("the broken task's health check said: %s", strings.TrimSpace(r.Output))
					return
				}
			}
		}
	}
}
