package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/probe-sh/probe/internal/patched"
)

// buildProbe builds probe as make build does, into dir.
func buildProbe(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "probe")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -X main.version=v9.9.9-test", "-o", bin, "github.com/probe-sh/probe")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestNoticesAreCurrent fails when THIRD_PARTY_NOTICES no longer matches what
// a fresh build compiles in: a module added, removed or bumped.
func TestNoticesAreCurrent(t *testing.T) {
	bin := buildProbe(t, t.TempDir())
	mods, _, err := load(bin)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := writeNotices(&got, mods); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../THIRD_PARTY_NOTICES")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("THIRD_PARTY_NOTICES is stale: run make notices, and read what changed\nfresh:\n%s", head(got.String(), 20))
	}
	for _, want := range []string{"github.com/alecthomas/kong v", "github.com/valyala/fasthttp v", "github.com/prometheus/procfs v", "procfs provides functions", "SoundCloud"} {
		if !strings.Contains(got.String(), want) {
			t.Errorf("the notices lack %q", want)
		}
	}
}

func head(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// TestSBOM: every module the build information lists is in the SBOM with its
// version, hash and licence; the patched copies carry their patches; the
// same binary gives the same document; and the document is valid CycloneDX
// 1.6, by the JSON schema cyclonedx-go ships.
func TestSBOM(t *testing.T) {
	bin := buildProbe(t, t.TempDir())
	mods, info, err := load(bin)
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := writeSBOM(&a, bin, "v9.9.9-test", info, mods); err != nil {
		t.Fatal(err)
	}
	if err := writeSBOM(&b, bin, "v9.9.9-test", info, mods); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two SBOMs of one binary differ")
	}
	validateCycloneDX(t, a.Bytes())
	var doc cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(a.Bytes()), cdx.BOMFileFormatJSON).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.BOMFormat != "CycloneDX" || doc.SpecVersion != cdx.SpecVersion1_6 || !strings.HasPrefix(doc.SerialNumber, "urn:uuid:") {
		t.Errorf("header: %+v", doc)
	}
	if main := doc.Metadata.Component; main.Version != "v9.9.9-test" || main.PackageURL != "pkg:golang/github.com/probe-sh/probe@v9.9.9-test?type=module" || len(*main.Hashes) != 1 {
		t.Errorf("the binary's own component: %+v", main)
	}
	byName := map[string]cdx.Component{}
	for _, c := range *doc.Components {
		byName[c.Name] = c
	}
	for _, d := range info.Deps {
		c, ok := byName[d.Path]
		if !ok {
			t.Errorf("%s is in the build information but not in the SBOM", d.Path)
			continue
		}
		if _, isCopy := patched.Of(d.Path); isCopy {
			// The code is the copy's: upstream's hash would not describe it,
			// the patches in the pedigree do.
			if c.Version != d.Version || c.Hashes != nil || len(*c.Licenses) != 1 || c.Pedigree == nil || len(*c.Pedigree.Patches) == 0 {
				t.Errorf("the patched copy %s: %+v", d.Path, c)
			}
			continue
		}
		if c.Version != d.Version || len(*c.Hashes) != 1 || len((*c.Hashes)[0].Value) != 64 || len(*c.Licenses) != 1 || c.Pedigree != nil {
			t.Errorf("%s: %+v", d.Path, c)
		}
	}
	for name, spdx := range map[string]string{"github.com/alecthomas/kong": "MIT", "github.com/valyala/fasthttp": "MIT", "github.com/prometheus/procfs": "Apache-2.0"} {
		if c, ok := byName[name]; !ok || (*c.Licenses)[0].Expression != spdx {
			t.Errorf("the patched copy %s: %+v", name, c)
		}
	}
	if deps := *doc.Dependencies; len(deps) != 1 || len(*deps[0].Dependencies) != len(*doc.Components) {
		t.Errorf("dependencies: %+v", deps)
	}
}

// validateCycloneDX checks doc against the CycloneDX 1.6 JSON schema, with
// the two schemas it refers to, as cyclonedx-go's module ships them (its
// own tests validate with them), and its formats asserted.
func validateCycloneDX(t *testing.T, doc []byte) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/CycloneDX/cyclonedx-go").Output()
	if err != nil {
		t.Fatalf("go list -m github.com/CycloneDX/cyclonedx-go: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "schema")
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for url, name := range map[string]string{
		"http://cyclonedx.org/schema/bom-1.6.schema.json":  "bom-1.6.schema.json",
		"http://cyclonedx.org/schema/spdx.schema.json":     "spdx.schema.json",
		"http://cyclonedx.org/schema/jsf-0.82.schema.json": "jsf-0.82.schemax.json",
	} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		schema, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.AddResource(url, schema); err != nil {
			t.Fatal(err)
		}
	}
	schema, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(v); err != nil {
		t.Fatalf("the SBOM is not valid CycloneDX 1.6: %v", err)
	}
}

// TestBuildInfoNamesTheCopies: go version -m, as scanners read it, lists the
// upstream module of every patched copy at the version the copy comes from,
// with go.sum's hash and no replacement, beside the modules linked as they
// are.
func TestBuildInfoNamesTheCopies(t *testing.T) {
	bin := buildProbe(t, t.TempDir())
	out, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, out)
	}
	sums := map[string]string{}
	gosum, err := os.ReadFile("../../go.sum")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(gosum), "\n") {
		if f := strings.Fields(line); len(f) == 3 && !strings.HasSuffix(f[1], "/go.mod") {
			sums[f[0]+" "+f[1]] = f[2]
		}
	}
	for _, c := range patched.Copies {
		want := "\tdep\t" + c.Module + "\t" + c.Version + "\t" + sums[c.Module+" "+c.Version] + "\n"
		if sums[c.Module+" "+c.Version] == "" || !strings.Contains(string(out), want) {
			t.Errorf("go version -m lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "\n\t=>") {
		t.Errorf("go version -m shows a replacement: scanners would read its version, not upstream's:\n%s", out)
	}
}

func TestClassify(t *testing.T) {
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	apache, mit := read("../../LICENSE"), read("../patched/kong/COPYING")
	bsd3 := read(filepath.Join(strings.TrimSpace(string(goroot)), "LICENSE"))
	bsd2, _, _ := strings.Cut(bsd3, "   * Neither the name")
	bsd2 += "\n" + bsd3[strings.Index(bsd3, "THIS SOFTWARE"):]
	for _, c := range []struct {
		name  string
		files []file
		want  string
	}{
		{"Apache with a NOTICE", []file{{"LICENSE", apache}, {"NOTICE", "x"}}, "Apache-2.0"},
		{"three in one file", []file{{"LICENSE", bsd3 + "\n" + apache + "\n" + mit}}, "BSD-3-Clause AND Apache-2.0 AND MIT"},
		{"MIT with PATENTS", []file{{"LICENSE", mit}, {"PATENTS", "Additional IP Rights Grant"}}, "MIT"},
		{"a licence not shipped", []file{{"LICENSE", "DO WHAT THE FUCK YOU WANT TO PUBLIC LICENSE\nVersion 2, December 2004\n\nCopyright (C) 2004 Sam Hocevar <sam@hocevar.net>\n\nEveryone is permitted to copy and distribute verbatim or modified\ncopies of this license document, and changing it is allowed as long\nas the name is changed.\n\nDO WHAT THE FUCK YOU WANT TO PUBLIC LICENSE\nTERMS AND CONDITIONS FOR COPYING, DISTRIBUTION AND MODIFICATION\n\n0. You just DO WHAT THE FUCK YOU WANT TO."}}, ""},
		{"BSD without its third clause", []file{{"LICENSE", bsd2}}, ""},
		{"MIT with a clause of its own", []file{{"LICENSE", mit + "\nThe Software shall not be used to check the health of containers on Tuesdays, nor by anyone who has read this far without a coffee."}}, ""},
		{"no licence", []file{{"LICENSE", "Licensed as the authors see fit."}}, ""},
	} {
		got, err := classify(c.files)
		if got != c.want || (c.want == "") != (err != nil) {
			t.Errorf("%s: classify = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}
