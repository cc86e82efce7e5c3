package checks_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"maps"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/probe-sh/probe/internal/cli"
	"github.com/probe-sh/probe/internal/testserver"
)

// peerCase is one case of a peer's own tests (or a behaviour its README
// or code states), mapped to probe's command line: the same server
// behaviour, probe's closest flags, and the peer's verdict, which probe's
// must equal unless differs says otherwise, for the reason in note. With
// args nil, the case cannot be expressed in probe, and note says why.
// docs/grpc.md ("Porting from...") is this table in words.
type peerCase struct {
	peer     string   // grpc-health-probe, kubelet grpc, kubelet tcpSocket, blackbox tcp, blackbox grpc, wait4x tcp
	peerCase string   // the peer's test (file: name), or where it states the behaviour
	server   string   // what the server does
	args     []string // probe's command line; $NAME is the address of server NAME, $DIR the directory of ca.pem, client.pem...
	healthy  bool     // the peer's verdict
	differs  bool     // probe's verdict is the other one, on purpose (note)
	note     string
	says     string // when set, a regular expression that probe's output must match
}

var grpcTCPPeers = []peerCase{
	// grpc-health-probe: its README's flags and main.go's verdicts.
	{peer: "grpc-health-probe", peerCase: "README: -addr=localhost:5000", server: "health: SERVING", args: []string{"grpc://$GRPC"}, healthy: true},
	{peer: "grpc-health-probe", peerCase: "README: -service NAME", server: "health: NAME is SERVING", args: []string{"grpc://$GRPC/ready"}, healthy: true, note: "the service is the URL's path"},
	{peer: "grpc-health-probe", peerCase: "main.go: NOT_SERVING exits 4", server: "health: NOT_SERVING", args: []string{"grpc://$GRPC/down"},
		note: "exit 1: probe exits 0 or 1 only (Docker reserves 2)", says: `grpc: service "down" is NOT_SERVING`},
	{peer: "grpc-health-probe", peerCase: "main.go: UNKNOWN exits 4", server: "health: UNKNOWN", args: []string{"grpc://$GRPC/unknown-status"}, says: "is UNKNOWN"},
	{peer: "grpc-health-probe", peerCase: "main.go: SERVICE_UNKNOWN exits 4", server: "health: SERVICE_UNKNOWN", args: []string{"grpc://$GRPC/starting"}, says: "is SERVICE_UNKNOWN"},
	{peer: "grpc-health-probe", peerCase: "main.go: a service the server does not know, NOT_FOUND, exits 3", server: "health: NOT_FOUND", args: []string{"grpc://$GRPC/nope"}, says: "does not know service"},
	{peer: "grpc-health-probe", peerCase: "main.go: UNIMPLEMENTED exits 3", server: "no health service", args: []string{"grpc://$NOHEALTH"}, says: "has no health service"},
	{peer: "grpc-health-probe", peerCase: "main.go: connection failed exits 2", server: "nothing listens", args: []string{"grpc://$CLOSED"}, says: "connection refused"},
	{peer: "grpc-health-probe", peerCase: "README: -connect-timeout 250ms -rpc-timeout 100ms", server: "health: answers after 2s", args: []string{"--timeout", "300ms", "-H", "x-wait: 2s", "grpc://$GRPC"},
		note: "one deadline, --timeout, bounds the connection and the call (x-wait tells the test server to be slow)", says: "timeout after"},
	{peer: "grpc-health-probe", peerCase: "README: -rpc-header foo:bar", server: "health: wants authorization metadata", args: []string{"grpc://$GRPC/secure", "-H", "Authorization: Bearer s3cret-token"}, healthy: true,
		note: "-H sends metadata; a secret value is masked in output"},
	{peer: "grpc-health-probe", peerCase: "README: -rpc-header, the metadata missing (exit 3)", server: "health: wants authorization metadata", args: []string{"grpc://$GRPC/secure"}, says: "UNAUTHENTICATED"},
	{peer: "grpc-health-probe", peerCase: "main.go: -rpc-header NAME-bin: VALUE (grpc-go sends it base64)", server: "health: wants key1 twice, key2-bin \"test\", authorization",
		args: []string{"grpc://$GRPC/blackbox.metadata", "-H", "key1: value1", "-H", "key1: value2", "-H", "key2-bin: test", "-H", "Authorization: Bearer token"}, healthy: true,
		note: "a -bin value is the bytes typed, sent base64 as gRPC clients send it"},
	{peer: "grpc-health-probe", peerCase: "main.go: -rpc-header with a name grpc-go refuses (x!token) exits 3", server: "health: SERVING", args: []string{"grpc://$GRPC", "-H", "x!token: 1"},
		note: "refused before any check, as a usage error", says: "a gRPC metadata name has only"},
	{peer: "grpc-health-probe", peerCase: "README: -user-agent", server: "health: wants one user-agent, kube-probe's", args: []string{"grpc://$GRPC/user-agent", "-H", "User-Agent: kube-probe/1.34"}, healthy: true,
		note: "-H 'User-Agent: X' replaces probe's; grpc-health-probe sends \"X grpc-go/1.x\", probe X alone"},
	{peer: "grpc-health-probe", peerCase: "README: -tls -tls-ca-cert", server: "TLS, health: SERVING", args: []string{"grpcs://$GRPCS", "--ca", "$DIR/ca.pem"}, healthy: true},
	{peer: "grpc-health-probe", peerCase: "README: -tls, the CA unknown to the system", server: "TLS, a private CA", args: []string{"grpcs://$GRPCS"}, says: "unknown authority"},
	{peer: "grpc-health-probe", peerCase: "README: -tls -tls-no-verify", server: "TLS, a private CA", args: []string{"grpcs://$GRPCS", "--insecure"}, healthy: true},
	{peer: "grpc-health-probe", peerCase: "README: -tls-server-name", server: "TLS, a certificate for api.example.com", args: []string{"grpcs://$GRPCS", "--ca", "$DIR/ca.pem", "--server-name", "api.example.com"}, healthy: true,
		note: "--server-name is also :authority, as grpc-go takes it from the credentials"},
	{peer: "grpc-health-probe", peerCase: "README: -tls-server-name, a name the certificate lacks", server: "TLS, a certificate for api.example.com", args: []string{"grpcs://$GRPCS", "--ca", "$DIR/ca.pem", "--server-name", "other.example"}, says: `not valid for "other.example"`},
	{peer: "grpc-health-probe", peerCase: "README: -tls-client-cert -tls-client-key", server: "mTLS", args: []string{"grpcs://$GRPCMTLS", "--ca", "$DIR/ca.pem", "--cert", "$DIR/client.pem", "--key", "$DIR/client-key.pem"}, healthy: true},
	{peer: "grpc-health-probe", peerCase: "README: mTLS without -tls-client-cert", server: "mTLS", args: []string{"grpcs://$GRPCMTLS", "--ca", "$DIR/ca.pem"}, says: "certificate required"},
	{peer: "grpc-health-probe", peerCase: "main.go: -tls to a cleartext server", server: "cleartext, health: SERVING", args: []string{"grpcs://$GRPC", "--ca", "$DIR/ca.pem"}, says: "tls: "},
	{peer: "grpc-health-probe", peerCase: "main.go: no -tls to a TLS server", server: "TLS, health: SERVING", args: []string{"grpc://$GRPCS"}, says: "is it a TLS port"},
	{peer: "grpc-health-probe", peerCase: "main.go: -tls-no-verify with -tls-ca-cert is refused, exit 1", server: "TLS, a private CA", args: []string{"grpcs://$GRPCS", "--insecure", "--ca", "$DIR/ca.pem"}, differs: true,
		note: "probe takes both, as curl -k --cacert does: --insecure verifies nothing"},
	{peer: "grpc-health-probe", peerCase: "main.go: -tls-server-name with -tls-no-verify is refused, exit 1", server: "TLS, a certificate for api.example.com", args: []string{"grpcs://$GRPCS", "--insecure", "--server-name", "api.example.com"}, differs: true,
		note: "probe takes both: without verification the name is still sent as SNI and :authority, which servers with a certificate per name choose by"},
	{peer: "grpc-health-probe", peerCase: "README: -gzip", server: "health: SERVING", args: []string{"grpc://$GRPC"}, healthy: true,
		note: "no flag: probe asks for no compression, so a server sends none; the verdict is the same"},
	{peer: "grpc-health-probe", peerCase: "README: -addr unix:///PATH", server: "health: SERVING on a Unix socket", args: []string{"--unix-socket", "$GRPCSOCK", "grpc://localhost"}, healthy: true},
	{peer: "grpc-health-probe", peerCase: "README: -spiffe", healthy: true, note: "not expressible: probe has no SPIFFE Workload API client; give the SVID's files with --cert, --key and --ca"},
	{peer: "grpc-health-probe", peerCase: "main.go: -alts", healthy: true, note: "not expressible: ALTS is Google Cloud's own handshake"},

	// The kubelet's gRPC prober: pkg/probe/grpc/grpc_test.go, and grpc.go.
	{peer: "kubelet grpc", peerCase: "grpc_test.go: Should: failed but return nil error because cant find host", server: "nothing listens", args: []string{"grpc://$CLOSED"},
		note: "the kubelet dials \":32\"; a probe target names its host, so a closed loopback port"},
	{peer: "kubelet grpc", peerCase: "grpc_test.go: Should: return nil error because connection closed", server: "HTTP/1.1", args: []string{"grpc://$HTTP1"}, says: "does not speak HTTP/2"},
	{peer: "kubelet grpc", peerCase: "grpc_test.go: Should: return nil error because server response not served", server: "health: NOT_SERVING", args: []string{"grpc://$GRPC/down"},
		note: "the mock says NOT_SERVING to every service; the test server, to service down"},
	{peer: "kubelet grpc", peerCase: "grpc_test.go: Should: return nil-error because server not response in time", server: "health: answers after 2s", args: []string{"--timeout", "300ms", "-H", "x-wait: 2s", "grpc://$GRPC"}, says: "timeout after"},
	{peer: "kubelet grpc", peerCase: "grpc_test.go: Should: not return error because check was success", server: "health: SERVING", args: []string{"grpc://$GRPC"}, healthy: true},
	{peer: "kubelet grpc", peerCase: "grpc_test.go: Should: not return error because check was success, when listen port is 0", server: "health: SERVING", args: []string{"grpc://$GRPC"}, healthy: true},
	{peer: "kubelet grpc", peerCase: "grpc.go: credentials are currently not supported", server: "TLS, health: SERVING", args: []string{"grpc://$GRPCS"},
		note: "the kubelet cannot check a TLS server; probe can, with grpcs://"},
	{peer: "kubelet grpc", peerCase: "grpc.go: WithUserAgent(kube-probe/MAJOR.MINOR)", server: "health: wants one user-agent, kube-probe's", args: []string{"grpc://$GRPC/user-agent", "-H", "User-Agent: kube-probe/1.34"}, healthy: true},

	// The kubelet's tcpSocket prober: pkg/probe/tcp/tcp_test.go.
	{peer: "kubelet tcpSocket", peerCase: "tcp_test.go: TestTcpHealthChecker #0, a connection is made", server: "HTTP/1.1", args: []string{"tcp://$HTTP1"}, healthy: true},
	{peer: "kubelet tcpSocket", peerCase: "tcp_test.go: TestTcpHealthChecker #1, port -1", server: "none", args: []string{"tcp://127.0.0.1:-1"},
		note: "refused before any connection: the port is out of range"},

	// blackbox_exporter's tcp prober: prober/tcp_test.go.
	{peer: "blackbox tcp", peerCase: "tcp_test.go: TestTCPConnection", server: "accepts, closes", args: []string{"tcp://$CLOSE"}, healthy: true},
	{peer: "blackbox tcp", peerCase: "tcp_test.go: TestTCPConnectionFails", server: "none (\":0\")", args: []string{"tcp://127.0.0.1:0"}, note: "refused before any connection: port 0 is out of range"},
	{peer: "blackbox tcp", peerCase: "tcp_test.go: TestTCPConnectionWithTLS, an IP target, no IP in the certificate", server: "TLS, a certificate for other.example.com",
		args: []string{"tls://$TLSWRONG", "--ca", "$DIR/ca.pem"}, says: `not valid for "127.0.0.1"`},
	{peer: "blackbox tcp", peerCase: "tcp_test.go: TestTCPConnectionWithTLS, the name from the target", server: "TLS, a certificate for localhost", args: []string{"tls://localhost:$TLSGOOD_PORT", "--ca", "$DIR/ca.pem"}, healthy: true},
	{peer: "blackbox tcp", peerCase: "tcp_test.go: TestTCPConnectionWithTLS, server_name in tls_config", server: "TLS, a certificate for other.example.com",
		args: []string{"tls://$TLSWRONG", "--ca", "$DIR/ca.pem", "--server-name", "other.example.com"}, healthy: true},
	{peer: "blackbox tcp", peerCase: "tcp_test.go: TestTCPConnectionWithTLSAndVerifiedCertificateChain", server: "TLS, the leaf presented with a CA that expires first",
		args: []string{"tls://localhost:$CHAIN_PORT", "--ca", "$DIR/ca.pem"}, healthy: true},
	{peer: "blackbox tcp", peerCase: "tcp_test.go: TestTCPConnectionWithTLSAndVerifiedCertificateChain, probe_ssl_earliest_cert_expiry", server: "TLS, the leaf presented with a CA that expires first",
		args: []string{"tls://localhost:$CHAIN_PORT", "--ca", "$DIR/ca.pem", "--cert-expiry", "15d"},
		note: "blackbox reports the presented CA's expiry, not the leaf's, as a metric; probe judges the same certificate with --cert-expiry", says: `probe test intermediate`},
	{peer: "blackbox tcp", peerCase: "tcp_test.go: TestTCPConnectionQueryResponseStartTLS", healthy: true,
		note: "not expressible: probe sends once, then reads; it cannot answer a greeting, nor start TLS in the middle (STARTTLS)"},
	{peer: "blackbox tcp", peerCase: "tcp_test.go: TestTCPConnectionQueryResponseIRC, welcomed", server: "IRC: NOTICE, then 001 after NICK and USER",
		args: []string{"tcp://$IRC", "--send", `NICK prober\nUSER prober prober prober :prober\n`, "--expect", "^:[^ ]+ 001"}, healthy: true,
		note: "--expect matches one line at a time, as query_response does"},
	{peer: "blackbox tcp", peerCase: "tcp_test.go: TestTCPConnectionQueryResponseIRC, blacklisted", server: "IRC: NOTICE, then ERROR",
		args: []string{"tcp://$IRCBANNED", "--send", `NICK prober\nUSER prober prober prober :prober\n`, "--expect", "^:[^ ]+ 001"}, says: `got 2 lines: ":ircd.localhost NOTICE`},
	{peer: "blackbox tcp", peerCase: "tcp_test.go: TestTCPConnectionQueryResponseMatching (ssh_banner_extract)", server: "SSH-2.0-OpenSSH_6.9p1 Debian-2",
		args: []string{"tcp://$SSH", "--expect", `^SSH-2.0-([^ -]+)(?: (.*))?$`}, healthy: true,
		note: "its send: CONFIRM ${1} after the match, and the labels of the match, are not expressible: probe sends before it reads, and has no metrics"},
	{peer: "blackbox tcp", peerCase: "tcp_test.go: TestTCPConnectionQueryResponseByteMode", server: "not-a-line, then closes", args: []string{"tcp://$BYTES", "--expect", "^not-a-line$"}, healthy: true,
		note: "expect_bytes compares the first bytes read; probe matches a line, and the last ends with the connection"},
	{peer: "blackbox tcp", peerCase: "tcp_test.go: TestTCPConnectionQueryResponseByteModeFail", server: "something-else, then closes", args: []string{"tcp://$BYTESOTHER", "--expect", "^not-a-line$"}, says: `got "something-else"`},
	{peer: "blackbox tcp", peerCase: "tcp_test.go: TestTCPConnectionProtocol", server: "listens on ::1 only", args: []string{"tcp://localhost:$V6_PORT"}, healthy: true,
		note: "no preferred_ip_protocol: probe tries every address of the name, for localhost 127.0.0.1 and ::1, without DNS"},
	{peer: "blackbox tcp", peerCase: "tcp_test.go: TestPrometheusTimeoutTCP", server: "accepts, closes", args: []string{"tcp://$CLOSE", "--expect", "SSH-2.0-(OpenSSH_6.9p1) Debian-2"}, says: "connection closed before --expect"},
	{peer: "blackbox tcp", peerCase: "tcp_test.go: TestProbeExpectInfo", healthy: true, note: "not expressible: labels from the match's groups are metrics; probe has a verdict"},
	{peer: "blackbox tcp", peerCase: "query_response.go: send after expect, ${1} from the match", healthy: true,
		note: "not expressible: --send goes once, before any reading; a server that waits for its greeting to be read first still gets it"},

	// blackbox_exporter's grpc prober: prober/grpc_test.go.
	{peer: "blackbox grpc", peerCase: "grpc_test.go: TestGRPCConnection", server: "health: SERVING", args: []string{"grpc://$GRPC"}, healthy: true},
	{peer: "blackbox grpc", peerCase: "grpc_test.go: TestGRPCConnectionWithMetadata", server: "health: wants key1 twice, key2-bin \"test\", authorization",
		args: []string{"grpc://$GRPC/blackbox.metadata", "-H", "key1: value1", "-H", "key1: value2", "-H", "key2-bin: test", "-H", "Authorization: Bearer token"}, healthy: true,
		note: "the test server checks the metadata when asked about service blackbox.metadata"},
	{peer: "blackbox grpc", peerCase: "grpc_test.go: TestMultipleGRPCservices, service1", server: "health: SERVING", args: []string{"grpc://$GRPC/ready"}, healthy: true},
	{peer: "blackbox grpc", peerCase: "grpc_test.go: TestMultipleGRPCservices, service2", server: "health: NOT_SERVING", args: []string{"grpc://$GRPC/down"}},
	{peer: "blackbox grpc", peerCase: "grpc_test.go: TestMultipleGRPCservices, service3", server: "health: NOT_FOUND", args: []string{"grpc://$GRPC/service3"}},
	{peer: "blackbox grpc", peerCase: "grpc_test.go: TestGRPCTLSConnection", server: "TLS, health: SERVING", args: []string{"grpcs://$GRPCS", "--insecure"}, healthy: true},
	{peer: "blackbox grpc", peerCase: "grpc_test.go: TestNoTLSConnection", server: "cleartext, health: SERVING", args: []string{"grpcs://$GRPC", "--insecure"}},
	{peer: "blackbox grpc", peerCase: "grpc_test.go: TestGRPCServiceNotFound", server: "health: NOT_FOUND", args: []string{"grpc://$GRPC/NonExistingService"}, says: "NOT_FOUND"},
	{peer: "blackbox grpc", peerCase: "grpc_test.go: TestGRPCHealthCheckUnimplemented", server: "no health service", args: []string{"grpc://$NOHEALTH/NonExistingService"}, says: "UNIMPLEMENTED"},
	{peer: "blackbox grpc", peerCase: "grpc_test.go: TestGRPCAbsentFailedTLS", server: "none (\"localhost:0\")", args: []string{"grpc://localhost:0"}, note: "refused before any connection: port 0 is out of range"},

	// wait4x's tcp checker: checker/tcp/tcp_test.go.
	{peer: "wait4x tcp", peerCase: "tcp_test.go: TestCheckSuccessful", server: "accepts, closes", args: []string{"tcp://$CLOSE"}, healthy: true},
	{peer: "wait4x tcp", peerCase: "tcp_test.go: TestCheckConnectionRefused", server: "nothing listens", args: []string{"tcp://$CLOSED"}, says: "connection refused"},
	{peer: "wait4x tcp", peerCase: "tcp_test.go: TestCheckInvalidAddress", server: "none", args: []string{"tcp://invalid-address"}, says: "needs a port"},
	{peer: "wait4x tcp", peerCase: "tcp_test.go: TestCheckTimeout", server: "a SYN that is never answered", args: []string{"--timeout", "300ms", "tcp://$BLACKHOLE"},
		note: "wait4x dials 240.0.0.1; this suite sends nothing off loopback: a port whose accept queue is full drops the SYN alike", says: "timeout after .* connect"},
	{peer: "wait4x tcp", peerCase: "tcp_test.go: TestCheckContextCancellation", note: "not expressible: probe's only cancellation is its deadline, --timeout (TestCheckTimeout)"},
	{peer: "wait4x tcp", peerCase: "tcp_test.go: TestCheckNameResolution", note: "not run here: a name that does not exist is asked of the system's DNS server, off loopback; probe fails, naming the DNS error"},
	{peer: "wait4x tcp", peerCase: "tcp_test.go: TestCheckIPv6Address", server: "listens on ::1 only", args: []string{"tcp://[::1]:$V6_PORT"}, healthy: true},
	{peer: "wait4x tcp", peerCase: "tcp_test.go: TestTableDriven, Valid Address", server: "accepts, closes", args: []string{"tcp://$CLOSE"}, healthy: true},
	{peer: "wait4x tcp", peerCase: "tcp_test.go: TestTableDriven, Connection Refused", server: "nothing listens", args: []string{"tcp://$CLOSED"}},
	{peer: "wait4x tcp", peerCase: "tcp_test.go: TestTableDriven, Very Short Timeout", server: "a SYN that is never answered", args: []string{"--timeout", "1ms", "tcp://$BLACKHOLE"}},
	{peer: "wait4x tcp", peerCase: "tcp_test.go: TestTableDriven, Invalid Address Format", server: "none", args: []string{"tcp://not-a-valid-address"}},
	{peer: "wait4x tcp", peerCase: "tcp_test.go: TestNew, TestWithTimeout, TestIdentity", note: "not a verdict: wait4x's constructor and options"},
}

// TestGRPCTCPPeers runs grpcTCPPeers: probe's command line, in process,
// against loopback servers that behave as the peers' tests' do.
func TestGRPCTCPPeers(t *testing.T) {
	t.Parallel()
	dir := shortTemp(t)
	if err := testserver.Certs().WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "grpc.sock")
	serveAt(t, "grpc", "unix", sock)
	addrs := map[string]string{
		"DIR":        dir,
		"GRPCSOCK":   sock,
		"GRPC":       serve(t, "grpc", "tcp4", "127.0.0.1:0"),
		"GRPCS":      serve(t, "grpcs", "tcp4", "127.0.0.1:0"),
		"GRPCMTLS":   serve(t, "grpcs-mtls", "tcp4", "127.0.0.1:0"),
		"NOHEALTH":   serve(t, "grpc-nohealth", "tcp4", "127.0.0.1:0"),
		"HTTP1":      serve(t, "http", "tcp4", "127.0.0.1:0"),
		"TLSGOOD":    serve(t, "https", "tcp4", "127.0.0.1:0"),
		"TLSWRONG":   serve(t, "https-wronghost", "tcp4", "127.0.0.1:0"),
		"CHAIN":      serve(t, "https-chain", "tcp4", "127.0.0.1:0"),
		"V6":         serve(t, "redis", "tcp6", "[::1]:0"),
		"CLOSED":     closedPort(t),
		"BLACKHOLE":  blackHole(t),
		"CLOSE":      addr(talker(t, func(net.Conn, *bufio.Reader) {})),
		"BYTES":      addr(talker(t, func(c net.Conn, _ *bufio.Reader) { io.WriteString(c, "not-a-line") })),
		"BYTESOTHER": addr(talker(t, func(c net.Conn, _ *bufio.Reader) { io.WriteString(c, "something-else") })),
		"SSH": addr(talker(t, func(c net.Conn, r *bufio.Reader) {
			io.WriteString(c, "SSH-2.0-OpenSSH_6.9p1 Debian-2\n")
			r.ReadString('\n')
		})),
		"IRC":       addr(talker(t, ircServer(":ircd.localhost 001 %s :Welcome to IRC!\n"))),
		"IRCBANNED": addr(talker(t, ircServer("ERROR: Your IP address has been blacklisted.%.0s\n"))),
	}
	vars := map[string]string{}
	for name, a := range addrs {
		vars["$"+name] = a
		if _, port, err := net.SplitHostPort(a); err == nil {
			vars["$"+name+"_PORT"] = port
		}
	}
	// The longest first, as $GRPC is the start of $GRPCS and $GRPC_PORT.
	keys := slices.SortedFunc(maps.Keys(vars), func(a, b string) int { return len(b) - len(a) })
	var pairs []string
	for _, k := range keys {
		pairs = append(pairs, k, vars[k])
	}
	expand := strings.NewReplacer(pairs...)
	for _, pc := range grpcTCPPeers {
		t.Run(pc.peer+"/"+pc.peerCase, func(t *testing.T) {
			if pc.args == nil {
				if pc.note == "" {
					t.Fatal("a case probe cannot express says why in its note")
				}
				t.Logf("not run: %s", pc.note)
				return
			}
			if pc.differs && pc.note == "" {
				t.Fatal("a case where probe differs says why in its note")
			}
			t.Parallel()
			args := []string{"--no-marker"}
			for _, a := range pc.args {
				args = append(args, expand.Replace(a))
			}
			var stdout, stderr bytes.Buffer
			code := cli.Main(args, &stdout, &stderr, cli.Stamp{})
			out := stdout.String() + stderr.String()
			t.Logf("probe %s: exit %d: %s", strings.Join(args, " "), code, strings.TrimSpace(out))
			if want := pc.healthy != pc.differs; (code == 0) != want {
				t.Errorf("probe exit %d, want healthy %v (the peer's verdict: healthy %v)", code, want, pc.healthy)
			}
			if strings.Count(out, "\n") != 1 {
				t.Errorf("probe printed %q: want one line", out)
			}
			if pc.says != "" && !regexp.MustCompile(pc.says).MatchString(out) {
				t.Errorf("probe's line does not match %q", pc.says)
			}
		})
	}
}

// serveAt is serve for a server whose address the test chose, such as a
// Unix socket's path.
func serveAt(t *testing.T, kind, network, address string) {
	t.Helper()
	s, err := testserver.Start(kind, network, address)
	if err != nil {
		t.Fatalf("start %s server: %v", kind, err)
	}
	t.Cleanup(s.Close)
}

func addr(host, port string) string { return net.JoinHostPort(host, port) }

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().String()
	ln.Close()
	return a
}

// blackHole is a loopback port that never answers a SYN: it listens with
// a backlog of 0 and never accepts, and one connection fills its queue, so
// the kernel drops every SYN that follows, as a black-hole route does.
func blackHole(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	a := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	filler, err := net.Dial("tcp4", a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { filler.Close() })
	return a
}

// ircServer greets as blackbox_exporter's IRC test server does, reads NICK
// and USER, and answers last (a format that takes the nick).
func ircServer(last string) func(net.Conn, *bufio.Reader) {
	return func(c net.Conn, r *bufio.Reader) {
		io.WriteString(c, ":ircd.localhost NOTICE AUTH :*** Looking up your hostname...\n")
		nick, _ := r.ReadString('\n')
		r.ReadString('\n')
		fmt.Fprintf(c, last, strings.TrimSpace(strings.TrimPrefix(nick, "NICK ")))
	}
}
