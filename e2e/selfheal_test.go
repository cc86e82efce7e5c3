//go:build e2e

package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Self-healing without the Docker socket. Docker never restarts an
// unhealthy container (moby#28400); autoheal does, with the Docker socket
// mounted, which is root on the host. probe exec --restart-unhealthy checks
// the app itself and exits 1 once it is down, and the restart policy acts.
const (
	healInterval  = time.Second
	healThreshold = 3
	healTimeout   = time.Second
	healDrain     = time.Second
)

func TestSelfHealing(t *testing.T) {
	e := dockerEngine(t)
	e.images(t)

	// Docker's own health check, as fast, on a container without the flag:
	// it turns unhealthy and stays so.
	control := "probe-e2e-heal-control"
	e.removeAtEnd(t, control)
	e.docker(t, "run", "-d", "--name", control, "--restart", "on-failure",
		"--health-interval", healInterval.String(), "--health-start-period", "0s", "--health-retries", strconv.Itoa(healThreshold),
		"--health-timeout", "3s", exampleImage)

	name := "probe-e2e-heal"
	e.removeAtEnd(t, name)
	e.docker(t, "run", "-d", "--name", name, "--restart", "on-failure", "--entrypoint", "/probe", exampleImage,
		"exec", "--drain-delay", healDrain.String(), "--restart-unhealthy", "--check", "http://127.0.0.1:8080/healthz",
		"--interval", healInterval.String(), "--failure-threshold", strconv.Itoa(healThreshold), "--timeout", healTimeout.String(),
		"--", "/app", "-listen", ":8080")

	e.waitHealth(t, control, "healthy", 15*time.Second)
	for end := time.Now().Add(15 * time.Second); !strings.Contains(e.logs(name), "is up: HTTP 200"); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the app never turned up:\n%s", e.logs(name))
		}
	}
	if n := restarts(t, e, name); n != 0 {
		t.Fatalf("RestartCount %d before anything happened", n)
	}

	// Both apps hang.
	hung := time.Now()
	for _, c := range []string{name, control} {
		if err := syscall.Kill(appPID(t, e.state(t, c).Pid), syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
	}
	// N failed checks, each up to its timeout, then the drain; the rest is
	// Docker's (its first restart waits 100ms; the start took 0.7s here),
	// with room for a loaded machine.
	within := healThreshold*healInterval + healTimeout + healDrain + 5*time.Second
	var back time.Duration
	for end := hung.Add(within); ; time.Sleep(50 * time.Millisecond) {
		if restarts(t, e, name) >= 1 && e.state(t, name).Running {
			back = time.Since(hung)
			break
		}
		if time.Now().After(end) {
			t.Fatalf("not restarted %s after the app hung (RestartCount %d)\nlogs:\n%s", within, restarts(t, e, name), e.logs(name))
		}
	}
	logs := e.logs(name)
	for _, want := range []string{
		fmt.Sprintf("probe: http://127.0.0.1:8080/healthz failed %d checks in a row (--restart-unhealthy): ", healThreshold),
		"before sending SIGTERM to app",
		"app: terminated: finishing requests in flight, then exiting",
		"probe: exiting with code 1 all the same, so that the restart policy starts it again",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the container's log lacks %q:\n%s", want, logs)
		}
	}
	// The new app serves again.
	for end := time.Now().Add(15 * time.Second); strings.Count(e.logs(name), "is up: HTTP 200") < 2; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the restarted app never turned up:\n%s", e.logs(name))
		}
	}

	// The control turns unhealthy (each of its checks waits out the
	// image's 2s probe deadline), and stays so: running, never restarted.
	e.waitHealth(t, control, "unhealthy", 20*time.Second)
	time.Sleep(3 * time.Second)
	s := e.state(t, control)
	if s.health() != "unhealthy" || !s.Running || restarts(t, e, control) != 0 {
		t.Errorf("without --restart-unhealthy, %s after the app hung: health %q, running %v, RestartCount %d; want unhealthy, running, 0 (Docker does not restart it)",
			time.Since(hung).Round(time.Millisecond), s.health(), s.Running, restarts(t, e, control))
	}
	syscall.Kill(appPID(t, s.Pid), syscall.SIGCONT)

	t.Logf("restarted and running %s after the app hung (bound: %d x %s + %s timeout + %s drain + 5s)", back.Round(time.Millisecond),
		healThreshold, healInterval, healTimeout, healDrain)
	time.Sleep(300 * time.Millisecond)
	var b strings.Builder
	for _, ev := range e.events.of(name, "start", "kill", "die") {
		fmt.Fprintf(&b, "  %s  %+7.3fs  %s", ev.at().UTC().Format("15:04:05.000"), ev.at().Sub(hung).Seconds(), ev.Action)
		if code := ev.Actor.Attributes["exitCode"]; code != "" {
			fmt.Fprintf(&b, " (exitCode %s)", code)
		}
		b.WriteString("\n")
	}
	t.Logf("docker events for %s, from the moment the app hung (SIGSTOP):\n%s", name, b.String())
	if got := e.events.of(name, "die"); len(got) != 1 || got[0].Actor.Attributes["exitCode"] != "1" {
		t.Errorf("want one die event with exitCode 1, got %d: %v", len(got), got)
	}
}

func restarts(t *testing.T, e *engine, name string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(e.docker(t, "inspect", "-f", "{{.RestartCount}}", name)))
	if err != nil {
		t.Fatalf("RestartCount of %s: %v", name, err)
	}
	return n
}
