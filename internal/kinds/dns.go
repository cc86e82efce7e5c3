//go:build !probe_omit_dns

package kinds

import "github.com/probe-sh/probe/checks"

// DNS says whether this build has the dns kind: the tag probe_omit_dns
// leaves it out (dns_omit.go).
const DNS = true

var dnsImpl = impl{checks.DNS{}, buildDNS}
