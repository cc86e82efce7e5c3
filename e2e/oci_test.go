//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"runtime"
	"testing"
)

// ociFile is a file of an image's one layer.
type ociFile struct {
	path string // without the leading slash
	mode int64
	data []byte
}

// ociImage writes an OCI image archive (the layout ctr images import reads)
// holding one uncompressed layer of files, named name, with entrypoint:
// images FROM scratch without a registry or a Docker daemon.
func ociImage(t *testing.T, path, name string, entrypoint []string, files ...ociFile) {
	t.Helper()
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	dirs := map[string]bool{}
	for _, f := range files {
		for i := 0; i < len(f.path); i++ {
			if f.path[i] == '/' && !dirs[f.path[:i]] {
				dirs[f.path[:i]] = true
				tw.WriteHeader(&tar.Header{Name: f.path[:i] + "/", Mode: 0o755, Typeflag: tar.TypeDir})
			}
		}
		tw.WriteHeader(&tar.Header{Name: f.path, Mode: f.mode, Size: int64(len(f.data)), Typeflag: tar.TypeReg})
		tw.Write(f.data)
	}
	tw.Close()

	blobs := map[string][]byte{}
	blob := func(b []byte) (string, int) {
		sum := sha256.Sum256(b)
		d := "sha256:" + hex.EncodeToString(sum[:])
		blobs[hex.EncodeToString(sum[:])] = b
		return d, len(b)
	}
	layerDigest, layerSize := blob(layer.Bytes())
	config, _ := json.Marshal(map[string]any{
		"architecture": runtime.GOARCH, "os": "linux",
		"config": map[string]any{"Entrypoint": entrypoint, "Env": []string{"PATH=/"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{layerDigest}},
	})
	configDigest, configSize := blob(config)
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": configDigest, "size": configSize},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layerDigest, "size": layerSize}},
	})
	manifestDigest, manifestSize := blob(manifest)
	index, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"manifests": []any{map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifestDigest, "size": manifestSize,
			"annotations": map[string]string{"io.containerd.image.name": name, "org.opencontainers.image.ref.name": name}}},
	})

	var out bytes.Buffer
	aw := tar.NewWriter(&out)
	add := func(name string, b []byte) {
		aw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		aw.Write(b)
	}
	add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
	add("index.json", index)
	for sum, b := range blobs {
		add("blobs/sha256/"+sum, b)
	}
	aw.Close()
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
