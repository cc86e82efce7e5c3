package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
// same binary gives the same document.
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
	var doc bom
	if err := json.Unmarshal(a.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.BOMFormat != "CycloneDX" || doc.SpecVersion != "1.5" || !strings.HasPrefix(doc.SerialNumber, "urn:uuid:") {
		t.Errorf("header: %+v", doc)
	}
	if doc.Metadata.Component.Version != "v9.9.9-test" || doc.Metadata.Component.PURL != "pkg:golang/github.com/probe-sh/probe@v9.9.9-test?type=module" {
		t.Errorf("the binary's own component: %+v", doc.Metadata.Component)
	}
	byName := map[string]component{}
	for _, c := range doc.Components {
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
			if c.Version != d.Version || len(c.Hashes) != 0 || len(c.Licenses) != 1 || c.Pedigree == nil || len(c.Pedigree.Patches) == 0 {
				t.Errorf("the patched copy %s: %+v", d.Path, c)
			}
			continue
		}
		if c.Version != d.Version || len(c.Hashes) != 1 || len(c.Hashes[0].Content) != 64 || len(c.Licenses) != 1 || c.Pedigree != nil {
			t.Errorf("%s: %+v", d.Path, c)
		}
	}
	for name, spdx := range map[string]string{"github.com/alecthomas/kong": "MIT", "github.com/valyala/fasthttp": "MIT", "github.com/prometheus/procfs": "Apache-2.0"} {
		if c, ok := byName[name]; !ok || c.Licenses[0].Expression != spdx {
			t.Errorf("the patched copy %s: %+v", name, c)
		}
	}
	if len(doc.Dependencies) != 1 || len(doc.Dependencies[0].DependsOn) != len(doc.Components) {
		t.Errorf("dependencies: %+v", doc.Dependencies)
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
	apache, err := os.ReadFile("../../LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	bsd3 := "Redistribution and use in source and binary forms, with or without modification... * Neither the name of Google Inc. nor..."
	mit := "The MIT License\n\nPermission is hereby granted, free of charge, to any person"
	for _, c := range []struct {
		files []file
		want  string
	}{
		{[]file{{"LICENSE", string(apache)}, {"NOTICE", "x"}}, "Apache-2.0"},
		{[]file{{"LICENSE", bsd3 + "\n" + string(apache) + "\n" + mit}}, "BSD-3-Clause AND Apache-2.0 AND MIT"},
		{[]file{{"LICENSE", mit}, {"PATENTS", "Additional IP Rights Grant"}}, "MIT"},
		{[]file{{"LICENSE", "Licensed under the WTFPL"}}, ""},
		{[]file{{"LICENSE", "Redistribution and use in source and binary forms, two clauses only"}}, ""},
	} {
		got, err := classify(c.files)
		if got != c.want || (c.want == "") != (err != nil) {
			t.Errorf("classify(%.40q) = %q, %v; want %q", c.files[0].Text, got, err, c.want)
		}
	}
}
