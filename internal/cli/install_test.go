package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestInstall: probe install copies the running binary into a directory
// as DIR/probe, mode 0755 whatever the umask, the same bytes; again, it
// rewrites nothing (the same inode); over another file, it replaces it
// whole, by a rename; no temporary file is left either way.
func TestInstall(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	var out, errOut bytes.Buffer
	run := func(args ...string) int {
		out.Reset()
		errOut.Reset()
		return Main(args, &out, &errOut, Stamp{})
	}
	inode := func() uint64 {
		fi, err := os.Stat(filepath.Join(dir, "probe"))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	check := func(what string) {
		t.Helper()
		got, err := os.ReadFile(filepath.Join(dir, "probe"))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: DIR/probe is not the running binary (%d bytes, want %d): %v", what, len(got), len(want), err)
		}
		fi, _ := os.Stat(filepath.Join(dir, "probe"))
		if fi.Mode() != 0o755 {
			t.Errorf("%s: mode %v, want 0755 whatever the umask", what, fi.Mode())
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".probe-install-*")); len(left) > 0 {
			t.Errorf("%s: temporary files left: %q", what, left)
		}
	}

	if code := run("install", dir); code != 0 || !strings.HasPrefix(out.String(), "installed "+dir+"/probe (") || errOut.Len() > 0 {
		t.Fatalf("install: exit %d, %q %q", code, out.String(), errOut.String())
	}
	check("a first install")
	first := inode()

	if code := run("install", dir); code != 0 || !strings.HasPrefix(out.String(), "already installed: "+dir+"/probe is this binary (") ||
		!strings.HasSuffix(out.String(), "; nothing changed\n") {
		t.Fatalf("again: exit %d, %q %q", code, out.String(), errOut.String())
	}
	check("again")
	if inode() != first {
		t.Error("again: the file was rewritten; want it left as it is")
	}
	if code := run("install", "-o", "json", dir); code != 0 || !strings.Contains(out.String(), `"changed":false`) {
		t.Errorf("-o json: exit %d, %q", code, out.String())
	}

	// Another file in its place, or the same bytes at another mode: replaced.
	for _, c := range []struct {
		name string
		data []byte
		mode fs.FileMode
	}{
		{"another binary", []byte("#!/bin/false\n"), 0o755},
		{"the same bytes, mode 0644", want, 0o644},
		{"the same size, other bytes", append(bytes.Repeat([]byte{0}, len(want)-1), 1), 0o755},
	} {
		os.Remove(filepath.Join(dir, "probe"))
		if err := os.WriteFile(filepath.Join(dir, "probe"), c.data, c.mode); err != nil {
			t.Fatal(err)
		}
		before := inode()
		if code := run("install", dir); code != 0 || !strings.HasPrefix(out.String(), "installed ") {
			t.Fatalf("%s: exit %d, %q %q", c.name, code, out.String(), errOut.String())
		}
		check(c.name)
		if inode() == before {
			t.Errorf("%s: written in place; want a new file renamed over it", c.name)
		}
	}
}

// TestInstallErrors: one line each, exit 1, nothing left behind.
func TestInstallErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	taken := filepath.Join(dir, "taken")
	os.MkdirAll(filepath.Join(taken, "probe"), 0o755)
	for _, c := range []struct{ name, dir, want string }{
		{"missing", filepath.Join(dir, "nope"), "cannot install into " + dir + "/nope: no such directory: create it, or mount a volume there (an emptyDir, a named volume)"},
		{"a file", file, "cannot install into " + file + ": is a regular file, not a directory"},
		{"below a file", file + "/x", "cannot install into " + file + "/x: a part of the path is not a directory"},
		{"DIR/probe a directory", taken, "cannot install into " + taken + ": " + taken + "/probe is a directory: remove it, or name another directory"},
	} {
		var out, errOut bytes.Buffer
		code := Main([]string{"install", c.dir}, &out, &errOut, Stamp{})
		if code != 1 || out.Len() > 0 || errOut.String() != "probe: error: "+c.want+"\n" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and %q", c.name, code, out.String(), errOut.String(), c.want)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*", ".probe-install-*")); len(left) > 0 {
		t.Errorf("temporary files left: %q", left)
	}
	var out, errOut bytes.Buffer
	if code := Main([]string{"install"}, &out, &errOut, Stamp{}); code != 1 || !strings.Contains(errOut.String(), `expected "<dir>"`) {
		t.Errorf("no directory: exit %d, %q", code, errOut.String())
	}
}

// TestInstallErrorLines: what the file system says, as one line with a
// hint; the read-only and full file systems are real in
// TestInstallReadOnlyAndFull (the root package).
func TestInstallErrorLines(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&fs.PathError{Op: "open", Path: "/x/.probe-install-1", Err: syscall.EROFS}, "cannot install into /x: a read-only file system; mount a writable volume there (an emptyDir, a named volume)"},
		{&fs.PathError{Op: "write", Path: "/x/.probe-install-1", Err: syscall.ENOSPC}, "cannot install into /x: no space left on its device"},
		{&fs.PathError{Op: "write", Path: "/x/.probe-install-1", Err: syscall.EDQUOT}, "cannot install into /x: the disk quota is exceeded"},
		{&os.LinkError{Op: "rename", Old: "/x/.probe-install-1", New: "/x/probe", Err: syscall.EBUSY}, "cannot install into /x: device or resource busy"},
		{&fs.PathError{Op: "open", Path: "/x/.probe-install-1", Err: syscall.EACCES}, fmt.Sprintf("cannot install into /x: permission denied; probe runs as uid %d gid %d", os.Getuid(), os.Getgid())},
		{errors.New("is a socket, not a directory"), "cannot install into /x: is a socket, not a directory"},
	} {
		if got := installError("", "/x", c.err).Error(); got != c.want {
			t.Errorf("%v:\n got %q\nwant %q", c.err, got, c.want)
		}
	}
}
