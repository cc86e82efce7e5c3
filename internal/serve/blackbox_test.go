package serve_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/serve"
	"github.com/probe-sh/probe/probe"
)

// expiringTLS is an HTTPS server whose self-signed certificate expires at
// notAfter, and a pool that trusts it.
func expiringTLS(t *testing.T, notAfter time.Time) (*httptest.Server, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "expiring.test"}, DNSNames: []string{"localhost"},
		IPAddresses: nil, NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/teapot" {
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, pool
}

// TestBlackboxNames: beside probe's own, /metrics has blackbox_exporter's
// names with its semantics: probe_http_status_code (the final response's
// status, for HTTP targets only, 0 when no response came),
// probe_ssl_earliest_cert_expiry (Unix seconds, for targets that reached
// TLS), and probe_build_info as client_golang's version collector writes it.
func TestBlackboxNames(t *testing.T) {
	t.Parallel()
	notAfter := time.Now().Add(10 * 24 * time.Hour).Truncate(time.Second)
	srv, pool := expiringTLS(t, notAfter)
	u, _ := url.Parse(strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/healthz")
	teapot, _ := url.Parse(srv.URL + "/teapot")
	refused, _ := url.Parse("http://127.0.0.1:1/healthz")
	targets := []probe.Target{
		{Name: "https", Kind: "http", Check: &checks.HTTP{URL: u, TLS: &tls.Config{RootCAs: pool}}},
		{Name: "teapot", Kind: "http", Check: &checks.HTTP{URL: teapot, TLS: &tls.Config{InsecureSkipVerify: true}}},
		{Name: "refused", Kind: "http", Check: &checks.HTTP{URL: refused}},
		{Name: "tcp", Kind: "tcp", Check: &checks.TCP{Host: "127.0.0.1", Port: strings.TrimPrefix(srv.URL[strings.LastIndexByte(srv.URL, ':'):], ":")}},
	}
	s := newServer(targets...)
	s.Build = serve.Build{Version: "v1.2.3", Revision: "abcdef", Tags: "netgo"}
	r := start(t, s)
	body := eventuallyBody(t, r.base+"/metrics", func(b string) bool { return strings.Count(b, "\nprobe_success{") == 4 })
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mf, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, body)
	}
	byTarget := func(name string) map[string]float64 {
		out := map[string]float64{}
		for _, m := range mf[name].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "target" {
					out[l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
		return out
	}
	if got := byTarget("probe_http_status_code"); len(got) != 3 || got["https"] != 200 || got["teapot"] != 418 || got["refused"] != 0 {
		t.Errorf("probe_http_status_code = %v, want https 200, teapot 418, refused 0 and no tcp", got)
	}
	if got := byTarget("probe_ssl_earliest_cert_expiry"); len(got) != 2 || got["https"] != float64(notAfter.Unix()) || got["teapot"] != float64(notAfter.Unix()) {
		t.Errorf("probe_ssl_earliest_cert_expiry = %v, want https and teapot at %d", got, notAfter.Unix())
	}
	if mf["probe_ssl_earliest_cert_expiry"].GetType().String() != "GAUGE" || mf["probe_http_status_code"].GetType().String() != "GAUGE" {
		t.Errorf("not gauges: %v", mf["probe_ssl_earliest_cert_expiry"].GetType())
	}
	want := `probe_build_info{branch="",goarch="` + runtime.GOARCH + `",goos="` + runtime.GOOS + `",goversion="` + runtime.Version() + `",revision="abcdef",tags="netgo",version="v1.2.3"} 1` + "\n"
	if !strings.Contains(body, "\n"+want) {
		t.Errorf("/metrics lacks %s%s", want, body)
	}
}
