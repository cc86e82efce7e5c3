//go:build e2e

package e2e

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The rolling restart: the problem probe solves (README), reproduced with real
// parts. HAProxy balances wrk's load over three replicas of the demo app,
// each with a probe serve sidecar whose /readyz HAProxy checks every
// second. Each replica is replaced in turn, start-first as Swarm's
// update_config order does: the new one starts, turns healthy, then the old
// one gets SIGTERM. HAProxy, like Traefik, stops routing to a replica only
// when its health check fails fall times in a row. A new replica, DOWN
// until it rises, is checked every 100ms (downinter), and its sidecar starts
// once it answers: it turns UP within a few hundred milliseconds in every
// mode, so that the rollout's wall time measures the drains.
const (
	replicas   = 3
	checkEvery = time.Second // HAProxy's inter
	checkFall  = 2           // HAProxy's fall: failed checks before DOWN
	// drainDelay follows the README's arithmetic: at least checkEvery x
	// checkFall (2s) plus the time the sidecar takes to see the marker
	// (50ms), with a margin of about a second.
	drainDelay = 3 * time.Second
	// longRequest outlives any drain delay here.
	longRequest = drainDelay + 1500*time.Millisecond
)

// shortDrain breaks the arithmetic: HAProxy needs up to 2s to let go.
const shortDrain = 500 * time.Millisecond

// The adaptive drain runs with probe exec's defaults (no drain flag), and
// once more with a request of veryLong in flight, which only a drain that
// waits for it lets finish: the app's own shutdown gives it 10s after
// SIGTERM. adaptiveMax is the maximum for that run, as a grace period of
// 30s would allow.
const (
	veryLong    = 20 * time.Second
	adaptiveMax = 30 * time.Second
)

// In the app: each replica is examples/library, which drains itself
// (probe.Drain, its defaults) with no probe exec, and the request in flight
// at the first SIGTERM is a reply that sends its first line, then pauses
// inAppPause before the rest: from the kernel, it looks finished.
const inAppPause = 4 * time.Second

// With HAProxy's agent-check on probe serve's --agent port, HAProxy hears
// "drain" within agentEvery of SIGTERM, instead of after checkFall failed
// checks: agentDrain covers agentEvery and the marker's 50ms with a margin.
// With the adaptive drain, the minimum need only cover agentEvery and a
// margin: agentMin.
const (
	agentEvery = 250 * time.Millisecond
	agentDrain = time.Second
	agentMin   = 500 * time.Millisecond
)

// TestRollingRestart runs the rolling restart under load: with every
// replica under probe exec's fixed drain, and under its adaptive drain
// (with no flag; once more with a 20s request in flight, which it must let
// finish), which must fail no request, the adaptive one in less time; with
// a drain delay shorter than the arithmetic asks for, and with SIGTERM
// sent straight to the app, which must both fail some; and with HAProxy's
// agent-check, after a fixed drain and an adaptive one. That shows what
// probe exec buys, that the arithmetic matters, and that this test can
// fail.
//
// As root, it runs in a network namespace of its own (as the kubelet tests
// do): its replicas' ports are picked free by binding :0, and on a shared
// loopback another process (a test running beside it) could take one
// before the replica that was to use it starts, and answer HAProxy's check.
func TestRollingRestart(t *testing.T) {
	haproxy := requireTool(t, "haproxy", "haproxy", "the rolling-restart test")
	wrk := requireTool(t, "wrk", "wrk", "the rolling-restart test")
	if os.Geteuid() == 0 && os.Getenv("PROBE_ROLLING_NETNS") == "" {
		requireTool(t, "unshare", "util-linux", "the rolling-restart test")
		requireTool(t, "ip", "iproute2", "the rolling-restart test")
		inNamespaces(t, "TestRollingRestart", "PROBE_ROLLING_NETNS=1")
		return
	}
	if os.Getenv("PROBE_ROLLING_NETNS") == "1" {
		if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
			t.Fatalf("ip link set lo up: %v\n%s", err, out)
		}
	}
	dir := t.TempDir()
	probe := build(t, dir, "probe", ".")
	app := build(t, dir, "app", "./examples/app")
	library := build(t, dir, "library", "./examples/library")
	base := setup{haproxy: haproxy, wrk: wrk, probe: probe, app: app}

	var with, short, without, agent, adaptive, adaptiveLong, adaptiveAgent, inApp result
	t.Run("with probe exec", func(t *testing.T) {
		s := base
		s.drain = drainDelay
		with = rollingRestart(t, s)
		with.wantNoFailures(t, "probe exec")
		with.wantDownFirst(t, "the drain delay is too short")
	})
	t.Run("with the adaptive drain", func(t *testing.T) {
		s := base
		s.adaptive = []string{}
		adaptive = rollingRestart(t, s)
		adaptive.wantNoFailures(t, "the adaptive drain")
		adaptive.wantDownFirst(t, "the adaptive drain ended too soon")
		if with.requests > 0 && adaptive.gone() >= with.gone() {
			t.Errorf("the old replicas took %s in all to go with the adaptive drain, not less than %s with the fixed %s drain", adaptive.gone(), with.gone(), drainDelay)
		}
		if with.requests > 0 && adaptive.rollout >= with.rollout {
			t.Errorf("the rollout took %s with the adaptive drain, not less than %s with the fixed %s drain", adaptive.rollout, with.rollout, drainDelay)
		}
	})
	t.Run("with the adaptive drain and a 20s request", func(t *testing.T) {
		s := base
		s.adaptive = []string{"--drain-max", adaptiveMax.String()}
		s.long = veryLong
		adaptiveLong = rollingRestart(t, s)
		adaptiveLong.wantNoFailures(t, "the adaptive drain")
		// The drain of the first replica waited for the request.
		if len(adaptiveLong.signalAfter) > 0 && adaptiveLong.signalAfter[0] < veryLong-time.Second {
			t.Errorf("the first replica got SIGTERM %s after probe exec did, while the %s request was in flight", adaptiveLong.signalAfter[0], veryLong)
		}
	})
	t.Run("with the drain in the app", func(t *testing.T) {
		s := base
		s.app, s.inApp, s.long = library, true, inAppPause
		inApp = rollingRestart(t, s)
		inApp.wantNoFailures(t, "the drain in the app")
		inApp.wantDownFirst(t, "the drain in the app ended too soon")
		// The drain of the first replica saw the paused reply in flight.
		if len(inApp.signalAfter) > 0 && inApp.signalAfter[0] < inAppPause-time.Second {
			t.Errorf("the first replica's drain ended %s after SIGTERM, while a reply paused for %s was in flight", inApp.signalAfter[0], inAppPause)
		}
	})
	t.Run("with too short a drain delay", func(t *testing.T) {
		s := base
		s.drain = shortDrain
		short = rollingRestart(t, s)
		if short.failed() == 0 {
			t.Errorf("no request failed with a drain delay of %s, below HAProxy's %s x %d", shortDrain, checkEvery, checkFall)
		}
	})
	t.Run("without probe exec", func(t *testing.T) {
		without = rollingRestart(t, base)
		if without.failed() == 0 {
			t.Errorf("no request failed with SIGTERM sent straight to the app: the test cannot tell draining from not draining")
		}
	})
	t.Run("with the agent-check", func(t *testing.T) {
		s := base
		s.drain, s.agent = agentDrain, true
		agent = rollingRestart(t, s)
		agent.wantNoFailures(t, "the agent-check")
		agent.wantDrainFirst(t)
		// The part of the rollout the drain decides: from each old
		// replica's SIGTERM to its exit. The rest (new replicas turning UP,
		// rise x inter) is the same in every mode, and noisier.
		if with.requests > 0 && agent.gone() >= with.gone() {
			t.Errorf("the old replicas took %s in all to go with the agent-check and a %s drain, not less than %s with the %s drain", agent.gone(), agentDrain, with.gone(), drainDelay)
		}
	})
	t.Run("with the adaptive drain and the agent-check", func(t *testing.T) {
		s := base
		s.adaptive, s.agent = []string{"--drain-min", agentMin.String()}, true
		adaptiveAgent = rollingRestart(t, s)
		adaptiveAgent.wantNoFailures(t, "the adaptive drain and the agent-check")
		adaptiveAgent.wantDrainFirst(t)
	})
	t.Logf("with probe exec --drain-delay %s: %s", drainDelay, with)
	t.Logf("with probe exec --drain-delay %s: %s", shortDrain, short)
	t.Logf("without (SIGTERM straight to the app): %s", without)
	t.Logf("with probe exec --drain-delay %s and HAProxy's agent-check on probe serve --agent: %s", agentDrain, agent)
	t.Logf("with probe exec's adaptive drain: %s", adaptive)
	t.Logf("with probe exec --drain-max %s and a %s request in flight: %s", adaptiveMax, veryLong, adaptiveLong)
	t.Logf("with probe exec --drain-min %s and HAProxy's agent-check on probe serve --agent: %s", agentMin, adaptiveAgent)
	t.Logf("with the drain in the app (probe.Drain), no probe exec, and a reply paused %s mid-body: %s", inAppPause, inApp)
	var table strings.Builder
	fmt.Fprintf(&table, "\n| mode | requests | failed | request in flight at the first SIGTERM | old replicas gone after SIGTERM (sum of %d) | rollout |\n|---|---|---|---|---|---|\n", replicas)
	for _, row := range []struct {
		mode string
		r    result
	}{
		{"probe exec --drain-delay " + drainDelay.String() + ", HTTP check", with},
		{"probe exec (adaptive drain, no flag), HTTP check", adaptive},
		{"probe exec --drain-max " + adaptiveMax.String() + " (adaptive), HTTP check, a " + veryLong.String() + " request in flight", adaptiveLong},
		{"probe exec --drain-delay " + shortDrain.String() + ", HTTP check", short},
		{"SIGTERM straight to the app, HTTP check", without},
		{"probe exec --drain-delay " + agentDrain.String() + ", HTTP check + agent-check (probe serve --agent)", agent},
		{"probe exec --drain-min " + agentMin.String() + " (adaptive), HTTP check + agent-check (probe serve --agent)", adaptiveAgent},
		{"no probe exec: the drain in the app (probe.Drain, examples/library), HTTP check", inApp},
	} {
		fmt.Fprintf(&table, "| %s | %d | %d | %s | %s | %s |\n", row.mode, row.r.requests, row.r.failed(), row.r.long,
			row.r.gone().Round(10*time.Millisecond), row.r.rollout.Round(10*time.Millisecond))
	}
	t.Logf("%s", table.String())
}

type setup struct {
	haproxy, wrk, probe, app string
	drain                    time.Duration // run each app under probe exec with this drain delay; 0 for none
	adaptive                 []string      // when not nil, run each app under probe exec with the adaptive drain and these flags
	long                     time.Duration // the request in flight at the first SIGTERM; longRequest when 0
	agent                    bool          // HAProxy also runs an agent-check on each sidecar's --agent port
	inApp                    bool          // app is examples/library, which drains itself: no probe exec
}

type result struct {
	requests                          int
	seconds                           float64
	maxLatency                        string
	non2xx                            int
	connect, read, write, timeout     int
	haproxyErrors                     int             // requests HAProxy logged as failed
	downAfter, signalAfter, exitAfter []time.Duration // per replica, from its SIGTERM
	downFirst                         []bool          // per replica: DOWN before the app got SIGTERM
	drainAfter                        []time.Duration // per replica, with the agent-check: HAProxy set it DRAIN
	drainFirst                        []bool          // per replica: DRAIN before the app got SIGTERM
	rollout                           time.Duration   // from starting the first new replica to the last old one gone
	long                              string          // what became of the request in flight at the first SIGTERM
}

// wantNoFailures fails the test if a request failed, as wrk or HAProxy saw
// it, in the mode named.
func (r result) wantNoFailures(t *testing.T, mode string) {
	t.Helper()
	if r.failed() != 0 || r.haproxyErrors != 0 {
		t.Errorf("%d of %d requests failed with %s (HAProxy logged %d), want 0", r.failed(), r.requests, mode, r.haproxyErrors)
	}
}

// wantDownFirst fails the test if HAProxy marked a replica DOWN only after
// its app got SIGTERM; why says what that means.
func (r result) wantDownFirst(t *testing.T, why string) {
	t.Helper()
	for i, first := range r.downFirst {
		if !first {
			t.Errorf("replica %d: HAProxy marked it DOWN %s after SIGTERM, after the app got the signal (%s): %s", i+1, r.downAfter[i], r.signalAfter[i], why)
		}
	}
}

// wantDrainFirst fails the test if HAProxy set a replica DRAIN (the
// agent-check) only after its app got SIGTERM.
func (r result) wantDrainFirst(t *testing.T) {
	t.Helper()
	for i, first := range r.drainFirst {
		if !first {
			t.Errorf("replica %d: HAProxy set it DRAIN %s after SIGTERM, after the app got the signal (%s)", i+1, r.drainAfter[i], r.signalAfter[i])
		}
	}
}

func (r result) failed() int {
	return r.non2xx + r.connect + r.read + r.write + r.timeout
}

func (r result) String() string {
	return fmt.Sprintf("%d requests in %.1fs (slowest %s), %d failed (non-2xx %d; socket errors: connect %d, read %d, write %d, timeout %d; HAProxy logged %d); "+
		"per replica, from its SIGTERM: HAProxy marked it DOWN after %s, the app got SIGTERM after %s, it exited after %s%s; the rollout took %s",
		r.requests, r.seconds, r.maxLatency, r.failed(), r.non2xx, r.connect, r.read, r.write, r.timeout, r.haproxyErrors,
		durations(r.downAfter), durations(r.signalAfter), durations(r.exitAfter), r.drained(), r.rollout.Round(10*time.Millisecond))
}

// gone is the time the old replicas took to exit after their SIGTERM, in
// all.
func (r result) gone() time.Duration {
	var sum time.Duration
	for _, d := range r.exitAfter {
		sum += d
	}
	return sum
}

func (r result) drained() string {
	if len(r.drainAfter) == 0 {
		return ""
	}
	return ", HAProxy set it DRAIN (agent-check) after " + durations(r.drainAfter)
}

func durations(ds []time.Duration) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = d.Round(10 * time.Millisecond).String()
	}
	return strings.Join(s, ", ")
}

// replica is one instance of the app with its sidecar: a task, in Swarm's
// words.
type replica struct {
	name          string // the HAProxy server: blue1 is replaced by green1
	app, sidecar  string // addresses
	agent         string // probe serve's --agent address
	main, monitor *process
}

func rollingRestart(t *testing.T, s setup) result {
	dir := t.TempDir()
	log := newTimedLog()
	var blue, green []*replica
	for i := 1; i <= replicas; i++ {
		blue = append(blue, &replica{name: fmt.Sprint("blue", i), app: freeAddr(t), sidecar: freeAddr(t), agent: freeAddr(t)})
		green = append(green, &replica{name: fmt.Sprint("green", i), app: freeAddr(t), sidecar: freeAddr(t), agent: freeAddr(t)})
	}
	front := freeAddr(t)
	sock := filepath.Join(dir, "admin.sock")
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(haproxyConfig(front, sock, s.agent, append(blue, green...))), 0o644); err != nil {
		t.Fatal(err)
	}
	hap := start(t, log, "haproxy", nil, s.haproxy, "-db", "-f", cfg)
	defer func() {
		if t.Failed() {
			t.Logf("timeline:\n%s", log)
		}
	}()
	startReplica := func(r *replica) {
		// Each replica has its own marker, as each container has its own
		// /dev/shm.
		env := []string{"PROBE_MARKER=" + filepath.Join(dir, r.name+".draining")}
		cmd := []string{s.app, "-listen", r.app}
		switch {
		case s.inApp:
			host, port, _ := net.SplitHostPort(r.app)
			env, cmd = append(env, "HOST="+host, "PORT="+port), []string{s.app}
		case s.drain > 0:
			cmd = append([]string{s.probe, "exec", "--drain-delay", s.drain.String(), "--"}, cmd...)
		case s.adaptive != nil:
			cmd = append(append(append([]string{s.probe, "exec"}, s.adaptive...), "--"), cmd...)
		}
		r.main = start(t, log, r.name, env, cmd...)
		// The sidecar starts once the app answers, so that its first
		// check passes: how fast a new replica turns UP is the same in
		// every mode, and not what this test measures.
		for end := time.Now().Add(10 * time.Second); !strings.HasPrefix(get("http://"+r.app+"/healthz"), "200 "); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%s never answered:\n%s", r.name, log.of(r.name))
			}
		}
		side := []string{s.probe, "serve", "--listen", r.sidecar, "--interval", "1s", "--drain-delay", "0s"}
		if s.agent {
			side = append(side, "--agent", r.agent)
		}
		r.monitor = start(t, log, r.name+"-side", env, append(side, "http://"+r.app+"/healthz")...)
	}
	for _, r := range blue {
		startReplica(r)
	}
	waitStates(t, hap, sock, map[string]string{"blue1": "UP", "blue2": "UP", "blue3": "UP", "green1": "DOWN", "green2": "DOWN", "green3": "DOWN"})

	load := start(t, log, "wrk", nil, s.wrk, "-t1", "-c16", "-d10m", "--timeout", "5s", "http://"+front+"/work?ms=10")
	time.Sleep(2 * time.Second) // steady load first

	var res result
	long := make(chan string, 1)
	longFor := longRequest
	if s.long > 0 {
		longFor = s.long
	}
	rolloutStart := time.Now()
	for i := range blue {
		old, next := blue[i], green[i]
		startReplica(next)
		waitStates(t, hap, sock, map[string]string{next.name: "UP"})
		if i == 0 {
			// A request that outlives the drain delay is in flight at SIGTERM.
			go func() { long <- get("http://" + old.app + "/work?ms=" + strconv.Itoa(int(longFor.Milliseconds()))) }()
			time.Sleep(200 * time.Millisecond)
		}
		sent := time.Since(log.start)
		old.main.signal(t, syscall.SIGTERM)
		if code := old.main.wait(t, 45*time.Second); code != 0 {
			t.Errorf("%s exited with %d after SIGTERM, want the app's 0", old.name, code)
		}
		exited := time.Since(log.start)
		// Like an orchestrator, move on once the load balancer has let go.
		waitStates(t, hap, sock, map[string]string{old.name: "DOWN"})
		old.monitor.signal(t, syscall.SIGTERM)
		old.monitor.wait(t, 10*time.Second)

		down, ok := log.find("haproxy", "Server app/"+old.name+" is DOWN", sent)
		if !ok {
			t.Errorf("HAProxy never marked %s DOWN", old.name)
		}
		res.downAfter = append(res.downAfter, down-sent)
		res.exitAfter = append(res.exitAfter, exited-sent)
		signalled := sent
		switch {
		case s.drain > 0:
			at, ok := log.find(old.name, "drain delay of "+s.drain.String()+" over: passing SIGTERM on to app", sent)
			if !ok {
				t.Errorf("%s: probe exec never passed SIGTERM on", old.name)
			}
			signalled = at
		case s.adaptive != nil || s.inApp:
			// One line says why the drain ended: here, always because the
			// traffic stopped, never the maximum.
			at, ok := log.find(old.name, "the app's traffic stopped after", sent)
			if !ok {
				t.Errorf("%s: the adaptive drain did not end on the traffic stopping:\n%s", old.name, log.of(old.name))
			}
			signalled = at
		}
		res.downFirst = append(res.downFirst, down < signalled)
		res.signalAfter = append(res.signalAfter, signalled-sent)
		if s.agent {
			drained, ok := log.find("haproxy", "Server app/"+old.name+" enters drain state", sent)
			if !ok {
				t.Errorf("HAProxy never set %s DRAIN", old.name)
			}
			res.drainAfter = append(res.drainAfter, drained-sent)
			res.drainFirst = append(res.drainFirst, ok && drained < signalled)
		}
	}
	res.rollout = time.Since(rolloutStart)
	time.Sleep(2 * time.Second) // steady load on the new replicas
	stopped := time.Since(log.start)
	load.signal(t, syscall.SIGINT)
	load.wait(t, 10*time.Second)
	hap.signal(t, syscall.SIGTERM)
	hap.wait(t, 10*time.Second)

	want := "200 done after " + strconv.Itoa(int(longFor.Milliseconds())) + "ms\n"
	res.long = longFor.String() + ": "
	if s.inApp {
		want = "200 working\ndone after " + strconv.Itoa(int(longFor.Milliseconds())) + "ms\n"
		res.long = longFor.String() + " paused mid-body: "
	}
	if got := <-long; got != want {
		t.Errorf("the %s request in flight at SIGTERM got %q, want %q", longFor, got, want)
		res.long += fmt.Sprintf("%.40q", got)
	} else {
		res.long += "200, complete"
	}
	parseWrk(t, log, &res)
	// With option dontlog-normal, HAProxy logs only the requests that went
	// wrong; each log line of a request holds its "GET /work". Those it
	// logs once wrk has been stopped are wrk's own, cut as it exits
	// (CD--: the client went away), not the rollout's.
	res.haproxyErrors = log.countBefore("haproxy", "GET /work", stopped)
	if res.requests < 1000 {
		t.Errorf("wrk sent only %d requests: the load is too light to show anything", res.requests)
	}
	t.Logf("%s", res)
	return res
}

func haproxyConfig(front, sock string, agent bool, servers []*replica) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global
	log stdout format raw local0
	stats socket %s level admin
	maxconn 2048

defaults
	mode http
	log global
	option httplog
	option dontlog-normal
	option log-health-checks
	timeout connect 1s
	timeout client 30s
	timeout server 30s
	timeout check 1s

frontend web
	bind %s
	default_backend app

backend app
	balance roundrobin
	option httpchk GET /readyz
	http-check expect status 200
	default-server inter %dms fall %d rise 2 downinter 100ms
`, sock, front, checkEvery.Milliseconds(), checkFall)
	for _, r := range servers {
		host, p, _ := net.SplitHostPort(r.app)
		fmt.Fprintf(&b, "\tserver %s %s:%s check port %s", r.name, host, p, port(r.sidecar))
		if agent {
			fmt.Fprintf(&b, " agent-check agent-addr 127.0.0.1 agent-port %s agent-inter %dms", port(r.agent), agentEvery.Milliseconds())
		}
		b.WriteString("\n")
	}
	return b.String()
}

// waitStates waits until HAProxy reports each server in the state wanted.
func waitStates(t *testing.T, hap *process, sock string, want map[string]string) {
	t.Helper()
	var got map[string]string
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if hap.exited() {
			t.Fatalf("haproxy exited:\n%s", hap.log)
		}
		got = serverStates(sock)
		ok := true
		for name, state := range want {
			ok = ok && got[name] == state
		}
		if ok {
			return
		}
	}
	t.Fatalf("HAProxy's servers are %v after 20s, want %v", got, want)
}

// serverStates reads each server's status (UP, DOWN, ...) from HAProxy's
// stats socket.
func serverStates(sock string) map[string]string {
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return nil
	}
	defer conn.Close()
	fmt.Fprint(conn, "show stat\n")
	r := csv.NewReader(bufio.NewReader(conn))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil || len(rows) == 0 {
		return nil
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[strings.TrimPrefix(name, "# ")] = i
	}
	states := map[string]string{}
	for _, row := range rows[1:] {
		if len(row) > col["status"] && row[col["pxname"]] == "app" {
			states[row[col["svname"]]] = strings.Fields(row[col["status"]] + " ?")[0]
		}
	}
	return states
}

// parseWrk reads wrk's summary from the log. wrk prints the socket errors
// and the non-2xx line only when they are not zero.
func parseWrk(t *testing.T, log *timedLog, res *result) {
	t.Helper()
	parseWrkOf(t, log, "wrk", res)
}

// parseWrkOf reads the summary of the wrk the log names who.
func parseWrkOf(t *testing.T, log *timedLog, who string, res *result) {
	t.Helper()
	text := log.of(who)
	m := regexp.MustCompile(`(\d+) requests in ([\d.]+)(s|m),`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no summary in wrk's output:\n%s", text)
	}
	res.requests, _ = strconv.Atoi(m[1])
	res.seconds, _ = strconv.ParseFloat(m[2], 64)
	if m[3] == "m" {
		res.seconds *= 60
	}
	if m := regexp.MustCompile(`Latency +\S+ +\S+ +(\S+)`).FindStringSubmatch(text); m != nil {
		res.maxLatency = m[1]
	}
	if m := regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`).FindStringSubmatch(text); m != nil {
		res.connect, _ = strconv.Atoi(m[1])
		res.read, _ = strconv.Atoi(m[2])
		res.write, _ = strconv.Atoi(m[3])
		res.timeout, _ = strconv.Atoi(m[4])
	}
	if m := regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`).FindStringSubmatch(text); m != nil {
		res.non2xx, _ = strconv.Atoi(m[1])
	}
}

func get(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strconv.Itoa(resp.StatusCode) + " " + string(b)
}
