//go:build e2e

package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKubernetesRollingUpdate is the rolling restart of rolling_test.go on
// Kubernetes itself: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, a kubelet on containerd and runc, kube-proxy in iptables
// mode and the bridge CNI, all built from the Go module proxy and run in a
// network namespace of the test's own. examples/kubernetes/deployment.yaml
// is applied unchanged (three replicas of the demo app under probe exec,
// a Service, a PodDisruptionBudget); wrk sends keep-alive load through the
// Service's cluster IP; the Deployment is restarted as kubectl rollout
// restart does (the restartedAt annotation). No request may fail. Then the
// same with SIGTERM straight to the app (probe exec taken out of the
// command), where some must: that shows the test can fail.
func TestKubernetesRollingUpdate(t *testing.T) {
	if os.Getenv("PROBE_CLUSTER_NETNS") == "1" {
		runCluster(t, os.Getenv("PROBE_CLUSTER_DIR"))
		return
	}
	dir := kubeSetup(t, "the Kubernetes rolling update test", "probe-cluster-", [2]string{"iptables", "iptables"}, [2]string{"wrk", "wrk"})
	start := time.Now()
	buildKube(t, dir, "k8s.io/kubernetes/cmd/kubelet", "k8s.io/kubernetes/cmd/kube-apiserver", "k8s.io/kubernetes/cmd/kube-controller-manager",
		"k8s.io/kubernetes/cmd/kube-scheduler", "k8s.io/kubernetes/cmd/kube-proxy", "go.etcd.io/etcd/server/v3")
	cni := filepath.Join(dir, "cni-bin")
	os.MkdirAll(cni, 0o755)
	buildKube(t, cni, "github.com/containernetworking/plugins/plugins/main/bridge", "github.com/containernetworking/plugins/plugins/main/loopback",
		"github.com/containernetworking/plugins/plugins/ipam/host-local")
	t.Logf("built Kubernetes %s (kubelet, kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy), etcd and the CNI plugins in %s",
		kubeletVersion, time.Since(start).Round(time.Second))
	probeBin := build(t, dir, "probe", ".")
	app := build(t, dir, "app", "./examples/app")
	grpcServer := buildStripped(t, dir, "grpcserver", "grpcserver", ".")
	pause := buildPause(t, dir)
	read := func(p string) []byte { return readFile(t, p) }
	ociImage(t, filepath.Join(dir, "pause.tar"), "probe.test/pause:1", []string{"/pause"}, ociFile{"pause", 0o755, read(pause)})
	// The example's image, as examples/scratch/Dockerfile builds it: the
	// manifest names probe-example:latest.
	ociImage(t, filepath.Join(dir, "example.tar"), "docker.io/library/probe-example:latest", []string{"/probe"},
		ociFile{"probe", 0o755, read(probeBin)}, ociFile{"app", 0o755, read(app)})
	// TestKubelet's image, for its probe cases as pods of the cluster.
	ociImage(t, filepath.Join(dir, "app.tar"), "probe.test/app:1", []string{"/probe"},
		ociFile{"probe", 0o755, read(probeBin)}, ociFile{"app", 0o755, read(app)}, ociFile{"grpcserver", 0o755, read(grpcServer)})

	inNamespaces(t, "TestKubernetesRollingUpdate", "PROBE_CLUSTER_NETNS=1", "PROBE_CLUSTER_DIR="+dir)
}

// cluster is a client of the test's API server.
type cluster struct {
	url, token string
	client     *http.Client
}

func (c *cluster) do(method, path, ctype string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, c.url+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// must sends a request that must succeed, and decodes its JSON reply into
// v (when not nil).
func (c *cluster) must(t *testing.T, method, path, ctype string, body []byte, v any) {
	t.Helper()
	code, b, err := c.do(method, path, ctype, body)
	if err != nil || code/100 != 2 {
		t.Fatalf("%s %s: %d %v\n%s", method, path, code, err, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

const (
	deployPath = "/apis/apps/v1/namespaces/default/deployments/probe-example"
	podsPath   = "/api/v1/namespaces/default/pods?labelSelector=app.kubernetes.io%2Fname%3Dprobe-example"
)

type deployment struct {
	Metadata struct{ Generation int } `json:"metadata"`
	Status   struct {
		ObservedGeneration, Replicas, UpdatedReplicas, ReadyReplicas, AvailableReplicas int
	} `json:"status"`
}

type podList struct {
	Items podItems `json:"items"`
}

type podItems []struct {
	Metadata struct {
		Name              string  `json:"name"`
		DeletionTimestamp *string `json:"deletionTimestamp"`
	} `json:"metadata"`
}

// runCluster is the test inside its namespaces.
func runCluster(t *testing.T, dir string) {
	nodeNetwork(t)
	log := newTimedLog()
	t.Cleanup(func() {
		if t.Failed() {
			for _, who := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "containerd", "etcd"} {
				t.Logf("%s log:\n%s", who, tail(log.of(who), 40))
			}
		}
	})
	// The pod network: a bridge on the node, pods in 10.244.0.0/24.
	os.MkdirAll(filepath.Join(dir, "cni-conf"), 0o755)
	os.WriteFile(filepath.Join(dir, "cni-conf", "10-pods.conflist"), []byte(fmt.Sprintf(`{"cniVersion": "1.0.0", "name": "pods", "plugins": [
  {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}], "dataDir": %q}}]}
`, filepath.Join(dir, "cni-ipam"))), 0o644)
	_, sock := startContainerd(t, dir, log, "pause.tar", "example.tar", "app.tar")

	// Credentials: a static token for everything (system:masters), and
	// the service account signing key the API server asks for.
	tok := make([]byte, 16)
	rand.Read(tok)
	token := hex.EncodeToString(tok)
	os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(token+",admin,admin,system:masters\n"), 0o600)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	os.WriteFile(filepath.Join(dir, "sa.key"), pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
	os.WriteFile(filepath.Join(dir, "sa.pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644)
	kubeconfig := filepath.Join(dir, "kubeconfig")
	os.WriteFile(kubeconfig, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: probe, cluster: {server: "https://%s:6443", insecure-skip-tls-verify: true}}]
users: [{name: admin, user: {token: %s}}]
contexts: [{name: probe, context: {cluster: probe, user: admin}}]
current-context: probe
`, node, token)), 0o600)

	bin := func(name string) string { return filepath.Join(dir, name) }
	start(t, log, "etcd", nil, bin("server"), "--data-dir", filepath.Join(dir, "etcd"), "--listen-client-urls", "http://127.0.0.1:2379",
		"--advertise-client-urls", "http://127.0.0.1:2379", "--listen-peer-urls", "http://127.0.0.1:2380", "--log-level", "warn")
	start(t, log, "kube-apiserver", nil, bin("kube-apiserver"), "--etcd-servers", "http://127.0.0.1:2379", "--advertise-address", node,
		"--bind-address", node, "--secure-port", "6443", "--cert-dir", filepath.Join(dir, "apiserver-certs"),
		"--token-auth-file", filepath.Join(dir, "tokens.csv"), "--authorization-mode", "AlwaysAllow",
		"--service-cluster-ip-range", "10.96.0.0/24", "--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", filepath.Join(dir, "sa.pub"), "--service-account-signing-key-file", filepath.Join(dir, "sa.key"),
		"--disable-admission-plugins", "ServiceAccount", "--allow-privileged", "--feature-gates", "ContainerRestartRules=true", "--v", "1")
	c := &cluster{url: "https://" + node + ":6443", token: token, client: &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}}
	for end := time.Now().Add(90 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		if code, _, err := c.do("GET", "/readyz", "", nil); err == nil && code == 200 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the API server is not ready after 90 s")
		}
	}
	t.Logf("the API server is ready (%s)", time.Since(log.start).Round(100*time.Millisecond))
	delegated := []string{"--kubeconfig", kubeconfig, "--authentication-kubeconfig", kubeconfig, "--authorization-kubeconfig", kubeconfig,
		"--leader-elect=false", "--bind-address", "127.0.0.1"}
	start(t, log, "kube-controller-manager", nil, append([]string{bin("kube-controller-manager"), "--controllers", "*,-serviceaccount-token",
		"--use-service-account-credentials=false"}, delegated...)...)
	start(t, log, "kube-scheduler", nil, append([]string{bin("kube-scheduler")}, delegated...)...)
	kconf := kubeletConfig(dir, sock, "clusterDNS: [10.96.0.10]\nclusterDomain: cluster.local\nfeatureGates: {ContainerRestartRules: true}\n")
	start(t, log, "kubelet", nil, bin("kubelet"), "--config", kconf, "--kubeconfig", kubeconfig, "--root-dir", filepath.Join(dir, "kubelet-root"),
		"--hostname-override", "probe-node", "--node-ip", node, "--v", "1")
	pconf := filepath.Join(dir, "kube-proxy.yaml")
	os.WriteFile(pconf, []byte(fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: %q}
mode: iptables
clusterCIDR: 10.244.0.0/16
hostnameOverride: probe-node
bindAddress: %s
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
conntrack: {maxPerCore: 0, min: 0}
iptables: {syncPeriod: 10s, minSyncPeriod: 0s}
`, kubeconfig, node)), 0o644)
	start(t, log, "kube-proxy", nil, bin("kube-proxy"), "--config", pconf, "--v", "1")

	// The node turns Ready once the runtime's network (the CNI
	// configuration) is.
	for end := time.Now().Add(120 * time.Second); ; time.Sleep(time.Second) {
		var node struct {
			Status struct {
				Conditions []struct{ Type, Status string }
			} `json:"status"`
		}
		if code, b, err := c.do("GET", "/api/v1/nodes/probe-node", "", nil); err == nil && code == 200 && json.Unmarshal(b, &node) == nil {
			ok := false
			for _, cond := range node.Status.Conditions {
				ok = ok || cond.Type == "Ready" && cond.Status == "True"
			}
			if ok {
				break
			}
		}
		if time.Now().After(end) {
			t.Fatalf("the node is not Ready after 120 s")
		}
	}
	t.Logf("the node is Ready (%s)", time.Since(log.start).Round(100*time.Millisecond))
	t.Cleanup(func() { stopCluster(t, c, dir) })

	// The example, unchanged.
	manifest, err := os.ReadFile("../examples/kubernetes/deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{"Deployment": "/apis/apps/v1/namespaces/default/deployments", "Service": "/api/v1/namespaces/default/services",
		"PodDisruptionBudget": "/apis/policy/v1/namespaces/default/poddisruptionbudgets"}
	for _, doc := range strings.Split(string(manifest), "\n---\n") {
		kind := regexp.MustCompile(`(?m)^kind: (\w+)`).FindStringSubmatch(doc)
		if kind == nil || paths[kind[1]] == "" {
			t.Fatalf("examples/kubernetes/deployment.yaml: a document of no kind this test knows:\n%s", doc)
		}
		c.must(t, "POST", paths[kind[1]], "application/yaml", []byte(doc), nil)
	}
	rolledOut(t, c, 180*time.Second)
	var svc struct {
		Spec struct{ ClusterIP string } `json:"spec"`
	}
	c.must(t, "GET", "/api/v1/namespaces/default/services/probe-example", "", nil, &svc)
	front := "http://" + svc.Spec.ClusterIP
	for end := time.Now().Add(30 * time.Second); !strings.HasPrefix(get(front+"/healthz"), "200 "); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the Service's cluster IP %s does not answer: %s", svc.Spec.ClusterIP, get(front+"/healthz"))
		}
	}
	t.Logf("the Deployment is available behind %s (%s)", front, time.Since(log.start).Round(100*time.Millisecond))

	withProbe := rollingUpdate(t, c, log, dir, front, "probe exec (the example)")
	// SIGTERM straight to the app: the same Deployment with probe exec
	// taken out of the command, readiness on the app's own /healthz.
	c.must(t, "PATCH", deployPath, "application/strategic-merge-patch+json", []byte(`{"spec":{"template":{"spec":{"containers":[
		{"name":"app","command":["/app","-listen",":8080"],"readinessProbe":{"httpGet":{"path":"/healthz","port":"http"}}}]}}}}`), nil)
	rolledOut(t, c, 180*time.Second)
	waitOldPodsGone(t, c, 90*time.Second, func() {})
	bare := rollingUpdate(t, c, log, dir, front, "SIGTERM to the app")

	showEvents(t, c, "probe-example")
	probeCaseEvents(t, c)
	restartRuleCases(t, c, dir)
	t.Logf("| mode | requests | failed | rollout | old pods gone |")
	t.Logf("|---|---|---|---|---|")
	for _, r := range []k8sResult{withProbe, bare} {
		t.Logf("| %s | %d | %d (%s) | %s | %s |", r.mode, r.requests, r.failed(), r.errors(), r.rollout.Round(100*time.Millisecond), r.gone.Round(100*time.Millisecond))
	}
	// The example app answers Connection: close while probe exec drains
	// (examples/app): its keep-alive clients move to the new pods, and
	// each drain ends on the traffic stopping, not on --drain-max.
	if withProbe.stopped != len(withProbe.old) || withProbe.maximum != 0 {
		t.Errorf("with probe exec, %d of %d drains ended on the traffic stopping, %d on the maximum: want every one on the traffic", withProbe.stopped, len(withProbe.old), withProbe.maximum)
	}
	if withProbe.failed() != 0 {
		t.Errorf("with probe exec and the example's drain settings, %d of %d requests failed: want none", withProbe.failed(), withProbe.requests)
	}
	if bare.failed() == 0 {
		t.Errorf("with SIGTERM straight to the app, no request failed: the test shows nothing")
	}
}

type k8sResult struct {
	result
	mode          string
	rollout, gone time.Duration
	old           podItems
	// How the old pods' drains ended: the traffic stopped, or the maximum.
	stopped, maximum int
}

func (r k8sResult) errors() string {
	return fmt.Sprintf("connect %d, read %d, write %d, timeout %d, non-2xx %d", r.connect, r.read, r.write, r.timeout, r.non2xx)
}

// rollingUpdate restarts the Deployment under wrk's load through the
// Service, as kubectl rollout restart does, and waits until the rollout is
// complete and every old pod has exited.
func rollingUpdate(t *testing.T, c *cluster, log *timedLog, dir, front, mode string) k8sResult {
	t.Helper()
	var before podList
	c.must(t, "GET", podsPath, "", nil, &before)
	name := "wrk " + mode
	load := start(t, log, name, nil, "wrk", "-t1", "-c16", "-d10m", "--timeout", "5s", front+"/work?ms=10")
	time.Sleep(3 * time.Second) // steady load first
	began := time.Now()
	c.must(t, "PATCH", deployPath, "application/strategic-merge-patch+json",
		[]byte(fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":%q}}}}}`, time.Now().Format(time.RFC3339Nano))), nil)
	time.Sleep(time.Second)
	rolledOut(t, c, 180*time.Second)
	res := k8sResult{mode: mode, rollout: time.Since(began), old: before.Items}
	// The kubelet deletes a pod's logs with the pod: read the old pods'
	// while they drain.
	logs := map[string]string{}
	waitOldPodsGone(t, c, 90*time.Second, func() {
		for _, p := range before.Items {
			files, _ := filepath.Glob(filepath.Join(dir, "pod-logs", "default_"+p.Metadata.Name+"_*", "app", "*.log"))
			for _, f := range files {
				if b, err := os.ReadFile(f); err == nil {
					logs[p.Metadata.Name] = string(b)
				}
			}
		}
	})
	res.gone = time.Since(began)
	time.Sleep(2 * time.Second) // steady load on the new pods
	load.signal(t, syscall.SIGINT)
	load.wait(t, 10*time.Second)
	parseWrkOf(t, log, name, &res.result)
	if res.requests < 1000 {
		t.Errorf("%s: wrk sent only %d requests: the load is too light to show anything", mode, res.requests)
	}
	// What each old pod's probe exec (or app) said after SIGTERM; the
	// CRI log format is "time stream tag text".
	for _, p := range before.Items {
		for _, line := range strings.Split(logs[p.Metadata.Name], "\n") {
			if f := strings.SplitN(line, " ", 4); len(f) == 4 && regexp.MustCompile(`(?i)drain|sigterm|shut|exit`).MatchString(f[3]) {
				t.Logf("%s: %s", p.Metadata.Name, f[3])
				switch {
				case strings.Contains(f[3], "the app's traffic stopped after"):
					res.stopped++
				case strings.Contains(f[3], "drain maximum of"):
					res.maximum++
				}
			}
		}
	}
	t.Logf("%s: %d requests in %.1fs (slowest %s), %d failed (%s); rollout complete after %s, old pods gone after %s",
		mode, res.requests, res.seconds, res.maxLatency, res.failed(), res.errors(), res.rollout.Round(100*time.Millisecond), res.gone.Round(100*time.Millisecond))
	return res
}

// rolledOut waits until the Deployment's rollout is complete, as kubectl
// rollout status does: every replica updated, ready and available, and no
// old one counted.
func rolledOut(t *testing.T, c *cluster, within time.Duration) {
	t.Helper()
	var d deployment
	for end := time.Now().Add(within); ; time.Sleep(250 * time.Millisecond) {
		c.must(t, "GET", deployPath, "", nil, &d)
		s := d.Status
		if s.ObservedGeneration >= d.Metadata.Generation && s.UpdatedReplicas == 3 && s.Replicas == 3 && s.AvailableReplicas == 3 && s.ReadyReplicas == 3 {
			return
		}
		if time.Now().After(end) {
			var pods podList
			c.must(t, "GET", podsPath, "", nil, &pods)
			t.Fatalf("the rollout is not complete after %s: %+v (pods %+v)", within, d, pods)
		}
	}
}

// waitOldPodsGone waits until the Deployment's only pods are its three,
// none of them terminating, calling each on every look.
func waitOldPodsGone(t *testing.T, c *cluster, within time.Duration, each func()) {
	t.Helper()
	for end := time.Now().Add(within); ; time.Sleep(250 * time.Millisecond) {
		each()
		var pods podList
		c.must(t, "GET", podsPath, "", nil, &pods)
		terminating := 0
		for _, p := range pods.Items {
			if p.Metadata.DeletionTimestamp != nil {
				terminating++
			}
		}
		if len(pods.Items) == 3 && terminating == 0 {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%d pods, %d terminating, %s after the rollout", len(pods.Items), terminating, within)
		}
	}
}

// stopCluster deletes the Deployment and waits for its pods to go, so that
// no container outlives the test; a safety net kills what is left.
func stopCluster(t *testing.T, c *cluster, dir string) {
	c.do("DELETE", deployPath, "application/json", []byte(`{"propagationPolicy":"Foreground","gracePeriodSeconds":1}`))
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		var pods podList
		if code, b, err := c.do("GET", podsPath, "", nil); err == nil && code == 200 && json.Unmarshal(b, &pods) == nil && len(pods.Items) == 0 {
			break
		}
	}
	// The sandboxes (pause) outlive their pods until the kubelet's
	// housekeeping: kill every shim of this test's containerd, and what
	// runs under it.
	for _, pid := range shims(dir) {
		for _, child := range childrenOf(pid) {
			syscall.Kill(child, syscall.SIGKILL)
		}
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// showEvents logs the events Kubernetes recorded about the objects whose
// names begin with prefix, the same reason and message counted once.
func showEvents(t *testing.T, c *cluster, prefix string) {
	t.Helper()
	var events struct {
		Items []struct {
			InvolvedObject        struct{ Kind, Name string } `json:"involvedObject"`
			Reason, Message, Type string
			Count                 int
		} `json:"items"`
	}
	c.must(t, "GET", "/api/v1/namespaces/default/events", "", nil, &events)
	counts := map[string]int{}
	var order []string
	names := regexp.MustCompile(`probe-example-[0-9a-z]+(-[0-9a-z]+)?|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	took := regexp.MustCompile(` in [0-9.]+(ms|µs|s):`)
	for _, e := range events.Items {
		if !strings.HasPrefix(e.InvolvedObject.Name, prefix) {
			continue
		}
		// probe's lines differ only by how long a check took: one key.
		msg := took.ReplaceAllString(names.ReplaceAllString(e.Message, "probe-example-…"), " in …:")
		key := fmt.Sprintf("%s %s %s %s: %s", e.Type, e.InvolvedObject.Kind, names.ReplaceAllString(e.InvolvedObject.Name, "probe-example-…"), e.Reason, msg)
		if counts[key] == 0 {
			order = append(order, key)
		}
		counts[key] += max(e.Count, 1)
	}
	for _, key := range order {
		t.Logf("event x%d: %s", counts[key], key)
	}
}

// probeCaseEvents runs TestKubelet's probe cases as pods of the cluster, so
// that the kubelet records events: exec probes (/probe in the container)
// and httpGet probes on probe exec --listen, whose app then fails until the
// liveness probe restarts it; the kubelet's grpc probe beside probe's
// grpc://, on a server that serves and on one that does not.
func probeCaseEvents(t *testing.T, c *cluster) {
	t.Helper()
	pods := map[string]string{"exec": execPod, "httpget": httpPod}
	for i, mode := range []string{"serving", "not-serving"} {
		pods["grpc-"+mode] = strings.NewReplacer("MODE", mode, "PORT", fmt.Sprint(50051+i), "SIDECAR", fmt.Sprint(19190+i)).Replace(grpcPod)
	}
	for _, pod := range pods {
		c.must(t, "POST", "/api/v1/namespaces/default/pods", "application/yaml", []byte(pod), nil)
	}
	get := func(name string) podStatus {
		var p podStatus
		c.must(t, "GET", "/api/v1/namespaces/default/pods/"+name, "", nil, &p)
		return p
	}
	wait := func(name, what string, ok func(podStatus) bool) {
		t.Helper()
		for end := time.Now().Add(60 * time.Second); !ok(get(name)); time.Sleep(250 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("pod %s: not %s after 60 s: %+v", name, what, get(name))
			}
		}
	}
	for _, name := range []string{"exec", "httpget", "grpc-serving"} {
		wait(name, "ready", ready)
	}
	for _, addr := range []string{"127.0.0.1:18080", "127.0.0.1:18081"} {
		post(t, "http://"+addr+"/admin/health?up=false")
	}
	for _, name := range []string{"exec", "httpget"} {
		wait(name, "restarted and ready", func(p podStatus) bool {
			return ready(p) && len(p.Status.Containers) > 0 && p.Status.Containers[0].RestartCount >= 1
		})
		p := get(name)
		t.Logf("| %s | the app failed | Ready %s, restarts %d |", name, p.condition("Ready"), p.Status.Containers[0].RestartCount)
	}
	if p := get("grpc-not-serving"); ready(p) {
		t.Errorf("grpc-not-serving is ready: %+v", p)
	} else {
		t.Logf("| grpc-not-serving | | Ready %s (containers %s) |", p.condition("Ready"), containers(p))
	}
	for _, name := range []string{"exec", "httpget", "grpc-"} {
		showEvents(t, c, name)
	}
	for name := range pods {
		c.do("DELETE", "/api/v1/namespaces/default/pods/"+name, "application/json", []byte(`{"gracePeriodSeconds":0}`))
	}
}
