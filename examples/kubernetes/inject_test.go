package kubernetes

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// loadPod decodes a manifest of one Pod strictly: an unknown or misspelt
// field fails.
func loadPod(t *testing.T, file string) *corev1.Pod {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var pod corev1.Pod
	if err := yaml.UnmarshalStrict(data, &pod); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if pod.APIVersion != "v1" || pod.Kind != "Pod" {
		t.Fatalf("%s: %s %s, want v1 Pod", file, pod.APIVersion, pod.Kind)
	}
	return &pod
}

// TestInjectRecipes: the recipes for an image without probe (inject.yaml:
// an initContainer copies probe into an emptyDir; image-volume.yaml:
// probe's image mounted as a volume) give the app's container probe at
// /probe-bin/probe, read-only, and its exec probes call it. The real
// binary runs the initContainer's command line into a directory, and each
// probe's command line from that copy against a server that is healthy,
// then failing.
func TestInjectRecipes(t *testing.T) {
	probe := buildProbe(t)
	for _, tc := range []struct {
		file     string
		copyInit bool // an initContainer runs probe install
	}{
		{"inject.yaml", true},
		{"image-volume.yaml", false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			pod := loadPod(t, tc.file)
			spec := pod.Spec
			if len(spec.Containers) != 1 {
				t.Fatalf("want one container, got %d", len(spec.Containers))
			}
			app := spec.Containers[0]
			i := slices.IndexFunc(app.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/probe-bin" })
			if i < 0 || !app.VolumeMounts[i].ReadOnly {
				t.Fatalf("the app's container should mount a volume read-only at /probe-bin: %+v", app.VolumeMounts)
			}
			name := app.VolumeMounts[i].Name
			v := spec.Volumes[slices.IndexFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == name })]
			dir := t.TempDir()
			if tc.copyInit {
				if v.EmptyDir == nil || len(spec.InitContainers) != 1 {
					t.Fatalf("want an emptyDir %q filled by one initContainer: volume %+v, %d initContainers", name, v.VolumeSource, len(spec.InitContainers))
				}
				init := spec.InitContainers[0]
				if len(init.Command) != 0 || len(init.VolumeMounts) != 1 || init.VolumeMounts[0].Name != name || init.VolumeMounts[0].ReadOnly ||
					!slices.Equal(init.Args, []string{"install", init.VolumeMounts[0].MountPath}) {
					t.Fatalf("the initContainer should run probe's image as it is with args [install DIR], DIR its writable mount of %q: command %q, args %q, mounts %+v",
						name, init.Command, init.Args, init.VolumeMounts)
				}
				if out, err := exec.Command(probe, "install", dir).CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "installed ") {
					t.Fatalf("probe install %s: %v, %s", dir, err, out)
				}
				if fi, err := os.Stat(filepath.Join(dir, "probe")); err != nil || fi.Mode().Perm() != 0o755 {
					t.Fatalf("after probe install: %v %v; want probe, mode 0755", fi, err)
				}
			} else {
				if v.Image == nil || v.Image.Reference == "" || len(spec.InitContainers) != 0 {
					t.Fatalf("want an image volume %q and no initContainer: volume %+v, %d initContainers", name, v.VolumeSource, len(spec.InitContainers))
				}
				// The image's /probe, as the volume shows it.
				data, err := os.ReadFile(probe)
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(dir, "probe"), data, 0o755)
			}

			healthy := true
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !healthy || r.URL.Path != "/healthz" {
					w.WriteHeader(http.StatusServiceUnavailable)
				}
			}))
			defer srv.Close()
			for what, p := range map[string]*corev1.Probe{"readiness": app.ReadinessProbe, "liveness": app.LivenessProbe} {
				if p == nil || p.Exec == nil || len(p.Exec.Command) < 2 || p.Exec.Command[0] != "/probe-bin/probe" {
					t.Errorf("%s probe: want an exec probe running /probe-bin/probe, got %+v", what, p)
					continue
				}
				cmd := slices.Clone(p.Exec.Command[1:])
				for j, a := range cmd {
					cmd[j] = strings.Replace(a, "http://127.0.0.1:8080", srv.URL, 1)
				}
				for _, up := range []bool{true, false} {
					healthy = up
					out, err := exec.Command(filepath.Join(dir, "probe"), cmd...).CombinedOutput()
					if (err == nil) != up || !strings.HasPrefix(string(out), map[bool]string{true: "healthy ", false: "unhealthy "}[up]) {
						t.Errorf("%s probe %q, the app healthy %v: %v, %s", what, cmd, up, err, out)
					}
				}
			}
			if p := app.LivenessProbe; p != nil && app.ReadinessProbe != nil && p.PeriodSeconds*p.FailureThreshold <= app.ReadinessProbe.PeriodSeconds*app.ReadinessProbe.FailureThreshold {
				t.Error("liveness should take longer to fail than readiness: a pod leaves the Service before it is restarted")
			}
		})
	}
}
