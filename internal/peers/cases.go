// Package peers is the behaviour table of the checkers users come to probe
// from: the Kubernetes kubelet's probes, blackbox_exporter's modules,
// grpc-health-probe and wait4x. Each row is one case of the peer's own
// tests (or of its documented configuration): the server behaviour it
// asserts, the peer's verdict, probe's closest command line and probe's
// verdict. Its tests run every row that probe can express through probe's
// real command line against a loopback server, and generate the tables of
// docs/porting.md from it.
package peers

import (
	"fmt"
	"slices"
	"strings"
)

// Peer is a checker users port their checks from.
type Peer string

// The peers, in the order docs/porting.md shows them.
const (
	Kubelet  Peer = "kubelet"
	Blackbox Peer = "blackbox_exporter"
	GHP      Peer = "grpc-health-probe"
	Wait4x   Peer = "wait4x"
)

// Peers are the peers in order.
var Peers = []Peer{Kubelet, Blackbox, GHP, Wait4x}

// Verdict is what a checker concludes.
type Verdict string

// The verdicts. A peer is Healthy or Unhealthy (a configuration it refuses
// fails the check); probe may also refuse its command line before it checks
// anything, which exits 1 too.
const (
	Healthy   Verdict = "healthy"
	Unhealthy Verdict = "unhealthy"
	Refused   Verdict = "refused"
)

// Passes reports whether the verdict passes the check (exit 0).
func (v Verdict) Passes() bool { return v == Healthy }

// Case is one row of the table.
type Case struct {
	Peer   Peer
	Test   string   // where the case is in the peer's source: the file and the test, and its entry
	Config string   // the peer's check, as its users write it
	Server string   // the behaviour the case runs against: a server of the tests (internal/peers/servers_test.go)
	Line   []string // probe's closest command line, after "probe"; nil when probe cannot express the check
	Says   Verdict  // the peer's verdict
	Probe  Verdict  // probe's verdict
	// Reason is why probe differs from the peer or cannot express its
	// check: a key of Reasons, which docs/porting.md explains.
	Reason string
	// Note says what the row changes of the peer's case (a host on
	// loopback in place of one on the internet), or what to know.
	Note string
	Env  []string // NAME=VALUE, set for the run
}

// Kind is how a row stands: probe agrees, differs for a documented reason,
// or cannot express the check.
type Kind string

// The kinds.
const (
	Agree         Kind = "agree"
	Differ        Kind = "differ"
	Inexpressible Kind = "inexpressible"
)

// Kind says how the row stands.
func (c Case) Kind() Kind {
	switch {
	case c.Line == nil:
		return Inexpressible
	case c.Says.Passes() != c.Probe.Passes():
		return Differ
	}
	return Agree
}

// line is a command line, for the table's brevity.
func line(args ...string) []string { return args }

// Cases is the table: every case of the peers' tests that applies to a
// container health check, in the order of their source files.
var Cases = slices.Concat(kubelet, blackboxHTTP, blackboxTCP, blackboxGRPC, blackboxDNS, blackboxModules, grpcHealthProbe, wait4x)

// k8s.io/kubernetes v1.34.4, pkg/probe. The kubelet's httpGet is a GET that
// passes on 200-399, follows redirects to the same host (up to 10), sends
// User-Agent kube-probe/1.34 and Accept: */*, reads 10 KiB of the body and
// never verifies a certificate; its timeout is timeoutSeconds, 1 by default.
var kubelet = []Case{
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeProxy", Config: "httpGet: {path: /}, with HTTP_PROXY set on the node", Server: "ok-body",
		Env:  []string{"HTTP_PROXY=http://{addr:proxy}", "http_proxy=http://{addr:proxy}"},
		Line: line("http://{addr}/", "--expect-body", "ok body"), Says: Healthy, Probe: Healthy,
		Note: "the proxy answers 500: a check that went through it would fail"},

	// TestHTTPProbeChecker: the entries of testCases, by index.
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 0", Config: "httpGet: {path: /}", Server: "ok-body",
		Line: line("http://{addr}/", "--expect-body", "ok body"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 1", Config: "httpGet: {path: /}", Server: "header-count",
		Line: line("http://{addr}/", "--expect-body", "^3$"), Says: Healthy, Probe: Healthy,
		Note: "the kubelet sends Accept, Connection and User-Agent"},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 2", Config: "httpGet: {path: /}", Server: "header-names",
		Line: line("http://{addr}/", "--expect-body", `^Accept\nConnection\nUser-Agent$`), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 3", Config: "httpGet: {path: /, httpHeaders: [{name: Accept-Encoding, value: gzip}]}", Server: "echo",
		Line: line("http://{addr}/", "-H", "Accept-Encoding: gzip", "--expect-body", "Accept-Encoding: gzip"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 4", Config: "httpGet: {path: /, httpHeaders: [{name: Accept-Encoding, value: foo}]}", Server: "echo",
		Line: line("http://{addr}/", "-H", "Accept-Encoding: foo", "--expect-body", "Accept-Encoding: foo"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 5", Config: "httpGet: {path: /, httpHeaders: [{name: Accept-Encoding, value: ''}]}", Server: "echo",
		Line: line("http://{addr}/", "-H", "Accept-Encoding:", "--expect-body", `Accept-Encoding: \n`), Says: Healthy, Probe: Healthy,
		Note: "an empty value is sent empty; only Accept and User-Agent are removed when empty"},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 6", Config: "httpGet: {path: /, httpHeaders: [{name: X-Muffins-Or-Cupcakes, value: muffins}]}", Server: "echo",
		Line: line("http://{addr}/", "-H", "X-Muffins-Or-Cupcakes: muffins", "--expect-body", "X-Muffins-Or-Cupcakes: muffins"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 7", Config: "httpGet: {path: /, httpHeaders: [{name: User-Agent, value: foo/1.0}]}", Server: "echo",
		Line: line("http://{addr}/", "-H", "User-Agent: foo/1.0", "--expect-body", "User-Agent: foo/1.0"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 8", Config: "httpGet: {path: /, httpHeaders: [{name: User-Agent, value: ''}]}", Server: "echo",
		Line: line("http://{addr}/", "-H", "User-Agent:", "--reject-body", "User-Agent"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 9", Config: "httpGet: {path: /}", Server: "echo",
		Line: line("http://{addr}/", "-H", "User-Agent: kube-probe/1.34", "--expect-body", "User-Agent: kube-probe/"), Says: Healthy, Probe: Healthy,
		Note: "probe's own `User-Agent` is `probe/VERSION`: the line sends the kubelet's"},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 10", Config: "httpGet: {path: /, httpHeaders: [{name: User-Agent, value: foo/1.0}, {name: Accept, value: text/html}]}", Server: "echo",
		Line: line("http://{addr}/", "-H", "User-Agent: foo/1.0", "-H", "Accept: text/html", "--expect-body", "Accept: text/html"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 11", Config: "httpGet: {path: /, httpHeaders: [{name: User-Agent, value: foo/1.0}, {name: Accept, value: foo/*}]}", Server: "echo",
		Line: line("http://{addr}/", "-H", "User-Agent: foo/1.0", "-H", "Accept: foo/*", "--expect-body", "User-Agent: foo/1.0"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 12", Config: "httpGet: {path: /, httpHeaders: [{name: X-Muffins-Or-Cupcakes, value: muffins}, {name: Accept, value: foo/*}]}", Server: "echo",
		Line: line("http://{addr}/", "-H", "X-Muffins-Or-Cupcakes: muffins", "-H", "Accept: foo/*", "--expect-body", "X-Muffins-Or-Cupcakes: muffins"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 13", Config: "httpGet: {path: /, httpHeaders: [{name: Accept, value: foo/*}]}", Server: "echo",
		Line: line("http://{addr}/", "-H", "Accept: foo/*", "--expect-body", `Accept: foo/\*`), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 14", Config: "httpGet: {path: /, httpHeaders: [{name: Accept, value: ''}]}", Server: "echo",
		Line: line("http://{addr}/", "-H", "Accept:", "--reject-body", "Accept:"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 15", Config: "httpGet: {path: /, httpHeaders: [{name: User-Agent, value: foo/1.0}, {name: Accept, value: ''}]}", Server: "echo",
		Line: line("http://{addr}/", "-H", "User-Agent: foo/1.0", "-H", "Accept:", "--reject-body", "Accept:"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 16", Config: "httpGet: {path: /}", Server: "echo",
		Line: line("http://{addr}/", "--expect-body", `Accept: \*/\*`), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 17", Config: "httpGet: {path: /, httpHeaders: [{name: Host, value: muffins.cupcakes.org}]}", Server: "echo",
		Line: line("http://{addr}/", "-H", "Host: muffins.cupcakes.org", "--expect-body", "Host: muffins.cupcakes.org"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 18", Config: "httpGet: {path: /}", Server: "panic",
		Line: line("http://{addr}/"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 19", Config: "httpGet: {path: /}", Server: "status",
		Line: line("http://{addr}/500"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 20", Config: "httpGet: {path: /}, timeoutSeconds: 1", Server: "slow",
		Line: line("--timeout", "1s", "http://{addr}/"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 21", Config: "httpGet: {path: /}", Server: "redirects",
		Line: line("http://{addr}/redirect?code=301&loc=/success", "--max-redirects", "10"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 22", Config: "httpGet: {path: /}", Server: "redirects",
		Line: line("http://{addr}/redirect?code=301&loc=/fail", "--max-redirects", "10"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 23", Config: "httpGet: {path: /}", Server: "redirects",
		Line: line("http://{addr}/redirect?code=302&loc=/success", "--max-redirects", "10"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 24", Config: "httpGet: {path: /}", Server: "redirects",
		Line: line("http://{addr}/redirect?code=302&loc=/fail", "--max-redirects", "10"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 25", Config: "httpGet: {path: /}", Server: "redirects",
		Line: line("http://{addr}/redirect?code=307&loc=/success", "--max-redirects", "10"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 26", Config: "httpGet: {path: /}", Server: "redirects",
		Line: line("http://{addr}/redirect?code=307&loc=/fail", "--max-redirects", "10"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 27", Config: "httpGet: {path: /}", Server: "redirects",
		Line: line("http://{addr}/redirect?code=308&loc=/success", "--max-redirects", "10"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 28", Config: "httpGet: {path: /}", Server: "redirects",
		Line: line("http://{addr}/redirect?code=308&loc=/fail", "--max-redirects", "10"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 29", Config: "httpGet: {path: /}", Server: "redirects",
		Line: line("http://{addr}/308-empty", "--max-redirects", "10"), Says: Healthy, Probe: Healthy,
		Note: "the kubelet's Warning, which counts as a success: a 3xx it does not follow"},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker case 30", Config: "httpGet: {path: /}", Server: "redirects",
		Line: line("http://{addr}/308-body", "--max-redirects", "10", "--expect-body", "ok body"), Says: Healthy, Probe: Healthy,
		Note: "a Warning with the body, as the case before"},

	// TestHTTPProbeChecker_NonLocalRedirects: "-local" is the kubelet's
	// prober (followNonLocalRedirects false); "-nonlocal" the one that
	// follows every redirect, which the kubelet does not use.
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker_NonLocalRedirects local success-local", Config: "httpGet: {path: /redirect?loc=/success}", Server: "redirects",
		Line: line("http://{addr}/redirect?loc=/success", "--redirects", "kubelet"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker_NonLocalRedirects local success-nonlocal", Config: "the prober with followNonLocalRedirects", Server: "redirects",
		Line: line("http://{addr}/redirect?loc=/success", "--max-redirects", "10"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker_NonLocalRedirects local fail-local", Config: "httpGet: {path: /redirect?loc=/fail}", Server: "redirects",
		Line: line("http://{addr}/redirect?loc=/fail", "--redirects", "kubelet"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker_NonLocalRedirects local fail-nonlocal", Config: "the prober with followNonLocalRedirects", Server: "redirects",
		Line: line("http://{addr}/redirect?loc=/fail", "--max-redirects", "10"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker_NonLocalRedirects newport success-local", Config: "httpGet: {path: /redirect?loc=http://127.0.0.1:OTHERPORT/success}", Server: "redirects",
		Line: line("http://{addr}/redirect?loc=http://{addr:redirects-2}/success", "--max-redirects", "10"), Says: Healthy, Probe: Healthy,
		Note: "another port of the same host name is the same host to the kubelet"},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker_NonLocalRedirects newport success-nonlocal", Config: "the prober with followNonLocalRedirects", Server: "redirects",
		Line: line("http://{addr}/redirect?loc=http://{addr:redirects-2}/success", "--redirects", "kubelet"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker_NonLocalRedirects newport fail-local", Config: "httpGet: {path: /redirect?loc=http://127.0.0.1:OTHERPORT/fail}", Server: "redirects",
		Line: line("http://{addr}/redirect?loc=http://{addr:redirects-2}/fail", "--redirects", "kubelet"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker_NonLocalRedirects newport fail-nonlocal", Config: "the prober with followNonLocalRedirects", Server: "redirects",
		Line: line("http://{addr}/redirect?loc=http://{addr:redirects-2}/fail", "--max-redirects", "10"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker_NonLocalRedirects bogus nonlocal-local", Config: "httpGet: {path: /redirect?loc=http://0.0.0.0/fail}", Server: "redirects",
		Line: line("http://{addr}/redirect?loc=http://localhost:{port}/fail", "--redirects", "kubelet"), Says: Healthy, Probe: Healthy,
		Note: "the kubelet's Warning: a redirect to another host is the answer, and a 3xx passes; the other host is localhost on the same port here (0.0.0.0:80 in the kubelet's test), so that nothing leaves loopback"},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker_NonLocalRedirects bogus nonlocal-nonlocal", Config: "the prober with followNonLocalRedirects", Server: "redirects",
		Line: line("http://{addr}/redirect?loc=http://localhost:{port}/fail", "--max-redirects", "10"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker_NonLocalRedirects redirect loop-local", Config: "httpGet: {path: /redirect?loc=/loop}", Server: "redirects",
		Line: line("http://{addr}/redirect?loc=/loop", "--redirects", "kubelet"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker_NonLocalRedirects redirect loop-nonlocal", Config: "the prober with followNonLocalRedirects", Server: "redirects",
		Line: line("http://{addr}/redirect?loc=/loop", "--max-redirects", "10"), Says: Unhealthy, Probe: Unhealthy},

	// TestHTTPProbeChecker_HostHeaderPreservedAfterRedirect.
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker_HostHeaderPreservedAfterRedirect successlocal", Config: "httpGet: {path: /redirect, httpHeaders: [{name: Host, value: www.success.com}]}", Server: "vhost",
		Line: line("http://{addr}/redirect", "-H", "Host: www.success.com", "--redirects", "kubelet"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker_HostHeaderPreservedAfterRedirect successnonlocal", Config: "the prober with followNonLocalRedirects", Server: "vhost",
		Line: line("http://{addr}/redirect", "-H", "Host: www.success.com", "--max-redirects", "10"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker_HostHeaderPreservedAfterRedirect faillocal", Config: "httpGet: {path: /redirect, httpHeaders: [{name: Host, value: www.fail.com}]}", Server: "vhost",
		Line: line("http://{addr}/redirect", "-H", "Host: www.fail.com", "--redirects", "kubelet"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker_HostHeaderPreservedAfterRedirect failnonlocal", Config: "the prober with followNonLocalRedirects", Server: "vhost",
		Line: line("http://{addr}/redirect", "-H", "Host: www.fail.com", "--max-redirects", "10"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker_PayloadTruncated", Config: "httpGet: {path: /success, httpHeaders: [{name: Host, value: www.success.com}]}", Server: "vhost",
		Line: line("http://{addr}/big", "-H", "Host: www.success.com"), Says: Healthy, Probe: Healthy,
		Note: "the kubelet reads 10 KiB and drops the rest; probe reads up to `--max-body` (1 MiB) and fails a larger body"},
	{Peer: Kubelet, Test: "http/http_test.go TestHTTPProbeChecker_PayloadNormal", Config: "httpGet: {path: /success, httpHeaders: [{name: Host, value: www.success.com}]}", Server: "vhost",
		Line: line("http://{addr}/small", "-H", "Host: www.success.com"), Says: Healthy, Probe: Healthy},

	// request_test.go: how an httpGet becomes a request.
	{Peer: Kubelet, Test: "http/request_test.go TestFormatURL {http localhost 93 \"\"}", Config: "httpGet: {scheme: HTTP, port: 93, path: ''}", Server: "uri-echo",
		Line: line("http://{addr}", "--expect-body", "^/$"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/request_test.go TestFormatURL {https localhost 93 /path}", Config: "httpGet: {scheme: HTTPS, port: 93, path: /path}", Server: "uri-echo-tls",
		Line: line("https://{addr}/path", "-k", "--expect-body", "^/path$"), Says: Healthy, Probe: Healthy,
		Note: "the kubelet never verifies a certificate: `-k`"},
	{Peer: Kubelet, Test: "http/request_test.go TestFormatURL {http localhost 93 ?foo}", Config: "httpGet: {scheme: HTTP, port: 93, path: '?foo'}", Server: "uri-echo",
		Line: line("http://{addr}?foo", "--expect-body", `^/\?foo$`), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/request_test.go TestFormatURL {https localhost 93 /path?bar}", Config: "httpGet: {scheme: HTTPS, port: 93, path: '/path?bar'}", Server: "uri-echo-tls",
		Line: line("https://{addr}/path?bar", "-k", "--expect-body", `^/path\?bar$`), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/request_test.go Test_v1HeaderToHTTPHeader not empty input", Config: "httpHeaders: [{name: Connection, value: Keep-Alive}, {name: Content-Type, value: text/html}, {name: Accept-Ranges, value: bytes}]", Server: "echo",
		Line: line("http://{addr}/", "-H", "Connection: Keep-Alive", "-H", "Content-Type: text/html", "-H", "Accept-Ranges: bytes"), Says: Healthy, Probe: Refused, Reason: "connection-header"},
	{Peer: Kubelet, Test: "http/request_test.go Test_v1HeaderToHTTPHeader case insensitive", Config: "httpHeaders: [{name: HOST, value: example.com}, {name: FOO-bAR, value: value}]", Server: "echo",
		Line: line("http://{addr}/", "-H", "HOST: example.com", "-H", "FOO-bAR: value", "--expect-body", "Host: example.com", "--expect-body", "Foo-Bar: value"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/request_test.go Test_v1HeaderToHTTPHeader empty input", Config: "httpHeaders: []", Server: "echo",
		Line: line("http://{addr}/"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/request_test.go TestHeaderConversion case 0", Config: "httpHeaders: [{name: Accept, value: application/json}]", Server: "echo",
		Line: line("http://{addr}/", "-H", "Accept: application/json", "--expect-body", "Accept: application/json"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/request_test.go TestHeaderConversion case 1", Config: "httpHeaders: [{name: accept, value: application/json}]", Server: "echo",
		Line: line("http://{addr}/", "-H", "accept: application/json", "--expect-body", "Accept: application/json"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "http/request_test.go TestHeaderConversion case 2", Config: "httpHeaders: [{name: accept, value: application/json}, {name: Accept, value: '*/*'}, {name: pragma, value: no-cache}, {name: X-forwarded-for, value: username}]", Server: "echo",
		Line: line("http://{addr}/", "-H", "accept: application/json", "-H", "Accept: */*", "-H", "pragma: no-cache", "-H", "X-forwarded-for: username",
			"--expect-body", `Accept: application/json\nAccept: \*/\*`, "--expect-body", "Pragma: no-cache", "--expect-body", "X-Forwarded-For: username"),
		Says: Healthy, Probe: Healthy},

	// tcp/tcp_test.go TestTcpHealthChecker.
	{Peer: Kubelet, Test: "tcp/tcp_test.go TestTcpHealthChecker case 0", Config: "tcpSocket: {port: P}", Server: "accept-close",
		Line: line("tcp://{addr}"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "tcp/tcp_test.go TestTcpHealthChecker case 1", Config: "tcpSocket: {port: -1}", Server: "accept-close",
		Line: line("tcp://127.0.0.1:-1"), Says: Unhealthy, Probe: Refused, Note: "Kubernetes' API refuses such a port too"},

	// grpc/grpc_test.go TestGrpcProber_Probe.
	{Peer: Kubelet, Test: "grpc/grpc_test.go TestGrpcProber_Probe cant find host", Config: "grpc: {port: 32}, with no pod IP", Server: "closed",
		Line: line("grpc://{addr}"), Says: Unhealthy, Probe: Unhealthy, Note: "a port where nothing listens, in place of :32"},
	{Peer: Kubelet, Test: "grpc/grpc_test.go TestGrpcProber_Probe connection closed", Config: "grpc: {port: P}", Server: "ok-body",
		Line: line("grpc://{addr}"), Says: Unhealthy, Probe: Unhealthy, Note: "an HTTP/1.1 server"},
	{Peer: Kubelet, Test: "grpc/grpc_test.go TestGrpcProber_Probe response not served", Config: "grpc: {port: P}", Server: "grpc-not-serving",
		Line: line("grpc://{addr}"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Kubelet, Test: "grpc/grpc_test.go TestGrpcProber_Probe not response in time", Config: "grpc: {port: P}, timeoutSeconds: 2", Server: "grpc-slow",
		Line: line("--timeout", "2s", "grpc://{addr}"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Kubelet, Test: "grpc/grpc_test.go TestGrpcProber_Probe check was success", Config: "grpc: {port: P}", Server: "grpc-serving",
		Line: line("grpc://{addr}"), Says: Healthy, Probe: Healthy},
	{Peer: Kubelet, Test: "grpc/grpc_test.go TestGrpcProber_Probe check was success, when listen port is 0", Config: "grpc: {port: P}", Server: "grpc-serving",
		Line: line("grpc://{addr}"), Says: Healthy, Probe: Healthy},
}

// prometheus/blackbox_exporter, prober/http_test.go. Its http prober passes
// on 2xx unless valid_status_codes says otherwise (probe: 200-399, so
// --status 200-299 where it matters), follows redirects (up to 10) unless
// follow_redirects is false, and verifies certificates; a test's module
// times out after 1 s.
var blackboxHTTP = slices.Concat(statusCodes(), []Case{
	{Peer: Blackbox, Test: "prober/http_test.go TestValidHTTPVersion {[]}", Config: "http: {valid_http_versions: []}", Server: "ok",
		Line: line("http://{addr}/"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestValidHTTPVersion {[HTTP/1.1]}", Config: "http: {valid_http_versions: [HTTP/1.1]}", Server: "ok",
		Line: line("http://{addr}/"), Says: Healthy, Probe: Healthy, Note: "probe speaks HTTP/1.1 unless `--http2`"},
	{Peer: Blackbox, Test: "prober/http_test.go TestValidHTTPVersion {[HTTP/1.1 HTTP/2.0]}", Config: "http: {valid_http_versions: [HTTP/1.1, HTTP/2.0]}", Server: "ok",
		Line: line("http://{addr}/"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestValidHTTPVersion {[HTTP/1.1 HTTP/2.0 HTTP/3.0]}", Config: "http: {valid_http_versions: [HTTP/1.1, HTTP/2.0, HTTP/3.0]}", Server: "ok",
		Says: Unhealthy, Reason: "http3", Note: "blackbox_exporter refuses HTTP/3.0 without enable_http3"},
	{Peer: Blackbox, Test: "prober/http_test.go TestValidHTTPVersion {[HTTP/2.0]}", Config: "http: {valid_http_versions: [HTTP/2.0]}", Server: "ok",
		Line: line("--http2", "http://{addr}/"), Says: Unhealthy, Probe: Unhealthy,
		Note: "`--http2` speaks HTTP/2 alone, so an HTTP/1.1 server fails it as it fails `valid_http_versions: [HTTP/2.0]`"},
	{Peer: Blackbox, Test: "prober/http_test.go TestValidHTTPVersion {[HTTP/3.0]}", Config: "http: {valid_http_versions: [HTTP/3.0]}", Server: "ok",
		Says: Unhealthy, Reason: "http3"},

	// TestContentLength: a body in any encoding, not asked to decode it.
	{Peer: Blackbox, Test: "prober/http_test.go TestContentLength identity", Config: "http: {}", Server: "encodings",
		Line: line("http://{addr}/identity"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestContentLength no content-encoding", Config: "http: {}", Server: "encodings",
		Line: line("http://{addr}/plain"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestContentLength unknown content-encoding", Config: "http: {}", Server: "encodings",
		Line: line("http://{addr}/xxx"), Says: Healthy, Probe: Healthy, Note: "no body check: the encoding is not read"},
	{Peer: Blackbox, Test: "prober/http_test.go TestContentLength 401", Config: "http: {}", Server: "encodings",
		Line: line("http://{addr}/404"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestContentLength brotli", Config: "http: {}", Server: "encodings",
		Line: line("http://{addr}/br"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestContentLength deflate", Config: "http: {}", Server: "encodings",
		Line: line("http://{addr}/deflate"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestContentLength gzip", Config: "http: {}", Server: "encodings",
		Line: line("http://{addr}/gzip"), Says: Healthy, Probe: Healthy},

	// TestHandlingOfCompressionSetting: the decoded length is asserted,
	// so the rows match the decoded body.
	{Peer: Blackbox, Test: "prober/http_test.go TestHandlingOfCompressionSetting gzip", Config: "http: {compression: gzip}", Server: "encodings",
		Line: line("http://{addr}/gzip", "--expect-body", "^(hello world){10}$"), Says: Healthy, Probe: Healthy,
		Note: "probe asks for no encoding, and decodes gzip and deflate to judge the body"},
	{Peer: Blackbox, Test: "prober/http_test.go TestHandlingOfCompressionSetting brotli", Config: "http: {compression: br}", Server: "encodings",
		Line: line("http://{addr}/br", "-H", "Accept-Encoding: br", "--expect-body", "^(hello world){10}$"), Says: Healthy, Probe: Unhealthy, Reason: "brotli"},
	{Peer: Blackbox, Test: "prober/http_test.go TestHandlingOfCompressionSetting deflate", Config: "http: {compression: deflate}", Server: "encodings",
		Line: line("http://{addr}/deflate", "--expect-body", "^(hello world){10}$"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestHandlingOfCompressionSetting identity", Config: "http: {compression: identity}", Server: "encodings",
		Line: line("http://{addr}/identity", "-H", "Accept-Encoding: identity", "--expect-body", "^(hello world){10}$"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestHandlingOfCompressionSetting compression encoding mismatch", Config: "http: {compression: deflate}, and the server sends gzip", Server: "encodings",
		Line: line("http://{addr}/gzip", "-H", "Accept-Encoding: deflate", "--expect-body", "^(hello world){10}$"), Says: Unhealthy, Probe: Healthy, Reason: "decode-what-comes"},
	{Peer: Blackbox, Test: "prober/http_test.go TestHandlingOfCompressionSetting accept gzip", Config: "http: {compression: gzip, headers: {Accept-Encoding: gzip}}", Server: "encodings",
		Line: line("http://{addr}/gzip", "-H", "Accept-Encoding: gzip", "--expect-body", "^(hello world){10}$"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestHandlingOfCompressionSetting accept br, gzip", Config: "http: {compression: gzip, headers: {Accept-Encoding: 'br, gzip'}}", Server: "encodings",
		Line: line("http://{addr}/gzip", "-H", "Accept-Encoding: br, gzip", "--expect-body", "^(hello world){10}$"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestHandlingOfCompressionSetting accept anything", Config: "http: {compression: gzip, headers: {Accept-Encoding: '*'}}", Server: "encodings",
		Line: line("http://{addr}/gzip", "-H", "Accept-Encoding: *", "--expect-body", "^(hello world){10}$"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestHandlingOfCompressionSetting compressed content without compression setting", Config: "http: {}", Server: "encodings",
		Line: line("http://{addr}/gzip"), Says: Healthy, Probe: Healthy},

	// TestMaxResponseLength: body_size_limit 128.
	{Peer: Blackbox, Test: "prober/http_test.go TestMaxResponseLength short", Config: "http: {body_size_limit: 128}", Server: "sizes",
		Line: line("http://{addr}/short", "--max-body", "128"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestMaxResponseLength long", Config: "http: {body_size_limit: 128}", Server: "sizes",
		Line: line("http://{addr}/long", "--max-body", "128"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestMaxResponseLength short compressed", Config: "http: {body_size_limit: 128, compression: gzip}", Server: "sizes",
		Line: line("http://{addr}/short-gzip", "--max-body", "128"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestMaxResponseLength long compressed", Config: "http: {body_size_limit: 128, compression: gzip}", Server: "sizes",
		Line: line("http://{addr}/long-gzip", "--max-body", "128"), Says: Unhealthy, Probe: Healthy, Reason: "decode-to-judge"},

	// Redirects, methods, credentials.
	{Peer: Blackbox, Test: "prober/http_test.go TestRedirectFollowed", Config: "http: {follow_redirects: true}", Server: "redirects",
		Line: line("http://{addr}/redirect?loc=/success", "--max-redirects", "10"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestRedirectNotFollowed", Config: "http: {follow_redirects: false, valid_status_codes: [302]}", Server: "always-302",
		Line: line("http://{addr}/", "--status", "302"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestRedirectionLimit", Config: "http: {follow_redirects: true}", Server: "redirect-chain",
		Line: line("http://{addr}/", "--max-redirects", "10"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestPost", Config: "http: {method: POST}", Server: "post-only",
		Line: line("-X", "POST", "http://{addr}/"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestBasicAuth", Config: "http: {basic_auth: {username: username, password: password}}", Server: "basic-auth",
		Line: line("http://username:password@{addr}/"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestBearerToken", Config: "http: {authorization: {credentials: mysecret}}", Server: "bearer",
		Line: line("http://{addr}/", "-H", "Authorization: Bearer mysecret"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestFailIfNotSSL", Config: "http: {fail_if_not_ssl: true}, target http://", Server: "ok",
		Line: line("https://{addr}/"), Says: Unhealthy, Probe: Unhealthy,
		Note: "write the target `https://`: probe then requires TLS (a redirect to `http://` is followed only with `--max-redirects`)"},
	{Peer: Blackbox, Test: "prober/http_test.go TestFailIfNotSSLLogMsg SSL expected, message", Config: "http: {fail_if_not_ssl: true}", Server: "ok",
		Line: line("https://{addr}/"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestFailIfNotSSLLogMsg No SSL expected, no message", Config: "http: {fail_if_not_ssl: false}", Server: "ok",
		Line: line("http://{addr}/"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestFailIfNotSSLLogMsg SSL expected, no message", Config: "http: {fail_if_not_ssl: true}", Server: "closes",
		Line: line("https://{addr}/"), Says: Unhealthy, Probe: Unhealthy},
}, celCases(), []Case{
	// TestFailIfBodyMatchesRegexp, TestFailIfBodyNotMatchesRegexp.
	{Peer: Blackbox, Test: "prober/http_test.go TestFailIfBodyMatchesRegexp one regex, match", Config: "http: {fail_if_body_matches_regexp: [could not connect to database]}", Server: "bodies",
		Line: line("http://{addr}/db-down", "--reject-body", "could not connect to database"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestFailIfBodyMatchesRegexp one regex, no match", Config: "http: {fail_if_body_matches_regexp: [could not connect to database]}", Server: "bodies",
		Line: line("http://{addr}/download", "--reject-body", "could not connect to database"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestFailIfBodyMatchesRegexp multiple regexes, match", Config: "http: {fail_if_body_matches_regexp: [could not connect to database, internal error]}", Server: "bodies",
		Line: line("http://{addr}/internal", "--reject-body", "could not connect to database", "--reject-body", "internal error"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestFailIfBodyMatchesRegexp multiple regexes, no match", Config: "http: {fail_if_body_matches_regexp: [could not connect to database, internal error]}", Server: "bodies",
		Line: line("http://{addr}/hello", "--reject-body", "could not connect to database", "--reject-body", "internal error"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestFailIfBodyNotMatchesRegexp case 0", Config: "http: {fail_if_body_not_matches_regexp: [Download the latest version here]}", Server: "bodies",
		Line: line("http://{addr}/db-down", "--expect-body", "Download the latest version here"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestFailIfBodyNotMatchesRegexp case 1", Config: "http: {fail_if_body_not_matches_regexp: [Download the latest version here]}", Server: "bodies",
		Line: line("http://{addr}/download", "--expect-body", "Download the latest version here"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestFailIfBodyNotMatchesRegexp case 2", Config: "http: {fail_if_body_not_matches_regexp: [Download the latest version here, Copyright 2015]}", Server: "bodies",
		Line: line("http://{addr}/download", "--expect-body", "Download the latest version here", "--expect-body", "Copyright 2015"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestFailIfBodyNotMatchesRegexp case 3", Config: "http: {fail_if_body_not_matches_regexp: [Download the latest version here, Copyright 2015]}", Server: "bodies",
		Line: line("http://{addr}/download-2015", "--expect-body", "Download the latest version here", "--expect-body", "Copyright 2015"), Says: Healthy, Probe: Healthy},
}, headerMatchCases(), []Case{
	{Peer: Blackbox, Test: "prober/http_test.go TestHTTPHeaders", Config: "http: {headers: {Host: my-secret-vhost.com, User-Agent: unsuspicious-user, Accept-Language: en-US}}", Server: "echo",
		Line: line("http://{addr}/", "-H", "Host: my-secret-vhost.com", "-H", "User-Agent: unsuspicious-user", "-H", "Accept-Language: en-US",
			"--expect-body", "Host: my-secret-vhost.com", "--expect-body", "User-Agent: unsuspicious-user", "--expect-body", "Accept-Language: en-US"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestFailIfSelfSignedCA", Config: "http: {tls_config: {insecure_skip_verify: false}}", Server: "self-signed",
		Line: line("https://{addr}/"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestSucceedIfSelfSignedCA", Config: "http: {tls_config: {insecure_skip_verify: true}}", Server: "self-signed",
		Line: line("-k", "https://{addr}/"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestTLSConfigIsIgnoredForPlainHTTP", Config: "http: {tls_config: {ca_file: ca.pem}}, target http://", Server: "ok",
		Line: line("http://{addr}/", "--ca", "{file:ca.pem}"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestHTTPUsesTargetAsTLSServerName", Config: "http: {tls_config: {ca_file: ca.pem}}, target https://localhost:PORT", Server: "ok-tls",
		Line: line("https://localhost:{port}/", "--ca", "{file:ca.pem}"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestRedirectToTLSHostWorks", Config: "http: {follow_redirects: true}", Server: "redirect-tls",
		Line: line("http://{addr}/?to=localhost:{port:ok-tls}/", "--max-redirects", "10", "--ca", "{file:ca.pem}"), Says: Healthy, Probe: Healthy,
		Note: "a TLS server on localhost in place of https://prometheus.io"},
	{Peer: Blackbox, Test: "prober/http_test.go TestHTTPPhases", Config: "http: {tls_config: {insecure_skip_verify: true}}", Server: "ok-tls",
		Line: line("-v", "-k", "https://{addr}/"), Says: Healthy, Probe: Healthy, Note: "`-v` shows the phases: connect, tls, first byte"},
	{Peer: Blackbox, Test: "prober/http_test.go TestCookieJar", Config: "http: {follow_redirects: true}", Server: "cookie",
		Line: line("http://{addr}/", "--max-redirects", "10"), Says: Healthy, Probe: Unhealthy, Reason: "cookies"},
	{Peer: Blackbox, Test: "prober/http_test.go TestSkipResolvePhase Without Proxy with skipping resolve", Config: "http: {skip_resolve_phase_with_proxy: true}", Server: "no-content",
		Line: line("http://{addr}/"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestSkipResolvePhase Without Proxy without skipping resolve", Config: "http: {}", Server: "no-content",
		Line: line("http://{addr}/"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestSkipResolvePhase With Proxy config without skipping resolve", Config: "http: {proxy_url: http://127.0.0.1:3128}",
		Says: Unhealthy, Reason: "proxy", Note: "no proxy listens in blackbox_exporter's test; it asserts the phases only"},
	{Peer: Blackbox, Test: "prober/http_test.go TestSkipResolvePhase With Proxy config with skipping resolve", Config: "http: {proxy_url: http://127.0.0.1:3128, skip_resolve_phase_with_proxy: true}",
		Says: Unhealthy, Reason: "proxy"},
	{Peer: Blackbox, Test: "prober/http_test.go TestSkipResolvePhase With Proxy env without skipping resolve", Config: "http: {proxy_from_environment: true}",
		Says: Unhealthy, Reason: "proxy"},
	{Peer: Blackbox, Test: "prober/http_test.go TestSkipResolvePhase With Proxy env with skipping resolve", Config: "http: {proxy_from_environment: true, skip_resolve_phase_with_proxy: true}",
		Says: Unhealthy, Reason: "proxy"},
	{Peer: Blackbox, Test: "prober/http_test.go TestBody body", Config: "http: {body: Test Body}", Server: "body-check",
		Line: line("http://{addr}/", "-d", "Test Body"), Says: Healthy, Probe: Healthy, Note: "`-d` keeps the method, as blackbox_exporter's `body` does; add `-X POST` for a POST"},
	{Peer: Blackbox, Test: "prober/http_test.go TestBody body_file", Config: "http: {body_file: body.txt}", Server: "body-check",
		Line: line("http://{addr}/", "-d", "@{file:body.txt}"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestHTTPParsingScheme lowercase http scheme", Config: "target http://HOST", Server: "ok",
		Line: line("http://{addr}/"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestHTTPParsingScheme lowercase https scheme", Config: "target https://HOST, insecure_skip_verify", Server: "ok-tls",
		Line: line("-k", "https://{addr}/"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestHTTPParsingScheme uppercase http scheme", Config: "target HTTP://HOST", Server: "ok",
		Line: line("HTTP://{addr}/"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestHTTPParsingScheme mixed case https scheme", Config: "target HtTpS://HOST, insecure_skip_verify", Server: "ok-tls",
		Line: line("-k", "HtTpS://{addr}/"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/http_test.go TestHTTPParsingScheme missing scheme", Config: "target HOST:PORT", Server: "ok",
		Line: line("{addr}"), Says: Healthy, Probe: Refused, Reason: "scheme"},
	{Peer: Blackbox, Test: "prober/http_test.go TestHTTPParsingScheme invalid scheme", Config: "target invalid://HOST", Server: "ok",
		Line: line("invalid://{addr}"), Says: Unhealthy, Probe: Refused},
	{Peer: Blackbox, Test: "prober/http_test.go TestValidHTTPVersionsQUIC {[HTTP/1.1 HTTP/2.0 HTTP/3.0]}", Config: "http: {enable_http3: true, valid_http_versions: [HTTP/1.1, HTTP/2.0, HTTP/3.0]}",
		Says: Unhealthy, Reason: "http3"},
	{Peer: Blackbox, Test: "prober/http_test.go TestValidHTTPVersionsQUIC {[HTTP/1.1 HTTP/2.0]}", Config: "http: {enable_http3: true, valid_http_versions: [HTTP/1.1, HTTP/2.0]}",
		Says: Unhealthy, Reason: "http3"},
	{Peer: Blackbox, Test: "prober/http_test.go TestValidHTTPVersionsQUIC {[HTTP/3.0]}", Config: "http: {enable_http3: true, valid_http_versions: [HTTP/3.0]}",
		Says: Healthy, Reason: "http3"},
	{Peer: Blackbox, Test: "prober/http_test.go TestValidHTTPVersionsQUIC {[HTTP/1.1]}", Config: "http: {enable_http3: true, valid_http_versions: [HTTP/1.1]}",
		Says: Unhealthy, Reason: "http3"},
	{Peer: Blackbox, Test: "prober/http_test.go TestValidHTTPVersionsQUIC {[HTTP/2.0]}", Config: "http: {enable_http3: true, valid_http_versions: [HTTP/2.0]}",
		Says: Unhealthy, Reason: "http3"},
	{Peer: Blackbox, Test: "prober/http_test.go TestValidHTTPVersionsQUIC {[]}", Config: "http: {enable_http3: true}",
		Says: Healthy, Reason: "http3"},
	{Peer: Blackbox, Test: "prober/http_test.go TestHTTP3ProbeQUIC", Config: "http: {enable_http3: true, valid_http_versions: [HTTP/3.0]}",
		Says: Healthy, Reason: "http3"},
	{Peer: Blackbox, Test: "prober/http_test.go TestHTTP3ProbeQUICMixedCaseHTTPScheme", Config: "http: {enable_http3: true}, target HtTp://HOST",
		Says: Healthy, Reason: "http3"},
})

// statusCodes is TestHTTPStatusCodes: a status, and the valid ones.
func statusCodes() []Case {
	var out []Case
	for _, c := range []struct {
		status int
		valid  string
		says   Verdict
	}{{200, "", Healthy}, {201, "", Healthy}, {299, "", Healthy}, {300, "", Unhealthy}, {404, "", Unhealthy},
		{404, "200,404", Healthy}, {200, "200,404", Healthy}, {201, "200,404", Unhealthy}, {404, "404", Healthy}, {200, "404", Unhealthy}} {
		flag, config := "200-299", "http: {}"
		if c.valid != "" {
			flag, config = c.valid, "http: {valid_status_codes: ["+strings.ReplaceAll(c.valid, ",", ", ")+"]}"
		}
		out = append(out, Case{Peer: Blackbox, Test: fmt.Sprintf("prober/http_test.go TestHTTPStatusCodes {%d, [%s]}", c.status, strings.ReplaceAll(c.valid, ",", " ")),
			Config: config, Server: "status", Line: line(fmt.Sprintf("http://{addr}/%d", c.status), "--status", flag), Says: c.says, Probe: c.says})
	}
	return out
}

// celCases are TestFailIfBodyMatchesCEL and TestFailIfBodyNotMatchesCEL:
// CEL over the JSON body. Where the expression compares one value,
// --expect-json says the same: PATH!=VALUE fails when the value is there
// and equal (and when it is absent, or the body is not JSON, as CEL's
// error does), PATH=VALUE fails unless it is there and equal.
func celCases() []Case {
	type cel struct {
		name, path, expr string
		assert           string // probe's --expect-json; "" when it cannot say the expression
		matches, not     Verdict
	}
	var out []Case
	for _, c := range []cel{
		{"celExpression matches", "/foo-bar-baz", "body.foo.bar == 'baz'", "foo.bar%sbaz", Unhealthy, Healthy},
		{"celExpression does not match", "/foo-bar-baz", "body.foo.bar == 'qux'", "foo.bar%squx", Healthy, Unhealthy},
		{"celExpression does not match with empty body", "/empty-object", "body.foo.bar == 'qux'", "foo.bar%squx", Unhealthy, Unhealthy},
		{"celExpression result not boolean", "/foo-bar-baz", "body.foo.bar", "", Unhealthy, Unhealthy},
		{"body is not json", "/hello", "body.foo.bar == 'baz'", "foo.bar%sbaz", Unhealthy, Unhealthy},
		{"body is empty json object", "/empty-object", "body.foo.bar == 'baz'", "foo.bar%sbaz", Unhealthy, Unhealthy},
		{"body is json string", "/json-string", "body == 'foo'", "", Unhealthy, Healthy},
		{"body is json list", "/json-list", "body[2] == 'baz'", "2%sbaz", Unhealthy, Healthy},
		{"body is json boolean", "/json-true", "body", "", Unhealthy, Healthy},
		{"body is empty", "/empty", "body.foo.bar == 'baz'", "foo.bar%sbaz", Unhealthy, Unhealthy},
		{"body returns emoji", "/emoji", "body.foo.bar == 'baz'", "foo.bar%sbaz", Unhealthy, Unhealthy},
	} {
		for _, not := range []bool{false, true} {
			test, op, says := "TestFailIfBodyMatchesCEL", "!=", c.matches
			config := "http: {fail_if_body_json_matches_cel: \"" + c.expr + "\"}"
			name := c.name
			if not {
				test, op, says = "TestFailIfBodyNotMatchesCEL", "=", c.not
				config = "http: {fail_if_body_json_not_matches_cel: \"" + c.expr + "\"}"
				name = strings.Replace(name, "celExpression", "cel", 1)
			}
			row := Case{Peer: Blackbox, Test: "prober/http_test.go " + test + " " + name, Config: config, Server: "bodies", Says: says}
			switch {
			case not && c.name == "body is empty json object":
				// The NotMatches test asks !has(body.foo) of {}.
				row.Config = `http: {fail_if_body_json_not_matches_cel: "!has(body.foo)"}`
				row.Line, row.Says, row.Probe = line("http://{addr}"+c.path, "--expect-json", "!foo"), Healthy, Healthy
			case c.assert == "":
				row.Reason = "cel"
			default:
				row.Line, row.Probe = line("http://{addr}"+c.path, "--expect-json", fmt.Sprintf(c.assert, op)), says
			}
			out = append(out, row)
		}
	}
	// The last entries differ between the two tests.
	out = append(out,
		Case{Peer: Blackbox, Test: "prober/http_test.go TestFailIfBodyMatchesCEL body returns json with emojis", Config: `http: {fail_if_body_json_matches_cel: "body.foo.bar == '😿😿😿'"}`, Server: "bodies",
			Line: line("http://{addr}/emoji-json", "--expect-json", "foo.bar!=😿😿😿"), Says: Healthy, Probe: Healthy},
		Case{Peer: Blackbox, Test: "prober/http_test.go TestFailIfBodyNotMatchesCEL body returns json with emojis", Config: `http: {fail_if_body_json_not_matches_cel: "body.foo.bar == '🤠🤠🤠'"}`, Server: "bodies",
			Line: line("http://{addr}/emoji-json", "--expect-json", "foo.bar=🤠🤠🤠"), Says: Healthy, Probe: Healthy})
	return out
}

// headerMatchCases are TestFailIfHeaderMatchesRegexp and
// TestFailIfHeaderNotMatchesRegexp. Without allow_missing, blackbox_exporter
// fails a missing header under either rule: fail_if_header_matches becomes
// --expect-header NAME --reject-header 'NAME: RE', fail_if_header_not_matches
// --expect-header 'NAME: RE'.
func headerMatchCases() []Case {
	const ct = "Content-Type"
	const cookie = `.*Domain=\.example\.com.*`
	type hm struct {
		header, re, path string
		allowMissing     bool
		says             Verdict
	}
	var out []Case
	for i, c := range []hm{
		{ct, "text/javascript", "/javascript", false, Unhealthy},
		{ct, "text/javascript", "/octet-stream", false, Healthy},
		{"content-type", "text/javascript", "/octet-stream", false, Healthy},
		{ct, ".*", "/empty-type", false, Unhealthy},
		{ct, ".*", "/no-type", false, Unhealthy},
		{ct, ".*", "/empty-type", true, Unhealthy},
		{ct, ".*", "/no-type", true, Healthy},
		{"Set-Cookie", cookie, "/cookie-dot", false, Unhealthy},
		{"Set-Cookie", cookie, "/cookie-both", false, Unhealthy},
	} {
		l := line("http://{addr}" + c.path)
		if !c.allowMissing {
			l = append(l, "--expect-header", c.header)
		}
		l = append(l, "--reject-header", c.header+": "+c.re)
		out = append(out, Case{Peer: Blackbox, Test: fmt.Sprintf("prober/http_test.go TestFailIfHeaderMatchesRegexp case %d", i),
			Config: fmt.Sprintf("http: {fail_if_header_matches: [{header: %s, regexp: '%s', allow_missing: %t}]}", c.header, c.re, c.allowMissing),
			Server: "headers", Line: l, Says: c.says, Probe: c.says})
	}
	for i, c := range []hm{
		{ct, "text/javascript", "/javascript", false, Healthy},
		{"content-type", "text/javascript", "/javascript", false, Healthy},
		{ct, "text/javascript", "/octet-stream", false, Unhealthy},
		{ct, ".*", "/empty-type", false, Healthy},
		{ct, ".*", "/no-type", false, Unhealthy},
		{ct, ".*", "/no-type", true, Healthy},
		{"Set-Cookie", cookie, "/cookie-www", false, Unhealthy},
		{"Set-Cookie", cookie, "/cookie-both", false, Healthy},
	} {
		name := c.header
		if c.allowMissing {
			name += "?"
		}
		out = append(out, Case{Peer: Blackbox, Test: fmt.Sprintf("prober/http_test.go TestFailIfHeaderNotMatchesRegexp case %d", i),
			Config: fmt.Sprintf("http: {fail_if_header_not_matches: [{header: %s, regexp: '%s', allow_missing: %t}]}", c.header, c.re, c.allowMissing),
			Server: "headers", Line: line("http://{addr}"+c.path, "--expect-header", name+": "+c.re), Says: c.says, Probe: c.says})
	}
	return out
}

// prober/tcp_test.go and unix_test.go. query_response's expect matches one
// line at a time, and a send ends with a newline.
var blackboxTCP = []Case{
	{Peer: Blackbox, Test: "prober/tcp_test.go TestTCPConnection", Config: "tcp: {}", Server: "accept-close",
		Line: line("tcp://{addr}"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/tcp_test.go TestTCPConnectionFails", Config: "tcp: {}, target :0",
		Line: line("tcp://:0"), Says: Unhealthy, Probe: Refused},
	{Peer: Blackbox, Test: "prober/tcp_test.go TestTCPConnectionWithTLS name from the IP", Config: "tcp: {tls: true, tls_config: {ca_file: ca.pem}}, target 127.0.0.1:PORT", Server: "tls-localhost",
		Line: line("tls://{addr}", "--ca", "{file:localhost-ca.pem}"), Says: Unhealthy, Probe: Unhealthy, Note: "the certificate names localhost, not 127.0.0.1"},
	{Peer: Blackbox, Test: "prober/tcp_test.go TestTCPConnectionWithTLS name from the target", Config: "tcp: {tls: true, tls_config: {ca_file: ca.pem}}, target localhost:PORT", Server: "tls-localhost",
		Line: line("tls://localhost:{port}", "--ca", "{file:localhost-ca.pem}"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/tcp_test.go TestTCPConnectionWithTLS name from tls_config", Config: "tcp: {tls: true, tls_config: {ca_file: ca.pem, server_name: localhost}}, target 127.0.0.1:PORT", Server: "tls-localhost",
		Line: line("tls://{addr}", "--ca", "{file:localhost-ca.pem}", "--server-name", "localhost"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/tcp_test.go TestTCPConnectionWithTLSAndVerifiedCertificateChain", Config: "tcp: {tls: true, tls_config: {ca_file: ca.pem}}", Server: "tls-chain",
		Line: line("tls://localhost:{port}", "--ca", "{file:ca.pem}"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/tcp_test.go TestTCPConnectionQueryResponseStartTLS", Config: "tcp: {query_response: [{expect: '^220.*ESMTP.*$'}, {send: EHLO tls.prober}, {expect: '^250-STARTTLS'}, {send: STARTTLS}, {expect: '^220'}, {starttls: true}, ...]}",
		Says: Healthy, Reason: "starttls"},
	{Peer: Blackbox, Test: "prober/tcp_test.go TestTCPConnectionQueryResponseIRC welcome", Config: "tcp: {query_response: [{send: NICK prober}, {send: 'USER prober prober prober :prober'}, {expect: '^:[^ ]+ 001'}]}", Server: "irc",
		Line: line("tcp://{addr}", "--send", `NICK prober\nUSER prober prober prober :prober\n`, "--expect", "^:[^ ]+ 001"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/tcp_test.go TestTCPConnectionQueryResponseIRC blacklisted", Config: "tcp: {query_response: [{send: NICK prober}, {send: 'USER prober prober prober :prober'}, {expect: '^:[^ ]+ 001'}]}", Server: "irc-banned",
		Line: line("tcp://{addr}", "--send", `NICK prober\nUSER prober prober prober :prober\n`, "--expect", "^:[^ ]+ 001"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Blackbox, Test: "prober/tcp_test.go TestTCPConnectionQueryResponseMatching", Config: "tcp: {query_response: [{expect: '^SSH-2.0-([^ -]+)(?: (.*))?$', send: 'CONFIRM ${1}'}]}", Server: "ssh",
		Says: Healthy, Reason: "send-after-expect", Note: "the test asserts that the server receives CONFIRM OpenSSH_6.9p1"},
	{Peer: Blackbox, Test: "prober/tcp_test.go TestTCPConnectionQueryResponseByteMode", Config: "tcp: {query_response: [{expect_bytes: not-a-line}]}", Server: "not-a-line",
		Line: line("tcp://{addr}", "--expect", "not-a-line"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/tcp_test.go TestTCPConnectionQueryResponseByteModeFail", Config: "tcp: {query_response: [{expect_bytes: not-a-line}]}", Server: "something-else",
		Line: line("tcp://{addr}", "--expect", "not-a-line"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Blackbox, Test: "prober/tcp_test.go TestTCPConnectionProtocol ip4", Config: "tcp: {preferred_ip_protocol: ip4}, target localhost:PORT",
		Says: Healthy, Reason: "ip-family"},
	{Peer: Blackbox, Test: "prober/tcp_test.go TestTCPConnectionProtocol ip6", Config: "tcp: {preferred_ip_protocol: ip6}, target localhost:PORT",
		Says: Healthy, Reason: "ip-family"},
	{Peer: Blackbox, Test: "prober/tcp_test.go TestTCPConnectionProtocol no preference", Config: "tcp: {}, target localhost:PORT", Server: "ipv6",
		Line: line("tcp://localhost:{port}"), Says: Healthy, Probe: Healthy, Note: "the server listens on ::1 alone; probe tries 127.0.0.1 and ::1"},
	{Peer: Blackbox, Test: "prober/tcp_test.go TestPrometheusTimeoutTCP", Config: "tcp: {query_response: [{expect: 'SSH-2.0-(OpenSSH_6.9p1) Debian-2'}]}", Server: "accept-close",
		Line: line("tcp://{addr}", "--expect", "SSH-2.0-(OpenSSH_6.9p1) Debian-2"), Says: Unhealthy, Probe: Unhealthy},

	// prober/unix_test.go.
	{Peer: Blackbox, Test: "prober/unix_test.go TestUnixConnection", Config: "unix: {}", Server: "unix-ping",
		Line: line("unix://{addr}"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/unix_test.go TestUnixConnectionFails", Config: "unix: {}, a socket path that does not exist",
		Line: line("unix:///nonexistent/app.sock"), Says: Unhealthy, Probe: Unhealthy},
}

// prober/grpc_test.go.
var blackboxGRPC = []Case{
	{Peer: Blackbox, Test: "prober/grpc_test.go TestGRPCConnection", Config: "grpc: {}", Server: "grpc-health",
		Line: line("grpc://localhost:{port}"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/grpc_test.go TestGRPCConnectionWithMetadata", Config: "grpc: {metadata: {key1: [value1, value2], key2-bin: [test], Authorization: [Bearer token]}}", Server: "grpc-metadata",
		Line: line("grpc://localhost:{port}", "-H", "key1: value1", "-H", "key1: value2", "-H", "key2-bin: test", "-H", "Authorization: Bearer token"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/grpc_test.go TestMultipleGRPCservices service1", Config: "grpc: {service: service1}", Server: "grpc-health",
		Line: line("grpc://localhost:{port}/service1"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/grpc_test.go TestMultipleGRPCservices service2", Config: "grpc: {service: service2}", Server: "grpc-health",
		Line: line("grpc://localhost:{port}/service2"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Blackbox, Test: "prober/grpc_test.go TestMultipleGRPCservices service3", Config: "grpc: {service: service3}", Server: "grpc-health",
		Line: line("grpc://localhost:{port}/service3"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Blackbox, Test: "prober/grpc_test.go TestGRPCTLSConnection", Config: "grpc: {tls: true, tls_config: {insecure_skip_verify: true}}", Server: "grpcs-health",
		Line: line("-k", "grpcs://localhost:{port}"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "prober/grpc_test.go TestNoTLSConnection", Config: "grpc: {tls: true, tls_config: {insecure_skip_verify: true}}, a server without TLS", Server: "grpc-health",
		Line: line("-k", "grpcs://localhost:{port}"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Blackbox, Test: "prober/grpc_test.go TestGRPCServiceNotFound", Config: "grpc: {service: NonExistingService}", Server: "grpc-health",
		Line: line("grpc://localhost:{port}/NonExistingService"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Blackbox, Test: "prober/grpc_test.go TestGRPCHealthCheckUnimplemented", Config: "grpc: {service: NonExistingService}, no health service", Server: "grpc-none",
		Line: line("grpc://localhost:{port}/NonExistingService"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Blackbox, Test: "prober/grpc_test.go TestGRPCAbsentFailedTLS", Config: "grpc: {service: NonExistingService}, target localhost:0",
		Line: line("grpc://localhost:0/NonExistingService"), Says: Unhealthy, Probe: Refused},
}

// prober/dns_test.go. Every case of TestRecursiveDNSResponse,
// TestAuthoritativeDNSResponse and TestServfailDNSResponse runs over UDP
// and over TCP, against a server of that transport alone. blackbox_exporter
// passes on NOERROR (valid_rcodes) and matches its regexps against whole
// records (example.com.<TAB>3600<TAB>IN<TAB>A<TAB>127.0.0.1), one record at
// a time; fail_if_not_matches_regexp fails when any record does not match.
var blackboxDNS = slices.Concat(
	dnsBoth(Case{Test: "TestRecursiveDNSResponse case 0", Config: "dns: {query_name: example.com, recursion_desired: true}", Server: "dns-recursive",
		Line: line("dns://{addr}/example.com"), Says: Healthy, Probe: Healthy}),
	dnsBoth(Case{Test: "TestRecursiveDNSResponse case 1", Config: "dns: {query_name: example.com, valid_rcodes: [SERVFAIL, NXDOMAIN]}", Server: "dns-recursive",
		Line: line("dns://{addr}/example.com", "--rcode", "SERVFAIL,NXDOMAIN"), Says: Unhealthy, Probe: Unhealthy}),
	dnsBoth(Case{Test: "TestRecursiveDNSResponse case 2", Config: "dns: {query_name: example.com, validate_answer_rrs: {fail_if_matches_regexp: ['.*7200.*'], fail_if_not_matches_regexp: ['.*3600.*']}}", Server: "dns-recursive",
		Line: line("dns://{addr}/example.com", "--expect", ".*3600.*", "--reject", ".*7200.*"), Says: Healthy, Probe: Healthy}),
	dnsBoth(Case{Test: "TestRecursiveDNSResponse case 3", Config: "dns: {query_name: example.com, validate_authority_rrs: {fail_if_matches_regexp: ['.*7200.*']}}", Server: "dns-recursive",
		Says: Healthy, Reason: "dns-sections"}),
	dnsBoth(Case{Test: "TestRecursiveDNSResponse case 4", Config: "dns: {query_name: example.com, validate_additional_rrs: {fail_if_not_matches_regexp: ['.*3600.*']}}", Server: "dns-recursive",
		Says: Unhealthy, Reason: "dns-sections"}),
	dnsBoth(Case{Test: "TestRecursiveDNSResponse case 5", Config: "dns: {query_name: example.com, recursion_desired: false}", Server: "dns-recursive",
		Says: Unhealthy, Reason: "dns-recursion"}),

	dnsBoth(Case{Test: "TestAuthoritativeDNSResponse case 0", Config: "dns: {query_name: example.com}", Server: "dns-authoritative",
		Line: line("dns://{addr}/example.com"), Says: Healthy, Probe: Healthy,
		Note: "blackbox_exporter asks for ANY records by default, probe for A: ask with `?type=` for the one that matters"}),
	dnsBoth(Case{Test: "TestAuthoritativeDNSResponse case 1", Config: "dns: {query_name: example.com, query_type: SOA}", Server: "dns-authoritative",
		Line: line("dns://{addr}/example.com?type=SOA"), Says: Healthy, Probe: Healthy}),
	dnsBoth(Case{Test: "TestAuthoritativeDNSResponse case 2", Config: "dns: {query_name: example.com, query_class: CH, query_type: TXT, validate_answer_rrs: {fail_if_matches_regexp: ['.*IN.*'], fail_if_not_matches_regexp: ['.*CH.*']}}", Server: "dns-authoritative",
		Says: Healthy, Reason: "dns-class"}),
	dnsBoth(Case{Test: "TestAuthoritativeDNSResponse case 3", Config: "dns: {query_name: example.com, valid_rcodes: [SERVFAIL, NXDOMAIN]}", Server: "dns-authoritative",
		Line: line("dns://{addr}/example.com", "--rcode", "SERVFAIL,NXDOMAIN"), Says: Unhealthy, Probe: Unhealthy}),
	dnsBoth(Case{Test: "TestAuthoritativeDNSResponse case 4", Config: "dns: {query_name: example.com, validate_answer_rrs: {fail_if_matches_regexp: ['.*3600.*'], fail_if_not_matches_regexp: ['.*3600.*']}}", Server: "dns-authoritative",
		Line: line("dns://{addr}/example.com", "--expect", ".*3600.*", "--reject", ".*3600.*"), Says: Unhealthy, Probe: Unhealthy}),
	dnsBoth(Case{Test: "TestAuthoritativeDNSResponse case 5", Config: "dns: {query_name: example.com, validate_answer_rrs: {fail_if_matches_regexp: ['.*7200.*'], fail_if_not_matches_regexp: ['.*7200.*']}}", Server: "dns-authoritative",
		Line: line("dns://{addr}/example.com", "--expect", ".*7200.*", "--reject", ".*7200.*"), Says: Unhealthy, Probe: Unhealthy}),
	dnsBoth(Case{Test: "TestAuthoritativeDNSResponse case 6", Config: "dns: {query_name: example.com, validate_authority_rrs: {fail_if_not_matches_regexp: ['ns.*.isp.net']}}", Server: "dns-authoritative",
		Says: Healthy, Reason: "dns-sections"}),
	dnsBoth(Case{Test: "TestAuthoritativeDNSResponse case 7", Config: "dns: {query_name: example.com, validate_additional_rrs: {fail_if_not_matches_regexp: ['^ns.*.isp']}}", Server: "dns-authoritative",
		Says: Healthy, Reason: "dns-sections"}),
	dnsBoth(Case{Test: "TestAuthoritativeDNSResponse case 8", Config: "dns: {query_name: example.com, validate_additional_rrs: {fail_if_matches_regexp: ['^ns.*.isp']}}", Server: "dns-authoritative",
		Says: Unhealthy, Reason: "dns-sections"}),
	dnsBoth(Case{Test: "TestAuthoritativeDNSResponse case 9", Config: "dns: {query_name: example.com, validate_additional_rrs: {fail_if_all_match_regexp: ['.*127.0.0.*']}}", Server: "dns-authoritative",
		Says: Unhealthy, Reason: "dns-sections"}),
	dnsBoth(Case{Test: "TestAuthoritativeDNSResponse case 10", Config: "dns: {query_name: example.com, validate_additional_rrs: {fail_if_none_matches_regexp: ['.*127.0.0.3.*']}}", Server: "dns-authoritative",
		Says: Unhealthy, Reason: "dns-sections"}),

	dnsBoth(Case{Test: "TestServfailDNSResponse case 0", Config: "dns: {query_name: example.com}", Server: "dns-servfail",
		Line: line("dns://{addr}/example.com"), Says: Unhealthy, Probe: Unhealthy}),
	dnsBoth(Case{Test: "TestServfailDNSResponse case 1", Config: "dns: {query_name: example.com, valid_rcodes: [SERVFAIL, NXDOMAIN]}", Server: "dns-servfail",
		Line: line("dns://{addr}/example.com", "--rcode", "SERVFAIL,NXDOMAIN"), Says: Healthy, Probe: Healthy}),
	dnsBoth(Case{Test: "TestServfailDNSResponse case 2", Config: "dns: {query_name: example.com, query_type: NOT_A_VALID_QUERY_TYPE}", Server: "dns-servfail",
		Line: line("dns://{addr}/example.com?type=NOT_A_VALID_QUERY_TYPE"), Says: Unhealthy, Probe: Refused}),
	dnsBoth(Case{Test: "TestServfailDNSResponse case 3", Config: "dns: {query_name: example.com, valid_rcodes: [NOT_A_VALID_RCODE]}", Server: "dns-servfail",
		Line: line("dns://{addr}/example.com", "--rcode", "NOT_A_VALID_RCODE"), Says: Unhealthy, Probe: Refused}),

	// TestDNSProtocol: a name that resolves to both families, and a
	// preferred one.
	[]Case{
		{Peer: Blackbox, Test: "prober/dns_test.go TestDNSProtocol udp, ip6", Config: "dns: {transport_protocol: udp, preferred_ip_protocol: ip6}, target localhost:PORT",
			Says: Healthy, Reason: "ip-family"},
		{Peer: Blackbox, Test: "prober/dns_test.go TestDNSProtocol udp, ip4", Config: "dns: {transport_protocol: udp, preferred_ip_protocol: ip4}, target localhost:PORT",
			Says: Healthy, Reason: "ip-family"},
		{Peer: Blackbox, Test: "prober/dns_test.go TestDNSProtocol udp, no preference", Config: "dns: {transport_protocol: udp}", Server: "dns-recursive",
			Line: line("dns://{addr}/example.com"), Says: Healthy, Probe: Healthy},
		{Peer: Blackbox, Test: "prober/dns_test.go TestDNSProtocol udp, no protocol", Config: "dns: {}", Server: "dns-recursive",
			Line: line("dns://{addr}/example.com"), Says: Healthy, Probe: Healthy},
		{Peer: Blackbox, Test: "prober/dns_test.go TestDNSProtocol tcp, ip6", Config: "dns: {transport_protocol: tcp, preferred_ip_protocol: ip6}, target localhost:PORT",
			Says: Healthy, Reason: "ip-family"},
		{Peer: Blackbox, Test: "prober/dns_test.go TestDNSProtocol tcp, ip4", Config: "dns: {transport_protocol: tcp, preferred_ip_protocol: ip4}, target localhost:PORT",
			Says: Healthy, Reason: "ip-family"},
		{Peer: Blackbox, Test: "prober/dns_test.go TestDNSProtocol tcp, no preference", Config: "dns: {transport_protocol: tcp}", Server: "dns-recursive-tcp",
			Line: line("dns://{addr}/example.com?proto=tcp"), Says: Healthy, Probe: Healthy},
		{Peer: Blackbox, Test: "prober/dns_test.go TestDNSProtocol tcp, no protocol", Config: "dns: {}, a server over TCP alone", Server: "dns-recursive-tcp",
			Line: line("dns://{addr}/example.com"), Says: Unhealthy, Probe: Unhealthy, Note: "both ask over UDP, where nothing answers"},
		{Peer: Blackbox, Test: "prober/dns_test.go TestDNSMetrics", Config: "dns: {query_name: example.com}", Server: "dns-recursive",
			Line: line("dns://{addr}/example.com"), Says: Healthy, Probe: Healthy},
	},
)

// dnsBoth makes a DNS case's two rows: over UDP, and over TCP to a server
// of TCP alone.
func dnsBoth(c Case) []Case {
	c.Peer = Blackbox
	c.Test = "prober/dns_test.go " + c.Test
	udp, tcp := c, c
	udp.Test += " (udp)"
	tcp.Test += " (tcp)"
	tcp.Config = strings.Replace(tcp.Config, "dns: {", "dns: {transport_protocol: tcp, ", 1)
	tcp.Server += "-tcp"
	if tcp.Line != nil {
		tcp.Line = slices.Clone(tcp.Line)
		sep := "?"
		if strings.Contains(tcp.Line[0], "?") {
			sep = "&"
		}
		tcp.Line[0] += sep + "proto=tcp"
	}
	return []Case{udp, tcp}
}

// The modules of blackbox_exporter's blackbox.yml and example.yml, each
// against a server that behaves as the module expects.
var blackboxModules = []Case{
	{Peer: Blackbox, Test: "blackbox.yml http_2xx", Config: "http: {preferred_ip_protocol: ip4}", Server: "ok",
		Line: line("http://{addr}/", "--status", "200-299", "--max-redirects", "10"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "blackbox.yml http_post_2xx", Config: "http: {method: POST}", Server: "post-only",
		Line: line("-X", "POST", "http://{addr}/", "--status", "200-299", "--max-redirects", "10"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "blackbox.yml tcp_connect", Config: "tcp: {}", Server: "accept-close",
		Line: line("tcp://{addr}"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "blackbox.yml pop3s_banner", Config: "tcp: {query_response: [{expect: '^+OK'}], tls: true}", Server: "pop3s",
		Line: line("--timeout", "1s", "tls://localhost:{port}", "--ca", "{file:ca.pem}", "--expect", "^+OK"), Says: Unhealthy, Probe: Unhealthy,
		Note: "in Go, `^+OK` is a repeated `^`, then `OK`: it never matches `+OK`, in blackbox_exporter as in probe; write `^\\+OK`"},
	{Peer: Blackbox, Test: "blackbox.yml grpc", Config: "grpc: {tls: true, preferred_ip_protocol: ip4}", Server: "grpcs-health",
		Line: line("grpcs://{addr}", "--ca", "{file:ca.pem}"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "blackbox.yml grpc_plain", Config: "grpc: {tls: false, service: service1}", Server: "grpc-health",
		Line: line("grpc://{addr}/service1"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "blackbox.yml ssh_banner", Config: "tcp: {query_response: [{expect: '^SSH-2.0-'}, {send: SSH-2.0-blackbox-ssh-check}]}", Server: "ssh",
		Line: line("tcp://{addr}", "--expect", "^SSH-2.0-"), Says: Healthy, Probe: Healthy,
		Note: "probe cannot send after it reads: the banner is the verdict, and the send is left out"},
	{Peer: Blackbox, Test: "blackbox.yml ssh_banner_extract", Config: "tcp: {query_response: [{expect: '^SSH-2.0-([^ -]+)(?: (.*))?$', labels: [...]}]}", Server: "ssh",
		Line: line("tcp://{addr}", "--expect", "^SSH-2.0-([^ -]+)(?: (.*))?$"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "blackbox.yml irc_banner", Config: "tcp: {query_response: [{send: NICK prober}, ..., {expect: 'PING :([^ ]+)', send: 'PONG ${1}'}, {expect: '^:[^ ]+ 001'}]}",
		Says: Healthy, Reason: "send-after-expect"},
	{Peer: Blackbox, Test: "blackbox.yml icmp", Config: "icmp: {}", Says: Healthy, Reason: "icmp"},
	{Peer: Blackbox, Test: "blackbox.yml icmp_ttl5", Config: "icmp: {ttl: 5}", Says: Healthy, Reason: "icmp"},
	{Peer: Blackbox, Test: "blackbox.yml websocket", Config: "websocket: {}", Says: Healthy, Reason: "websocket"},
	{Peer: Blackbox, Test: "blackbox.yml http_3xx", Config: "http: {enable_http3: true, valid_http_versions: [HTTP/3.0]}", Says: Healthy, Reason: "http3"},
	{Peer: Blackbox, Test: "blackbox.yml postgresql", Config: "tcp: {query_response: [{send: SSLRequest}, {expect_bytes: S}, {starttls: true}]}",
		Says: Healthy, Reason: "starttls", Note: "probe's postgres:// speaks PostgreSQL's protocol and logs in: see databases.md"},

	{Peer: Blackbox, Test: "example.yml http_2xx_example", Config: "http: {valid_http_versions: [HTTP/1.1, HTTP/2.0], headers: {Host: vhost.example.com, Origin: example.com}, http_headers: {Accept-Language: ...}, follow_redirects: true, fail_if_body_matches_regexp: [...], fail_if_body_not_matches_regexp: [...], fail_if_header_matches: [{header: Set-Cookie, allow_missing: true, regexp: '.*'}], fail_if_header_not_matches: [{header: Access-Control-Allow-Origin, regexp: '(\\*|example\\.com)'}]}",
		Server: "example-app",
		Line: line("http://{addr}/", "-H", "Host: vhost.example.com", "-H", "Origin: example.com", "-H", "Accept-Language: en-US", "--max-redirects", "10", "--status", "200-299",
			"--reject-body", "Could not connect to database", "--expect-body", "Download the latest version here",
			"--reject-header", "Set-Cookie", "--expect-header", `Access-Control-Allow-Origin: (\*|example\.com)`), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "example.yml http_with_proxy", Config: "http: {proxy_url: http://127.0.0.1:3128, skip_resolve_phase_with_proxy: true}", Says: Healthy, Reason: "proxy"},
	{Peer: Blackbox, Test: "example.yml http_with_proxy_and_headers", Config: "http: {proxy_url: http://127.0.0.1:3128, proxy_connect_header: {Proxy-Authorization: [Bearer token]}}", Says: Healthy, Reason: "proxy"},
	{Peer: Blackbox, Test: "example.yml http_post_2xx", Config: "http: {method: POST, headers: {Content-Type: application/json}, body: '{}'}", Server: "post-json",
		Line: line("-X", "POST", "http://{addr}/", "-H", "Content-Type: application/json", "-d", "{}"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "example.yml http_post_body_file", Config: "http: {method: POST, body_file: /files/body.txt}", Server: "body-check",
		Line: line("-X", "POST", "http://{addr}/", "-d", "@{file:body.txt}"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "example.yml http_basic_auth_example", Config: "http: {method: POST, headers: {Host: login.example.com}, basic_auth: {username: username, password: mysecret}}", Server: "basic-auth",
		Line: line("-X", "POST", "http://username:mysecret@{addr}/", "-H", "Host: login.example.com"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "example.yml http_json_cel_match", Config: `http: {fail_if_body_json_not_matches_cel: "body.foo == 'bar' && body.baz.startsWith('q')"}`, Server: "bodies",
		Says: Healthy, Reason: "cel", Note: "`--expect-json foo=bar` says the first half; nothing says `startsWith`"},
	{Peer: Blackbox, Test: "example.yml http_2xx_oauth_client_credentials", Config: "http: {oauth2: {client_id: ..., token_url: ...}}", Says: Healthy, Reason: "oauth2"},
	{Peer: Blackbox, Test: "example.yml http_custom_ca_example", Config: "http: {tls_config: {ca_file: /certs/my_cert.crt}}", Server: "ok-tls",
		Line: line("https://{addr}/", "--ca", "{file:ca.pem}"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "example.yml http_gzip", Config: "http: {compression: gzip}", Server: "encodings",
		Line: line("http://{addr}/gzip"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "example.yml http_gzip_with_accept_encoding", Config: "http: {compression: gzip, headers: {Accept-Encoding: gzip}}", Server: "encodings",
		Line: line("http://{addr}/gzip", "-H", "Accept-Encoding: gzip"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "example.yml tls_connect", Config: "tcp: {tls: true}", Server: "tls",
		Line: line("tls://localhost:{port}", "--ca", "{file:ca.pem}"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "example.yml tcp_connect_example", Config: "tcp: {}", Server: "accept-close",
		Line: line("tcp://{addr}"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "example.yml imap_starttls", Config: "tcp: {query_response: [{expect: OK.*STARTTLS}, {send: . STARTTLS}, {expect: OK}, {starttls: true}, ...]}", Says: Healthy, Reason: "starttls"},
	{Peer: Blackbox, Test: "example.yml smtp_starttls", Config: "tcp: {query_response: [{expect: '^220 ([^ ]+) ESMTP (.+)$'}, {send: 'EHLO prober\\r'}, ..., {starttls: true}, ...]}", Says: Healthy, Reason: "starttls"},
	{Peer: Blackbox, Test: "example.yml irc_banner_example", Config: "tcp: {query_response: [..., {expect: 'PING :([^ ]+)', send: 'PONG ${1}'}, {expect: '^:[^ ]+ 001'}]}", Says: Healthy, Reason: "send-after-expect"},
	{Peer: Blackbox, Test: "example.yml rabbitmq", Config: "tcp: {query_response: [{send: 'HELO\\r'}, {send: '\\r'}, {send: '\\r'}, {send: '\\r'}, {expect: AMQP}], tls: true, tls_config: {ca_file: CA_cert.crt}}", Server: "amqps",
		Line: line("tls://localhost:{port}", "--ca", "{file:ca.pem}", "--send", `HELO\r\n\r\n\r\n\r\n`, "--expect", "AMQP"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "example.yml rabbitmq_insecure", Config: "tcp: {query_response: [...], tls: true, tls_config: {insecure_skip_verify: true}}", Server: "amqps",
		Line: line("tls://localhost:{port}", "-k", "--send", `HELO\r\n\r\n\r\n\r\n`, "--expect", "AMQP"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "example.yml icmp_example", Config: "icmp: {preferred_ip_protocol: ip4, source_ip_address: 127.0.0.1}", Says: Healthy, Reason: "icmp"},
	{Peer: Blackbox, Test: "example.yml dns_udp_example", Config: "dns: {query_name: www.prometheus.io, query_type: A, valid_rcodes: [NOERROR], validate_answer_rrs: {...}, validate_authority_rrs: {...}, validate_additional_rrs: {...}}",
		Says: Unhealthy, Reason: "dns-sections"},
	{Peer: Blackbox, Test: "example.yml dns_soa", Config: "dns: {query_name: prometheus.io, query_type: SOA}", Server: "dns-authoritative",
		Line: line("dns://{addr}/example.com?type=SOA"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "example.yml dns_tcp_example", Config: "dns: {transport_protocol: tcp, preferred_ip_protocol: ip4, query_name: www.prometheus.io}", Server: "dns-recursive-tcp",
		Line: line("dns://{addr}/example.com?proto=tcp"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "example.yml unix_socket_ping", Config: "unix: {query_response: [{send: PING}, {expect: PONG}]}", Server: "unix-ping",
		Line: line("unix://{addr}", "--send", `PING\n`, "--expect", "PONG"), Says: Healthy, Probe: Healthy},
	{Peer: Blackbox, Test: "example.yml postgresql", Config: "tcp: {query_response: [{send: SSLRequest}, {expect_bytes: S}, {starttls: true}]}", Says: Healthy, Reason: "starttls"},
	{Peer: Blackbox, Test: "example.yml http_with_header_from_files", Config: "http: {http_headers: {X-API-Key: {files: [/path/to/api-key.txt]}}}", Says: Healthy, Reason: "header-file"},
	{Peer: Blackbox, Test: "example.yml websocket_example_basic_auth", Config: "websocket: {...}", Says: Healthy, Reason: "websocket"},
	{Peer: Blackbox, Test: "example.yml websocket_example_bearer_token", Config: "websocket: {...}", Says: Healthy, Reason: "websocket"},
}

// grpc-ecosystem/grpc-health-probe: its README and main.go. It connects
// (retrying until -connect-timeout, 1 s), then calls Check (-rpc-timeout,
// 1 s); exit 0 on SERVING, 1 for bad arguments, 2 when it cannot connect,
// 3 when the call fails, 4 when the answer is not SERVING. probe exits 1
// for every failure and says which in its line.
var grpcHealthProbe = []Case{
	{Peer: GHP, Test: "README.md EXAMPLES healthy", Config: "grpc_health_probe -addr=localhost:5000", Server: "grpc-health",
		Line: line("grpc://localhost:{port}"), Says: Healthy, Probe: Healthy},
	{Peer: GHP, Test: "README.md EXAMPLES nothing listens", Config: "grpc_health_probe -addr=localhost:9999 -connect-timeout 250ms -rpc-timeout 100ms", Server: "closed",
		Line: line("--timeout", "350ms", "grpc://localhost:{port}"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: GHP, Test: "README.md Kubernetes exec probe", Config: `exec: {command: ["/bin/grpc_health_probe", "-addr=:5000"]}`, Server: "grpc-health",
		Line: line("grpc://localhost:{port}"), Says: Healthy, Probe: Healthy, Note: "`-addr=:5000` is this host"},
	{Peer: GHP, Test: "README.md TLS -tls -tls-ca-cert", Config: "grpc_health_probe -addr=HOST:PORT -tls -tls-ca-cert ca.pem", Server: "grpcs-health",
		Line: line("grpcs://localhost:{port}", "--ca", "{file:ca.pem}"), Says: Healthy, Probe: Healthy},
	{Peer: GHP, Test: "README.md TLS -tls -tls-client-cert -tls-client-key", Config: "grpc_health_probe -addr=HOST:PORT -tls -tls-ca-cert ca.pem -tls-client-cert client.pem -tls-client-key client-key.pem", Server: "grpcs-mtls",
		Line: line("grpcs://localhost:{port}", "--ca", "{file:ca.pem}", "--cert", "{file:client.pem}", "--key", "{file:client-key.pem}"), Says: Healthy, Probe: Healthy},
	{Peer: GHP, Test: "README.md TLS mTLS without a client certificate", Config: "grpc_health_probe -addr=HOST:PORT -tls -tls-ca-cert ca.pem", Server: "grpcs-mtls",
		Line: line("grpcs://localhost:{port}", "--ca", "{file:ca.pem}"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: GHP, Test: "README.md TLS -tls-no-verify", Config: "grpc_health_probe -addr=HOST:PORT -tls -tls-no-verify", Server: "grpcs-health",
		Line: line("grpcs://localhost:{port}", "-k"), Says: Healthy, Probe: Healthy},
	{Peer: GHP, Test: "README.md TLS without a CA", Config: "grpc_health_probe -addr=HOST:PORT -tls", Server: "grpcs-health",
		Line: line("grpcs://localhost:{port}"), Says: Unhealthy, Probe: Unhealthy, Note: "the server's CA is not the system's"},
	{Peer: GHP, Test: "README.md TLS -tls-server-name", Config: "grpc_health_probe -addr=127.0.0.1:PORT -tls -tls-ca-cert ca.pem -tls-server-name api.example.com", Server: "grpcs-health",
		Line: line("grpcs://{addr}", "--ca", "{file:ca.pem}", "--server-name", "api.example.com"), Says: Healthy, Probe: Healthy},
	{Peer: GHP, Test: "README.md Example: TLS with a server name and -rpc-header", Config: "grpc_health_probe -addr 127.0.0.1:10000 -tls -tls-ca-cert ca.pem -tls-server-name=example.com -rpc-header=foo:bar -rpc-header=foo2:bar2", Server: "grpcs-health",
		Line: line("grpcs://{addr}", "--ca", "{file:ca.pem}", "--server-name", "api.example.com", "-H", "foo: bar", "-H", "foo2: bar2"), Says: Healthy, Probe: Healthy,
		Note: "the test certificate names api.example.com"},
	{Peer: GHP, Test: "README.md -spiffe", Config: "grpc_health_probe -addr=HOST:PORT -spiffe", Says: Healthy, Reason: "spiffe"},
	{Peer: GHP, Test: "README.md -connect-timeout", Config: "grpc_health_probe -addr=HOST:PORT -connect-timeout 250ms", Server: "blackhole",
		Line: line("--timeout", "250ms", "grpc://{addr}"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: GHP, Test: "README.md -rpc-timeout", Config: "grpc_health_probe -addr=HOST:PORT -rpc-timeout 1s, and the server answers after 2 s", Server: "grpc-slow-2s",
		Line: line("--timeout", "1s", "grpc://{addr}"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: GHP, Test: "README.md -rpc-header", Config: "grpc_health_probe -addr=HOST:PORT -rpc-header 'key1: value1' -rpc-header 'key1: value2' -rpc-header 'key2-bin: test' -rpc-header 'authorization: Bearer token'", Server: "grpc-metadata",
		Line: line("grpc://{addr}", "-H", "key1: value1", "-H", "key1: value2", "-H", "key2-bin: test", "-H", "authorization: Bearer token"), Says: Healthy, Probe: Healthy},
	{Peer: GHP, Test: "README.md -user-agent", Config: "grpc_health_probe -addr=HOST:PORT -user-agent my-probe/1.0", Server: "grpc-user-agent",
		Line: line("grpc://{addr}", "-H", "User-Agent: my-probe/1.0"), Says: Healthy, Probe: Healthy},
	{Peer: GHP, Test: "README.md -service", Config: "grpc_health_probe -addr=HOST:PORT -service helloworld.Greeter", Server: "grpc-health",
		Line: line("grpc://{addr}/helloworld.Greeter"), Says: Healthy, Probe: Healthy},
	{Peer: GHP, Test: "README.md -gzip", Config: "grpc_health_probe -addr=HOST:PORT -gzip", Says: Healthy, Reason: "grpc-gzip"},
	{Peer: GHP, Test: "README.md Exit codes 3: the server has no health service", Config: "grpc_health_probe -addr=HOST:PORT", Server: "grpc-none",
		Line: line("grpc://{addr}"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: GHP, Test: "README.md Exit codes 3: an unknown service", Config: "grpc_health_probe -addr=HOST:PORT -service nope", Server: "grpc-health",
		Line: line("grpc://{addr}/nope"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: GHP, Test: "README.md Exit codes 4: NOT_SERVING", Config: "grpc_health_probe -addr=HOST:PORT -service service2", Server: "grpc-health",
		Line: line("grpc://{addr}/service2"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: GHP, Test: "README.md Exit codes 2: not gRPC", Config: "grpc_health_probe -addr=HOST:PORT, an HTTP/1.1 server", Server: "ok-body",
		Line: line("grpc://{addr}"), Says: Unhealthy, Probe: Unhealthy},

	// main.go: the arguments it refuses (exit 1), and the address forms.
	{Peer: GHP, Test: "main.go -addr not specified", Config: "grpc_health_probe",
		Line: line("grpc://"), Says: Unhealthy, Probe: Refused},
	{Peer: GHP, Test: "main.go -connect-timeout must be greater than zero", Config: "grpc_health_probe -addr=HOST:PORT -connect-timeout 0s", Server: "grpc-health",
		Line: line("--timeout", "0s", "grpc://{addr}"), Says: Unhealthy, Probe: Refused},
	{Peer: GHP, Test: "main.go -rpc-timeout must be greater than zero", Config: "grpc_health_probe -addr=HOST:PORT -rpc-timeout -1s", Server: "grpc-health",
		Line: line("--timeout=-1s", "grpc://{addr}"), Says: Unhealthy, Probe: Refused},
	{Peer: GHP, Test: "main.go -alts and -spiffe are mutually incompatible", Config: "grpc_health_probe -addr=HOST:PORT -alts -spiffe", Says: Unhealthy, Reason: "spiffe"},
	{Peer: GHP, Test: "main.go cannot specify -tls with -alts", Config: "grpc_health_probe -addr=HOST:PORT -tls -alts", Says: Unhealthy, Reason: "spiffe"},
	{Peer: GHP, Test: "main.go specified -tls-no-verify without specifying -tls", Config: "grpc_health_probe -addr=HOST:PORT -tls-no-verify", Server: "grpc-health",
		Line: line("-k", "grpc://{addr}"), Says: Unhealthy, Probe: Healthy, Reason: "unused-flags"},
	{Peer: GHP, Test: "main.go specified -tls-ca-cert without specifying -tls", Config: "grpc_health_probe -addr=HOST:PORT -tls-ca-cert ca.pem", Server: "grpc-health",
		Line: line("--ca", "{file:ca.pem}", "grpc://{addr}"), Says: Unhealthy, Probe: Healthy, Reason: "unused-flags"},
	{Peer: GHP, Test: "main.go specified -tls-client-cert without specifying -tls", Config: "grpc_health_probe -addr=HOST:PORT -tls-client-cert client.pem -tls-client-key client-key.pem", Server: "grpc-health",
		Line: line("--cert", "{file:client.pem}", "--key", "{file:client-key.pem}", "grpc://{addr}"), Says: Unhealthy, Probe: Healthy, Reason: "unused-flags"},
	{Peer: GHP, Test: "main.go specified -tls-server-name without specifying -tls", Config: "grpc_health_probe -addr=HOST:PORT -tls-server-name api.example.com", Server: "grpc-health",
		Line: line("--server-name", "api.example.com", "grpc://{addr}"), Says: Unhealthy, Probe: Healthy, Reason: "unused-flags"},
	{Peer: GHP, Test: "main.go specified -tls-client-cert without specifying -tls-client-key", Config: "grpc_health_probe -addr=HOST:PORT -tls -tls-client-cert client.pem", Server: "grpcs-mtls",
		Line: line("grpcs://{addr}", "--cert", "{file:client.pem}"), Says: Unhealthy, Probe: Refused},
	{Peer: GHP, Test: "main.go specified -tls-client-key without specifying -tls-client-cert", Config: "grpc_health_probe -addr=HOST:PORT -tls -tls-client-key client-key.pem", Server: "grpcs-mtls",
		Line: line("grpcs://{addr}", "--key", "{file:client-key.pem}"), Says: Unhealthy, Probe: Refused},
	{Peer: GHP, Test: "main.go cannot specify -tls-ca-cert with -tls-no-verify", Config: "grpc_health_probe -addr=HOST:PORT -tls -tls-no-verify -tls-ca-cert ca.pem", Server: "grpcs-health",
		Line: line("grpcs://{addr}", "-k", "--ca", "{file:ca.pem}"), Says: Unhealthy, Probe: Healthy, Reason: "insecure-wins"},
	{Peer: GHP, Test: "main.go cannot specify -tls-server-name with -tls-no-verify", Config: "grpc_health_probe -addr=HOST:PORT -tls -tls-no-verify -tls-server-name api.example.com", Server: "grpcs-health",
		Line: line("grpcs://{addr}", "-k", "--server-name", "api.example.com"), Says: Unhealthy, Probe: Healthy, Reason: "insecure-wins"},
	{Peer: GHP, Test: "main.go -tls and -spiffe are mutually incompatible", Config: "grpc_health_probe -addr=HOST:PORT -tls -spiffe", Says: Unhealthy, Reason: "spiffe"},
	{Peer: GHP, Test: "main.go failed to initialize tls credentials", Config: "grpc_health_probe -addr=HOST:PORT -tls -tls-ca-cert missing.pem", Server: "grpcs-health",
		Line: line("grpcs://{addr}", "--ca", "{file:missing.pem}"), Says: Unhealthy, Probe: Refused},
	{Peer: GHP, Test: "main.go -addr unix:///PATH", Config: "grpc_health_probe -addr=unix:///run/app/grpc.sock", Server: "grpc-unix",
		Line: line("--unix-socket", "{addr}", "grpc://localhost"), Says: Healthy, Probe: Healthy},
}

// wait4x/wait4x: checker/http and checker/tcp, each test a single check
// (Check); wait4x repeats it until it passes, as probe wait does.
var wait4x = []Case{
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpInvalidAddress", Config: "wait4x http http://not-exists.tld",
		Line: line("http://not-exists.onion/"), Says: Unhealthy, Probe: Unhealthy, Note: "a `.onion` name fails without a DNS query (RFC 7686), so that nothing leaves the machine"},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpValidAddress", Config: "wait4x http URL", Server: "ok",
		Line: line("http://{addr}/"), Says: Healthy, Probe: Healthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpInvalidStatusCode", Config: "wait4x http URL --expect-status-code 201", Server: "ok",
		Line: line("http://{addr}/", "--status", "201"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpValidStatusCode", Config: "wait4x http URL --expect-status-code 200", Server: "ok",
		Line: line("http://{addr}/", "--status", "200"), Says: Healthy, Probe: Healthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpInvalidTLS", Config: "wait4x http https://expired.badssl.com --insecure-skip-tls-verify", Server: "expired",
		Line: line("-k", "https://{addr}/"), Says: Healthy, Probe: Healthy, Note: "a server with an expired certificate on loopback, in place of expired.badssl.com"},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpH2CEnabled_Succeeds", Config: "wait4x http URL --h2c --no-redirect --expect-status-code 200", Server: "h2c-only",
		Line: line("--http2", "http://{addr}/", "--status", "200"), Says: Healthy, Probe: Healthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpNoRedirect", Config: "wait4x http URL --expect-status-code 307 --no-redirect", Server: "away-307",
		Line: line("http://{addr}/", "--status", "307"), Says: Healthy, Probe: Healthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpRedirect", Config: "wait4x http URL --expect-status-code 200", Server: "redirects",
		Line: line("http://{addr}/redirect?code=307&loc=/success", "--status", "200", "--max-redirects", "10"), Says: Healthy, Probe: Healthy,
		Note: "wait4x follows redirects (10) unless --no-redirect; the redirect stays on loopback here (https://wait4x.dev in wait4x's test)"},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpInvalidBody", Config: "wait4x http URL --expect-body-regex FooBar", Server: "wait4x",
		Line: line("http://{addr}/", "--expect-body", "FooBar"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpValidBody", Config: "wait4x http URL --expect-body-regex 'Wait4X.+best.+tools'", Server: "w4x-body",
		Line: line("http://{addr}/", "--expect-body", "Wait4X.+best.+tools"), Says: Healthy, Probe: Healthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpValidBodyJSON user", Config: "wait4x http URL --expect-body-json user", Server: "w4x-json",
		Line: line("http://{addr}/", "--expect-json", "user"), Says: Healthy, Probe: Healthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpValidBodyJSON user.name", Config: "wait4x http URL --expect-body-json user.name", Server: "w4x-json",
		Line: line("http://{addr}/", "--expect-json", "user.name"), Says: Healthy, Probe: Healthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpValidBodyJSON is_active", Config: "wait4x http URL --expect-body-json is_active", Server: "w4x-json",
		Line: line("http://{addr}/", "--expect-json", "is_active"), Says: Healthy, Probe: Healthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpInvalidBodyJSON", Config: "wait4x http URL --expect-body-json test", Server: "w4x-json",
		Line: line("http://{addr}/", "--expect-json", "test"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpInvalidBodyXPath //hello", Config: "wait4x http URL --expect-body-xpath //hello", Server: "w4x-html",
		Says: Unhealthy, Reason: "xpath"},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpInvalidBodyXPath //code[@id='test']", Config: "wait4x http URL --expect-body-xpath \"//code[@id='test']\"", Server: "w4x-html",
		Says: Unhealthy, Reason: "xpath"},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpValidBodyXPath //div/code", Config: "wait4x http URL --expect-body-xpath //div/code", Server: "w4x-html",
		Says: Healthy, Reason: "xpath"},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpValidBodyXPath //code[@id='ip']", Config: "wait4x http URL --expect-body-xpath \"//code[@id='ip']\"", Server: "w4x-html",
		Says: Healthy, Reason: "xpath"},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpValidHeader Test-Header", Config: "wait4x http URL --expect-header Test-Header", Server: "w4x-headers",
		Line: line("http://{addr}/", "--expect-header", "Test-Header"), Says: Healthy, Probe: Healthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpValidHeader X-Foo", Config: "wait4x http URL --expect-header X-Foo", Server: "w4x-headers",
		Line: line("http://{addr}/", "--expect-header", "X-Foo"), Says: Healthy, Probe: Healthy, Note: "`X-Foo` is sent empty"},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpValidHeader X-Foo=.*", Config: "wait4x http URL --expect-header 'X-Foo=.*'", Server: "w4x-headers",
		Line: line("http://{addr}/", "--expect-header", "X-Foo: .*"), Says: Healthy, Probe: Healthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpValidHeader Test-Header=test-.+", Config: "wait4x http URL --expect-header 'Test-Header=test-.+'", Server: "w4x-headers",
		Line: line("http://{addr}/", "--expect-header", "Test-Header: test-.+"), Says: Healthy, Probe: Healthy},
	{Peer: Wait4x, Test: `checker/http/http_test.go TestHttpValidHeader Authorization=^Token\s.+`, Config: `wait4x http URL --expect-header 'Authorization=^Token\s.+'`, Server: "w4x-headers",
		Line: line("http://{addr}/", "--expect-header", `Authorization: ^Token\s.+`), Says: Healthy, Probe: Healthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpValidHeader Test-Header=test-value", Config: "wait4x http URL --expect-header Test-Header=test-value", Server: "w4x-headers",
		Line: line("http://{addr}/", "--expect-header", "Test-Header: test-value"), Says: Healthy, Probe: Healthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpInvalidHeader Test-Header-New", Config: "wait4x http URL --expect-header Test-Header-New", Server: "w4x-one-header",
		Line: line("http://{addr}/", "--expect-header", "Test-Header-New"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpInvalidHeader Test-.+=test-value", Config: "wait4x http URL --expect-header 'Test-.+=test-value'", Server: "w4x-one-header",
		Line: line("http://{addr}/", "--expect-header", "Test-.+: test-value"), Says: Unhealthy, Probe: Unhealthy, Note: "the name is a name, not a pattern, in both"},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpInvalidHeader Test-Header=[A-Z]", Config: "wait4x http URL --expect-header 'Test-Header=[A-Z]'", Server: "w4x-one-header",
		Line: line("http://{addr}/", "--expect-header", "Test-Header: [A-Z]"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpRequestHeaders", Config: "wait4x http URL --request-header 'Authorization: Token 123' --request-header 'Foo: test1 test2' --expect-body-regex ...", Server: "w4x-echo",
		Line: line("http://{addr}/", "-H", "Authorization: Token 123", "-H", "Foo: test1 test2",
			"--expect-body", `(.*Authorization=\[Token 123\].*Foo=\[test1 test2\].*)|(.*Foo=\[test1 test2\].*Authorization=\[Token 123\].*)`), Says: Healthy, Probe: Healthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpInvalidCombinationFeatures the body", Config: "wait4x http URL --expect-status-code 201 --expect-body-regex FooBar", Server: "w4x-201",
		Line: line("http://{addr}/", "--status", "201", "--expect-body", "FooBar"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpInvalidCombinationFeatures the header", Config: "wait4x http URL --expect-status-code 201 --expect-body-regex Wait4X --expect-header X-Foo", Server: "w4x-201",
		Line: line("http://{addr}/", "--status", "201", "--expect-body", "Wait4X", "--expect-header", "X-Foo"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpInvalidCombinationFeatures the status", Config: "wait4x http URL --expect-status-code 200 --expect-body-regex Wait4X --expect-header Test-Header", Server: "w4x-201",
		Line: line("http://{addr}/", "--status", "200", "--expect-body", "Wait4X", "--expect-header", "Test-Header"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpRequestBody no match", Config: "wait4x http URL --request-body 'name=test&score=1' --expect-body-regex something", Server: "body-echo",
		Line: line("-X", "POST", "http://{addr}/", "-d", "name=test&score=1", "--expect-body", "something"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpRequestBody match", Config: "wait4x http URL --request-body 'name=test&score=1' --expect-body-regex 'name=test&score=1'", Server: "body-echo",
		Line: line("-X", "POST", "http://{addr}/", "-d", "name=test&score=1", "--expect-body", "name=test&score=1"), Says: Healthy, Probe: Healthy,
		Note: "wait4x POSTs a request body; probe keeps the method, so `-X POST`"},
	{Peer: Wait4x, Test: "checker/http/http_test.go TestHttpRequestHeaderWithoutInit", Config: "wait4x http URL --request-header 'Foo: Bar' --expect-body-regex 'Foo=\\[Bar\\]'", Server: "w4x-echo",
		Line: line("http://{addr}/", "-H", "Foo: Bar", "--expect-body", `Foo=\[Bar\]`), Says: Healthy, Probe: Healthy},

	{Peer: Wait4x, Test: "checker/tcp/tcp_test.go TestCheckSuccessful", Config: "wait4x tcp HOST:PORT", Server: "accept-close",
		Line: line("tcp://{addr}"), Says: Healthy, Probe: Healthy},
	{Peer: Wait4x, Test: "checker/tcp/tcp_test.go TestCheckConnectionRefused", Config: "wait4x tcp HOST:PORT --connection-timeout 500ms", Server: "closed",
		Line: line("--timeout", "500ms", "tcp://{addr}"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Wait4x, Test: "checker/tcp/tcp_test.go TestCheckInvalidAddress", Config: "wait4x tcp invalid-address",
		Line: line("tcp://invalid-address"), Says: Unhealthy, Probe: Refused},
	{Peer: Wait4x, Test: "checker/tcp/tcp_test.go TestCheckTimeout", Config: "wait4x tcp 240.0.0.1:12345 --connection-timeout 500ms", Server: "blackhole",
		Line: line("--timeout", "500ms", "tcp://{addr}"), Says: Unhealthy, Probe: Unhealthy, Note: "a loopback port that drops the SYN, in place of 240.0.0.1"},
	{Peer: Wait4x, Test: "checker/tcp/tcp_test.go TestCheckNameResolution", Config: "wait4x tcp non-existent-domain.example:12345",
		Line: line("--timeout", "500ms", "tcp://non-existent-domain.onion:12345"), Says: Unhealthy, Probe: Unhealthy, Note: "a `.onion` name fails without a DNS query (RFC 7686)"},
	{Peer: Wait4x, Test: "checker/tcp/tcp_test.go TestCheckIPv6Address", Config: "wait4x tcp [::1]:PORT", Server: "ipv6",
		Line: line("tcp://{addr}"), Says: Healthy, Probe: Healthy},
	{Peer: Wait4x, Test: "checker/tcp/tcp_test.go TestTableDriven Valid Address", Config: "wait4x tcp HOST:PORT --connection-timeout 1s", Server: "accept-close",
		Line: line("--timeout", "1s", "tcp://{addr}"), Says: Healthy, Probe: Healthy},
	{Peer: Wait4x, Test: "checker/tcp/tcp_test.go TestTableDriven Connection Refused", Config: "wait4x tcp HOST:PORT --connection-timeout 1s", Server: "closed",
		Line: line("--timeout", "1s", "tcp://{addr}"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Wait4x, Test: "checker/tcp/tcp_test.go TestTableDriven Very Short Timeout", Config: "wait4x tcp 240.0.0.1:12345 --connection-timeout 1ms", Server: "blackhole",
		Line: line("--timeout", "1ms", "tcp://{addr}"), Says: Unhealthy, Probe: Unhealthy},
	{Peer: Wait4x, Test: "checker/tcp/tcp_test.go TestTableDriven Invalid Address Format", Config: "wait4x tcp not-a-valid-address --connection-timeout 1s",
		Line: line("--timeout", "1s", "tcp://not-a-valid-address"), Says: Unhealthy, Probe: Refused},
}
