package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// DefaultMarker is the shutdown marker's path when --marker is not given.
// Docker mounts a world-writable tmpfs at /dev/shm in every container, so the
// marker can be created there by a non-root user on a read-only root
// filesystem, and every probe in the container agrees on the path.
const DefaultMarker = "/dev/shm/probe.draining"

// Marker checks the shutdown marker: a file whose presence means the app is
// draining, so every readiness check reports draining.
type Marker struct {
	Path string
}

// Since reports whether the marker exists and when it was made.
func (m Marker) Since() (bool, time.Time, error) {
	fi, err := os.Stat(m.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, time.Time{}, nil
	}
	if err != nil {
		return false, time.Time{}, fmt.Errorf("cannot tell whether the shutdown marker exists: %w", unwrapPath(err))
	}
	return true, fi.ModTime(), nil
}

// Run returns ErrDraining while the marker exists.
func (m Marker) Run(context.Context) error {
	present, since, err := m.Since()
	if err != nil {
		return err
	}
	if present {
		age := time.Since(since).Round(time.Second)
		return fmt.Errorf("%w: shutdown marker %s present for %s", ErrDraining, m.Path, age)
	}
	return nil
}
