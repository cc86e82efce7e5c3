package checks_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probe-sh/probe/checks"
)

func TestMarker(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m := checks.Marker{Path: filepath.Join(dir, "draining")}
	if err := m.Run(t.Context()); err != nil {
		t.Fatalf("absent marker: %v", err)
	}
	if err := os.WriteFile(m.Path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := m.Run(t.Context())
	if !errors.Is(err, checks.ErrDraining) || !strings.Contains(err.Error(), m.Path) {
		t.Fatalf("present marker: got %v, want ErrDraining naming the path", err)
	}
	// A marker path whose parent is a file cannot be checked: that is an
	// error, not "absent", so a misconfiguration never passes silently.
	bad := checks.Marker{Path: filepath.Join(m.Path, "x")}
	if err := bad.Run(t.Context()); err == nil || errors.Is(err, checks.ErrDraining) {
		t.Fatalf("unreadable marker: got %v, want an error", err)
	}
}

func TestDefaultMarkerIsOnSharedTmpfs(t *testing.T) {
	t.Parallel()
	// Docker mounts a world-writable tmpfs at /dev/shm; see DESIGN.md.
	if filepath.Dir(checks.DefaultMarker) != "/dev/shm" {
		t.Fatalf("DefaultMarker %q is not in /dev/shm", checks.DefaultMarker)
	}
}
