//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestS6NotificationFD: Debian's s6 supervises probe exec in a service
// whose notification-fd file says 3; probe exec --notify-fd 3 writes the
// readiness newline there once its --check target passes. s6-svwait -U,
// started while the app runs but its check fails, must still wait; it
// returns once the test turns the check to 200, and s6-svstat then says
// ready. The app (sleep) does not inherit the descriptor.
func TestS6NotificationFD(t *testing.T) {
	svscan := requireTool(t, "s6-svscan", "s6", "the s6 readiness test")
	svwait := requireTool(t, "s6-svwait", "s6", "the s6 readiness test")
	svstat := requireTool(t, "s6-svstat", "s6", "the s6 readiness test")
	dir := t.TempDir()
	bin := build(t, dir, "probe", ".")

	app, ready := gatedApp(t)

	scan := filepath.Join(dir, "scan")
	svc := filepath.Join(scan, "app")
	if err := os.MkdirAll(svc, 0o755); err != nil {
		t.Fatal(err)
	}
	run := fmt.Sprintf("#!/bin/sh\nexec 2>&1\nexec %s exec --notify-fd 3 --interval 100ms --check %s/healthz -- sleep 3600\n", bin, app.URL)
	if err := os.WriteFile(filepath.Join(svc, "run"), []byte(run), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(svc, "notification-fd"), []byte("3\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	log := newTimedLog()
	defer func() {
		if t.Failed() {
			t.Logf("timeline:\n%s", log)
		}
	}()
	start(t, log, "s6-svscan", nil, svscan, scan)
	// The app runs, and its check has failed: probe said so.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, ok := log.find("s6-svscan", "/healthz is unhealthy", 0); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("probe exec never reported its failing check")
		}
		time.Sleep(50 * time.Millisecond)
	}
	waiter := start(t, log, "s6-svwait", nil, svwait, "-U", svc)
	status := func() string {
		out, err := exec.Command(svstat, svc).CombinedOutput()
		if err != nil {
			t.Fatalf("s6-svstat: %v: %s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	// A second of failing checks (ten of them): not ready yet.
	time.Sleep(time.Second)
	if waiter.exited() {
		t.Fatalf("s6-svwait -U returned while the check still failed (s6-svstat: %s)", status())
	}
	if st := status(); !strings.HasPrefix(st, "up ") || strings.Contains(st, "ready") {
		t.Fatalf("s6-svstat = %q, want up and not ready", st)
	}
	pid, _ := strconv.Atoi(strings.TrimSuffix(strings.Fields(between(status(), "pid ", " "))[0], ")"))
	children := childrenOf(pid)
	if len(children) != 1 {
		t.Fatalf("children of probe exec (pid %d): %v", pid, children)
	}
	child := strconv.Itoa(children[0])
	if target, err := os.Readlink("/proc/" + child + "/fd/3"); err == nil {
		t.Errorf("the app (pid %s) inherited the notification fd: 3 -> %s", child, target)
	}

	flipped := time.Now()
	ready.Store(true)
	if code := waiter.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("s6-svwait -U exited %d", code)
	}
	t.Logf("s6-svwait -U returned %s after the check turned to 200", time.Since(flipped).Round(time.Millisecond))
	if st := status(); !strings.Contains(st, "ready") {
		t.Errorf("s6-svstat = %q, want ready", st)
	}
	if !loggedWithin(log, "s6-svscan", "every --check target is up: ready, said on --notify-fd", 10*time.Second) {
		t.Error("probe exec did not log its notification")
	}
}

// TestSdNotifySocket: sd_notify's protocol, as systemd's Type=notify and
// Podman's --sdnotify=container read it: probe exec --sd-notify under a
// NOTIFY_SOCKET the test listens on sends nothing while its --check
// target fails, READY=1 once it passes, and STOPPING=1 when SIGTERM
// begins the drain; the app does not see NOTIFY_SOCKET.
func TestSdNotifySocket(t *testing.T) {
	dir := t.TempDir()
	bin := build(t, dir, "probe", ".")
	app, ready := gatedApp(t)
	socket := filepath.Join(dir, "notify")
	datagrams := listenNotify(t, socket)

	log := newTimedLog()
	defer func() {
		if t.Failed() {
			t.Logf("timeline:\n%s", log)
		}
	}()
	p := start(t, log, "probe", []string{"NOTIFY_SOCKET=" + socket}, bin, "exec", "--sd-notify", "--drain-delay", "0s",
		"--interval", "100ms", "--check", app.URL+"/healthz", "--", "sh", "-c", `echo "app sees NOTIFY_SOCKET=[$NOTIFY_SOCKET]"; exec sleep 3600`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, ok := log.find("probe", "/healthz is unhealthy", 0); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("probe exec never reported its failing check")
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case d := <-datagrams:
		t.Fatalf("%q sent while the check failed", d)
	case <-time.After(time.Second):
	}
	flipped := time.Now()
	ready.Store(true)
	select {
	case d := <-datagrams:
		if d != "READY=1\nSTATUS=every --check target is up\n" {
			t.Fatalf("datagram %q, want READY=1 and STATUS", d)
		}
		t.Logf("READY=1 came %s after the check turned to 200", time.Since(flipped).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Fatal("no READY=1 within 10s of the check passing")
	}
	if _, ok := log.find("probe", "app sees NOTIFY_SOCKET=[]", 0); !ok {
		t.Error("the app saw NOTIFY_SOCKET")
	}
	p.signal(t, syscall.SIGTERM)
	select {
	case d := <-datagrams:
		if !strings.HasPrefix(d, "STOPPING=1\nSTATUS=") {
			t.Errorf("datagram %q at SIGTERM, want STOPPING=1", d)
		}
	case <-time.After(10 * time.Second):
		t.Error("no STOPPING=1 within 10s of SIGTERM")
	}
	if code := p.wait(t, 10*time.Second); code != 143 {
		t.Errorf("probe exec exited %d, want sleep's 143", code)
	}
	select {
	case d, ok := <-datagrams:
		if ok {
			t.Errorf("one more datagram: %q", d)
		}
	default:
	}

	// Without a --check: ready once the app has started.
	p = start(t, log, "probe2", []string{"NOTIFY_SOCKET=" + socket}, bin, "exec", "--sd-notify", "--drain-delay", "0s", "--", "sleep", "3600")
	select {
	case d := <-datagrams:
		if d != "READY=1\nSTATUS=the app has started\n" {
			t.Errorf("datagram %q without --check, want READY=1 at the start", d)
		}
	case <-time.After(10 * time.Second):
		t.Error("no READY=1 within 10s of the start, without --check")
	}
	p.signal(t, syscall.SIGTERM)
	p.wait(t, 10*time.Second)
}

// TestPodmanSdNotify: Podman (Debian's, 4.3) runs probe exec --sd-notify as
// the container's command under --sdnotify=container, with NOTIFY_SOCKET a
// socket the test listens on: Podman forwards READY=1 there only after the
// container's --check target passes, not before. The image is imported
// from a directory (the static probe and busybox): no registry.
func TestPodmanSdNotify(t *testing.T) {
	podman := requireTool(t, "podman", "podman", "the Podman sd_notify test")
	busybox := requireTool(t, "busybox", "busybox-static", "the Podman sd_notify test (the app, sleep)")
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	build(t, rootfs, "probe", ".")
	if err := copyFile(busybox, filepath.Join(rootfs, "busybox")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(rootfs, "busybox"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A store of the test's own (vfs: no overlay mounts to leave behind),
	// cgroupfs and a file for events: no systemd, no journald here.
	base := []string{podman, "--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "run"),
		"--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file"}
	podmanRun := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(base[0], append(base[1:], args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	tarball := filepath.Join(dir, "rootfs.tar")
	if out, err := exec.Command("tar", "-C", rootfs, "-cf", tarball, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	podmanRun("import", tarball, "localhost/probe-sdnotify:test")

	app, ready := gatedApp(t)
	socket := filepath.Join(dir, "notify")
	datagrams := listenNotify(t, socket)

	log := newTimedLog()
	defer func() {
		if t.Failed() {
			t.Logf("timeline:\n%s", log)
		}
	}()
	name := "probe-sdnotify-" + strconv.Itoa(os.Getpid())
	t.Cleanup(func() { exec.Command(base[0], append(base[1:], "rm", "-f", "-t", "0", name)...).Run() })
	// --ulimit: Podman's defaults raise RLIMIT_NOFILE and RLIMIT_NPROC,
	// which needs CAP_SYS_RESOURCE; lower ones need nothing. --network
	// host: the check reaches the test's server on loopback.
	p := start(t, log, "podman", []string{"NOTIFY_SOCKET=" + socket}, append(base, "run", "--rm", "--name", name,
		"--sdnotify=container", "--network", "host", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000",
		"localhost/probe-sdnotify:test", "/probe", "exec", "--sd-notify", "--drain-delay", "0s", "--interval", "100ms",
		"--check", app.URL+"/healthz", "--", "/busybox", "sleep", "3600")...)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, ok := log.find("podman", "/healthz is unhealthy", 0); ok {
			break
		}
		if time.Now().After(deadline) || p.exited() {
			t.Fatal("probe exec in the container never reported its failing check")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Podman may say MAINPID= (conmon's) first: only READY=1 counts.
	readyIn := func(within time.Duration) (string, bool) {
		timeout := time.After(within)
		for {
			select {
			case d := <-datagrams:
				if strings.Contains("\n"+d, "\nREADY=1") {
					return d, true
				}
				log.add("test", fmt.Sprintf("datagram %q", d))
			case <-timeout:
				return "", false
			}
		}
	}
	if d, ok := readyIn(time.Second); ok {
		t.Fatalf("%q forwarded while the check failed", d)
	}
	flipped := time.Now()
	ready.Store(true)
	if _, ok := readyIn(20 * time.Second); !ok {
		t.Fatal("no READY=1 within 20s of the check passing")
	}
	t.Logf("READY=1 came through Podman %s after the check turned to 200", time.Since(flipped).Round(time.Millisecond))
	if !loggedWithin(log, "podman", "every --check target is up: READY=1 sent to NOTIFY_SOCKET", 10*time.Second) {
		t.Error("probe exec did not log its notification")
	}
	podmanRun("stop", "-t", "10", name)
	if code := p.wait(t, 30*time.Second); code != 143 {
		t.Errorf("podman run exited %d, want sleep's 143 (SIGTERM passed on by probe exec)", code)
	}
}

// listenNotify listens on a unixgram socket at path, as systemd does on
// NOTIFY_SOCKET, and sends each datagram on the channel it returns.
// gatedApp is an app whose /healthz answers 503 until ready is set, then
// 200; it closes when the test ends.
func gatedApp(t *testing.T) (*httptest.Server, *atomic.Bool) {
	ready := new(atomic.Bool)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(app.Close)
	return app, ready
}

func listenNotify(t *testing.T, path string) <-chan string {
	t.Helper()
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	datagrams := make(chan string, 16)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ln.Read(buf)
			if err != nil {
				close(datagrams)
				return
			}
			datagrams <- string(buf[:n])
		}
	}()
	return datagrams
}

// loggedWithin waits up to within for a line from who containing want:
// probe logs a notification after it sends it, so the line may come a
// moment after the supervisor has seen it.
func loggedWithin(log *timedLog, who, want string, within time.Duration) bool {
	for deadline := time.Now().Add(within); ; time.Sleep(20 * time.Millisecond) {
		if _, ok := log.find(who, want, 0); ok {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}
