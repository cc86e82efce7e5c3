//go:build e2e

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	modfile "golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"

	"github.com/probe-sh/probe/internal/testserver"
)

// installVersion is the version the test publishes this module at.
const installVersion = "v0.0.0-installtest"

// TestGoInstall publishes this module, as git knows it, to a module proxy
// in a directory (the zip made by golang.org/x/mod/zip, as the go command and
// proxy.golang.org make it), and installs it from there as a user would:
//
//	go install github.com/probe-sh/probe@v0.0.0-installtest
//
// with an empty module cache: the dependencies come from this machine's
// module cache, itself a proxy, and are checked against the checksum database. The installed binary then checks a
// loopback server. This fails on a replace directive in go.mod, on a package
// missing from the module zip (a nested go.mod), and on a build that needs
// anything the zip does not hold.
func TestGoInstall(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	src := filepath.Join(tmp, "src")
	copySource(t, root, src)

	mod := modfile.Version{Path: "github.com/probe-sh/probe", Version: installVersion}
	dir := filepath.Join(tmp, "proxy", "github.com", "probe-sh", "probe", "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	zf, err := os.Create(filepath.Join(dir, installVersion+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	if err := modzip.CreateFromDir(zf, mod, src); err != nil {
		t.Fatalf("the module zip: %v", err)
	}
	zf.Close()
	gomod, err := os.ReadFile(filepath.Join(src, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		installVersion + ".mod":  string(gomod),
		installVersion + ".info": `{"Version":"` + installVersion + `","Time":"2026-11-29T00:00:00Z"}`,
		"list":                   installVersion + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	cache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := exec.Command("go", "env", "GOPROXY").Output()
	if err != nil {
		t.Fatal(err)
	}
	gobin := filepath.Join(tmp, "bin")
	cmd := exec.Command("go", "install", "github.com/probe-sh/probe@"+installVersion)
	cmd.Dir = tmp // outside any module
	cmd.Env = append(os.Environ(),
		// This module from the directory, its dependencies from this
		// machine's module cache; the checksum database (and whatever the
		// cache lacks) through the machine's own proxy, as for any user.
		"GOPROXY=file://"+filepath.Join(tmp, "proxy")+",file://"+filepath.Join(strings.TrimSpace(string(cache)), "cache", "download")+","+strings.TrimSpace(string(proxy)),
		"GOMODCACHE="+filepath.Join(tmp, "modcache"), "GOBIN="+gobin, "GOFLAGS=-modcacherw",
		// The test version is in no checksum database; every other module
		// is checked against it, as for any go install.
		"GONOSUMDB=github.com/probe-sh/probe", "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go install github.com/probe-sh/probe@%s: %v\n%s", installVersion, err, out)
	}
	t.Logf("$ go install github.com/probe-sh/probe@%s   (%s)\n%s", installVersion, time.Since(start).Round(100*time.Millisecond), out)

	bin := filepath.Join(gobin, "probe")
	version, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(version), "probe "+installVersion+" (commit unknown, go") {
		t.Fatalf("probe --version: %v, %q; want the module version from the build information", err, version)
	}
	verbose, _ := exec.Command(bin, "--version", "-v").CombinedOutput()
	if !strings.Contains(string(verbose), "github.com/alecthomas/kong v") || !strings.Contains(string(verbose), "github.com/prometheus/procfs v") {
		t.Errorf("probe --version -v lacks the modules: %q", verbose)
	}
	app, err := testserver.Start("http", "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	check, err := exec.Command(bin, "http://"+app.Addr+"/healthz").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(check), "healthy http://"+app.Addr+"/healthz in ") {
		t.Fatalf("the installed probe against a loopback server: %v, %q", err, check)
	}
	t.Logf("$ probe --version\n%s$ probe http://%s/healthz\n%s", version, app.Addr, check)
}
