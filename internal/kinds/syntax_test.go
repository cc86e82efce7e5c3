package kinds

import (
	"strconv"
	"testing"
)

func TestParseListen(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, addr, port, err string }{
		{"8080", "invalid IP", "8080", ""},
		{":8080", "invalid IP", "8080", ""},
		{"*:8080", "invalid IP", "8080", ""},
		{"127.0.0.1:80", "127.0.0.1", "80", ""},
		{"[::1]:443", "::1", "443", ""},
		{"[::ffff:127.0.0.1]:443", "127.0.0.1", "443", ""},
		{"http", "", "", `port "http" is not a number from 1 to 65535`},
		{"0", "", "", `port "0" is not a number from 1 to 65535`},
		{"65536", "", "", `port "65536" is not a number from 1 to 65535`},
		{"db:5432", "", "", `"db" is not an IP address: listen reads /proc, so it takes no host names`},
		{"[::1", "", "", `"[::1" is not PORT, :PORT or ADDR:PORT`},
	}
	for _, tc := range tests {
		addr, port, err := ParseListen(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseListen(%q) = %v, want error %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || addr.String() != tc.addr || itoa(port) != tc.port {
			t.Errorf("ParseListen(%q) = %s, %d, %v", tc.in, addr, port, err)
		}
	}
}

func itoa(p uint16) string { return strconv.Itoa(int(p)) }
