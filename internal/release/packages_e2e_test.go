//go:build e2e

package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/debroot"
	"github.com/probe-sh/probe/internal/testserver"
)

// pkgVersion is what release.sh makes of TestRelease's VERSION, which is no
// release tag: 0.0.0-git0, as each format writes it.
const (
	debVersion = "0.0.0~git0-1"
	rpmVersion = "0.0.0~git0-1"
	apkVersion = "0.0.0_git0-r1"
)

// packageArch is nfpm's name of each platform's architecture in each format;
// "" where the platform has no package: Debian's armhf is the ARMv6 build,
// which runs on v7 too.
var packageArch = map[string][3]string{ // deb, rpm, apk
	"probe-linux-amd64":   {"amd64", "x86_64", "x86_64"},
	"probe-linux-arm64":   {"arm64", "aarch64", "aarch64"},
	"probe-linux-armv7":   {"", "armv7hl", "armv7"},
	"probe-linux-armv6":   {"armhf", "armv6hl", "armhf"},
	"probe-linux-386":     {"i386", "i386", "x86"},
	"probe-linux-ppc64le": {"ppc64el", "ppc64le", "ppc64le"},
	"probe-linux-s390x":   {"s390x", "s390x", "s390x"},
	"probe-linux-riscv64": {"riscv64", "riscv64", "riscv64"},
}

// packageNames are the packages make release writes for a platform.
func packageNames(platform string) []string {
	a := packageArch[platform]
	var names []string
	if a[0] != "" {
		names = append(names, "probe_"+debVersion+"_"+a[0]+".deb")
	}
	return append(names, "probe-"+rpmVersion+"."+a[1]+".rpm", "probe_"+apkVersion+"_"+a[2]+".apk")
}

// installed is what every package installs, beside the format's own
// licence path and zsh directory.
var installed = []string{
	"/usr/bin/probe",
	"/usr/share/bash-completion/completions/probe",
	"/usr/share/doc/probe/THIRD_PARTY_NOTICES",
	"/usr/share/fish/vendor_completions.d/probe.fish",
	"/usr/share/man/man1/probe.1.gz",
}

var (
	debFiles = append([]string{"/usr/share/doc/probe/copyright", "/usr/share/zsh/vendor-completions/_probe"}, installed...)
	rpmFiles = append([]string{"/usr/share/licenses/probe/LICENSE", "/usr/share/zsh/site-functions/_probe"}, installed...)
)

// checkPackages reads make release's packages in dist: each platform's
// architecture in its metadata; for amd64, the files listed, the metadata,
// the .deb installed into a Debian root (checkDebianRoot) and the .rpm by
// rpm into a root of its own, where the installed probe runs, its files are
// make release's, and bash completes through the installed script and
// binary.
func checkPackages(t *testing.T, dist string) {
	for _, tool := range []string{"dpkg", "dpkg-deb", "rpm", "tar"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s missing: .ci/run installs it (apt-get install rpm)", tool)
			}
			t.Skipf("SKIPPED: %s missing (apt-get install rpm): the packages are not checked", tool)
		}
	}
	for p, a := range packageArch {
		names := packageNames(p)
		for _, name := range names {
			var got string
			switch filepath.Ext(name) {
			case ".deb":
				got = run(t, "dpkg-deb", "-f", filepath.Join(dist, name), "Architecture")
			case ".rpm":
				got = run(t, "rpm", "-qp", "--qf", "%{ARCH}", filepath.Join(dist, name))
			case ".apk":
				got = field(run(t, "tar", "-xzOf", filepath.Join(dist, name), ".PKGINFO"), "arch = ")
			}
			if want := map[string]string{".deb": a[0], ".rpm": a[1], ".apk": a[2]}[filepath.Ext(name)]; strings.TrimSpace(got) != want {
				t.Errorf("%s: architecture %q, want %q", name, got, want)
			}
		}
	}

	deb := filepath.Join(dist, "probe_"+debVersion+"_amd64.deb")
	rpm := filepath.Join(dist, "probe-"+rpmVersion+".x86_64.rpm")
	apk := filepath.Join(dist, "probe_"+apkVersion+"_x86_64.apk")

	// What each lists: dpkg -c and tar name directories too.
	if got := files(run(t, "dpkg", "-c", deb), 5); !slices.Equal(got, sorted(debFiles)) {
		t.Errorf("dpkg -c %s lists %q, want %q", deb, got, sorted(debFiles))
	}
	if got := files(run(t, "rpm", "-qlp", rpm), 0); !slices.Equal(got, sorted(rpmFiles)) {
		t.Errorf("rpm -qlp %s lists %q, want %q", rpm, got, sorted(rpmFiles))
	}
	if got := files(run(t, "tar", "-tzf", apk), 0); !slices.Equal(got, sorted(append([]string{"/.PKGINFO"}, rpmFiles...))) {
		t.Errorf("%s holds %q, want .PKGINFO and %q", apk, got, sorted(rpmFiles))
	}

	// Their metadata.
	info := run(t, "dpkg-deb", "-I", deb)
	for _, want := range []string{"Package: probe\n", "Version: " + debVersion + "\n", "Architecture: amd64\n", "Section: admin\n", "Homepage: https://github.com/probe-sh/probe\n", "Description: Health checks for containers\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("dpkg-deb -I %s: no %q in\n%s", deb, want, info)
		}
	}
	info = run(t, "rpm", "-qip", rpm)
	for _, want := range []string{"Name        : probe\n", "Version     : 0.0.0~git0\n", "Release     : 1\n", "Architecture: x86_64\n", "License     : Apache-2.0\n", "Summary     : Health checks for containers\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("rpm -qip %s: no %q in\n%s", rpm, want, info)
		}
	}
	info = run(t, "tar", "-xzOf", apk, ".PKGINFO")
	for _, want := range []string{"pkgname = probe\n", "pkgver = " + apkVersion + "\n", "arch = x86_64\n", "license = Apache-2.0\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("%s .PKGINFO: no %q in\n%s", apk, want, info)
		}
	}
	// apk reads .PKGINFO line by line: a description running onto a second
	// line would be read as a broken field.
	for _, line := range strings.Split(strings.TrimSpace(info), "\n") {
		if !strings.Contains(line, " = ") {
			t.Errorf("%s .PKGINFO: a line that is no field: %q", apk, line)
		}
	}

	// Installed for real: the .deb by dpkg into a Debian system, the .rpm
	// by rpm into a root with an rpm database of its own.
	t.Run("debian", func(t *testing.T) { checkDebianRoot(t, deb, dist) })

	rpmRoot := t.TempDir()
	run(t, "rpm", "--root", rpmRoot, "--initdb")
	run(t, "rpm", "--root", rpmRoot, "-i", rpm)
	run(t, "rpm", "--root", rpmRoot, "-V", "probe") // every file as the package has it
	checkInstalled(t, "rpm", rpmRoot, dist, "/usr/share/zsh/site-functions/_probe")
}

// checkDebianRoot installs the .deb into a Debian system, debootstrap's
// minbase bookworm (the debian-slim example's base, internal/debroot), with
// that system's own dpkg, run in it by chroot: dpkg -s and dpkg -L read
// probe from its database, the installed probe checks a loopback server
// from inside it, and dpkg --purge leaves the system with the packages it
// had, and no /usr/bin/probe.
func checkDebianRoot(t *testing.T, deb, dist string) {
	debootstrap := requireTool(t, "debootstrap", "apt-get install debootstrap", "installing the .deb into a Debian root")
	checkout, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "debian")
	start := time.Now()
	did, err := debroot.Copy(debootstrap, filepath.Join(checkout, "bin", "debian-"+debroot.Suite), root)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s; the root ready in %s", did, time.Since(start).Round(time.Second))
	in := func(args ...string) string {
		t.Helper()
		return run(t, "chroot", append([]string{root, "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, args...)...)
	}
	b, err := os.ReadFile(deb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "tmp", filepath.Base(deb)), b, 0o644); err != nil {
		t.Fatal(err)
	}
	packages := in("dpkg-query", "-W", "-f", "${Package} ${Version}\n")
	in("dpkg", "-i", "/tmp/"+filepath.Base(deb))
	status := in("dpkg", "-s", "probe")
	for _, want := range []string{"Status: install ok installed\n", "Version: " + debVersion + "\n", "Architecture: amd64\n"} {
		if !strings.Contains(status, want) {
			t.Errorf("dpkg -s probe in the Debian root: no %q in\n%s", want, status)
		}
	}
	if got := files(in("dpkg", "-L", "probe"), 0); !isSubset(sorted(debFiles), got) {
		t.Errorf("dpkg -L probe in the Debian root lists %q, want %q among them", got, sorted(debFiles))
	}
	if got := in("/usr/bin/probe", "--version"); !strings.HasPrefix(got, "probe v0.0.0-release-test (commit 0123456789ab, go") {
		t.Errorf("/usr/bin/probe --version in the Debian root: %q", got)
	}
	app, err := testserver.Start("http", "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if got := in("/usr/bin/probe", "--timeout", "10s", "http://"+app.Addr+"/healthz"); !strings.HasPrefix(got, "healthy http://"+app.Addr+"/healthz") {
		t.Errorf("/usr/bin/probe in the Debian root, against a loopback server: %q", got)
	}
	checkInstalled(t, "deb", root, dist, "/usr/share/zsh/vendor-completions/_probe")

	in("dpkg", "--purge", "probe")
	if _, err := os.Lstat(filepath.Join(root, "usr/bin/probe")); !os.IsNotExist(err) {
		t.Errorf("dpkg --purge probe left /usr/bin/probe (%v)", err)
	}
	if after := in("dpkg-query", "-W", "-f", "${Package} ${Version}\n"); after != packages {
		t.Errorf("the Debian root's packages before dpkg -i:\n%s\nafter dpkg --purge:\n%s", packages, after)
	}
	t.Logf("dpkg -i, -s, -L and --purge in the Debian root; its /usr/bin/probe --version and a check of a loopback server ran there:\n%s", status)
}

// isSubset: every name of want is in got (both sorted).
func isSubset(want, got []string) bool {
	for _, w := range want {
		if _, ok := slices.BinarySearch(got, w); !ok {
			return false
		}
	}
	return true
}

// checkInstalled: the installed probe runs, and its files are make
// release's own.
func checkInstalled(t *testing.T, format, root, dist, zsh string) {
	t.Helper()
	bin := filepath.Join(root, "usr/bin/probe")
	if got := run(t, bin, "--version"); !strings.HasPrefix(got, "probe v0.0.0-release-test (commit 0123456789ab, go") {
		t.Errorf("%s: the installed probe --version: %q", format, got)
	}
	same := map[string]string{
		"usr/bin/probe": "probe-linux-amd64",
		"usr/share/bash-completion/completions/probe":    "probe.bash",
		strings.TrimPrefix(zsh, "/"):                     "probe.zsh",
		"usr/share/fish/vendor_completions.d/probe.fish": "probe.fish",
		"usr/share/doc/probe/THIRD_PARTY_NOTICES":        "THIRD_PARTY_NOTICES",
		"usr/share/man/man1/probe.1.gz":                  "probe.1",
	}
	for installed, released := range same {
		got, err := os.ReadFile(filepath.Join(root, installed))
		if err != nil {
			t.Errorf("%s: %v", format, err)
			continue
		}
		if strings.HasSuffix(installed, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(got))
			if err != nil {
				t.Fatalf("%s: %s: %v", format, installed, err)
			}
			if got, err = io.ReadAll(zr); err != nil {
				t.Fatalf("%s: %s: %v", format, installed, err)
			}
		}
		want, err := os.ReadFile(filepath.Join(dist, released))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: /%s is not make release's %s", format, installed, released)
		}
	}
	// bash completes through the installed script, which runs the installed
	// binary it was asked about.
	script := `source "$1"; COMP_WORDS=("$2" se); COMP_CWORD=1; COMP_LINE="$2 se"; COMP_POINT=${#COMP_LINE}; _probe; printf '%s\n' "${COMPREPLY[@]}"`
	got := run(t, "bash", "--norc", "--noprofile", "-c", script, "bash", filepath.Join(root, "usr/share/bash-completion/completions/probe"), bin)
	if got != "serve\n" {
		t.Errorf("%s: the installed completion of 'probe se': %q, want serve", format, got)
	}
}

// run runs a command and returns its standard output; a failure fails the
// test with its standard error.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return string(out)
}

// files are the file names in a listing, one a line, the name in column
// col (0: the whole line), made absolute, directories left out.
func files(listing string, col int) []string {
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(listing), "\n") {
		name := line
		if col > 0 {
			fields := strings.Fields(line)
			if len(fields) <= col {
				continue
			}
			name = fields[col]
		}
		name = "/" + strings.TrimPrefix(strings.TrimPrefix(name, "./"), "/")
		if strings.HasSuffix(name, "/") {
			continue
		}
		names = append(names, name)
	}
	return sorted(names)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// field is the value of a "key = value" line of a .PKGINFO.
func field(pkginfo, key string) string {
	for _, line := range strings.Split(pkginfo, "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			return v
		}
	}
	return ""
}
