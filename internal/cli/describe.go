package cli

// flagNames names the flag that sets each field of the checks (and of their
// templates): where a library's error names a field, or a check's error
// says which field's condition failed, the command line names the flag.
var flagNames = map[string]string{
	"Method": "-X", "Body": "-d", "Header": "-H", "Metadata": "-H", "Status": "--status",
	"ExpectBody": "--expect-body", "RejectBody": "--reject-body", "MaxBody": "--max-body",
	"MaxRedirects": "--max-redirects", "ExpectJSON": "--expect-json", "ExpectHeader": "--expect-header",
	"RejectHeader": "--reject-header", "HTTP2": "--http2", "Send": "--send", "Expect": "--expect",
	"Reject": "--reject", "CertExpiry": "--cert-expiry", "Socket": "--unix-socket", "MaxAge": "--max-age",
	"Rcodes": "--rcode", "MaxRSS": "--max-rss", "MaxFDs": "--max-fds", "PIDFile": "--pidfile",
}

// flagOf is the flag that sets a check's field, or the field's name when no
// flag does.
func flagOf(field string) string {
	if f, ok := flagNames[field]; ok {
		return f
	}
	return field
}
