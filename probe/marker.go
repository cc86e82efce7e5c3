package probe

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/probe-sh/probe/internal/files"
	"github.com/probe-sh/probe/internal/text"
)

// DefaultMarker is the shutdown marker's path when none is given.
// Docker mounts a world-writable tmpfs at /dev/shm in every container, so the
// marker can be created there by a non-root user on a read-only root
// filesystem, and every probe in the container agrees on the path.
const DefaultMarker = "/dev/shm/probe.draining"

// Marker is the shutdown marker: a file whose presence means the app is
// draining, so every readiness check reports draining. Run reads it before
// any check (Draining); probe exec and probe drain create and remove it.
type Marker struct {
	Path string
}

// Since reports whether the marker exists and when it was made. Anything
// at the path counts, a dangling symlink included, and nothing is
// followed: creating (O_EXCL) and removing the marker see the same entry,
// so probe drain and the checks never disagree about whether it is there.
func (m Marker) Since() (bool, time.Time, error) {
	fi, err := os.Lstat(m.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, time.Time{}, nil
	}
	if err != nil {
		return false, time.Time{}, fmt.Errorf("cannot tell whether the shutdown marker exists: %s: %w", m.Path, files.Cause(err))
	}
	return true, fi.ModTime(), nil
}

// Draining returns a *DrainingError while the marker exists, nil while it
// does not, and another error when that cannot be told.
func (m Marker) Draining() error {
	present, since, err := m.Since()
	if err != nil {
		return err
	}
	if present {
		return &DrainingError{Path: m.Path, Since: since}
	}
	return nil
}

// Create makes the marker, with why as its content for whoever reads it. It
// reports whether the marker was already there; an existing marker is left
// as it is, so its age still says when draining began.
func (m Marker) Create(why string) (existed bool, err error) {
	f, err := os.OpenFile(m.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("cannot create the shutdown marker: %s: %w", m.Path, files.Cause(err))
	}
	_, err = f.WriteString(why + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, fmt.Errorf("cannot write the shutdown marker: %s: %w", m.Path, files.Cause(err))
	}
	return false, nil
}

// Remove deletes the marker. It reports whether there was one.
func (m Marker) Remove() (existed bool, err error) {
	err = os.Remove(m.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return true, fmt.Errorf("cannot remove the shutdown marker: %s: %w", m.Path, files.Cause(err))
	}
	return true, nil
}

// ErrDraining matches a *DrainingError with errors.Is.
var ErrDraining = errors.New("draining")

// DrainingError is the shutdown marker, present: the app is leaving, and
// load balancers should stop routing to it.
type DrainingError struct {
	Path  string
	Since time.Time
}

func (e *DrainingError) Error() string { return "draining: " + e.Reason() }

// Reason says why, without the state: "shutdown marker PATH present for
// 3s". A time in the future (a clock set back, or a marker touched by hand)
// is named as such, not as a negative age.
func (e *DrainingError) Reason() string {
	return "shutdown marker " + e.Path + " " + text.Present(e.Since)
}

// Is makes errors.Is(err, ErrDraining) hold.
func (e *DrainingError) Is(target error) bool { return target == ErrDraining }
