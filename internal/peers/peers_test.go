package peers

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/probe-sh/probe/internal/cli"
)

var (
	update = flag.Bool("update", false, "rewrite the generated parts of docs/porting.md from the table")
)

// TestPeers runs every row probe can express through probe's command line
// (cli.Main, in process) against its loopback server, and asserts probe's
// verdict. A row with an environment of its own runs alone; the others run
// in parallel, sharing the servers.
func TestPeers(t *testing.T) {
	e := &env{dir: t.TempDir(), started: map[string]*started{}}
	if err := writeFiles(e.dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.close)
	// The rows' lines say everything: no PROBE_ variable of the shell, nor
	// a CA bundle of its own, may change them.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "PROBE_") || strings.HasPrefix(k, "SSL_CERT_") {
			t.Setenv(k, "")
		}
	}
	marker := filepath.Join(e.dir, "no-marker-here")
	for _, c := range Cases {
		if c.Line == nil {
			continue
		}
		t.Run(string(c.Peer)+"/"+c.Test, func(t *testing.T) {
			if len(c.Env) == 0 {
				t.Parallel()
			}
			args, err := e.expand(c.Server, c.Line)
			if err != nil {
				t.Fatal(err)
			}
			vars, err := e.expand(c.Server, c.Env)
			if err != nil {
				t.Fatal(err)
			}
			for _, kv := range vars {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			code := cli.Main(append([]string{"--marker", marker}, args...), &stdout, &stderr, cli.Stamp{Version: "test"})
			got, ok := verdictOf(code, stdout.String(), stderr.String())
			t.Logf("probe %s: %s%s", strings.Join(args, " "), stdout.String(), stderr.String())
			if !ok || got != c.Probe {
				t.Errorf("probe %s\nexit %d, stdout %q, stderr %q\nwant %s (the peer says %s)", strings.Join(args, " "), code, stdout.String(), stderr.String(), c.Probe, c.Says)
			}
		})
	}
}

// verdictOf reads probe's verdict from how it ended.
func verdictOf(code int, stdout, stderr string) (Verdict, bool) {
	switch {
	case code == 0 && strings.HasPrefix(stdout, "healthy "):
		return Healthy, true
	case code == 1 && strings.HasPrefix(stdout, "unhealthy "):
		return Unhealthy, true
	case code == 1 && stdout == "" && strings.HasPrefix(stderr, "probe: error: "):
		return Refused, true
	}
	return "", false
}

// placeholder is what a row's line names: its server's address or port
// ({addr}, {port}), another server's ({addr:NAME}, {port:NAME}), or a file
// the test writes ({file:NAME}).
var placeholder = regexp.MustCompile(`\{(addr|port|file)(?::([^}]+))?\}`)

// expand fills in the placeholders of args for a row whose server is
// server.
func (e *env) expand(server string, args []string) ([]string, error) {
	out := make([]string, len(args))
	var err error
	for i, a := range args {
		out[i] = placeholder.ReplaceAllStringFunc(a, func(m string) string {
			p := placeholder.FindStringSubmatch(m)
			what, name := p[1], p[2]
			if what == "file" {
				return filepath.Join(e.dir, name)
			}
			if name == "" {
				name = server
			}
			addr, aerr := e.addr(name)
			if aerr != nil {
				err = aerr
				return m
			}
			if what == "port" {
				_, port, _ := strings.Cut(addr[strings.LastIndexByte(addr, ']')+1:], ":")
				return port
			}
			return addr
		})
	}
	return out, err
}

// TestTable checks the table itself: every row is complete, names a server
// that exists and a reason that is written, and says a reason exactly when
// probe differs or cannot express the check.
func TestTable(t *testing.T) {
	seen := map[string]bool{}
	usedServers, usedReasons := map[string]bool{}, map[string]bool{}
	for _, c := range Cases {
		id := string(c.Peer) + " " + c.Test
		switch {
		case seen[id]:
			t.Errorf("%s: twice", id)
		case c.Test == "" || c.Config == "" || c.Says == "":
			t.Errorf("%s: a row needs its test, the peer's config and the peer's verdict", id)
		case c.Says == Refused:
			t.Errorf("%s: a peer's verdict is healthy or unhealthy", id)
		case c.Line == nil && (c.Probe != "" || c.Env != nil):
			t.Errorf("%s: a row probe cannot express has no verdict of probe's, no environment", id)
		case c.Line != nil && c.Probe == "":
			t.Errorf("%s: probe's verdict is missing", id)
		case (c.Reason != "") != (c.Kind() != Agree):
			t.Errorf("%s: %s, with reason %q: a reason says why probe differs or cannot express the check, and only then", id, c.Kind(), c.Reason)
		case c.Reason != "" && Reasons[c.Reason] == "":
			t.Errorf("%s: no reason %q in Reasons", id, c.Reason)
		}
		seen[id] = true
		usedReasons[c.Reason] = true
		if c.Server != "" {
			usedServers[c.Server] = true
			if _, ok := servers[c.Server]; !ok {
				t.Errorf("%s: no server %q", id, c.Server)
			}
		}
		for _, a := range append(append([]string{}, c.Line...), c.Env...) {
			for _, m := range placeholder.FindAllStringSubmatch(a, -1) {
				name := m[2]
				if m[1] == "file" {
					continue
				}
				if name == "" && c.Server == "" {
					t.Errorf("%s: %s, but the row names no server", id, m[0])
				}
				if _, ok := servers[name]; name != "" && !ok {
					t.Errorf("%s: %s: no such server", id, m[0])
				}
				usedServers[name] = true
			}
		}
	}
	for k := range Reasons {
		if !usedReasons[k] {
			t.Errorf("reason %q: no row gives it", k)
		}
	}
	for k := range servers {
		if !usedServers[k] {
			t.Errorf("server %q: no row runs against it", k)
		}
	}
}

// TestPortingDoc fails when docs/porting.md does not show the table as it
// is; go test ./internal/peers -run TestPortingDoc -update rewrites it.
func TestPortingDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "porting.md")
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := regenerate(string(old))
	if err != nil {
		t.Fatal(err)
	}
	if doc == string(old) {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/porting.md is stale: run go test ./internal/peers -run TestPortingDoc -update\n%s", firstDiff(string(old), doc))
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, x, y)
		}
	}
	return ""
}
