package probe_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/probe"
)

func TestMarker(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m := probe.Marker{Path: filepath.Join(dir, "draining")}
	if err := m.Draining(); err != nil {
		t.Fatalf("absent marker: %v", err)
	}
	if err := os.WriteFile(m.Path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := m.Draining()
	if !errors.Is(err, probe.ErrDraining) || !strings.Contains(err.Error(), m.Path) {
		t.Fatalf("present marker: got %v, want ErrDraining naming the path", err)
	}
	// A marker path whose parent is a file cannot be checked: that is an
	// error, not "absent", so a misconfiguration never passes silently.
	bad := probe.Marker{Path: filepath.Join(m.Path, "x")}
	if err := bad.Draining(); err == nil || errors.Is(err, probe.ErrDraining) {
		t.Fatalf("unreadable marker: got %v, want an error", err)
	}
}

// Anything at the marker's path is a marker, a dangling symlink included,
// and nothing is followed: checking, creating and removing agree.
func TestMarkerSymlinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m := probe.Marker{Path: filepath.Join(dir, "draining")}
	if err := os.Symlink(filepath.Join(dir, "nowhere"), m.Path); err != nil {
		t.Fatal(err)
	}
	if err := m.Draining(); !errors.Is(err, probe.ErrDraining) {
		t.Fatalf("a dangling symlink: Run = %v, want draining", err)
	}
	if existed, err := m.Create("x"); !existed || err != nil {
		t.Fatalf("a dangling symlink: Create = %v, %v; want it found", existed, err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "nowhere")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Create followed the symlink: %v", err)
	}
	if existed, err := m.Remove(); !existed || err != nil {
		t.Fatalf("Remove = %v, %v", existed, err)
	}
	if err := m.Draining(); err != nil {
		t.Fatalf("after Remove: %v", err)
	}
	// A symlink to a file elsewhere is not followed either: the target
	// survives a remove.
	target := filepath.Join(dir, "elsewhere")
	os.WriteFile(target, []byte("keep"), 0o600)
	os.Symlink(target, m.Path)
	m.Remove()
	if b, err := os.ReadFile(target); err != nil || string(b) != "keep" {
		t.Fatalf("the symlink's target: %q, %v", b, err)
	}
}

// A marker dated in the future says so, not "present for -1h0m0s".
func TestMarkerInTheFuture(t *testing.T) {
	t.Parallel()
	m := probe.Marker{Path: filepath.Join(t.TempDir(), "draining")}
	if err := os.WriteFile(m.Path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	os.Chtimes(m.Path, future, future)
	err := m.Draining()
	if err == nil || !strings.Contains(err.Error(), "in the future (is the clock right?)") || strings.Contains(err.Error(), "-1h") {
		t.Fatalf("a marker from the future: %v", err)
	}
}
