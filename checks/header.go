package checks

import (
	"regexp"
)

// Header is one request header, sent as given (-H), or one header of a
// reply.
type Header struct {
	Name, Value string
}

// HeaderMatch is a response header to look for: its name, and a pattern
// its value must match (nil: any value).
type HeaderMatch struct {
	Name    string
	Pattern *regexp.Regexp
	// Optional: the header may be absent, but when present a value must
	// match (NAME?: REGEXP; blackbox_exporter's allow_missing).
	Optional bool
}
