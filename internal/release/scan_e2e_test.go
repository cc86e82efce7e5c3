//go:build e2e

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/probe-sh/probe/internal/patched"
)

// govulncheck is the scanner the test runs, built from the Go module proxy.
const govulncheck = "golang.org/x/vuln/cmd/govulncheck@v1.9.0"

// TestScannerSeesTheCopies runs govulncheck -mode=binary, which reads only the
// binary, on probe as make build makes it, against a vulnerability database in
// a directory: one made-up advisory for each patched copy's upstream module
// at the version the copy comes from, and one for a module probe no longer
// links (klauspost/compress). Every copy's advisory must be reported, against
// its module and version; the other must not. Before the copies imported a
// package of their upstream module (upstream.go), govulncheck found nothing.
func TestScannerSeesTheCopies(t *testing.T) {
	tmp := t.TempDir()
	bin := buildProbe(t, tmp)
	db := filepath.Join(tmp, "vulndb")
	advisories := map[string]string{} // ID -> module
	for i, c := range patched.Copies {
		advisories[fmt.Sprintf("GO-2099-%04d", i+1)] = c.Module
	}
	const absent = "GO-2099-0999"
	advisories[absent] = "github.com/klauspost/compress"
	writeVulnDB(t, db, advisories)

	cmd := exec.Command("go", "run", govulncheck, "-mode=binary", "-db", "file://"+db, "-format", "json", bin)
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && len(out) == 0 {
		if os.Getenv("CI") == "" {
			t.Skipf("SKIPPED: go run %s failed (no module proxy?): the scanner test did not run\n%s", govulncheck, stderr.String())
		}
		t.Fatalf("go run %s: %v\n%s", govulncheck, err, stderr.String())
	}
	found := map[string]string{} // ID -> "module version"
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var msg struct {
			Finding *struct {
				OSV   string `json:"osv"`
				Trace []struct{ Module, Version string }
			}
		}
		if err := dec.Decode(&msg); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("govulncheck's JSON: %v\n%s", err, out)
		}
		if f := msg.Finding; f != nil && len(f.Trace) > 0 {
			found[f.OSV] = f.Trace[0].Module + " " + f.Trace[0].Version
		}
	}
	for i, c := range patched.Copies {
		id := fmt.Sprintf("GO-2099-%04d", i+1)
		if want := c.Module + " " + c.Version; found[id] != want {
			t.Errorf("govulncheck -mode=binary did not report %s, the advisory for %s: found %q\n%s", id, want, found[id], out)
		}
	}
	if m, ok := found[absent]; ok {
		t.Errorf("govulncheck reported %s, for a module not linked: %s", absent, m)
	}
}

// writeVulnDB writes a Go vulnerability database (the layout of
// vuln.go.dev, golang.org/x/vuln's v1 schema) that holds one advisory per
// module: every version affected, no symbol named, so the whole module is.
func writeVulnDB(t *testing.T, dir string, advisories map[string]string) {
	t.Helper()
	const when = "2026-12-01T00:00:00Z"
	type vuln struct {
		ID       string `json:"id"`
		Modified string `json:"modified"`
		Aliases  []string
	}
	type modVuln struct {
		ID       string `json:"id"`
		Modified string `json:"modified"`
	}
	type modEntry struct {
		Path  string    `json:"path"`
		Vulns []modVuln `json:"vulns"`
	}
	var vulns []vuln
	var mods []modEntry
	for id, module := range advisories {
		vulns = append(vulns, vuln{ID: id, Modified: when, Aliases: []string{}})
		mods = append(mods, modEntry{Path: module, Vulns: []modVuln{{ID: id, Modified: when}}})
		entry := map[string]any{
			"schema_version": "1.3.1", "id": id, "modified": when, "published": when,
			"summary": "a made-up advisory for " + module, "details": "written by scan_e2e_test.go",
			"affected": []any{map[string]any{
				"package": map[string]string{"name": module, "ecosystem": "Go"},
				"ranges":  []any{map[string]any{"type": "SEMVER", "events": []any{map[string]string{"introduced": "0"}}}},
			}},
		}
		writeJSON(t, filepath.Join(dir, "ID", id+".json"), entry)
	}
	writeJSON(t, filepath.Join(dir, "index", "db.json"), map[string]string{"modified": when})
	writeJSON(t, filepath.Join(dir, "index", "modules.json"), mods)
	writeJSON(t, filepath.Join(dir, "index", "vulns.json"), vulns)
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
