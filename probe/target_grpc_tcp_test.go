package probe_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/probe"
)

// --expect and --reject match one line at a time on tcp://, tls://, unix:
// and file:// targets: a pattern that holds a line break could never
// match, so it is refused, saying how to write it (issue 35).
func TestLinePatternsRefuseLineBreaks(t *testing.T) {
	re := func(s string) []*regexp.Regexp { return []*regexp.Regexp{regexp.MustCompile(s)} }
	tests := []struct {
		name     string
		target   string
		template probe.Check
		err      string
	}{
		{"tcp, \\r\\n in Expect", "tcp://127.0.0.1:6379", checks.TCP{Expect: re(`^\+PONG\r\n$`)},
			`Expect "^\\+PONG\\r\\n$" holds a line break, but Expect and Reject match one line at a time, without its \r\n: write ^ and $ for a line's start and end`},
		{"tls, \\n in Reject", "tls://127.0.0.1:6379", checks.TCP{Expect: re(`OK`), Reject: re("ERR\n")}, `Reject "ERR\n" holds a line break`},
		{"unix, a class of \\n alone", "unix:///run/app.sock", checks.TCP{Expect: re(`a[\n]b`)}, `Expect "a[\\n]b" holds a line break`},
		{"file", "file:///etc/status", checks.File{Expect: re(`ready\n`)}, `Expect "ready\\n" holds a line break`},
		{"\\s may match a space", "tcp://127.0.0.1:6379", checks.TCP{Expect: re(`\+PONG\s*$`)}, ""},
		{"a literal \\r is left alone", "tcp://127.0.0.1:6379", checks.TCP{Expect: re(`a\rb`)}, ""},
		{"Reject without Expect", "tcp://127.0.0.1:6379", checks.TCP{Reject: re(`ERR`)}, "Reject needs Expect on a tcp://, tls:// or unix: target"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := probe.ParseTarget(tc.target, tc.template)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("want the target, got %v", err)
			case tc.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.err)):
				t.Fatalf("got %v, want an error that begins %q", err, tc.err)
			}
		})
	}
}

// gRPC metadata is what grpc-go (grpc-health-probe's -rpc-header) lets
// through: names of [0-9a-z-_.] (probe writes them in lower case) and
// values of printable ASCII, unless the name ends in -bin, whose value is
// bytes. grpc-go fails such a call before sending it; probe says so before
// any check.
func TestGRPCMetadata(t *testing.T) {
	tests := []struct {
		name   string
		header []checks.Header
		err    string
	}{
		{"a name of letters, digits, - _ .", []checks.Header{{Name: "X-Request_ID.v2", Value: "abc"}}, ""},
		{"a name with another character", []checks.Header{{Name: "x!token", Value: "abc"}}, "Metadata x!token: a gRPC metadata name has only letters, digits and - _ . (grpc-go refuses others)"},
		{"a value that is not ASCII", []checks.Header{{Name: "x-name", Value: "café"}}, "Metadata x-name: a gRPC metadata value is printable ASCII; send other bytes under a name that ends in -bin"},
		{"a tab in a value", []checks.Header{{Name: "x-name", Value: "a\tb"}}, "Metadata x-name: a gRPC metadata value is printable ASCII"},
		{"a name gRPC reserves", []checks.Header{{Name: "Content-Type", Value: "text/plain"}}, "Metadata Content-Type: gRPC reserves this header; probe sets what it needs"},
		{"bytes under -bin", []checks.Header{{Name: "x-name-bin", Value: "café\t"}}, ""},
		{"a user agent that is not ASCII", []checks.Header{{Name: "User-Agent", Value: "probé"}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := probe.ParseTarget("grpc://127.0.0.1:50051", checks.GRPC{Metadata: tc.header})
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("want the target, got %v", err)
			case tc.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.err)):
				t.Fatalf("got %v, want an error that begins %q", err, tc.err)
			}
		})
	}
}
