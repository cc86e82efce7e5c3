package serve_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/serve"
	"github.com/probe-sh/probe/probe"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/healthz")

// TestVerboseAsKubeAPIServer: /readyz?verbose, /healthz?verbose and
// /livez?verbose answer as kube-apiserver's healthz package writes them,
// byte for byte: the goldens in testdata/healthz, which
// e2e/kubelet/healthz_test.go checks against that package itself.
func TestVerboseAsKubeAPIServer(t *testing.T) {
	var dbUp atomic.Bool
	targets := []probe.Target{
		{Name: "http://app:8080/healthz", Kind: "func", Check: probe.CheckFunc(func(context.Context) error { return nil })},
		{Name: "tcp://db:5432", Kind: "func", Check: probe.CheckFunc(func(context.Context) error {
			if dbUp.Load() {
				return nil
			}
			return errors.New("connection refused")
		})},
	}
	marker := filepath.Join(t.TempDir(), "draining")
	s := newServer(targets...)
	s.Marker = marker
	// Long enough to read the draining answers after SIGTERM: the
	// cleanup's cancel ends the run.
	s.DrainDelay = time.Minute
	r := start(t, s)

	golden := func(name, path string, code int) {
		t.Helper()
		gotCode, body := get(t, r.base+path)
		file := filepath.Join("testdata", "healthz", name+".golden")
		if *update {
			os.WriteFile(file, []byte(body), 0o644)
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if gotCode != code || body != string(want) {
			t.Errorf("GET %s: %d\n%s\nwant %d, as %s:\n%s", path, gotCode, body, code, file, want)
		}
	}
	eventuallyBody(t, r.base+"/readyz", func(b string) bool { return strings.Contains(b, "tcp://db:5432 is unhealthy") })
	golden("readyz-failed", "/readyz?verbose", 503)
	golden("livez-passed", "/livez?verbose", 200)
	golden("readyz-excluded", "/readyz?verbose&exclude=tcp://db:5432&exclude=etcd&exclude=apiserver", 200)
	dbUp.Store(true)
	eventually(t, r.base+"/readyz", 200)
	golden("readyz-passed", "/readyz?verbose", 200)
	golden("healthz-passed", "/healthz?verbose", 200)
	golden("livez-excluded", "/livez?verbose&exclude=ping", 200)

	// The marker, then SIGTERM: shutdown fails, as kube-apiserver's own
	// check does while it shuts down.
	os.WriteFile(marker, nil, 0o644)
	eventually(t, r.base+"/readyz", 503)
	golden("readyz-draining", "/readyz?verbose", 503)
	os.Remove(marker)
	eventually(t, r.base+"/readyz", 200)
	r.signals <- syscall.SIGTERM
	eventually(t, r.base+"/readyz", 503)
	golden("readyz-draining", "/readyz?verbose", 503)
	// The plain answers stay one line that says why.
	if code, body := get(t, r.base+"/readyz"); code != 503 || body != "draining: received SIGTERM\n" {
		t.Errorf("/readyz = %d %q", code, body)
	}
}

// TestVerboseWithoutTargets: ping and shutdown alone.
func TestVerboseWithoutTargets(t *testing.T) {
	r := start(t, &serve.Server{Monitor: newServer().Monitor})
	eventually(t, r.base+"/readyz", 200)
	if _, body := get(t, r.base+"/readyz?verbose=1"); body != "[+]ping ok\n[+]shutdown ok\nreadyz check passed\n" {
		t.Errorf("/readyz?verbose=1 = %q", body)
	}
}
