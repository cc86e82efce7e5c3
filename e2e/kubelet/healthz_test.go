package kubelet

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apiserver/pkg/server/healthz"
)

// paths is a mux that keeps what healthz installs, by path.
type paths map[string]http.Handler

func (p paths) Handle(pattern string, h http.Handler) { p[pattern] = h }

// TestProbeVerboseGoldens: kube-apiserver's own healthz package, given
// checks of the same names and results, writes exactly the bodies probe
// serve's goldens hold (internal/serve/testdata/healthz, which
// internal/serve's TestVerboseAsKubeAPIServer compares probe's answers
// with). Only the status differs: 500 there, 503 in probe.
func TestProbeVerboseGoldens(t *testing.T) {
	ok := func(*http.Request) error { return nil }
	failed := func(*http.Request) error { return errors.New("connection refused") }
	check := healthz.NamedCheck
	cases := []struct {
		golden, path string
		checks       []healthz.HealthChecker
		status       int
	}{
		{"readyz-passed", "/readyz?verbose", []healthz.HealthChecker{healthz.PingHealthz, check("shutdown", ok), check("http://app:8080/healthz", ok), check("tcp://db:5432", ok)}, 200},
		{"readyz-failed", "/readyz?verbose", []healthz.HealthChecker{healthz.PingHealthz, check("shutdown", ok), check("http://app:8080/healthz", ok), check("tcp://db:5432", failed)}, 500},
		{"readyz-draining", "/readyz?verbose", []healthz.HealthChecker{healthz.PingHealthz, check("shutdown", failed), check("http://app:8080/healthz", ok), check("tcp://db:5432", ok)}, 500},
		{"readyz-excluded", "/readyz?verbose&exclude=tcp://db:5432&exclude=etcd&exclude=apiserver", []healthz.HealthChecker{healthz.PingHealthz, check("shutdown", ok), check("http://app:8080/healthz", ok), check("tcp://db:5432", failed)}, 200},
		{"healthz-passed", "/healthz?verbose", []healthz.HealthChecker{healthz.PingHealthz, check("shutdown", ok), check("http://app:8080/healthz", ok), check("tcp://db:5432", ok)}, 200},
		{"livez-passed", "/livez?verbose", []healthz.HealthChecker{healthz.PingHealthz}, 200},
		{"livez-excluded", "/livez?verbose&exclude=ping", []healthz.HealthChecker{healthz.PingHealthz}, 200},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			mux := paths{}
			root, _, _ := strings.Cut(c.path, "?")
			healthz.InstallPathHandler(mux, root, c.checks...)
			rec := httptest.NewRecorder()
			mux[root].ServeHTTP(rec, httptest.NewRequest("GET", c.path, nil))
			want, err := os.ReadFile(filepath.Join("..", "..", "internal", "serve", "testdata", "healthz", c.golden+".golden"))
			if err != nil {
				t.Fatal(err)
			}
			if rec.Body.String() != string(want) || rec.Code != c.status {
				t.Errorf("kube-apiserver's healthz answers %d:\n%s\nprobe's golden:\n%s", rec.Code, rec.Body.String(), want)
			}
		})
	}
}
