//go:build e2e

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// promtoolPackage is where .ci/run gets promtool: Debian's prometheus
// package (2.42), installed in seconds, where building it from the module
// proxy took half an hour. Its tests start at time() 0 (start_timestamp
// came with Prometheus 3), so the scraped times are moved by the scrape's
// own time: an expiry 10 days after the scrape is 10 days after 0.
const promtoolPackage = "Debian's prometheus package"

// blackboxRules is the certificate-expiry alert as written for
// blackbox_exporter (its probe_ssl_earliest_cert_expiry), with its
// probe_success alert beside it, unchanged.
const blackboxRules = `groups:
  - name: blackbox
    rules:
      - alert: SslCertificateWillExpireSoon
        expr: probe_ssl_earliest_cert_expiry - time() < 86400 * 30
        for: 0m
        labels:
          severity: warning
      - alert: BlackboxProbeFailed
        expr: probe_success == 0
        for: 0m
        labels:
          severity: critical
`

// TestBlackboxAlertsWithPromtool: a Prometheus alert written for
// blackbox_exporter's certificate expiry fires against probe serve's
// /metrics, checked by promtool test rules: every sample of a real scrape
// is an input series at the scrape's time, and the alert fires for the
// certificate that expires in 10 days, not for the one in 60. The probe
// failure alert fires for the refused target only.
func TestBlackboxAlertsWithPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		unavailable(t, "promtool is not installed: .ci/run installs "+promtoolPackage,
			"SKIPPED: the blackbox alert test: promtool is not installed (apt-get install prometheus); CI runs it")
	}
	dir := t.TempDir()
	bin := build(t, dir, "probe", ".")
	soon := tlsServer(t, time.Now().Add(10*24*time.Hour))
	later := tlsServer(t, time.Now().Add(60*24*time.Hour))
	refused := "http://" + freeAddr(t) + "/healthz"
	listen := freeAddr(t)
	log := newTimedLog()
	start(t, log, "probe serve", nil, bin, "serve", "--listen", listen, "--interval", "200ms", "-k",
		soon+"/healthz", later+"/healthz", refused)
	var body string
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(body, "\nprobe_ssl_earliest_cert_expiry{") != 2 || strings.Count(body, "\nprobe_success{") != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never had both certificates and three results:\n%s\n%s", body, log)
		}
		time.Sleep(100 * time.Millisecond)
		resp, err := http.Get("http://" + listen + "/metrics")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
	}
	scraped := time.Now().Unix()

	var series strings.Builder
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		value := line[i+1:]
		if strings.HasPrefix(line, "probe_ssl_earliest_cert_expiry{") {
			// A time, compared with time(): moved with the clock.
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			value = strconv.FormatFloat(v-float64(scraped), 'f', -1, 64)
		}
		fmt.Fprintf(&series, "      - series: '%s'\n        values: '%s+0x10'\n", line[:i], value)
	}
	tests := fmt.Sprintf(`rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
%s    alert_rule_test:
      - eval_time: 5m
        alertname: SslCertificateWillExpireSoon
        exp_alerts:
          - exp_labels: {severity: warning, target: "%s/healthz", kind: http}
      - eval_time: 5m
        alertname: BlackboxProbeFailed
        exp_alerts:
          - exp_labels: {severity: critical, target: "%s", kind: http}
`, series.String(), soon, refused)
	if err := os.WriteFile(filepath.Join(dir, "rules.yml"), []byte(blackboxRules), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tests.yml"), []byte(tests), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "test", "rules", "tests.yml")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s\ntests.yml:\n%s", err, out, tests)
	}
	t.Logf("promtool test rules:\n%s", out)
}

// tlsServer is an HTTPS server on loopback whose self-signed certificate
// expires at notAfter; it returns its URL.
func tlsServer(t *testing.T, notAfter time.Time) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}
