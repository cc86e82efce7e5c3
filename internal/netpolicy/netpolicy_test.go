package netpolicy

import (
	"context"
	"testing"
)

func TestAllowed(t *testing.T) {
	on := WithLoopbackOnly(context.Background())
	for _, c := range []struct {
		network, address string
		want             bool
	}{
		{"tcp", "127.0.0.1:80", true},
		{"tcp", "127.255.0.9:80", true},
		{"tcp", "[::1]:80", true},
		{"tcp", "[::ffff:127.0.0.1]:80", true},
		{"udp", "127.0.0.53:53", true},
		{"unix", "/run/app.sock", true},
		{"unix", "@abstract", true},
		{"tcp", "10.1.2.3:80", false},
		{"udp", "10.255.255.53:53", false},
		{"tcp", "0.0.0.0:80", false},
		{"tcp", "[::]:80", false},
		{"tcp", "[::ffff:10.0.0.1]:80", false},
		{"tcp", "[fe80::1%lo]:80", false},
		{"tcp", "localhost:80", false}, // a name: resolved first, then judged
		{"tcp", "example.com:443", false},
		{"tcp", "127.0.0.1", false}, // no port: not an address a dial takes
	} {
		if got := Allowed(on, c.network, c.address); got != c.want {
			t.Errorf("%s %s: allowed %v, want %v", c.network, c.address, got, c.want)
		}
		if !Allowed(context.Background(), c.network, c.address) {
			t.Errorf("%s %s: refused without the policy", c.network, c.address)
		}
	}
}
