// Command bench measures probe against curl, busybox wget, GNU wget and a Go
// hello world, side by side in one run, on loopback servers of its own, and
// writes a Markdown table and an SVG chart into bench/results:
//
//	make bench          (installs what it needs, then runs go run ./bench)
//
// For each check (HTTP, TCP, HTTPS, and start-up: probe --version beside a
// hello world) and tool: the median wall time from exec to exit and the mean
// user+sys CPU (hyperfine, in interleaved rounds), the mean page faults and
// task-clock (perf stat -r), the median peak RSS (GNU time; its minor faults
// go to bench.json only), and the median instructions of three runs
// (callgrind), a figure that does not drift with machine noise. Then probe's
// page faults and task-clock with GOMAXPROCS=1 beside the default, the
// deadline's precision, the concurrency of 16 slow targets, the binary's
// size by module, and the duration Docker records for a HEALTHCHECK with
// probe and with curl. The report's first line names the CPU and the kind
// of machine (bare metal, a VM, a microVM, in a container or not).
package main

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/probe-sh/probe/internal/patched"
	"github.com/probe-sh/probe/internal/testserver"
)

var (
	runs      = flag.Int("runs", 500, "hyperfine runs per command, in 5 interleaved rounds")
	rssRuns   = flag.Int("rss-runs", 21, "runs per command for the peak RSS median")
	docker    = flag.Bool("docker", true, "measure the in-container cost (starts its own dockerd)")
	outDir    = flag.String("out", "bench/results", "where the table and the chart go")
	probePath = flag.String("probe", "bin/probe", "the probe binary to measure (make build)")
)

// tool is one command line under test.
type tool struct {
	name string
	argv []string
}

// result is what was measured for one tool on one check.
type result struct {
	Tool         string  `json:"tool"`
	WallMS       float64 `json:"wall_ms"`       // median
	CPUMS        float64 `json:"cpu_ms"`        // mean user+sys
	TaskClockMS  float64 `json:"task_clock_ms"` // perf stat's mean
	RSSKB        int     `json:"rss_kb"`        // median peak
	PageFaults   float64 `json:"page_faults"`   // perf stat's mean, the table's
	MinorFaults  int     `json:"minor_faults"`  // GNU time's median, JSON only
	Instructions int64   `json:"instructions"`  // median of three
}

// gomaxprocsRun is one command's page faults and task-clock under perf
// stat with one environment.
type gomaxprocsRun struct {
	Command     string  `json:"command"`
	Env         string  `json:"env"`
	PageFaults  float64 `json:"page_faults"`
	TaskClockMS float64 `json:"task_clock_ms"`
}

// check is one kind of check with every tool that can do it.
type check struct {
	Name    string   `json:"name"`
	Results []result `json:"results"`
	Note    string   `json:"note,omitempty"`
}

// report is the whole run, also written as JSON for the chart.
type report struct {
	Date          string             `json:"date"`
	CPU           string             `json:"cpu"`
	MachineKind   string             `json:"machine_kind"`
	Machine       string             `json:"machine"`  // cores, OS, kernel, Go
	Runs          int                `json:"runs"`     // hyperfine runs a tool, all rounds
	RSSRuns       int                `json:"rss_runs"` // GNU time and perf stat runs a tool
	Versions      map[string]string  `json:"versions"`
	Checks        []check            `json:"checks"`
	GOMAXPROCS    []gomaxprocsRun    `json:"gomaxprocs"`
	DeadlineMS    []float64          `json:"deadline_ms"`
	ConcurrencyMS []float64          `json:"concurrency_ms"`
	SizeBytes     int64              `json:"size_bytes"`
	SizeByModule  []moduleSize       `json:"size_by_module"`
	Container     map[string]float64 `json:"container_health_ms,omitempty"`
	ContainerNote string             `json:"container_note,omitempty"`
}

type moduleSize struct {
	Module string `json:"module"`
	Bytes  int64  `json:"bytes"`
}

func main() {
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	for _, bin := range []string{"hyperfine", "curl", "wget", "busybox", "valgrind", "/usr/bin/time", "perf"} {
		if _, err := exec.LookPath(bin); err != nil {
			log.Fatalf("%s is missing: run make bench, which installs it", bin)
		}
	}
	probe, err := filepath.Abs(*probePath)
	if err != nil {
		log.Fatal(err)
	}
	work, err := os.MkdirTemp("", "probe-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	if err := testserver.Certs().WriteFiles(work); err != nil {
		log.Fatal(err)
	}
	ca := filepath.Join(work, "ca.pem")
	// Every tool sees the same environment; no shutdown marker for probe.
	os.Setenv("PROBE_MARKER", filepath.Join(work, "no-marker"))

	start := func(kind string) string {
		s, err := testserver.Start(kind, "tcp4", "127.0.0.1:0")
		if err != nil {
			log.Fatal(err)
		}
		return s.Addr
	}
	httpAddr, httpsAddr, silent, slow := start("http"), start("https"), start("silent"), start("slow200")
	host := func(addr string) (string, string) { i := strings.LastIndexByte(addr, ':'); return addr[:i], addr[i+1:] }
	tcpHost, tcpPort := host(httpAddr)

	r := report{Date: time.Now().UTC().Format("2006-01-02"), CPU: cpuModel(), MachineKind: machineKind("/"), Machine: machine(), Versions: versions(),
		Runs: rounds * roundRuns(), RSSRuns: *rssRuns}
	hello := helloWorld(work)
	httpURL, httpsURL := "http://"+httpAddr+"/healthz", "https://localhost:"+strings.Split(httpsAddr, ":")[1]+"/healthz"
	checks := []struct {
		name, note string
		tools      []tool
	}{
		{"HTTP", "the Go hello world checks nothing: it is the floor of a Go program's start", []tool{
			{"probe", []string{probe, httpURL}},
			{"curl", []string{"curl", "-fsS", "-o", "/dev/null", httpURL}},
			{"busybox wget", []string{"busybox", "wget", "-q", "--spider", httpURL}},
			{"GNU wget", []string{"wget", "-q", "--spider", httpURL}},
			{"Go hello world", []string{hello}},
		}},
		{"TCP connect", "curl and wget have no connect-only check; bash's /dev/tcp is the usual stand-in in images that have bash", []tool{
			{"probe", []string{probe, "tcp://" + httpAddr}},
			{"bash /dev/tcp", []string{"bash", "-c", "exec 3<>/dev/tcp/" + tcpHost + "/" + tcpPort}},
		}},
		{"HTTPS", "busybox wget cannot verify certificates, so it runs with --no-check-certificate; the others verify against the test CA. busybox wget runs TLS in a child process (ssl_client) that rusage does not count: hyperfine's CPU and GNU time's RSS leave it out, perf stat's task-clock and page faults count it", []tool{
			{"probe", []string{probe, "--ca", ca, httpsURL}},
			{"curl", []string{"curl", "-fsS", "-o", "/dev/null", "--cacert", ca, httpsURL}},
			{"busybox wget", []string{"busybox", "wget", "-q", "--spider", "--no-check-certificate", httpsURL}},
			{"GNU wget", []string{"wget", "-q", "--spider", "--ca-certificate=" + ca, httpsURL}},
		}},
		{"Start-up", "probe --version parses its command line and prints; the hello world prints", []tool{
			{"probe --version", []string{probe, "--version"}},
			{"Go hello world", []string{hello}},
		}},
	}
	for _, c := range checks {
		log.Printf("%s: hyperfine, %d runs each", c.name, *runs)
		res := hyperfine(work, c.tools)
		log.Printf("%s: peak RSS, perf stat and callgrind", c.name)
		for i, t := range c.tools {
			res[i].RSSKB, res[i].MinorFaults = peakRSS(t.argv)
			pc := perfStat(work, defaultEnv(), t.argv)
			res[i].PageFaults, res[i].TaskClockMS = pc.PageFaults, pc.TaskClockMS
			res[i].Instructions = instructions(t.argv)
		}
		r.Checks = append(r.Checks, check{Name: c.name, Results: res, Note: c.note})
	}

	r.gomaxprocs(work, probe, httpURL)
	r.limits(probe, silent, slow)
	r.SizeBytes, r.SizeByModule = size(probe, work)
	if *docker {
		r.Container, r.ContainerNote = containerCost(probe, work)
	}
	r.write(*outDir)
}

// gomaxprocs measures probe's healthy HTTP check and --version under perf
// stat with the environment as it is and with GOMAXPROCS=1 in the
// command's environment: with more than one core, the runtime starts a
// second P and thread before main runs.
func (r *report) gomaxprocs(work, probe, httpURL string) {
	log.Printf("page faults and GOMAXPROCS: perf stat, %d runs each", *rssRuns)
	for _, c := range []struct{ name, target string }{{"probe http://…/healthz (a healthy HTTP check)", httpURL}, {"probe --version", "--version"}} {
		for _, env := range []string{"", "GOMAXPROCS=1"} {
			e, label := defaultEnv(), fmt.Sprintf("default (%d cores)", runtime.NumCPU())
			if env != "" {
				e, label = append(e, env), env
			}
			pc := perfStat(work, e, []string{probe, c.target})
			r.GOMAXPROCS = append(r.GOMAXPROCS, gomaxprocsRun{Command: c.name, Env: label, PageFaults: pc.PageFaults, TaskClockMS: pc.TaskClockMS})
		}
	}
}

// defaultEnv is the environment without GOMAXPROCS, so that "default" is
// the runtime's own choice.
func defaultEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "GOMAXPROCS=") })
}

// limits measures the deadline against a server that never answers, and
// the concurrency of 16 targets that answer after 200 ms.
func (r *report) limits(probe, silent, slow string) {
	log.Printf("deadline: --timeout 1s against a server that never answers, 20 runs")
	for range 20 {
		r.DeadlineMS = append(r.DeadlineMS, timed(probe, "--timeout", "1s", "http://"+silent+"/healthz"))
	}
	log.Printf("concurrency: 16 targets that answer after 200 ms, 10 runs")
	many := []string{probe}
	for i := range 16 {
		many = append(many, fmt.Sprintf("http://%s/%d", slow, i))
	}
	for range 10 {
		r.ConcurrencyMS = append(r.ConcurrencyMS, timed(many...))
	}
}

// write saves the report in dir as bench.json, bench.md and bench.svg, and
// prints the table.
func (r *report) write(dir string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	js, _ := json.MarshalIndent(r, "", "  ")
	table := r.markdown()
	for name, data := range map[string][]byte{"bench.json": js, "bench.md": []byte(table), "bench.svg": []byte(r.svg())} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Print(table)
	log.Printf("wrote %s/bench.md, bench.svg and bench.json", dir)
}

// rounds splits each tool's runs into interleaved rounds (probe, curl, ...,
// probe, curl, ...), so that a machine that slows down for a while slows
// every tool alike. The median is the median of the rounds' medians.
const rounds = 5

// roundRuns is the hyperfine runs of a tool in one round.
func roundRuns() int { return max(*runs/rounds, 3) }

// hyperfine runs the tools in interleaved rounds of hyperfine runs, without
// a shell, and returns each one's median wall time and mean CPU.
func hyperfine(work string, tools []tool) []result {
	walls := make([][]float64, len(tools))
	res := make([]result, len(tools))
	for range rounds {
		for i, r := range hyperfineRound(work, tools) {
			walls[i] = append(walls[i], r.WallMS)
			res[i].Tool = r.Tool
			res[i].CPUMS += r.CPUMS / rounds
		}
	}
	for i := range res {
		res[i].WallMS = median(walls[i])
	}
	return res
}

func hyperfineRound(work string, tools []tool) []result {
	out := filepath.Join(work, "hyperfine.json")
	args := []string{"-N", "--warmup", "10", "--runs", strconv.Itoa(roundRuns()), "--export-json", out, "--style", "none"}
	for _, t := range tools {
		args = append(args, "-n", t.name, shellQuote(t.argv))
	}
	if msg, err := exec.Command("hyperfine", args...).CombinedOutput(); err != nil {
		log.Fatalf("hyperfine: %v\n%s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		log.Fatal(err)
	}
	var hf struct {
		Results []struct {
			Command string    `json:"command"`
			Median  float64   `json:"median"`
			User    float64   `json:"user"`
			System  float64   `json:"system"`
			Codes   []int     `json:"exit_codes"`
			Times   []float64 `json:"times"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &hf); err != nil {
		log.Fatal(err)
	}
	res := make([]result, len(tools))
	for i, h := range hf.Results {
		for _, c := range h.Codes {
			if c != 0 {
				log.Fatalf("%s exited %d: the check must pass to be measured", tools[i].name, c)
			}
		}
		res[i] = result{Tool: tools[i].name, WallMS: h.Median * 1000, CPUMS: (h.User + h.System) * 1000}
	}
	return res
}

// shellQuote writes argv as hyperfine -N splits it: on spaces, with quotes.
func shellQuote(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if strings.ContainsAny(a, " '\"<>") {
			a = "'" + a + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

// peakRSS is the median of GNU time's maximum resident set size, in KB, and
// of its minor page faults.
func peakRSS(argv []string) (int, int) {
	var kb, faults []int
	for range *rssRuns {
		cmd := exec.Command("/usr/bin/time", append([]string{"-f", "%M %R"}, argv...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			log.Fatalf("%v: %v\n%s", argv, err, stderr.String())
		}
		fields := strings.Fields(stderr.String())
		if len(fields) < 2 {
			log.Fatalf("GNU time printed %q", stderr.String())
		}
		n, err1 := strconv.Atoi(fields[len(fields)-2])
		f, err2 := strconv.Atoi(fields[len(fields)-1])
		if err1 != nil || err2 != nil {
			log.Fatalf("GNU time printed %q", stderr.String())
		}
		kb, faults = append(kb, n), append(faults, f)
	}
	slices.Sort(kb)
	slices.Sort(faults)
	return kb[len(kb)/2], faults[len(faults)/2]
}

// helloWorld builds a static Go hello world into work, as probe is built:
// the floor of any Go program's start-up.
func helloWorld(work string) string {
	dir := filepath.Join(work, "hello")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	src := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module hello\n\ngo 1.26\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	bin := filepath.Join(work, "hello-world")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	build.Dir, build.Env = dir, append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		log.Fatalf("go build the hello world: %v\n%s", err, out)
	}
	return bin
}

var collected = regexp.MustCompile(`Collected : (\d+)`)

// instructions counts the instructions of a run under callgrind, the
// median of three: the Go runtime's background threads add a few per cent
// from run to run. Go's asynchronous preemption signals crash callgrind,
// so they are off; so is RDTSCP, which valgrind 3.19 does not know (SIGILL)
// and the runtime reads the clock with when one of its locks goes to sleep
// (cpu.rdtscp=off: MFENCE, LFENCE and RDTSC instead).
func instructions(argv []string) int64 {
	var counts []int64
	for range 3 {
		cmd := exec.Command("valgrind", append([]string{"--tool=callgrind", "--callgrind-out-file=/dev/null"}, argv...)...)
		cmd.Env = append(os.Environ(), "GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off")
		out, err := cmd.CombinedOutput()
		m := collected.FindSubmatch(out)
		if err != nil || m == nil {
			log.Fatalf("callgrind %v: %v\n%s", argv, err, out)
		}
		n, _ := strconv.ParseInt(string(m[1]), 10, 64)
		counts = append(counts, n)
	}
	slices.Sort(counts)
	return counts[1]
}

// timed runs argv and returns the milliseconds from exec to exit.
func timed(argv ...string) float64 {
	start := time.Now()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Run() // a failing check is expected here: only the time counts
	return float64(time.Since(start).Microseconds()) / 1000
}

// cpuModel is /proc/cpuinfo's model name.
func cpuModel() string {
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`model name\s*:\s*(.+)`).FindSubmatch(data); m != nil {
			return strings.TrimSpace(string(m[1]))
		}
	}
	return "unknown CPU"
}

// machine is the cores, the OS, the kernel and Go.
func machine() string {
	kernel := runtime.GOOS
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = "kernel " + strings.TrimSpace(string(data))
	}
	osName := runtime.GOOS
	if data, err := os.ReadFile("/etc/os-release"); err == nil {
		if m := regexp.MustCompile(`PRETTY_NAME="([^"]+)"`).FindSubmatch(data); m != nil {
			osName = string(m[1])
		}
	}
	return fmt.Sprintf("%d cores, %s, %s, %s", runtime.NumCPU(), osName, kernel, runtime.Version())
}

func versions() map[string]string {
	v := map[string]string{}
	for name, argv := range map[string][]string{
		"curl": {"curl", "--version"}, "GNU wget": {"wget", "--version"}, "busybox": {"busybox"},
		"hyperfine": {"hyperfine", "--version"}, "valgrind": {"valgrind", "--version"}, "bash": {"bash", "--version"}, "perf": {"perf", "--version"},
	} {
		out, _ := exec.Command(argv[0], argv[1:]...).CombinedOutput()
		line, _, _ := strings.Cut(string(out), "\n")
		v[name] = strings.TrimSpace(line)
	}
	return v
}

// size is the stripped binary's size, and the bytes of its symbols by
// module, read from an unstripped build of the same tree (symbols in
// sections that take room in the file: code, read-only data, data). The
// rest of the file is the runtime's tables (pclntab) and headers.
func size(probe, work string) (int64, []moduleSize) {
	fi, err := os.Stat(probe)
	if err != nil {
		log.Fatal(err)
	}
	full := filepath.Join(work, "probe.symbols")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-w", "-o", full, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		log.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(full)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		log.Fatal(err)
	}
	byModule := map[string]int64{}
	var total int64
	for _, sym := range syms {
		if int(sym.Section) <= 0 || int(sym.Section) >= len(f.Sections) {
			continue
		}
		sec := f.Sections[sym.Section]
		if sec.Type == elf.SHT_NOBITS || sec.Name == ".gopclntab" || sym.Size == 0 {
			continue
		}
		byModule[module(sym.Name)] += int64(sym.Size)
		total += int64(sym.Size)
	}
	var list []moduleSize
	for m, n := range byModule {
		list = append(list, moduleSize{m, n})
	}
	slices.SortFunc(list, func(a, b moduleSize) int { return int(b.Bytes - a.Bytes) })
	list = append(list, moduleSize{"the rest: pclntab (function tables), headers, padding", fi.Size() - total})
	return fi.Size(), list
}

// module names the module or standard library part a symbol belongs to.
func module(symbol string) string {
	for _, p := range []string{"type:.eq.", "go:itab.", "type:", "go:string."} {
		symbol = strings.TrimPrefix(symbol, p)
	}
	symbol = strings.TrimLeft(symbol, "*")
	symbol, _, _ = strings.Cut(symbol, ",") // go:itab.*T,I names the type first
	slash := strings.LastIndexByte(symbol, '/')
	pkg := symbol
	if dot := strings.IndexByte(symbol[slash+1:], '.'); dot >= 0 {
		pkg = symbol[:slash+1+dot]
	}
	for _, c := range patched.Copies {
		if dir := "github.com/probe-sh/probe/internal/patched/" + c.Name; pkg == dir || strings.HasPrefix(pkg, dir+"/") {
			return c.Module + " (patched copy)"
		}
	}
	switch {
	case strings.HasPrefix(pkg, "github.com/probe-sh/probe"):
		return "probe"
	case strings.HasPrefix(pkg, "github.com/"), strings.HasPrefix(pkg, "golang.org/"):
		parts := strings.Split(pkg, "/")
		return strings.Join(parts[:min(3, len(parts))], "/")
	case strings.HasPrefix(pkg, "vendor/"):
		return "Go: vendored x/net, x/crypto"
	case strings.HasPrefix(pkg, "crypto"):
		return "Go: crypto (TLS, x509)"
	case strings.HasPrefix(pkg, "net"):
		return "Go: net, net/http"
	case strings.HasPrefix(pkg, "runtime"), strings.HasPrefix(pkg, "internal/"), pkg == "go:func", strings.HasPrefix(pkg, "sync"):
		return "Go: runtime"
	case pkg == "main":
		return "probe (main)"
	}
	return "Go: the rest of the standard library"
}

// write is fmt.Fprintf without the error: the table and chart are built in memory.
func write(w io.Writer, format string, args ...any) { fmt.Fprintf(w, format, args...) }
