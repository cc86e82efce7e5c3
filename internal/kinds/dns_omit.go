//go:build probe_omit_dns

package kinds

// DNS says whether this build has the dns kind: not with probe_omit_dns.
const DNS = false

var dnsImpl impl
