package main

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// containerCost builds two images from root filesystems made here, the demo
// app with probe and the demo app with this machine's curl and its
// libraries, runs each with an exec-form HEALTHCHECK every second, and
// returns the median duration Docker records in .State.Health.Log. It
// starts a dockerd of its own and stops it.
func containerCost(probe, work string) (map[string]float64, string) {
	docker, stop, why := startDockerd(work)
	if why != "" {
		return nil, why
	}
	defer stop()
	app := filepath.Join(work, "app")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", app, "./examples/app")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		log.Fatalf("go build ./examples/app: %v\n%s", err, out)
	}
	curlFiles, err := withLibraries("/usr/bin/curl")
	if err != nil {
		return nil, "not measured: " + err.Error()
	}
	curlFiles["/app"] = app
	images := []benchImage{
		{"probe", map[string]string{"/app": app, "/probe": probe}, `["/probe", "http://127.0.0.1:8080/healthz"]`},
		{"curl", curlFiles, `["/usr/bin/curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/healthz"]`},
	}
	got := map[string]float64{}
	for _, img := range images {
		ms, why := img.healthTimes(docker, work)
		if why != "" {
			return nil, why
		}
		got[img.name] = median(ms)
		log.Printf("in a container: %s health checks took %v ms", img.name, ms)
	}
	return got, ""
}

// dockerCLI runs the docker CLI against the bench's own dockerd, with
// stdin from a file when one is named.
type dockerCLI func(stdin string, args ...string) (string, error)

// startDockerd starts a dockerd of the bench's own, in work, and returns
// its CLI and how to stop it, or why it could not.
func startDockerd(work string) (docker dockerCLI, stop func(), why string) {
	if _, err := exec.LookPath("dockerd"); err != nil {
		return nil, nil, "not measured: dockerd is not installed (make bench installs docker.io)"
	}
	dir := filepath.Join(work, "docker")
	sock := "unix://" + filepath.Join(dir, "docker.sock")
	d := exec.Command("dockerd", "--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "docker.pid"), "-H", sock,
		"--iptables=false", "--ip6tables=false", "--ip-forward=false", "--bridge=none", "--dns", "127.0.0.1")
	d.Env = append(os.Environ(), "DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1")
	logFile, err := os.Create(filepath.Join(work, "dockerd.log"))
	if err != nil {
		log.Fatal(err)
	}
	d.Stdout, d.Stderr = logFile, logFile
	if err := d.Start(); err != nil {
		return nil, nil, "not measured: dockerd did not start: " + err.Error()
	}
	stop = func() {
		d.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { d.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			d.Process.Kill()
		}
	}
	docker = func(stdin string, args ...string) (string, error) {
		cmd := exec.Command("docker", append([]string{"-H", sock}, args...)...)
		cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
		if stdin != "" {
			f, err := os.Open(stdin)
			if err != nil {
				return "", err
			}
			defer f.Close()
			cmd.Stdin = f
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		return string(out), nil
	}
	for end := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if _, err := docker("", "version"); err == nil {
			return docker, stop, ""
		}
		if time.Now().After(end) {
			stop()
			return nil, nil, "not measured: dockerd did not answer within 60s (see its log)"
		}
	}
}

// benchImage is an image whose HEALTHCHECK is measured: the files it holds
// (path in the image -> path here) and the check.
type benchImage struct {
	name   string
	files  map[string]string
	health string
}

// healthTimes builds the image, runs it until Docker has kept five health
// results, and returns how long each check took, in milliseconds.
func (img benchImage) healthTimes(docker dockerCLI, work string) ([]float64, string) {
	root := filepath.Join(work, "rootfs-"+img.name)
	for in, here := range img.files {
		if err := copyFile(here, filepath.Join(root, in)); err != nil {
			log.Fatal(err)
		}
	}
	tarball := root + ".tar"
	if out, err := exec.Command("tar", "-C", root, "-cf", tarball, ".").CombinedOutput(); err != nil {
		log.Fatalf("tar: %v\n%s", err, out)
	}
	base := "probe-bench-" + img.name + "-base"
	if _, err := docker(tarball, "import", "-", base); err != nil {
		return nil, "not measured: " + err.Error()
	}
	ctx := filepath.Join(work, "ctx-"+img.name)
	dockerfile := fmt.Sprintf("FROM %s\nHEALTHCHECK --interval=1s --timeout=5s --retries=3 CMD %s\nENTRYPOINT [\"/app\", \"-listen\", \"127.0.0.1:8080\"]\n", base, img.health)
	if err := os.MkdirAll(ctx, 0o755); err != nil {
		log.Fatal(err)
	}
	os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(dockerfile), 0o644)
	tag := "probe-bench-" + img.name
	if _, err := docker("", "build", "-q", "-t", tag, ctx); err != nil {
		return nil, "not measured: " + err.Error()
	}
	if _, err := docker("", "run", "-d", "--network", "none", "--name", tag, tag); err != nil {
		return nil, "not measured: " + err.Error()
	}
	// Docker keeps the last five results: wait for them.
	time.Sleep(9 * time.Second)
	out, err := docker("", "inspect", "-f", "{{json .State.Health.Log}}", tag)
	docker("", "rm", "-f", tag)
	if err != nil {
		return nil, "not measured: " + err.Error()
	}
	var entries []struct {
		Start, End time.Time
		ExitCode   int
		Output     string
	}
	if err := json.Unmarshal([]byte(out), &entries); err != nil || len(entries) == 0 {
		return nil, fmt.Sprintf("not measured: no health log for %s: %q", img.name, out)
	}
	var ms []float64
	for _, e := range entries {
		if e.ExitCode != 0 {
			return nil, fmt.Sprintf("not measured: the %s health check failed: %s", img.name, e.Output)
		}
		ms = append(ms, float64(e.End.Sub(e.Start).Microseconds())/1000)
	}
	return ms, ""
}

// withLibraries maps a dynamic binary and every library ldd names to
// themselves, for an image that has nothing else.
func withLibraries(bin string) (map[string]string, error) {
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %v", bin, err)
	}
	files := map[string]string{bin: bin}
	for _, line := range strings.Split(string(out), "\n") {
		for _, f := range strings.Fields(line) {
			if strings.HasPrefix(f, "/") {
				files[f] = f
			}
		}
	}
	return files, nil
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o755)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
