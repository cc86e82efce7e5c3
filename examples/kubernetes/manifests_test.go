// Package kubernetes checks deployment.yaml against the Kubernetes API
// types, strictly (an unknown or misspelt field fails), and checks what
// the schema cannot: the selectors match, every probe runs probe with
// flags probe accepts, and the draining arithmetic holds. It is a module
// of its own, so that k8s.io/api stays out of probe's go.mod.
package kubernetes

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

type manifests struct {
	deployment *appsv1.Deployment
	service    *corev1.Service
	pdb        *policyv1.PodDisruptionBudget
}

func load(t *testing.T) manifests {
	t.Helper()
	data, err := os.ReadFile("deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m manifests
	for i, doc := range bytes.Split(data, []byte("\n---\n")) {
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatalf("document %d: %v", i+1, err)
		}
		var obj any
		switch meta.APIVersion + " " + meta.Kind {
		case "apps/v1 Deployment":
			m.deployment = &appsv1.Deployment{}
			obj = m.deployment
		case "v1 Service":
			m.service = &corev1.Service{}
			obj = m.service
		case "policy/v1 PodDisruptionBudget":
			m.pdb = &policyv1.PodDisruptionBudget{}
			obj = m.pdb
		default:
			t.Fatalf("document %d: unexpected %s %s", i+1, meta.APIVersion, meta.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			t.Fatalf("document %d (%s): %v", i+1, meta.Kind, err)
		}
	}
	if m.deployment == nil || m.service == nil || m.pdb == nil {
		t.Fatal("want a Deployment, a Service and a PodDisruptionBudget")
	}
	return m
}

func TestSchema(t *testing.T) {
	m := load(t)
	d := m.deployment
	pod := labels.Set(d.Spec.Template.Labels)
	for what, sel := range map[string]*metav1.LabelSelector{
		"the Deployment's selector": d.Spec.Selector,
		"the PDB's selector":        m.pdb.Spec.Selector,
		"the Service's selector":    {MatchLabels: m.service.Spec.Selector},
	} {
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil || s.Empty() || !s.Matches(pod) {
			t.Errorf("%s (%v) does not match the pod's labels %v: %v", what, sel, pod, err)
		}
	}
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(d.Spec.Template.Spec.Containers))
	}
	c := d.Spec.Template.Spec.Containers[0]
	for _, p := range m.service.Spec.Ports {
		if !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool { return cp.Name == p.TargetPort.StrVal }) {
			t.Errorf("the Service's targetPort %q names no container port", p.TargetPort.StrVal)
		}
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Error("the container should run with a read-only root filesystem and no capabilities, as the Docker tests do")
	}
}

// flag returns the value after name in a command line.
func flag(cmd []string, name string) string {
	if i := slices.Index(cmd, name); i >= 0 && i+1 < len(cmd) {
		return cmd[i+1]
	}
	return ""
}

// TestProbes: readiness asks the wrapper's /readyz (probe exec --listen),
// which reports draining; liveness and startup ask the app itself, so that
// a draining pod is never restarted. All are httpGet: no process started in
// the container each period. The real binary accepts the container's
// command line and serves on the port the probe names.
func TestProbes(t *testing.T) {
	c := load(t).deployment.Spec.Template.Spec.Containers[0]
	port := func(p *corev1.Probe) int32 {
		for _, cp := range c.Ports {
			if cp.Name == p.HTTPGet.Port.StrVal || cp.ContainerPort == p.HTTPGet.Port.IntVal {
				return cp.ContainerPort
			}
		}
		return 0
	}
	for name, want := range map[string]struct {
		p          *corev1.Probe
		path, port string
	}{
		"readiness": {c.ReadinessProbe, "/readyz", ":9090"},
		"liveness":  {c.LivenessProbe, "/healthz", ":8080"},
		"startup":   {c.StartupProbe, "/healthz", ":8080"},
	} {
		p := want.p
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s probe: want an httpGet probe, got %+v", name, p)
			continue
		}
		if p.HTTPGet.Path != want.path || ":"+strconv.Itoa(int(port(p))) != want.port {
			t.Errorf("%s probe: GET %s on %d, want %s on %s", name, p.HTTPGet.Path, port(p), want.path, want.port)
		}
	}
	if flag(c.Command, "--listen") != ":9090" {
		t.Errorf("the container's command %q: want probe exec --listen :9090, the port of the readiness probe", c.Command)
	}
	// The real binary runs the command line, with the app replaced by a
	// short sleep and the port by a free one.
	cmd := slices.Clone(c.Command[1:])
	cmd[slices.Index(cmd, "--listen")+1] = "127.0.0.1:0"
	cmd = append(cmd[:slices.Index(cmd, "--")+1], "sleep", "0.3")
	out, err := exec.Command(buildProbe(t), cmd...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "probe: serving /livez, /readyz") || !strings.Contains(string(out), "probe: sleep exited with code 0") {
		t.Errorf("probe %q: %v\n%s", cmd, err, out)
	}
}

// TestDrainArithmetic: the adaptive drain's minimum covers the readiness
// probe's failure and the endpoints' propagation, for a pod idle at
// SIGTERM; the grace period covers its maximum and the app's shutdown.
func TestDrainArithmetic(t *testing.T) {
	d := load(t).deployment
	c := d.Spec.Template.Spec.Containers[0]
	if len(c.Command) < 4 || c.Command[0] != "/probe" || c.Command[1] != "exec" {
		t.Fatalf("the container's command %q: want /probe exec", c.Command)
	}
	if flag(c.Command, "--drain-delay") != "" {
		t.Fatalf("the container's command %q: want the adaptive drain, not --drain-delay", c.Command)
	}
	least, err := time.ParseDuration(flag(c.Command, "--drain-min"))
	if err != nil {
		t.Fatalf("--drain-min: %v", err)
	}
	most, err := time.ParseDuration(flag(c.Command, "--drain-max"))
	if err != nil {
		t.Fatalf("--drain-max: %v", err)
	}
	const propagation = 5 * time.Second  // kube-proxy and an ingress controller, for an idle pod
	const appShutdown = 10 * time.Second // the demo app's -shutdown-timeout default
	r := c.ReadinessProbe
	if need := time.Duration(r.PeriodSeconds*r.FailureThreshold)*time.Second + propagation; least < need {
		t.Errorf("--drain-min %s < readiness %ds x %d + %s = %s", least, r.PeriodSeconds, r.FailureThreshold, propagation, need)
	}
	grace := time.Duration(*d.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second
	if grace < most+appShutdown {
		t.Errorf("terminationGracePeriodSeconds %s < --drain-max %s + app shutdown %s", grace, most, appShutdown)
	}
	if ru := d.Spec.Strategy.RollingUpdate; ru == nil || ru.MaxUnavailable == nil || ru.MaxUnavailable.IntValue() != 0 {
		t.Error("rollingUpdate.maxUnavailable should be 0: a new pod is ready before an old one drains")
	}
}

func buildProbe(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "probe")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build probe: %v\n%s", err, out)
	}
	return bin
}
