package checks_test

import (
	"bytes"
	"compress/flate"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/cli"
	"github.com/probe-sh/probe/internal/testserver"
)

// peerRow is one case of a peer's own test suite that applies to a health
// check: the server behaviour it sets up (a path of peerHandler), probe's
// closest flags, the peer's verdict and probe's. They differ only with a
// note that says why (docs/reference.md, "Porting from the kubelet and
// blackbox_exporter"). A row with skip cannot be expressed with probe.
type peerRow struct {
	peer     string // "kubelet" (pkg/probe/http) or "blackbox" (prober/http.go)
	peerCase string // the peer's test, and its case
	server   string // what the server does
	target   string // $APP, $OTHER (a second server), $TLS (self-signed HTTPS)
	flags    []string
	peerOK   bool // the peer's verdict: healthy (the kubelet's Success or Warning)
	probeOK  bool // probe's verdict
	note     string
	skip     string // why probe cannot express it
}

// kubeletRows: k8s.io/kubernetes v1.34.4 pkg/probe/http/http_test.go. The
// prober of TestHTTPProbeChecker follows redirects to any host
// (New(true)): --max-redirects 10; the kubelet's own (New(false)) is
// --redirects kubelet. Each accBody is an --expect-body, each notBody a
// --reject-body.
var kubeletRows = []peerRow{
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/ok body", server: "200 \"ok body\"", target: "$APP/ok", flags: []string{"--max-redirects", "10", "--expect-body", "ok body"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/header count", server: "echoes the number of request headers", target: "$APP/count", flags: []string{"--expect-body", "^3$"}, peerOK: true, probeOK: true,
		note: "User-Agent, Accept, Connection: close, as the kubelet sends them"},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/header names", server: "echoes the request header names", target: "$APP/keys", flags: []string{"--expect-body", "^Accept\nConnection\nUser-Agent$"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/Accept-Encoding gzip", server: "echoes the request headers", target: "$APP/echo", flags: []string{"-H", "Accept-Encoding: gzip", "--expect-body", "Accept-Encoding: gzip"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/Accept-Encoding foo", server: "echoes the request headers", target: "$APP/echo", flags: []string{"-H", "Accept-Encoding: foo", "--expect-body", "Accept-Encoding: foo"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/Accept-Encoding empty", server: "echoes the request headers", target: "$APP/echo", flags: []string{"-H", "Accept-Encoding:", "--expect-body", "Accept-Encoding: \n"}, peerOK: true, probeOK: true,
		note: "a header probe does not send itself is sent empty, as the kubelet does"},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/custom header", server: "echoes the request headers", target: "$APP/echo", flags: []string{"-H", "X-Muffins-Or-Cupcakes: muffins", "--expect-body", "X-Muffins-Or-Cupcakes: muffins"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/User-Agent foo", server: "echoes the request headers", target: "$APP/echo", flags: []string{"-H", "User-Agent: foo/1.0", "--expect-body", "User-Agent: foo/1.0"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/User-Agent empty removes it", server: "echoes the request headers", target: "$APP/echo", flags: []string{"-H", "User-Agent:", "--reject-body", "User-Agent"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/default User-Agent", server: "echoes the request headers", target: "$APP/echo", flags: []string{"--expect-body", "User-Agent: probe/"}, peerOK: true, probeOK: true,
		note: "the kubelet sends kube-probe/1.34, probe probe/VERSION: -H 'User-Agent: kube-probe/1.34' for an app that looks for it"},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/Accept text/html", server: "echoes the request headers", target: "$APP/echo", flags: []string{"-H", "User-Agent: foo/1.0", "-H", "Accept: text/html", "--expect-body", "Accept: text/html"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/Accept foo with User-Agent", server: "echoes the request headers", target: "$APP/echo", flags: []string{"-H", "User-Agent: foo/1.0", "-H", "Accept: foo/*", "--expect-body", "User-Agent: foo/1.0"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/Accept foo with a custom header", server: "echoes the request headers", target: "$APP/echo", flags: []string{"-H", "X-Muffins-Or-Cupcakes: muffins", "-H", "Accept: foo/*", "--expect-body", "X-Muffins-Or-Cupcakes: muffins"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/Accept foo", server: "echoes the request headers", target: "$APP/echo", flags: []string{"-H", "Accept: foo/*", "--expect-body", `Accept: foo/\*`}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/Accept empty removes it", server: "echoes the request headers", target: "$APP/echo", flags: []string{"-H", "Accept:", "--reject-body", "Accept:"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/Accept empty with User-Agent", server: "echoes the request headers", target: "$APP/echo", flags: []string{"-H", "User-Agent: foo/1.0", "-H", "Accept:", "--reject-body", "Accept:"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/default Accept", server: "echoes the request headers", target: "$APP/echo", flags: []string{"--expect-body", `Accept: \*/\*`}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/Host header", server: "echoes the Host", target: "$APP/host", flags: []string{"-H", "Host: muffins.cupcakes.org", "--expect-body", "muffins.cupcakes.org"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/status -1", server: "aborts the response", target: "$APP/abort", peerOK: false, probeOK: false},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/500", server: "500 \"fail body\"", target: "$APP/status/500", peerOK: false, probeOK: false},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/slower than the timeout", server: "answers after 1.5s", target: "$APP/sleep", flags: []string{"--timeout", "500ms"}, peerOK: false, probeOK: false},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/301", server: "301 to a 200", target: "$APP/r/301/good", flags: []string{"--max-redirects", "10"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/301 bad", server: "301 to a 500", target: "$APP/r/301/bad", flags: []string{"--max-redirects", "10"}, peerOK: false, probeOK: false},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/302", server: "302 to a 200", target: "$APP/r/302/good", flags: []string{"--max-redirects", "10"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/302 bad", server: "302 to a 500", target: "$APP/r/302/bad", flags: []string{"--max-redirects", "10"}, peerOK: false, probeOK: false},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/307", server: "307 to a 200", target: "$APP/r/307/good", flags: []string{"--max-redirects", "10"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/307 bad", server: "307 to a 500", target: "$APP/r/307/bad", flags: []string{"--max-redirects", "10"}, peerOK: false, probeOK: false},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/308", server: "308 to a 200", target: "$APP/r/308/good", flags: []string{"--max-redirects", "10"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/308 bad", server: "308 to a 500", target: "$APP/r/308/bad", flags: []string{"--max-redirects", "10"}, peerOK: false, probeOK: false},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/redirect to a 308 with an empty body", server: "308 to a 308 without Location", target: "$APP/rwb/308", flags: []string{"--max-redirects", "10"}, peerOK: true, probeOK: true,
		note: "the kubelet's Warning is a success; probe judges the 308 by --status, 200-399"},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker/redirect to a 308 with a body", server: "308 to a 308 without Location, \"ok body\"", target: "$APP/rwb/308?body=ok+body", flags: []string{"--max-redirects", "10", "--expect-body", "ok body"}, peerOK: true, probeOK: true},

	{peer: "kubelet", peerCase: "TestHTTPProbeChecker_NonLocalRedirects/local success-local", server: "302 to /success", target: "$APP/redirect?loc=/success", flags: []string{"--redirects", "kubelet"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker_NonLocalRedirects/local success-nonlocal", server: "302 to /success", target: "$APP/redirect?loc=/success", flags: []string{"--max-redirects", "10"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker_NonLocalRedirects/local fail-local", server: "302 to a 500", target: "$APP/redirect?loc=/fail", flags: []string{"--redirects", "kubelet"}, peerOK: false, probeOK: false},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker_NonLocalRedirects/local fail-nonlocal", server: "302 to a 500", target: "$APP/redirect?loc=/fail", flags: []string{"--max-redirects", "10"}, peerOK: false, probeOK: false},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker_NonLocalRedirects/newport success-local", server: "302 to another port, 200", target: "$APP/redirect?loc=$OTHER/success", flags: []string{"--redirects", "kubelet"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker_NonLocalRedirects/newport success-nonlocal", server: "302 to another port, 200", target: "$APP/redirect?loc=$OTHER/success", flags: []string{"--max-redirects", "10"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker_NonLocalRedirects/newport fail-local", server: "302 to another port, 500", target: "$APP/redirect?loc=$OTHER/fail", flags: []string{"--redirects", "kubelet"}, peerOK: false, probeOK: false},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker_NonLocalRedirects/newport fail-nonlocal", server: "302 to another port, 500", target: "$APP/redirect?loc=$OTHER/fail", flags: []string{"--max-redirects", "10"}, peerOK: false, probeOK: false},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker_NonLocalRedirects/bogus nonlocal-local", server: "302 to another host", target: "$APP/redirect?loc=http://0.0.0.0:1/fail", flags: []string{"--redirects", "kubelet"}, peerOK: true, probeOK: true,
		note: "port 1 added, so that nothing answers; the redirect is not followed either way"},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker_NonLocalRedirects/bogus nonlocal-nonlocal", server: "302 to another host", target: "$APP/redirect?loc=http://0.0.0.0:1/fail", flags: []string{"--max-redirects", "10"}, peerOK: false, probeOK: false},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker_NonLocalRedirects/redirect loop-local", server: "302 to itself", target: "$APP/redirect?loc=/loop", flags: []string{"--redirects", "kubelet"}, peerOK: false, probeOK: false},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker_NonLocalRedirects/redirect loop-nonlocal", server: "302 to itself", target: "$APP/redirect?loc=/loop", flags: []string{"--max-redirects", "10"}, peerOK: false, probeOK: false},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker_HostHeaderPreservedAfterRedirect/successlocal", server: "302 to a path that wants Host www.success.com", target: "$APP/host-redirect", flags: []string{"--redirects", "kubelet", "-H", "Host: www.success.com"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker_HostHeaderPreservedAfterRedirect/successnonlocal", server: "302 to a path that wants Host www.success.com", target: "$APP/host-redirect", flags: []string{"--max-redirects", "10", "-H", "Host: www.success.com"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker_HostHeaderPreservedAfterRedirect/faillocal", server: "302 to a path that wants Host www.success.com", target: "$APP/host-redirect", flags: []string{"--redirects", "kubelet", "-H", "Host: www.fail.com"}, peerOK: false, probeOK: false},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker_HostHeaderPreservedAfterRedirect/failnonlocal", server: "302 to a path that wants Host www.success.com", target: "$APP/host-redirect", flags: []string{"--max-redirects", "10", "-H", "Host: www.fail.com"}, peerOK: false, probeOK: false},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker_PayloadTruncated", server: "200 with 10 KiB + 1 of body", target: "$APP/big", flags: []string{"--redirects", "kubelet"}, peerOK: true, probeOK: true,
		note: "the kubelet reads 10 KiB and ignores the rest; probe reads up to --max-body, 1 MiB, and fails past it"},
	{peer: "kubelet", peerCase: "TestHTTPProbeChecker_PayloadNormal", server: "200 with 10 KiB - 1 of body", target: "$APP/big?less=1", flags: []string{"--redirects", "kubelet"}, peerOK: true, probeOK: true},
	{peer: "kubelet", peerCase: "TestHTTPProbeProxy", skip: "not a server behaviour: probe never uses proxy variables (testdata/script/proxy.txtar)"},
	{peer: "kubelet", peerCase: "TestHeaderConversion/two Accept values", server: "echoes the request headers", target: "$APP/echo", flags: []string{"-H", "accept: application/json", "-H", "Accept: */*", "--expect-body", "Accept: application/json\nAccept: \\*/\\*"}, peerOK: true, probeOK: true},
}

// blackboxRows: prometheus/blackbox_exporter prober/http_test.go. Its
// default valid_status_codes are 2xx: --status 200-299. allow_missing:
// false on fail_if_header_matches fails a reply without the header:
// --expect-header NAME beside --reject-header.
var blackboxRows = []peerRow{
	{peer: "blackbox", peerCase: "TestHTTPStatusCodes/200 []", server: "200", target: "$APP/code/200", flags: []string{"--status", "200-299"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestHTTPStatusCodes/201 []", server: "201", target: "$APP/code/201", flags: []string{"--status", "200-299"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestHTTPStatusCodes/299 []", server: "299", target: "$APP/code/299", flags: []string{"--status", "200-299"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestHTTPStatusCodes/300 []", server: "300", target: "$APP/code/300", flags: []string{"--status", "200-299"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestHTTPStatusCodes/300 [] with probe's default", server: "300", target: "$APP/code/300", peerOK: false, probeOK: true,
		note: "probe's default --status is 200-399, as the kubelet's: a 3xx passes; --status 200-299 for blackbox's"},
	{peer: "blackbox", peerCase: "TestHTTPStatusCodes/404 []", server: "404", target: "$APP/code/404", flags: []string{"--status", "200-299"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestHTTPStatusCodes/404 [200 404]", server: "404", target: "$APP/code/404", flags: []string{"--status", "200,404"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestHTTPStatusCodes/200 [200 404]", server: "200", target: "$APP/code/200", flags: []string{"--status", "200,404"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestHTTPStatusCodes/201 [200 404]", server: "201", target: "$APP/code/201", flags: []string{"--status", "200,404"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestHTTPStatusCodes/404 [404]", server: "404", target: "$APP/code/404", flags: []string{"--status", "404"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestHTTPStatusCodes/200 [404]", server: "200", target: "$APP/code/200", flags: []string{"--status", "404"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestValidHTTPVersion/[]", server: "HTTP/1.1 200", target: "$APP/code/200", peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestValidHTTPVersion/[HTTP/1.1]", server: "HTTP/1.1 200", target: "$APP/code/200", peerOK: true, probeOK: true, note: "probe speaks HTTP/1.1 unless --http2"},
	{peer: "blackbox", peerCase: "TestValidHTTPVersion/[HTTP/2.0]", server: "HTTP/1.1 200", target: "$APP/code/200", flags: []string{"--http2"}, peerOK: false, probeOK: false, note: "--http2 speaks only HTTP/2"},
	{peer: "blackbox", peerCase: "TestValidHTTPVersion/[HTTP/1.1 HTTP/2.0]", skip: "no flag accepts either version: probe speaks the one it is told"},
	{peer: "blackbox", peerCase: "TestContentLength/identity", server: "Content-Encoding: identity", target: "$APP/ce/identity", flags: []string{"--expect-body", "^(hello world){10}$"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestContentLength/no content-encoding", server: "200 text", target: "$APP/ce/none", flags: []string{"--expect-body", "^(hello world){10}$"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestContentLength/unknown content-encoding", server: "Content-Encoding: xxx", target: "$APP/ce/xxx", peerOK: true, probeOK: true, note: "not judged, not decoded"},
	{peer: "blackbox", peerCase: "TestContentLength/unknown content-encoding, body judged", server: "Content-Encoding: xxx", target: "$APP/ce/xxx", flags: []string{"--expect-body", "x"}, peerOK: true, probeOK: false,
		note: "probe refuses to match a body in a coding it cannot read, in one line; blackbox matches the bytes as they came"},
	{peer: "blackbox", peerCase: "TestContentLength/401", server: "404 \"not found\"", target: "$APP/code/404", peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestContentLength/brotli", server: "Content-Encoding: br", target: "$APP/ce/br", peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestContentLength/deflate", server: "Content-Encoding: deflate", target: "$APP/ce/deflate", peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestContentLength/gzip", server: "Content-Encoding: gzip", target: "$APP/ce/gzip", peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestHandlingOfCompressionSetting/gzip", server: "Content-Encoding: gzip", target: "$APP/ce/gzip", flags: []string{"--expect-body", "^(hello world){10}$"}, peerOK: true, probeOK: true,
		note: "compression: gzip; probe decodes what Content-Encoding says, to judge the body"},
	{peer: "blackbox", peerCase: "TestHandlingOfCompressionSetting/brotli", server: "Content-Encoding: br", target: "$APP/ce/br", flags: []string{"--expect-body", "^(hello world){10}$"}, peerOK: true, probeOK: false,
		note: "probe reads gzip and deflate only; a br body to judge fails in one line (send -H 'Accept-Encoding: gzip')"},
	{peer: "blackbox", peerCase: "TestHandlingOfCompressionSetting/deflate", server: "Content-Encoding: deflate (raw)", target: "$APP/ce/deflate", flags: []string{"--expect-body", "^(hello world){10}$"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestHandlingOfCompressionSetting/identity", server: "Content-Encoding: identity", target: "$APP/ce/identity", flags: []string{"--expect-body", "^(hello world){10}$"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestHandlingOfCompressionSetting/compression encoding mismatch", server: "Content-Encoding: gzip", target: "$APP/ce/gzip", flags: []string{"--expect-header", "Content-Encoding: ^deflate$"}, peerOK: false, probeOK: false,
		note: "compression: deflate insists on a coding: --expect-header 'Content-Encoding: ^deflate$'"},
	{peer: "blackbox", peerCase: "TestHandlingOfCompressionSetting/accept gzip", server: "Content-Encoding: gzip", target: "$APP/ce/gzip", flags: []string{"-H", "Accept-Encoding: gzip", "--expect-body", "^(hello world){10}$"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestHandlingOfCompressionSetting/accept br, gzip", server: "Content-Encoding: gzip", target: "$APP/ce/gzip", flags: []string{"-H", "Accept-Encoding: br, gzip", "--expect-body", "^(hello world){10}$"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestHandlingOfCompressionSetting/accept anything", server: "Content-Encoding: gzip", target: "$APP/ce/gzip", flags: []string{"-H", "Accept-Encoding: *", "--expect-body", "^(hello world){10}$"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestHandlingOfCompressionSetting/compressed content without compression setting", server: "Content-Encoding: gzip", target: "$APP/ce/gzip", peerOK: true, probeOK: true,
		note: "blackbox leaves the body compressed without compression:; probe decodes it when it judges the body"},
	{peer: "blackbox", peerCase: "TestMaxResponseLength/short", server: "127 bytes", target: "$APP/maxlen/short", flags: []string{"--max-body", "128"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestMaxResponseLength/long", server: "129 bytes", target: "$APP/maxlen/long", flags: []string{"--max-body", "128"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestMaxResponseLength/short compressed", server: "127 bytes, gzip", target: "$APP/maxlen/short-compressed", flags: []string{"--max-body", "128", "--expect-body", "A"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestMaxResponseLength/long compressed", server: "129 bytes, gzip", target: "$APP/maxlen/long-compressed", flags: []string{"--max-body", "128", "--expect-body", "A"}, peerOK: false, probeOK: false,
		note: "probe decodes, and bounds the decoded size, only when it judges the body: --expect-body here"},
	{peer: "blackbox", peerCase: "TestRedirectFollowed", server: "302 to a 200", target: "$APP/r/302/good", flags: []string{"--max-redirects", "10"}, peerOK: true, probeOK: true,
		note: "blackbox follows up to 10 redirects by default; probe follows none unless asked"},
	{peer: "blackbox", peerCase: "TestRedirectNotFollowed", server: "302", target: "$APP/r/302/good", flags: []string{"--status", "302"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestRedirectionLimit", server: "302 without end", target: "$APP/chain/0", flags: []string{"--max-redirects", "10"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestPost", server: "400 unless POST", target: "$APP/post", flags: []string{"-X", "POST"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestBasicAuth", server: "200", target: "http://username:password@$HOSTPORT/code/200", peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestBearerToken", server: "200", target: "$APP/code/200", flags: []string{"-H", "Authorization: Bearer mysecret"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestFailIfNotSSL", skip: "fail_if_not_ssl: probe checks the scheme it is given; a redirect from https:// to http:// is not refused"},
	{peer: "blackbox", peerCase: "TestFailIfSelfSignedCA", server: "HTTPS, self-signed", target: "$TLS/code/200", peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestSucceedIfSelfSignedCA", server: "HTTPS, self-signed", target: "$TLS/code/200", flags: []string{"-k"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestTLSConfigIsIgnoredForPlainHTTP", server: "200", target: "$APP/code/200", flags: []string{"--ca", "$CAFILE"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestHTTPUsesTargetAsTLSServerName", server: "HTTPS, a certificate for localhost from a CA", target: "$NAMED/code/200", flags: []string{"--ca", "$CAFILE"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestRedirectToTLSHostWorks", skip: "redirects to prometheus.io, off loopback; tls.txtar redirects from http:// to https://"},
	{peer: "blackbox", peerCase: "TestCookieJar", server: "sets a cookie and redirects to a page that wants it", target: "$APP/cookie", flags: []string{"--max-redirects", "10"}, peerOK: true, probeOK: false,
		note: "probe keeps no cookies across redirects, as the kubelet and curl -L: give it with -H 'Cookie: ...'"},
	{peer: "blackbox", peerCase: "TestBody/body", server: "400 unless the body is \"Test Body\"", target: "$APP/body", flags: []string{"-d", "Test Body"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestBody/body_file", server: "400 unless the body is \"Test Body\"", target: "$APP/body", flags: []string{"-d", "@$BODYFILE"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestHTTPHeaders", server: "400 unless Host, User-Agent and Accept-Language are as sent", target: "$APP/want-headers", flags: []string{"-H", "Host: my-secret-vhost.com", "-H", "User-Agent: unsuspicious-user", "-H", "Accept-Language: en-US"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestHTTPParsingScheme/uppercase http scheme", server: "200", target: "HTTP://$HOSTPORT/code/200", peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestHTTPParsingScheme/missing scheme", server: "200", target: "$HOSTPORT/code/200", peerOK: true, probeOK: false,
		note: "probe refuses a target without a scheme, and names http:// and tcp://: HOST:PORT alone is ambiguous"},
	{peer: "blackbox", peerCase: "TestHTTPParsingScheme/invalid scheme", server: "200", target: "invalid://$HOSTPORT/code/200", peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestHTTPPhases", skip: "metrics of phases: probe -v shows them"},
	{peer: "blackbox", peerCase: "TestSkipResolvePhase", skip: "proxies: probe never uses one"},
	{peer: "blackbox", peerCase: "TestHTTP3ProbeQUIC", skip: "HTTP/3: probe speaks HTTP/1.1 and HTTP/2"},
}

// blackboxBodyRows: fail_if_body_matches_regexp (--reject-body),
// fail_if_body_not_matches_regexp (--expect-body), and the CEL
// expressions, as --expect-json: PATH=VALUE for fail_if_body_json_not_matches_cel
// "body.PATH == 'VALUE'", PATH!=VALUE for fail_if_body_json_matches_cel.
var blackboxBodyRows = []peerRow{
	{peer: "blackbox", peerCase: "TestFailIfBodyMatchesRegexp/one regex, match", server: "Bad news: could not connect to database server", target: "$APP/text?b=Bad news: could not connect to database server", flags: []string{"--reject-body", "could not connect to database"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfBodyMatchesRegexp/one regex, no match", server: "Download the latest version here", target: "$APP/text?b=Download the latest version here", flags: []string{"--reject-body", "could not connect to database"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestFailIfBodyMatchesRegexp/multiple regexes, match", server: "internal error", target: "$APP/text?b=internal error", flags: []string{"--reject-body", "could not connect to database", "--reject-body", "internal error"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfBodyMatchesRegexp/multiple regexes, no match", server: "hello world", target: "$APP/text?b=hello world", flags: []string{"--reject-body", "could not connect to database", "--reject-body", "internal error"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestFailIfBodyNotMatchesRegexp/no match", server: "Bad news: could not connect to database server", target: "$APP/text?b=Bad news: could not connect to database server", flags: []string{"--expect-body", "Download the latest version here"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfBodyNotMatchesRegexp/match", server: "Download the latest version here", target: "$APP/text?b=Download the latest version here", flags: []string{"--expect-body", "Download the latest version here"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestFailIfBodyNotMatchesRegexp/two, one missing", server: "Download the latest version here", target: "$APP/text?b=Download the latest version here", flags: []string{"--expect-body", "Download the latest version here", "--expect-body", "Copyright 2015"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfBodyNotMatchesRegexp/two, both", server: "Download the latest version here. Copyright 2015 Test Inc.", target: "$APP/text?b=Download the latest version here. Copyright 2015 Test Inc.", flags: []string{"--expect-body", "Download the latest version here", "--expect-body", "Copyright 2015"}, peerOK: true, probeOK: true},

	{peer: "blackbox", peerCase: "TestFailIfBodyNotMatchesCEL/cel matches", server: `{"foo": {"bar": "baz"}}`, target: `$APP/text?b={"foo": {"bar": "baz"}}`, flags: []string{"--expect-json", "foo.bar=baz"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestFailIfBodyNotMatchesCEL/cel does not match", server: `{"foo": {"bar": "baz"}}`, target: `$APP/text?b={"foo": {"bar": "baz"}}`, flags: []string{"--expect-json", "foo.bar=qux"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfBodyNotMatchesCEL/cel does not match with empty body", server: `{}`, target: `$APP/text?b={}`, flags: []string{"--expect-json", "foo.bar=qux"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfBodyNotMatchesCEL/cel result not boolean", skip: "a CEL expression that is not boolean is blackbox's configuration error; --expect-json is always a condition"},
	{peer: "blackbox", peerCase: "TestFailIfBodyNotMatchesCEL/body is not json", server: "hello world", target: "$APP/text?b=hello world", flags: []string{"--expect-json", "foo.bar=baz"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfBodyNotMatchesCEL/body is empty json object", server: `{}`, target: `$APP/text?b={}`, flags: []string{"--expect-json", "!foo"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestFailIfBodyNotMatchesCEL/body is json string", server: `"foo"`, target: `$APP/text?b="foo"`, flags: []string{"--expect-body", `^"foo"$`}, peerOK: true, probeOK: true, note: "the root is not a gjson path: --expect-body on the JSON text"},
	{peer: "blackbox", peerCase: "TestFailIfBodyNotMatchesCEL/body is json list", server: `["foo","bar","baz"]`, target: `$APP/text?b=["foo","bar","baz"]`, flags: []string{"--expect-json", "2=baz"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestFailIfBodyNotMatchesCEL/body is json boolean", server: `true`, target: `$APP/text?b=true`, flags: []string{"--expect-body", `^true$`}, peerOK: true, probeOK: true, note: "the root is not a gjson path: --expect-body on the JSON text"},
	{peer: "blackbox", peerCase: "TestFailIfBodyNotMatchesCEL/body is empty", server: "empty", target: `$APP/text?b=`, flags: []string{"--expect-json", "foo.bar=baz"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfBodyNotMatchesCEL/body returns emoji", server: "🤠🤠🤠", target: `$APP/text?b=🤠🤠🤠`, flags: []string{"--expect-json", "foo.bar=baz"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfBodyNotMatchesCEL/body returns json with emojis", server: `{"foo": {"bar": "🤠🤠🤠"}}`, target: `$APP/text?b={"foo": {"bar": "🤠🤠🤠"}}`, flags: []string{"--expect-json", "foo.bar=🤠🤠🤠"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestFailIfBodyMatchesCEL/celExpression matches", server: `{"foo": {"bar": "baz"}}`, target: `$APP/text?b={"foo": {"bar": "baz"}}`, flags: []string{"--expect-json", "foo.bar!=baz"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfBodyMatchesCEL/celExpression does not match", server: `{"foo": {"bar": "baz"}}`, target: `$APP/text?b={"foo": {"bar": "baz"}}`, flags: []string{"--expect-json", "foo.bar!=qux"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestFailIfBodyMatchesCEL/celExpression does not match with empty body", server: `{}`, target: `$APP/text?b={}`, flags: []string{"--expect-json", "foo.bar!=qux"}, peerOK: false, probeOK: false,
		note: "blackbox fails on the missing key; probe's != needs a value there"},
	{peer: "blackbox", peerCase: "TestFailIfBodyMatchesCEL/celExpression result not boolean", skip: "a CEL expression that is not boolean is blackbox's configuration error"},
	{peer: "blackbox", peerCase: "TestFailIfBodyMatchesCEL/body is not json", server: "hello world", target: "$APP/text?b=hello world", flags: []string{"--expect-json", "foo.bar!=baz"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfBodyMatchesCEL/body is empty json object", server: `{}`, target: `$APP/text?b={}`, flags: []string{"--expect-json", "foo.bar!=baz"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfBodyMatchesCEL/body is json string", server: `"foo"`, target: `$APP/text?b="foo"`, flags: []string{"--reject-body", `^"foo"$`}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfBodyMatchesCEL/body is json list", server: `["foo","bar","baz"]`, target: `$APP/text?b=["foo","bar","baz"]`, flags: []string{"--expect-json", "2!=baz"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfBodyMatchesCEL/body is json boolean", server: `true`, target: `$APP/text?b=true`, flags: []string{"--reject-body", `^true$`}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfBodyMatchesCEL/body is empty", server: "empty", target: `$APP/text?b=`, flags: []string{"--expect-json", "foo.bar!=baz"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfBodyMatchesCEL/body returns emoji", server: "🤠🤠🤠", target: `$APP/text?b=🤠🤠🤠`, flags: []string{"--expect-json", "foo.bar!=baz"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfBodyMatchesCEL/body returns json with emojis", server: `{"foo": {"bar": "🤠🤠🤠"}}`, target: `$APP/text?b={"foo": {"bar": "🤠🤠🤠"}}`, flags: []string{"--expect-json", "foo.bar!=😿😿😿"}, peerOK: true, probeOK: true},
}

// blackboxHeaderRows: fail_if_header_matches (--reject-header, and
// --expect-header NAME when allow_missing is false) and
// fail_if_header_not_matches (--expect-header; 'NAME?: RE' for
// allow_missing). The server sends each value given as a field.
var blackboxHeaderRows = []peerRow{
	{peer: "blackbox", peerCase: "TestFailIfHeaderMatchesRegexp/0", server: "Content-Type: text/javascript", target: "$APP/hdr?n=Content-Type&v=text/javascript", flags: []string{"--reject-header", "Content-Type: text/javascript", "--expect-header", "Content-Type"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfHeaderMatchesRegexp/1", server: "Content-Type: application/octet-stream", target: "$APP/hdr?n=Content-Type&v=application/octet-stream", flags: []string{"--reject-header", "Content-Type: text/javascript", "--expect-header", "Content-Type"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestFailIfHeaderMatchesRegexp/2", server: "Content-Type: application/octet-stream", target: "$APP/hdr?n=Content-Type&v=application/octet-stream", flags: []string{"--reject-header", "content-type: text/javascript", "--expect-header", "content-type"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestFailIfHeaderMatchesRegexp/3", server: "Content-Type: (empty)", target: "$APP/hdr?n=Content-Type&v=", flags: []string{"--reject-header", "Content-Type: .*", "--expect-header", "Content-Type"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfHeaderMatchesRegexp/4", server: "no Content-Type", target: "$APP/hdr?n=Content-Type", flags: []string{"--reject-header", "Content-Type: .*", "--expect-header", "Content-Type"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfHeaderMatchesRegexp/5", server: "Content-Type: (empty)", target: "$APP/hdr?n=Content-Type&v=", flags: []string{"--reject-header", "Content-Type: .*"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfHeaderMatchesRegexp/6", server: "no Content-Type", target: "$APP/hdr?n=Content-Type", flags: []string{"--reject-header", "Content-Type: .*"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestFailIfHeaderMatchesRegexp/7", server: "Set-Cookie with Domain=.example.com", target: "$APP/hdr?n=Set-Cookie&v=gid%3D1%3B+Expires%3DTue,+19-Mar-2019+20:08:29+GMT%3B+Domain%3D.example.com%3B+Path%3D/", flags: []string{"--reject-header", `Set-Cookie: .*Domain=\.example\.com.*`, "--expect-header", "Set-Cookie"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfHeaderMatchesRegexp/8", server: "two Set-Cookie, the second with Domain=.example.com", target: "$APP/hdr?n=Set-Cookie&v=zz%3D4%3B+Domain%3Dwww.example.com%3B+Path%3D/&v=gid%3D1%3B+Domain%3D.example.com%3B+Path%3D/", flags: []string{"--reject-header", `Set-Cookie: .*Domain=\.example\.com.*`, "--expect-header", "Set-Cookie"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfHeaderNotMatchesRegexp/0", server: "Content-Type: text/javascript", target: "$APP/hdr?n=Content-Type&v=text/javascript", flags: []string{"--expect-header", "Content-Type: text/javascript"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestFailIfHeaderNotMatchesRegexp/1", server: "Content-Type: text/javascript", target: "$APP/hdr?n=Content-Type&v=text/javascript", flags: []string{"--expect-header", "content-type: text/javascript"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestFailIfHeaderNotMatchesRegexp/2", server: "Content-Type: application/octet-stream", target: "$APP/hdr?n=Content-Type&v=application/octet-stream", flags: []string{"--expect-header", "Content-Type: text/javascript"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfHeaderNotMatchesRegexp/3", server: "Content-Type: (empty)", target: "$APP/hdr?n=Content-Type&v=", flags: []string{"--expect-header", "Content-Type: .*"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestFailIfHeaderNotMatchesRegexp/4", server: "no Content-Type", target: "$APP/hdr?n=Content-Type", flags: []string{"--expect-header", "Content-Type: .*"}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfHeaderNotMatchesRegexp/5", server: "no Content-Type", target: "$APP/hdr?n=Content-Type", flags: []string{"--expect-header", "Content-Type?: .*"}, peerOK: true, probeOK: true},
	{peer: "blackbox", peerCase: "TestFailIfHeaderNotMatchesRegexp/6", server: "Set-Cookie with Domain=www.example.com", target: "$APP/hdr?n=Set-Cookie&v=zz%3D4%3B+Domain%3Dwww.example.com%3B+Path%3D/", flags: []string{"--expect-header", `Set-Cookie: .*Domain=\.example\.com.*`}, peerOK: false, probeOK: false},
	{peer: "blackbox", peerCase: "TestFailIfHeaderNotMatchesRegexp/7", server: "two Set-Cookie, the second with Domain=.example.com", target: "$APP/hdr?n=Set-Cookie&v=zz%3D4%3B+Domain%3Dwww.example.com%3B+Path%3D/&v=gid%3D1%3B+Domain%3D.example.com%3B+Path%3D/", flags: []string{"--expect-header", `Set-Cookie: .*Domain=\.example\.com.*`}, peerOK: true, probeOK: true},
}

// PeerRows is every row, for a table in docs.
func peerRows() []peerRow {
	return append(append(append(append([]peerRow(nil), kubeletRows...), blackboxRows...), blackboxBodyRows...), blackboxHeaderRows...)
}

// TestHTTPPeers runs each row through probe's command line against a
// loopback server that behaves as the peer's test server does.
func TestHTTPPeers(t *testing.T) {
	t.Parallel()
	app := httptest.NewServer(peerHandler())
	t.Cleanup(app.Close)
	other := httptest.NewServer(peerHandler())
	t.Cleanup(other.Close)
	tlsApp := httptest.NewUnstartedServer(peerHandler())
	tlsApp.Config.ErrorLog = log.New(io.Discard, "", 0) // probe refuses its certificate, on purpose
	tlsApp.StartTLS()
	t.Cleanup(tlsApp.Close)
	named := httptest.NewUnstartedServer(peerHandler())
	named.TLS = &tls.Config{Certificates: []tls.Certificate{testserver.Certs().Good}}
	named.StartTLS()
	t.Cleanup(named.Close)
	_, namedPort, _ := strings.Cut(strings.TrimPrefix(named.URL, "https://"), ":")
	dir := t.TempDir()
	bodyFile := filepath.Join(dir, "body.txt")
	if err := os.WriteFile(bodyFile, []byte("Test Body"), 0o600); err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, testserver.Certs().CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	expand := strings.NewReplacer("$APP", app.URL, "$OTHER", other.URL, "$TLS", tlsApp.URL, "$HOSTPORT", strings.TrimPrefix(app.URL, "http://"),
		"$NAMED", "https://localhost:"+namedPort, "$BODYFILE", bodyFile, "$CAFILE", caFile).Replace
	target := func(raw string) string {
		// The text a /text path answers is given in the query, escaped here.
		if base, text, ok := strings.Cut(raw, "/text?b="); ok {
			return expand(base) + "/text?b=" + url.QueryEscape(text)
		}
		return expand(raw)
	}
	counts := map[string][3]int{} // agree, differ (noted), skipped
	for _, row := range peerRows() {
		c := counts[row.peer]
		switch {
		case row.skip != "":
			c[2]++
		case row.peerOK != row.probeOK:
			c[1]++
		default:
			c[0]++
		}
		counts[row.peer] = c
		if row.skip != "" {
			continue
		}
		t.Run(row.peer+"/"+row.peerCase, func(t *testing.T) {
			t.Parallel()
			if row.peerOK != row.probeOK && row.note == "" {
				t.Fatal("probe's verdict differs from the peer's without a note that says why")
			}
			args := []string{"--no-marker"}
			for _, f := range row.flags {
				args = append(args, expand(f))
			}
			args = append(args, target(row.target))
			var stdout, stderr bytes.Buffer
			code := cli.Main(args, &stdout, &stderr, cli.Stamp{Version: "test"})
			t.Logf("probe %q: exit %d: %s%s", args, code, stdout.String(), stderr.String())
			if healthy := code == 0; healthy != row.probeOK {
				t.Errorf("healthy %v, want %v (the peer says %v; %s)", healthy, row.probeOK, row.peerOK, row.server)
			}
		})
	}
	for peer, c := range counts {
		t.Logf("%s: %d cases agree, %d differ (documented), %d cannot be expressed", peer, c[0], c[1], c[2])
	}
}

// peerHandler behaves as the servers of the peers' tests, one path each.
func peerHandler() http.Handler {
	helloWorld := []byte(strings.Repeat("hello world", 10))
	var rawDeflate bytes.Buffer
	fw, _ := flate.NewWriter(&rawDeflate, flate.DefaultCompression)
	fw.Write(helloWorld) //nolint:errcheck
	fw.Close()           //nolint:errcheck
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok body") }) //nolint:errcheck
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		w.WriteHeader(code)
		io.WriteString(w, "fail body") //nolint:errcheck
	})
	mux.HandleFunc("/code/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		w.WriteHeader(code)
	})
	mux.HandleFunc("/abort", func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, _ *http.Request) { time.Sleep(1500 * time.Millisecond) })
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range r.Header {
			for _, v := range vs {
				fmt.Fprintf(w, "%s: %s\n", k, v)
			}
		}
	})
	mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, strconv.Itoa(len(r.Header))) }) //nolint:errcheck
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		var keys []string
		for k := range r.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		io.WriteString(w, strings.Join(keys, "\n")) //nolint:errcheck
	})
	mux.HandleFunc("/host", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Host) }) //nolint:errcheck
	mux.HandleFunc("/r/{code}/{to}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		http.Redirect(w, r, "/new-"+r.PathValue("to"), code)
	})
	mux.HandleFunc("/new-good", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("/new-bad", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	mux.HandleFunc("/rwb/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		http.Redirect(w, r, "/rwb-new/"+r.PathValue("code")+"?"+r.URL.RawQuery, code)
	})
	mux.HandleFunc("/rwb-new/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		w.WriteHeader(code)
		io.WriteString(w, r.URL.Query().Get("body")) //nolint:errcheck
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("loc"), http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/success", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("/fail", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	mux.HandleFunc("/host-redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/host-success", http.StatusFound) })
	mux.HandleFunc("/host-success", func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "www.success.com" {
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		n := 10<<10 + 1
		if r.URL.Query().Has("less") {
			n = 10<<10 - 1
		}
		w.Write(bytes.Repeat([]byte("a"), n)) //nolint:errcheck
	})
	mux.HandleFunc("/ce/{coding}", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = nil
		body := helloWorld
		switch c := r.PathValue("coding"); c {
		case "gzip":
			body = testserver.Gzip(helloWorld)
		case "deflate":
			body = rawDeflate.Bytes()
		case "br", "xxx":
			body = bytes.Repeat([]byte("x"), len(helloWorld)) // never decoded
		}
		if c := r.PathValue("coding"); c != "none" {
			w.Header().Set("Content-Encoding", c)
		}
		w.Write(body) //nolint:errcheck
	})
	mux.HandleFunc("/maxlen/{which}", func(w http.ResponseWriter, r *http.Request) {
		which := r.PathValue("which")
		n := 127
		if strings.HasPrefix(which, "long") {
			n = 129
		}
		body := bytes.Repeat([]byte("A"), n)
		if strings.HasSuffix(which, "compressed") {
			body = testserver.Gzip(body)
			w.Header().Set("Content-Encoding", "gzip")
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body) //nolint:errcheck
	})
	mux.HandleFunc("/chain/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n > 11 {
			w.WriteHeader(http.StatusTooManyRequests) // never reached
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/chain/%d", n+1), http.StatusFound)
	})
	mux.HandleFunc("/post", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/cookie", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "somecookie", Value: "cookie", Expires: time.Now().Add(time.Hour)})
		http.Redirect(w, r, "/cookie-wanted", http.StatusFound)
	})
	mux.HandleFunc("/cookie-wanted", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("somecookie"); err != nil || c.Value != "cookie" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	mux.HandleFunc("/body", func(w http.ResponseWriter, r *http.Request) {
		if b, _ := io.ReadAll(r.Body); string(b) != "Test Body" {
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/want-headers", func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "my-secret-vhost.com" || r.Header.Get("User-Agent") != "unsuspicious-user" || r.Header.Get("Accept-Language") != "en-US" {
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.URL.Query().Get("b")) }) //nolint:errcheck
	mux.HandleFunc("/hdr", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		for _, v := range q["v"] {
			w.Header().Add(q.Get("n"), v)
		}
	})
	return mux
}
