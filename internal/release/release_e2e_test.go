//go:build e2e

package main

import (
	"bytes"
	"debug/elf"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/testserver"
)

// platforms are make release's, with what each binary must be and the qemu
// user-mode emulator that runs it here ("" runs it natively; "-" cannot run:
// this kernel has no 32-bit x86, and Go crashes under qemu-i386).
var platforms = []struct {
	name    string
	machine elf.Machine
	class   elf.Class
	qemu    []string
}{
	{"probe-linux-amd64", elf.EM_X86_64, elf.ELFCLASS64, nil},
	{"probe-linux-arm64", elf.EM_AARCH64, elf.ELFCLASS64, []string{"qemu-aarch64-static"}},
	{"probe-linux-armv7", elf.EM_ARM, elf.ELFCLASS32, []string{"qemu-arm-static", "-cpu", "cortex-a7"}},
	// An ARMv6 core (the Raspberry Pi 1 and Zero's), so that a v7
	// instruction in the v6 build would fault.
	{"probe-linux-armv6", elf.EM_ARM, elf.ELFCLASS32, []string{"qemu-arm-static", "-cpu", "arm1176"}},
	{"probe-linux-386", elf.EM_386, elf.ELFCLASS32, []string{"-"}},
	{"probe-linux-ppc64le", elf.EM_PPC64, elf.ELFCLASS64, []string{"qemu-ppc64le-static"}},
	{"probe-linux-s390x", elf.EM_S390, elf.ELFCLASS64, []string{"qemu-s390x-static"}},
	{"probe-linux-riscv64", elf.EM_RISCV, elf.ELFCLASS64, []string{"qemu-riscv64-static"}},
}

// TestRelease builds make release twice, from two copies of the source in
// different directories, the second with an empty build cache so that every
// package is compiled again; every file must be byte for byte the same, the
// .deb, .rpm and .apk packages too. Then the packages are checked and
// installed (checkPackages), SHA256SUMS is signed and verified with cosign
// and a throwaway key (checkSignature), and each binary is checked: a
// static ELF for its machine, and, under qemu user-mode emulation, its
// --version, a real HTTP check against a loopback server, and probe listen
// reading /proc.
func TestRelease(t *testing.T) {
	var missing []string
	for _, tool := range []string{"git", "bash", "sha256sum", "qemu-aarch64-static", "qemu-arm-static", "qemu-ppc64le-static", "qemu-s390x-static", "qemu-riscv64-static"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing: CI installs qemu-user-static", strings.Join(missing, ", "))
		}
		t.Skipf("SKIPPED: %s missing (apt-get install qemu-user-static): the release binaries are not built or run", strings.Join(missing, ", "))
	}
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	// The packages' file times: the commit's, as make release takes them
	// in a clone (the copies below are no git checkouts).
	epoch, err := exec.Command("git", "-C", root, "log", "-1", "--format=%ct").Output()
	if err != nil {
		t.Fatalf("git log: %v", err)
	}
	tmp := t.TempDir()
	dists := []string{filepath.Join(tmp, "a", "dist"), filepath.Join(tmp, "elsewhere", "b", "dist")}
	for i, dist := range dists {
		src := filepath.Dir(dist)
		copySource(t, root, src)
		cmd := exec.Command("make", "release", "DIST="+dist, "VERSION=v0.0.0-release-test", "COMMIT=0123456789ab")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "GOFLAGS=", "SOURCE_DATE_EPOCH="+strings.TrimSpace(string(epoch)))
		if i == 1 {
			cmd.Env = append(cmd.Env, "GOCACHE="+filepath.Join(tmp, "gocache"))
		}
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make release in %s: %v\n%s", src, err, out)
		}
		t.Logf("make release in %s: %s", src, time.Since(start).Round(time.Second))
	}
	sums := [2][]byte{}
	for i, dist := range dists {
		if sums[i], err = os.ReadFile(filepath.Join(dist, "SHA256SUMS")); err != nil {
			t.Fatal(err)
		}
		check := exec.Command("sha256sum", "-c", "SHA256SUMS")
		check.Dir = dist
		if out, err := check.CombinedOutput(); err != nil {
			t.Fatalf("sha256sum -c: %v\n%s", err, out)
		}
	}
	if !bytes.Equal(sums[0], sums[1]) {
		t.Fatalf("two builds of the same source differ:\n%s\n%s", sums[0], sums[1])
	}
	want := []string{"LICENSE", "THIRD_PARTY_NOTICES", "probe.1", "probe.bash", "probe.fish", "probe.zsh"}
	for _, p := range platforms {
		want = append(append(want, p.name, p.name+".cdx.json"), packageNames(p.name)...)
	}
	if got := files(string(sums[0]), 1); !slices.Equal(got, files(strings.Join(want, "\n"), 0)) {
		t.Errorf("SHA256SUMS lists %q, want a binary, an SBOM and packages per platform, the man page, the completions, the notices and the licence: %q", got, sorted(want))
	}
	t.Logf("reproducible: the two builds are byte for byte the same\n%s", sums[0])

	t.Run("packages", func(t *testing.T) { checkPackages(t, dists[0]) })
	t.Run("signature", func(t *testing.T) { checkSignature(t, dists[0]) })

	app, err := testserver.Start("http", "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	_, port, _ := net.SplitHostPort(app.Addr)
	for _, p := range platforms {
		t.Run(p.name, func(t *testing.T) {
			bin := filepath.Join(dists[0], p.name)
			checkELF(t, bin, p.machine, p.class)
			if len(p.qemu) == 1 && p.qemu[0] == "-" {
				t.Logf("%s: ELF checked; not run (no IA-32 support in this kernel)", p.name)
				return
			}
			var timings []string
			for _, args := range [][]string{
				{"--version"},
				{"--timeout", "10s", "http://" + app.Addr + "/healthz"},
				{"listen", port},
			} {
				cmdline := append(append(append([]string(nil), p.qemu...), bin), args...)
				start := time.Now()
				out, err := exec.Command(cmdline[0], cmdline[1:]...).CombinedOutput()
				took := time.Since(start)
				if err != nil {
					t.Fatalf("%s: %v\n%s", strings.Join(cmdline, " "), err, out)
				}
				want := map[string]string{"--version": "probe v0.0.0-release-test (commit 0123456789ab, go", "--timeout": "healthy http://", "listen": "healthy listen://:" + port}[args[0]]
				if !strings.HasPrefix(string(out), want) {
					t.Fatalf("%s: %q, want it to start with %q", strings.Join(cmdline, " "), out, want)
				}
				timings = append(timings, args[0]+" "+took.Round(time.Millisecond).String())
			}
			t.Logf("%s under %s: %s", p.name, emulator(p.qemu), strings.Join(timings, ", "))
		})
	}
}

func emulator(qemu []string) string {
	if len(qemu) == 0 {
		return "no emulation"
	}
	return strings.Join(qemu, " ")
}

// checkELF: a static executable for the machine, with no interpreter and no
// shared libraries, so that it runs in a FROM scratch image.
func checkELF(t *testing.T, bin string, machine elf.Machine, class elf.Class) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != machine || f.Class != class || f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX || f.Type != elf.ET_EXEC {
		t.Errorf("%s: %s %s %s %s, want %s %s", bin, f.Machine, f.Class, f.OSABI, f.Type, machine, class)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s is not static: it has %s", bin, p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s needs %v", bin, libs)
	}
}

// copySource copies the module's files, as git knows them (committed or
// not, but not ignored), from root to dst.
func copySource(t *testing.T, root, dst string) {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		from := filepath.Join(root, name)
		fi, err := os.Lstat(from)
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted, or not a file
		}
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		to := filepath.Join(dst, name)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}
