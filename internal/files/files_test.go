package files_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/probe-sh/probe/internal/files"
)

func TestCause(t *testing.T) {
	_, err := os.Open("/nonexistent/x")
	if got := files.Cause(err); !errors.Is(got, fs.ErrNotExist) || strings.Contains(got.Error(), "/nonexistent") {
		t.Errorf("Cause = %v, want the bare cause", got)
	}
	plain := errors.New("plain")
	if files.Cause(plain) != plain {
		t.Error("Cause changed an error that is not a PathError")
	}
}

// TestReadHostileFiles: what someone else controls cannot block, flood or
// fool the reader.
func TestReadHostileFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 5000), 0o600); err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		fifo:                    fifo + ": is a named pipe, not a file",
		"/dev/zero":             "/dev/zero: is a device, not a file",
		dir:                     dir + ": is a directory, not a file",
		big:                     big + ": 4.88KiB, larger than the 4.00KiB a file like this can be",
		filepath.Join(dir, "x"): filepath.Join(dir, "x") + ": no such file or directory",
	} {
		_, err := files.ReadSmall(path, 4096)
		if err == nil || err.Error() != want {
			t.Errorf("ReadSmall(%s) = %v, want %q", path, err, want)
		}
	}
	if data, err := files.ReadSmall(small, 4096); err != nil || string(data) != "1234\n" {
		t.Errorf("ReadSmall(small) = %q, %v", data, err)
	}
	if data, err := files.ReadPrefix(big, 10); err != nil || len(data) != 10 {
		t.Errorf("ReadPrefix(big, 10) = %d bytes, %v", len(data), err)
	}
	if _, err := files.ReadPrefix(fifo, 10); err == nil {
		t.Error("ReadPrefix read a FIFO")
	}
}
