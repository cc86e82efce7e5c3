// Command release writes what ships beside a probe binary, from the binary's
// own build information, so that neither can drift from what is compiled in:
//
//	go run ./internal/release notices BINARY        the third-party notices (THIRD_PARTY_NOTICES)
//	go run ./internal/release sbom BINARY VERSION   a CycloneDX 1.6 SBOM, as JSON
//	go run ./internal/release man VERSION           probe(1), from the command line's model (cli.WriteMan)
//
// The modules are those the Go linker recorded in BINARY (go version -m). The
// patched copies of internal/patched are part of probe's own module, but each
// imports a package of its upstream module, so the build information names
// that module at the version the copy comes from; this tool marks it as the
// copy, and gives the SBOM its patches as pedigree, which no SBOM tool knows
// to do. Licence texts come from the module cache (go mod download) and from
// the copies, and are named by github.com/google/licensecheck (as
// pkg.go.dev names them); a text it cannot wholly name, or a licence not
// among those probe ships, stops the command, so a new dependency is read
// by a person before it ships. The SBOM is written by
// github.com/CycloneDX/cyclonedx-go.
//
// make release runs them for every binary; TestNoticesAreCurrent fails when
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
	"slices"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/licensecheck"

	"github.com/probe-sh/probe/internal/cli"
	"github.com/probe-sh/probe/internal/patched"
)

func main() {
	var err error
	switch args := os.Args[1:]; {
	case len(args) == 2 && args[0] == "man":
		err = cli.WriteMan(os.Stdout, args[1])
	case len(args) == 2 && args[0] == "notices":
		var mods []module
		if mods, _, err = load(args[1]); err == nil {
			err = writeNotices(os.Stdout, mods)
		}
	case len(args) == 3 && args[0] == "sbom":
		var mods []module
		var info *debug.BuildInfo
		if mods, info, err = load(args[1]); err == nil {
			err = writeSBOM(os.Stdout, args[1], args[2], info, mods)
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: go run ./internal/release notices BINARY | sbom BINARY VERSION | man VERSION")
		os.Exit(2)
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

// shippable are the licences probe's binary carries; any other stops the
// release until a person has read it and added it here.
var shippable = []string{"Apache-2.0", "BSD-3-Clause", "MIT"}

// classify names the licences a module's files hold, as an SPDX expression,
// in the order their texts come.
func classify(files []file) (string, error) {
	var ids []string
	for _, f := range files {
		if f.Name == "NOTICE" || f.Name == "PATENTS" {
			continue
		}
		cov := licensecheck.Scan([]byte(f.Text))
		// A heading or a copyright line is not a licence's text; anything
		// longer than that must be one licensecheck knows.
		if cov.Percent < 95 {
			return "", fmt.Errorf("%s: only %.0f%% of it is a licence licensecheck knows: read it", f.Name, cov.Percent)
		}
		for _, m := range cov.Match {
			if !slices.Contains(shippable, m.ID) {
				return "", fmt.Errorf("%s: %s is none of %s: read it, then name it in shippable", f.Name, m.ID, strings.Join(shippable, ", "))
			}
			if !slices.Contains(ids, m.ID) {
				ids = append(ids, m.ID)
			}
		}
	}
	if len(ids) == 0 {
		return "", errors.New("no licence text")
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

func purl(path, version string) string {
	return "pkg:golang/" + path + "@" + version + "?type=module"
}

// writeSBOM describes the binary: its own hash and build settings, and each
// module with its version, go.sum hash and licence. version is the one
// stamped in with -X: with -trimpath, the build information leaves out
// -ldflags, and so the version. A patched copy carries its patches as
// pedigree, so a scanner that matches the upstream version also learns that
// the code differs from it.
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
	main := cdx.Component{Type: cdx.ComponentTypeApplication, BOMRef: purl(info.Main.Path, version), Name: info.Main.Path,
		Version: version, PackageURL: purl(info.Main.Path, version),
		Hashes:   &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: hex.EncodeToString(sum[:])}},
		Licenses: &cdx.Licenses{{Expression: "Apache-2.0"}}, Properties: &[]cdx.Property{}}
	for _, key := range []string{"GOOS", "GOARCH", "GOARM", "GOAMD64", "CGO_ENABLED", "-trimpath"} {
		if v := setting(info, key); v != "" {
			*main.Properties = append(*main.Properties, cdx.Property{Name: "cdx:gomod:build:env:" + key, Value: v})
		}
	}
	*main.Properties = append(*main.Properties, cdx.Property{Name: "cdx:gomod:toolchain", Value: info.GoVersion})
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + uuidFrom(sum[:]) // the same binary, the same document
	bom.Metadata = &cdx.Metadata{Component: &main, Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{
		{Type: cdx.ComponentTypeApplication, Name: "probe internal/release"}}}}
	components, dependsOn := []cdx.Component{}, []string{}
	for _, m := range mods {
		if m.Sum == "" && m.Copy == "" {
			continue // the Go toolchain: named in the properties
		}
		c := cdx.Component{Type: cdx.ComponentTypeLibrary, BOMRef: purl(m.Path, m.Version), Name: m.Path, Version: m.Version,
			PackageURL: purl(m.Path, m.Version), Licenses: &cdx.Licenses{{Expression: m.SPDX}}}
		if h, ok := strings.CutPrefix(m.Sum, "h1:"); ok {
			if b, err := base64.StdEncoding.DecodeString(h); err == nil {
				c.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: hex.EncodeToString(b)}}
			}
		}
		if m.Copy != "" {
			patches, err := patchesOf(root, m.Copy)
			if err != nil {
				return err
			}
			c.Pedigree = &cdx.Pedigree{Patches: &patches, Notes: "compiled from probe's copy in internal/patched/" + m.Copy +
				": upstream " + m.Version + " plus these patches, checked byte for byte by internal/patched/patched_test.go"}
		}
		components = append(components, c)
		dependsOn = append(dependsOn, c.BOMRef)
	}
	bom.Components = &components
	bom.Dependencies = &[]cdx.Dependency{{Ref: main.BOMRef, Dependencies: &dependsOn}}
	return cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON).SetPretty(true).Encode(bom)
}

func patchesOf(root, name string) ([]cdx.Patch, error) {
	paths, err := filepath.Glob(filepath.Join(root, "internal", "patched", "patches", name, "*.patch"))
	if err != nil || len(paths) == 0 {
		return nil, fmt.Errorf("no patches for the copy %s", name)
	}
	var out []cdx.Patch
	for _, p := range paths {
		text, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, cdx.Patch{Type: cdx.PatchTypeUnofficial, Diff: &cdx.Diff{
			Text: &cdx.AttachedText{ContentType: "text/x-diff", Encoding: "base64", Content: base64.StdEncoding.EncodeToString(text)},
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
