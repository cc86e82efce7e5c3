package kinds

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
)

// ParseListen reads a listen target's address: PORT, :PORT, ADDR:PORT or
// [ADDR6]:PORT.
func ParseListen(s string) (netip.Addr, uint16, error) {
	host, port := "", s
	if strings.Contains(s, ":") {
		var err error
		if host, port, err = net.SplitHostPort(s); err != nil {
			return netip.Addr{}, 0, fmt.Errorf("%q is not PORT, :PORT or ADDR:PORT", s)
		}
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return netip.Addr{}, 0, fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	var addr netip.Addr
	if host != "" && host != "*" {
		if addr, err = netip.ParseAddr(host); err != nil {
			return netip.Addr{}, 0, fmt.Errorf("%q is not an IP address: listen reads /proc, so it takes no host names", host)
		}
	}
	return addr.Unmap(), uint16(n), nil
}

// ValidateSocketPath refuses a Unix socket path that no socket can have:
// the path of a unix: target, or of --unix-socket.
func ValidateSocketPath(path string) error {
	switch {
	case strings.IndexByte(path, 0) >= 0:
		return errors.New("the path holds a NUL byte")
	case len(path) > 108 || len(path) == 108 && path[0] != '@':
		// sun_path is 108 bytes on Linux, with a zero byte after a path
		// (an abstract name needs none); Go would say "invalid argument".
		return fmt.Errorf("the path is %d bytes, longer than the 107 a Unix socket address holds: use a shorter path, or a symbolic link's directory", len(path))
	}
	return nil
}

// matchesLineBreak reports whether re holds a line break (\n), which no
// line of a reply or a file holds: --expect and --reject match one line at
// a time, without its \r\n.
func matchesLineBreak(re *regexp.Regexp) bool {
	tree, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return false
	}
	var walk func(*syntax.Regexp) bool
	walk = func(r *syntax.Regexp) bool {
		switch {
		case r.Op == syntax.OpLiteral && slices.Contains(r.Rune, '\n'),
			r.Op == syntax.OpCharClass && len(r.Rune) == 2 && r.Rune[0] == '\n' && r.Rune[1] == '\n':
			return true
		}
		return slices.ContainsFunc(r.Sub, walk)
	}
	return walk(tree)
}
