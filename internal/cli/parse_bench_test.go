package cli

import (
	"io"
	"testing"
)

// BenchmarkParse measures the CLI's share of every health check's start-up:
// building kong's model and parsing a typical command line.
func BenchmarkParse(b *testing.B) {
	args := []string{"--timeout", "2s", "http://127.0.0.1:8080/healthz", "--expect-body", `"status":"UP"`}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := testParse(args, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
