package sanitize_test

import (
	"testing"

	"github.com/probe-sh/probe/internal/sanitize"
)

// BenchmarkMask: what masking costs each result (probe.Run masks its
// target, detail and reply): a healthy line with no secret, an unhealthy
// one with a target's secrets (userinfo, its Basic form, a bearer token),
// and a -v reply excerpt that echoes the token in JSON's escaping.
func BenchmarkMask(b *testing.B) {
	secrets := []string{"hunter2&<pw>", "dXNlcjpodW50ZXIyJjxwdz4=", "Bearer Tk9&zQ<7abc", "Tk9&zQ<7abc"}
	for _, c := range []struct {
		name, text string
		secrets    []string
	}{
		{"healthy", "HTTP 200 OK", nil},
		{"healthy with secrets", "HTTP 200 OK", secrets},
		{"detail", `HTTP 503 Service Unavailable, but --status wants 200-399; got "{\"status\":\"DOWN\",\"components\":{\"db\":{\"status\":\"DOWN\"}}}"`, secrets},
		{"reply echoing", `"{\"Accept\":[\"*/*\"],\"Authorization\":[\"Bearer Tk9\\u0026zQ\\u003c7abc\"],\"User-Agent\":[\"probe/dev\"],\"X-Forwarded-For\":[\"10.0.0.1\"],\"X-Request-Id\":[\"3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b\"]}\n"`, secrets},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				sanitize.Mask(c.text, c.secrets)
			}
		})
	}
}
