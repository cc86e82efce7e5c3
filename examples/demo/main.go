// Command demo shows probe's main job on this machine with nothing but Go:
// it builds probe and the demo app, starts the app on loopback under probe
// exec, as a container's entrypoint would, and runs probe against it while
// the app is healthy, failing, drained by hand, and then through its whole
// shutdown: SIGTERM, draining while still serving, exit.
//
//	go run ./examples/demo
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
}

// lockedWriter lets the app's log and the transcript share one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func run(w io.Writer) error {
	out := &lockedWriter{w: w}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "probe-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	probeBin, appBin := filepath.Join(dir, "probe"), filepath.Join(dir, "app")
	fmt.Fprintln(out, "# building probe and the demo app")
	for bin, pkg := range map[string]string{probeBin: ".", appBin: "./examples/app"} {
		build := exec.Command("go", "build", "-o", bin, pkg)
		build.Dir, build.Env = root, append(os.Environ(), "CGO_ENABLED=0")
		if b, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	marker := filepath.Join(dir, "probe.draining")
	// The demo's own marker, so it never touches this machine's /dev/shm.
	d := &demo{out: out, probe: probeBin, env: append(os.Environ(), "PROBE_MARKER="+marker), base: "http://" + addr}
	// The adaptive drain, with bounds fit for a demo: at least 1s (a load
	// balancer's time to notice), at most 5s.
	entry := []string{"exec", "--drain-min", "1s", "--drain-max", "5s", "--", appBin, "-listen", addr}
	fmt.Fprintf(out, "# the app starts under probe exec, as ENTRYPOINT [\"/probe\", \"exec\", ...] runs it:\n$ probe %s\n", strings.Join(entry, " "))
	app := exec.Command(probeBin, entry...)
	app.Env, app.Stdout, app.Stderr = d.env, out, out
	if err := app.Start(); err != nil {
		return err
	}
	defer app.Process.Kill() //nolint:errcheck
	if err := d.checks(addr); err != nil {
		return err
	}
	return d.stop(app, marker)
}

// demo runs probe the way a person would, and shows what it prints.
type demo struct {
	out   io.Writer
	probe string
	env   []string
	base  string // the app's URL
}

// sh runs probe with args and shows the command, its output and its exit code.
func (d *demo) sh(args ...string) {
	fmt.Fprintf(d.out, "$ probe %s\n", strings.Join(quote(args), " "))
	cmd := exec.Command(d.probe, args...)
	cmd.Env = d.env
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	fmt.Fprintf(d.out, "%s[exit %d]\n\n", buf.String(), code)
}

// post tells the app something, through its admin endpoints.
func (d *demo) post(path string) error {
	resp, err := http.Post(d.base+path, "text/plain", nil)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// checks shows the app healthy, unhealthy and drained by hand.
func (d *demo) checks(addr string) error {
	fmt.Fprintln(d.out, "\n# 1. the app starts; probe waits for it with retries")
	d.sh("--retries", "20", "--retry-delay", "100ms", d.base+"/healthz")
	fmt.Fprintln(d.out, "# 2. healthy, with phase timings, and with a body check and a second target")
	d.sh("-v", d.base+"/healthz")
	d.sh(d.base+"/healthz", "--expect-body", `"status":"UP"`, "tcp://"+addr)

	fmt.Fprintln(d.out, "# 3. the app reports itself down: unhealthy, exit 1")
	if err := d.post("/admin/health?up=false"); err != nil {
		return err
	}
	d.sh(d.base + "/healthz")
	if err := d.post("/admin/health?up=true"); err != nil {
		return err
	}

	fmt.Fprintln(d.out, "# 4. an incident: probe drain takes this replica out of rotation without stopping it;")
	fmt.Fprintln(d.out, "#    health checks say draining (exit 1), a liveness check with --no-marker passes")
	d.sh("drain")
	d.sh(d.base + "/healthz")
	d.sh("--no-marker", d.base+"/healthz")
	d.sh("-o", "json", d.base+"/healthz")
	d.sh("undrain")
	return nil
}

// stop shows docker stop: SIGTERM, the drain with a request in flight, and
// the exit.
func (d *demo) stop(app *exec.Cmd, marker string) error {
	out := d.out
	fmt.Fprintln(out, "# 5. docker stop sends SIGTERM: probe exec creates the marker at once and keeps the app")
	fmt.Fprintln(out, "#    serving until its traffic has stopped and no request is in flight (at least 1s), so")
	fmt.Fprintln(out, "#    load balancers move traffic away first, and a request in flight is answered")
	fmt.Fprintf(out, "$ kill -TERM %d\n", app.Process.Pid)
	sent := time.Now()
	if err := app.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	for {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Since(sent) > time.Second {
			return errors.New("probe exec made no marker within 1s of SIGTERM")
		}
		time.Sleep(5 * time.Millisecond)
	}
	d.sh(d.base + "/healthz")
	time.Sleep(500*time.Millisecond - time.Since(sent))
	resp, err := http.Get(d.base + "/work?ms=1500")
	if err != nil {
		return fmt.Errorf("the app stopped serving during the drain: %w", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Fprintf(out, "# 0.5s into the drain the app still serves, and the drain waits for it: GET /work?ms=1500 -> %s, %q at %.1fs\n\n", resp.Status, strings.TrimSpace(string(body)), time.Since(sent).Seconds())

	fmt.Fprintln(out, "# 6. the traffic has stopped: SIGTERM reaches the app, which exits; probe exec removes the")
	fmt.Fprintln(out, "#    marker and exits with the app's code; probe names what failed")
	if err := app.Wait(); err != nil {
		return fmt.Errorf("probe exec: %w", err)
	}
	fmt.Fprintf(out, "# probe exec exited 0, %.1fs after SIGTERM\n", time.Since(sent).Seconds())
	d.sh(d.base + "/healthz")
	d.sh("--timeout", "1s", "--retries", "3", "--retry-delay", "200ms", d.base+"/healthz")
	return nil
}

func quote(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if strings.ContainsAny(a, ` "'`) {
			out[i] = "'" + a + "'"
		}
	}
	return out
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the demo inside the probe repository: go run ./examples/demo")
		}
		dir = parent
	}
}
