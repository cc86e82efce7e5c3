// Package files reads files that someone else controls, and so may be
// anything (a FIFO that blocks the open, /dev/zero that never ends, a
// directory), and words the errors of the file system without repeating
// what the message around them already says.
package files

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/probe-sh/probe/internal/text"
)

// Cause drops the operation and the path that an *fs.PathError repeats
// ("open /x: permission denied" becomes "permission denied"), for messages
// that name the path themselves. Any other error is returned as it is.
func Cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ReadSmall reads a whole file of at most max bytes. It must be a regular
// file: not a FIFO, which would block the open, nor a device such as
// /dev/zero, which never ends. Its errors name the path.
func ReadSmall(path string, max int64) ([]byte, error) {
	f, fi, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > max {
		return nil, fmt.Errorf("%s: %s, larger than the %s a file like this can be", path, text.Size(fi.Size()), text.Size(max))
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, Cause(err))
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than the %s a file like this can be", path, text.Size(max))
	}
	return data, nil
}

// ReadPrefix reads at most n bytes from the start of a regular file: a log
// or a status file may be any size, and only its start is judged. Its
// errors name the path.
func ReadPrefix(path string, n int64) ([]byte, error) {
	f, _, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, n))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, Cause(err))
	}
	return data, nil
}

// openRegular opens path for reading if it is a regular file.
func openRegular(path string) (*os.File, fs.FileInfo, error) {
	// O_NONBLOCK: opening a FIFO with no writer would wait forever.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, Cause(err))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, Cause(err))
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s: is a %s, not a file", path, Kind(fi.Mode()))
	}
	return f, fi, nil
}

// Kind names a file's type: "directory", "named pipe", "socket"...
func Kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m.IsRegular():
		return "regular file"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "file of another kind"
}
