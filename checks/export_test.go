package checks

import "net"

// SetResolver points name resolution at r for the tests, which use a DNS
// server of their own on loopback.
func SetResolver(r *net.Resolver) { resolver = r }

// Resolve is resolve, for the tests of loopback without DNS.
var Resolve = resolve

// Check is JSONAssertion.check, for the tests of assertions on decoded
// bodies: nil when it holds.
func (a JSONAssertion) Check(doc any) error {
	if why := a.check(doc); why != "" {
		return &ReplyError{Field: "ExpectJSON", Msg: why}
	}
	return nil
}
