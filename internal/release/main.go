// Command release writes what ships beside a probe binary, from the binary's
// own build information, so that neither can drift from what is compiled in:
//
//	go run ./internal/release notices BINARY   the third-party notices (THIRD_PARTY_NOTICES)
//	go run ./internal/release sbom BINARY VERSION   a CycloneDX 1.5 SBOM, as JSON
//	go run ./internal/release man VERSION      probe(1), from the command line's model (cli.WriteMan)
//
// The modules are those the Go linker recorded in BINARY (go version -m). The
// patched copies of internal/patched are part of probe's own module, but each
// imports a package of its upstream module, so the build information names
// that module at the version the copy comes from; this tool marks it as the
// copy. Licence texts come from the module cache (go mod download) and from
// the copies; a licence that cannot be told apart stops the command, so a new
// dependency is read by a person before it ships.
//
// make release runs both for every binary; TestNoticesAreCurrent fails when
// the committed THIRD_PARTY_NOTICES no longer matches a fresh build.
package main

import (
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/probe-sh/probe/internal/cli"
	"github.com/probe-sh/probe/internal/patched"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "man" {
		if err := cli.WriteMan(os.Stdout, os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "release: "+err.Error())
			os.Exit(1)
		}
		return
	}
	if len(os.Args) < 3 || !(os.Args[1] == "notices" && len(os.Args) == 3 || os.Args[1] == "sbom" && len(os.Args) == 4) {
		fmt.Fprintln(os.Stderr, "usage: go run ./internal/release notices BINARY | sbom BINARY VERSION | man VERSION")
		os.Exit(2)
	}
	mods, info, err := load(os.Args[2])
	if err == nil {
		if os.Args[1] == "notices" {
			err = writeNotices(os.Stdout, mods)
		} else {
			err = writeSBOM(os.Stdout, os.Args[2], os.Args[3], info, mods)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "release: "+err.Error())
		os.Exit(1)
	}
}

// module is one piece of third-party code compiled into the binary.
type module struct {
	Path, Version string
	Sum           string // go.sum's h1: hash; empty for the copies and Go
	Copy          string // the directory under internal/patched, for a patched copy
	Licences      []file // LICENSE, COPYING, NOTICE, PATENTS
	SPDX          string // the licence expression
}

type file struct {
	Name, Text string
}

// repoRoot is the module root: the release tool runs from it.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("go list -m: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// load reads the binary's modules, the Go toolchain first, then the patched
// copies, then the rest in the order the linker recorded them.
func load(binary string) ([]module, *debug.BuildInfo, error) {
	info, err := buildinfo.ReadFile(binary)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the build information of %s: %w", binary, err)
	}
	raw, err := os.ReadFile(binary)
	if err != nil {
		return nil, nil, err
	}
	root, err := repoRoot()
	if err != nil {
		return nil, nil, err
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return nil, nil, fmt.Errorf("go env GOROOT: %w", err)
	}
	goMod := module{Path: "Go standard library and runtime", Version: "(the toolchain that built it)"}
	if goMod.Licences, err = licenceFiles(strings.TrimSpace(string(goroot))); err != nil {
		return nil, nil, err
	}
	mods := []module{goMod}
	var copies, rest []module
	for _, d := range info.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		m := module{Path: d.Path, Version: d.Version, Sum: d.Sum}
		// A copy's upstream module is in the build information because the
		// copy imports a package of it; the code that runs is the copy's.
		if c, ok := patched.Of(d.Path); ok && bytes.Contains(raw, []byte(info.Main.Path+"/internal/patched/"+c.Name+".")) {
			if d.Version != c.Version {
				return nil, nil, fmt.Errorf("%s: the binary links %s, its copy is of %s: run internal/patched/regen.sh", d.Path, d.Version, c.Version)
			}
			m.Copy, m.Sum = c.Name, "" // the hash is upstream's, not the copy's
			if m.Licences, err = licenceFiles(filepath.Join(root, "internal", "patched", c.Name)); err != nil {
				return nil, nil, err
			}
			copies = append(copies, m)
			continue
		}
		out, err := exec.Command("go", "mod", "download", "-json", d.Path+"@"+d.Version).Output()
		if err != nil {
			return nil, nil, fmt.Errorf("go mod download %s@%s: %w", d.Path, d.Version, err)
		}
		var dl struct{ Dir string }
		if err := json.Unmarshal(out, &dl); err != nil {
			return nil, nil, err
		}
		if m.Licences, err = licenceFiles(dl.Dir); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", d.Path, err)
		}
		rest = append(rest, m)
	}
	mods = append(append(mods, copies...), rest...)
	for i := range mods {
		if mods[i].SPDX, err = classify(mods[i].Licences); err != nil {
			return nil, nil, fmt.Errorf("%s %s: %w", mods[i].Path, mods[i].Version, err)
		}
	}
	return mods, info, nil
}

// licenceFiles reads the licence, notice and patent files at the top of dir.
func licenceFiles(dir string) ([]file, error) {
	var out []file
	for _, name := range []string{"LICENSE", "LICENSE.txt", "LICENSE.md", "COPYING", "NOTICE", "PATENTS"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, file{name, strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n ")})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no licence file in %s", dir)
	}
	return out, nil
}

// classify names the licences a module's files hold, as an SPDX expression.
// It knows the three licences probe's dependencies use; any other stops the
// release until a person has read it and taught this function its name.
func classify(files []file) (string, error) {
	var ids []string
	for _, f := range files {
		if f.Name == "NOTICE" || f.Name == "PATENTS" {
			continue
		}
		t := strings.Join(strings.Fields(f.Text), " ")
		type mark struct {
			id string
			at int
		}
		marks := []mark{
			{id: "BSD-3-Clause", at: strings.Index(t, "Redistribution and use in source and binary forms")},
			{id: "Apache-2.0", at: strings.Index(t, "Apache License Version 2.0")},
			{id: "MIT", at: strings.Index(t, "Permission is hereby granted, free of charge")},
		}
		if marks[0].at >= 0 && !strings.Contains(t, "Neither the name") {
			return "", errors.New("a BSD licence without its third clause: name it in classify")
		}
		// In the order the texts appear.
		for len(marks) > 0 {
			best := -1
			for i, m := range marks {
				if m.at >= 0 && (best < 0 || m.at < marks[best].at) {
					best = i
				}
			}
			if best < 0 {
				break
			}
			ids = append(ids, marks[best].id)
			marks = append(marks[:best], marks[best+1:]...)
		}
	}
	if len(ids) == 0 {
		return "", errors.New("its licence is none of BSD-3-Clause, Apache-2.0 and MIT: read it, then name it in classify")
	}
	return strings.Join(ids, " AND "), nil
}

const rule = "================================================================================"

func writeNotices(w io.Writer, mods []module) error {
	var b strings.Builder
	b.WriteString("probe: third-party notices\n\n")
	b.WriteString("probe is licensed under the Apache License, Version 2.0 (LICENSE). Its binary\n")
	b.WriteString("compiles in the code below, each under its own licence, whose text follows.\n")
	b.WriteString("Generated by `go run ./internal/release notices bin/probe` from the binary's\n")
	b.WriteString("build information; do not edit.\n\n")
	for _, m := range mods {
		fmt.Fprintf(&b, "  %s %s%s: %s\n", m.Path, m.Version, copyNote(m), m.SPDX)
	}
	for _, m := range mods {
		fmt.Fprintf(&b, "\n%s\n%s %s%s\n%s\n", rule, m.Path, m.Version, copyNote(m), m.SPDX)
		for _, f := range m.Licences {
			fmt.Fprintf(&b, "\n--- %s\n\n%s\n", f.Name, f.Text)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func copyNote(m module) string {
	if m.Copy == "" {
		return ""
	}
	return ", patched copy in internal/patched/" + m.Copy
}

// The CycloneDX 1.5 document: only the fields this tool fills.
type (
	bom struct {
		BOMFormat    string       `json:"bomFormat"`
		SpecVersion  string       `json:"specVersion"`
		SerialNumber string       `json:"serialNumber"`
		Version      int          `json:"version"`
		Metadata     metadata     `json:"metadata"`
		Components   []component  `json:"components"`
		Dependencies []dependency `json:"dependencies"`
	}
	metadata struct {
		Tools     tools     `json:"tools"`
		Component component `json:"component"`
	}
	tools struct {
		Components []component `json:"components"`
	}
	component struct {
		Type       string     `json:"type"`
		BOMRef     string     `json:"bom-ref,omitempty"`
		Name       string     `json:"name"`
		Version    string     `json:"version,omitempty"`
		PURL       string     `json:"purl,omitempty"`
		Hashes     []hash     `json:"hashes,omitempty"`
		Licenses   []license  `json:"licenses,omitempty"`
		Pedigree   *pedigree  `json:"pedigree,omitempty"`
		Properties []property `json:"properties,omitempty"`
	}
	hash struct {
		Alg     string `json:"alg"`
		Content string `json:"content"`
	}
	license struct {
		Expression string `json:"expression"`
	}
	pedigree struct {
		Patches []patch `json:"patches"`
		Notes   string  `json:"notes"`
	}
	patch struct {
		Type string `json:"type"`
		Diff diff   `json:"diff"`
	}
	diff struct {
		Text attachment `json:"text"`
		URL  string     `json:"url"`
	}
	attachment struct {
		ContentType string `json:"contentType"`
		Encoding    string `json:"encoding"`
		Content     string `json:"content"`
	}
	property struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	dependency struct {
		Ref       string   `json:"ref"`
		DependsOn []string `json:"dependsOn"`
	}
)

func purl(path, version string) string {
	return "pkg:golang/" + path + "@" + version + "?type=module"
}

// writeSBOM describes the binary: its own hash and build settings, and each
// module with its version, go.sum hash and licence. version is the one
// stamped in with -X: with -trimpath, the build information leaves out
// -ldflags, and so the version. A patched copy carries
// its patches as pedigree, so a scanner that matches the upstream version
// also learns that the code differs from it.
func writeSBOM(w io.Writer, binary, version string, info *debug.BuildInfo, mods []module) error {
	raw, err := os.ReadFile(binary)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	root, err := repoRoot()
	if err != nil {
		return err
	}
	main := component{Type: "application", BOMRef: purl(info.Main.Path, version), Name: info.Main.Path, Version: version,
		PURL: purl(info.Main.Path, version), Hashes: []hash{{"SHA-256", hex.EncodeToString(sum[:])}},
		Licenses: []license{{"Apache-2.0"}}}
	for _, key := range []string{"GOOS", "GOARCH", "GOARM", "GOAMD64", "CGO_ENABLED", "-trimpath"} {
		if v := setting(info, key); v != "" {
			main.Properties = append(main.Properties, property{"cdx:gomod:build:env:" + key, v})
		}
	}
	main.Properties = append(main.Properties, property{"cdx:gomod:toolchain", info.GoVersion})
	doc := bom{BOMFormat: "CycloneDX", SpecVersion: "1.5", Version: 1,
		// Derived from the binary, so that the same binary gives the same document.
		SerialNumber: "urn:uuid:" + uuidFrom(sum[:]),
		Metadata: metadata{
			Tools:     tools{Components: []component{{Type: "application", Name: "probe internal/release"}}},
			Component: main,
		},
		Components: []component{},
	}
	dep := dependency{Ref: main.BOMRef, DependsOn: []string{}}
	for _, m := range mods {
		if m.Sum == "" && m.Copy == "" {
			continue // the Go toolchain: named in the properties
		}
		c := component{Type: "library", BOMRef: purl(m.Path, m.Version), Name: m.Path, Version: m.Version,
			PURL: purl(m.Path, m.Version), Licenses: []license{{m.SPDX}}}
		if h, ok := strings.CutPrefix(m.Sum, "h1:"); ok {
			if b, err := base64.StdEncoding.DecodeString(h); err == nil {
				c.Hashes = []hash{{"SHA-256", hex.EncodeToString(b)}}
			}
		}
		if m.Copy != "" {
			p, err := patchesOf(root, m.Copy)
			if err != nil {
				return err
			}
			c.Pedigree = &pedigree{Patches: p, Notes: "compiled from probe's copy in internal/patched/" + m.Copy +
				": upstream " + m.Version + " plus these patches, checked byte for byte by internal/patched/patched_test.go"}
		}
		doc.Components = append(doc.Components, c)
		dep.DependsOn = append(dep.DependsOn, c.BOMRef)
	}
	doc.Dependencies = []dependency{dep}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func patchesOf(root, name string) ([]patch, error) {
	paths, err := filepath.Glob(filepath.Join(root, "internal", "patched", "patches", name, "*.patch"))
	if err != nil || len(paths) == 0 {
		return nil, fmt.Errorf("no patches for the copy %s", name)
	}
	var out []patch
	for _, p := range paths {
		text, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, patch{Type: "unofficial", Diff: diff{
			Text: attachment{ContentType: "text/x-diff", Encoding: "base64", Content: base64.StdEncoding.EncodeToString(text)},
			URL:  "https://github.com/probe-sh/probe/blob/main/" + filepath.ToSlash(rel)}})
	}
	return out, nil
}

func setting(info *debug.BuildInfo, key string) string {
	for _, s := range info.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

// uuidFrom makes a version-4-shaped UUID from a hash.
func uuidFrom(h []byte) string {
	u := append([]byte(nil), h[:16]...)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	x := hex.EncodeToString(u)
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}
