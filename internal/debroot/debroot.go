// Package debroot lays out Debian roots for the tests: debootstrap's minbase
// variant of bookworm, what debian:bookworm-slim is made of. debootstrap
// runs once per checkout (into bin/, under a lock, so that test binaries
// running at once wait for one another), and every test gets a copy of its
// own: the e2e tests' debian-slim base image, and the Debian system the
// release test installs the .deb into.
package debroot

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Suite is the Debian release the roots are.
const Suite = "bookworm"

// Copy lays a minbase root at dst (made if need be) from the one
// debootstrap made in cache (a directory beside the others of its kind,
// such as the checkout's bin/debian-bookworm), making it first when there is
// none. It says what it did, and how long debootstrap took when it ran.
func Copy(debootstrap, cache, dst string) (string, error) {
	did, err := ensure(debootstrap, cache)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "", err
	}
	if out, err := exec.Command("cp", "-a", cache+"/.", dst).CombinedOutput(); err != nil {
		return "", fmt.Errorf("cp -a %s %s: %v: %s", cache, dst, err, strings.TrimSpace(string(out)))
	}
	return did, nil
}

// ensure makes cache with debootstrap unless it is there.
func ensure(debootstrap, cache string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(cache), 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(cache+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("locking %s: %w", lock.Name(), err)
	}
	if _, err := os.Stat(filepath.Join(cache, "etc/debian_version")); err == nil {
		return "copied the " + Suite + " root debootstrap made in " + cache, nil
	}
	tmp := cache + ".tmp"
	os.RemoveAll(tmp)
	mirror := Mirror()
	start := time.Now()
	out, err := exec.Command(debootstrap, "--variant=minbase", Suite, tmp, mirror).CombinedOutput()
	if err != nil {
		os.RemoveAll(tmp)
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		return "", fmt.Errorf("debootstrap --variant=minbase %s from %s: %v\n%s", Suite, mirror, err, strings.Join(lines[max(0, len(lines)-15):], "\n"))
	}
	if err := os.Rename(tmp, cache); err != nil {
		return "", err
	}
	return fmt.Sprintf("debootstrap --variant=minbase %s from %s into %s: %s", Suite, mirror, cache, time.Since(start).Round(time.Second)), nil
}

// Mirror is the first Debian mirror apt uses here.
func Mirror() string {
	for _, f := range []string{"/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"} {
		data, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(data), "\n") {
			fields := strings.Fields(line)
			switch {
			case len(fields) >= 2 && fields[0] == "URIs:" && !strings.Contains(fields[1], "security"):
				return fields[1]
			case len(fields) >= 3 && fields[0] == "deb" && !strings.Contains(fields[1], "security"):
				return fields[1]
			}
		}
	}
	return "http://deb.debian.org/debian"
}
