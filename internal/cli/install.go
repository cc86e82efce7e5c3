package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/probe-sh/probe/internal/files"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/text"
)

// InstallCmd is probe install DIR: copy the running binary into DIR, for an
// image that has no probe and no shell or cp to copy it with (an
// initContainer filling an emptyDir, a one-shot container seeding a named
// volume: docs/examples.md, "Images you don't build").
type InstallCmd struct {
	Dir string `arg:"" name:"dir" help:"The directory to copy probe into, as DIR/probe: it must exist and be writable."`
}

// installName is the name of the copy in DIR.
const installName = "probe"

// installSelf is the running binary: /proc/self/exe is the file the kernel
// runs, whatever its path was or has become. Tests replace it.
var installSelf = "/proc/self/exe"

// Run copies the binary. A copy that is already the same bytes, mode 0755,
// is left as it is: running it twice, or from the copy itself, rewrites
// nothing.
func (c *InstallCmd) Run(g *Globals, env *Env) error {
	path, changed, size, err := install(installSelf, c.Dir)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("installed %s (%s, mode 0755)", path, text.Size(size))
	if !changed {
		msg = fmt.Sprintf("already installed: %s is this binary (%s, mode 0755); nothing changed", path, text.Size(size))
	}
	return g.writeLine(env, msg, struct {
		Path    string `json:"path"`
		Bytes   int64  `json:"bytes"`
		Changed bool   `json:"changed"`
		Message string `json:"message"`
	}{path, size, changed, msg})
}

// install copies the file self into dir as dir/probe, atomically: into a
// temporary file in dir, synced, made 0755, renamed over dir/probe, then dir
// synced, so that a reader (the app's probe, started at any moment) sees
// the old file or the whole new one, never part of one, and a crash leaves
// no half-written probe. It reports whether it wrote, and the size.
func install(self, dir string) (string, bool, int64, error) {
	path := filepath.Join(dir, installName)
	fail := func(what string, err error) (string, bool, int64, error) {
		return path, false, 0, installError(what, dir, err)
	}
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return fail("", err)
	case !fi.IsDir():
		return fail("", fmt.Errorf("is a %s, not a directory", files.Kind(fi.Mode())))
	}
	src, err := os.Open(self)
	if err != nil {
		return path, false, 0, fmt.Errorf("cannot read the running binary (%s): %w", self, files.Cause(err))
	}
	defer src.Close()
	sfi, err := src.Stat()
	if err != nil {
		return path, false, 0, fmt.Errorf("cannot read the running binary (%s): %w", self, files.Cause(err))
	}
	size := sfi.Size()
	if same, err := sameFile(src, path, size); err != nil {
		return path, false, 0, err
	} else if same {
		return path, false, size, nil
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return path, false, 0, fmt.Errorf("cannot read the running binary (%s): %w", self, files.Cause(err))
	}
	tmp, err := os.CreateTemp(dir, ".probe-install-*")
	if err != nil {
		return fail("", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// fchmod: the mode is 0755 whatever the umask.
	if err := tmp.Chmod(0o755); err != nil {
		return fail("", err)
	}
	if n, err := io.Copy(tmp, src); err != nil {
		return fail("", err)
	} else if n != size {
		return path, false, 0, fmt.Errorf("cannot read the running binary (%s): %d bytes where it has %d", self, n, size)
	}
	if err := tmp.Sync(); err != nil {
		return fail("", err)
	}
	if err := tmp.Close(); err != nil {
		return fail("", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fail(installName+" ", err)
	}
	done = true
	// The rename is durable once the directory is: a file system that
	// cannot sync a directory (EINVAL) has nothing to sync.
	if d, err := os.Open(dir); err == nil {
		if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
			d.Close()
			return fail("", err)
		}
		d.Close()
	}
	return path, true, size, nil
}

// sameFile reports whether path is a regular file of mode 0755 that holds
// what src holds (size bytes), read from src's start.
func sameFile(src *os.File, path string, size int64) (bool, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, installError("", filepath.Dir(path), err)
	case fi.IsDir():
		return false, fmt.Errorf("cannot install into %s: %s is a directory: remove it, or name another directory", sanitize.Printable(filepath.Dir(path)), sanitize.Printable(path))
	case !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o755 || fi.Size() != size:
		return false, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, nil // replaced below, or said then
	}
	defer f.Close()
	a, b := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		n, err := io.ReadFull(src, a)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return false, fmt.Errorf("cannot read the running binary: %w", files.Cause(err))
		}
		m, _ := io.ReadFull(f, b[:n])
		if m != n || !bytes.Equal(a[:n], b[:n]) {
			return false, nil
		}
		if n < len(a) {
			return true, nil
		}
	}
}

// installError says in one line why dir cannot take the copy, with what to
// do about it; what names the step when it is not the directory itself.
func installError(what, dir string, err error) error {
	cause := files.Cause(err)
	var le *os.LinkError
	if errors.As(err, &le) {
		cause = le.Err
	}
	d := sanitize.Printable(dir)
	hint := ""
	switch {
	case errors.Is(cause, fs.ErrNotExist):
		return fmt.Errorf("cannot install into %s: no such directory: create it, or mount a volume there (an emptyDir, a named volume)", d)
	case errors.Is(cause, syscall.ENOTDIR):
		return fmt.Errorf("cannot install into %s: a part of the path is not a directory", d)
	case errors.Is(cause, syscall.EROFS):
		hint = ": a read-only file system; mount a writable volume there (an emptyDir, a named volume)"
	case errors.Is(cause, syscall.ENOSPC):
		hint = ": no space left on its device"
	case errors.Is(cause, syscall.EDQUOT):
		hint = ": the disk quota is exceeded"
	case errors.Is(cause, syscall.EACCES), errors.Is(cause, syscall.EPERM):
		hint = ": permission denied; " + dirAccess(dir)
	default:
		hint = ": " + cause.Error()
	}
	if what != "" {
		return fmt.Errorf("cannot install %sinto %s%s", what, d, hint)
	}
	return fmt.Errorf("cannot install into %s%s", d, hint)
}

// dirAccess says who may write to dir, and who probe runs as.
func dirAccess(dir string) string {
	me := fmt.Sprintf("probe runs as uid %d gid %d", os.Getuid(), os.Getgid())
	fi, err := os.Stat(dir)
	if err != nil {
		return me
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("the directory's mode is %04o, owner uid %d gid %d; %s", fi.Mode().Perm(), st.Uid, st.Gid, me)
	}
	return me
}
