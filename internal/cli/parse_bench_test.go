package cli

import (
	"io"
	"testing"
)

// benchArgs is a typical health check's command line.
var benchArgs = []string{"--timeout", "2s", "http://127.0.0.1:8080/healthz", "--expect-body", `"status":"UP"`}

// BenchmarkParse measures the CLI's share of every health check's start-up:
// building kong's model and parsing a typical command line.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := testParse(benchArgs, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseWholeModel parses the same line with every flag in kong's
// model, as help and errors do: what the pruned model (model.go) saves,
// beside BenchmarkParse (ARCHITECTURE.md, "Where flags bind").
func BenchmarkParseWholeModel(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := parse(benchArgs, io.Discard, io.Discard, Stamp{}, wholeModel); err != nil {
			b.Fatal(err)
		}
	}
}
