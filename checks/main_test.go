package checks_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"testing"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/testserver"
)

// TestMain points name resolution at a DNS server on loopback, so no test
// query leaves this machine. It knows app.test (127.0.0.1), far.test (10.255.255.1, which no test
// connects to: --loopback-only refuses it) and nothing else.
func TestMain(m *testing.M) {
	dns, err := testserver.StartDNS("127.0.0.1:0", map[string]netip.Addr{"app.test": netip.MustParseAddr("127.0.0.1"), "far.test": netip.MustParseAddr("10.255.255.1")})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start the test DNS server:", err)
		os.Exit(1)
	}
	checks.SetResolver(&net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, dns.Addr)
	}})
	code := m.Run()
	dns.Close()
	os.Exit(code)
}
