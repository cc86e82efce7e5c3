package main

import (
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/testserver"
)

// TestLoopbackOnlySendsNothing: in a network namespace of its own, whose
// only way out is a veth (every IPv4 and IPv6 address routed through it),
// probe --loopback-only is given targets of every sort that lead away from
// loopback (literal IPv4, IPv6 and IPv4-mapped addresses, a redirect, a
// name the configured name server would answer, dns://, databases, gRPC):
// each is refused in one line, and the veth's transmit counter does not
// move. The same targets without the flag move it, so the counter sees a
// leak.
func TestLoopbackOnlySendsNothing(t *testing.T) {
	if os.Getenv("PROBE_NETNS_INNER") != "" {
		loopbackOnlyInside(t, os.Getenv("PROBE_NETNS_BIN"))
		return
	}
	for _, tool := range []string{"unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing (util-linux, iproute2): .ci/run installs them", tool)
			}
			t.Skipf("SKIPPED: %s is missing (util-linux, iproute2): nothing measures what --loopback-only lets out", tool)
		}
	}
	bin := buildProbe(t, t.TempDir())
	cmd := exec.Command("unshare", "--net", "--map-root-user", os.Args[0], "-test.run", "^TestLoopbackOnlySendsNothing$", "-test.count", "1", "-test.v")
	cmd.Env = append(os.Environ(), "PROBE_NETNS_INNER=1", "PROBE_NETNS_BIN="+bin)
	out, err := cmd.CombinedOutput()
	if err != nil && strings.Contains(string(out), "unshare failed") || err != nil && !strings.Contains(string(out), "=== RUN") {
		if os.Getenv("CI") != "" {
			t.Fatalf("cannot make a network namespace: %v\n%s", err, out)
		}
		t.Skipf("SKIPPED: cannot make a network namespace here (%v: %s): nothing measures what --loopback-only lets out", err, strings.TrimSpace(string(out)))
	}
	t.Logf("inside the namespace:\n%s", out)
	if err != nil {
		t.Fatalf("the test inside the namespace failed: %v", err)
	}
}

// loopbackOnlyInside is the test's half inside the namespace.
func loopbackOnlyInside(t *testing.T, bin string) {
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"link", "add", "v0", "type", "veth", "peer", "name", "v1"},
		{"link", "set", "v0", "addrgenmode", "none"},
		{"link", "set", "v1", "addrgenmode", "none"},
		{"link", "set", "v0", "up"},
		{"link", "set", "v1", "up"},
		{"addr", "add", "10.9.0.1/24", "dev", "v0"},
		{"route", "add", "default", "via", "10.9.0.2"},
		{"-6", "addr", "add", "2001:db8::1/64", "dev", "v0", "nodad"},
		{"-6", "route", "add", "default", "via", "2001:db8::2"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	app, err := testserver.Start("http", "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	targets := []string{
		"tcp://10.9.0.2:80",
		"tcp://192.0.2.1:80",
		"tcp://[::ffff:192.0.2.1]:80",
		"http://[2001:db8::2]:8080/healthz",
		"https://app-netns.example/healthz", // a name: the name server of /etc/resolv.conf
		"http://" + app.Addr + "/redirect-to?url=" + url.QueryEscape("http://192.0.2.1:8080/x"),
		"dns://192.0.2.1/app.test",
		"grpc://192.0.2.1:50051",
		"postgres://pguser@192.0.2.1/db",
		"redis://[2001:db8::2]:6379",
	}
	run := func(flags ...string) (string, uint64) {
		before := txPackets(t)
		cmd := exec.Command(bin, append(append([]string{"--no-marker", "--timeout", "1s", "--max-redirects", "1"}, flags...), targets...)...)
		out, err := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != 1 {
			t.Fatalf("exit %d (%v), want 1:\n%s", code, err, out)
		}
		return string(out), txPackets(t) - before
	}

	// A link that comes up sends a packet or two of its own (IPv6
	// multicast listener reports, sent again up to a second later, and the
	// link-local address's duplicate address detection): wait until the
	// counter has been still for 2s (it once moved after 0.5s of quiet, on
	// a loaded machine), 10s at most.
	for last, still, deadline := txPackets(t), time.Now(), time.Now().Add(10*time.Second); time.Since(still) < 2*time.Second && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		if now := txPackets(t); now != last {
			last, still = now, time.Now()
		}
	}
	out, sent := run("--loopback-only")
	t.Logf("with --loopback-only, %d packets out:\n%s", sent, out)
	if sent != 0 {
		t.Errorf("%d packets left through the veth with --loopback-only", sent)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(targets) {
		t.Errorf("%d lines for %d targets", len(lines), len(targets))
	}
	for _, line := range lines {
		if !strings.HasPrefix(line, "unhealthy ") || !strings.Contains(line, "is not a loopback address: refused, nothing sent (--loopback-only)") {
			t.Errorf("not refused as not loopback: %s", line)
		}
	}

	// The control: the counter does see what leaves.
	out, sent = run()
	t.Logf("without it, %d packets out:\n%s", sent, out)
	if sent == 0 {
		t.Errorf("nothing left through the veth without --loopback-only either: the counter sees nothing")
	}
}

// txPackets is the veth's transmit counter, from this namespace's
// /proc/net/dev (sysfs shows the namespace it was mounted in).
func txPackets(t *testing.T) uint64 {
	data, err := os.ReadFile("/proc/net/dev")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || name != "v0" {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 10 {
			break
		}
		n, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	t.Fatalf("no v0 in /proc/net/dev:\n%s", data)
	return 0
}
