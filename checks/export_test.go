package checks

import "net"

// SetResolver points name resolution at r for the tests, which use a DNS
// server of their own on loopback.
func SetResolver(r *net.Resolver) { resolver = r }

// Resolve is resolve, for the tests of loopback without DNS.
var Resolve = resolve
