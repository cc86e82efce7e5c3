package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// TestSecretsSurviveNoCut: a server that echoes a bearer token in Go's JSON
// escaping, after padding of every length, places it across every cut that
// output makes: the excerpts of a detail and of -v's reply, the 400-byte
// line, the JSON document. No cut shows three bytes of it, in any output.
func TestSecretsSurviveNoCut(t *testing.T) {
	const token = `Tk9&zQ<7>"xy+/=é😀w`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Write(bytes.Repeat([]byte("x"), n)) //nolint:errcheck
		json.NewEncoder(w).Encode(r.Header)   //nolint:errcheck
	}))
	defer srv.Close()
	t.Setenv("TOKEN", token)
	for n := 0; n < 450; n++ {
		// A long name moves the detail across the 400-byte line too.
		target := fmt.Sprintf("%s/%s?n=%d", srv.URL, strings.Repeat("p", n%97), n)
		for _, flags := range [][]string{{"-v"}, {"-v", "-o", "json"}, {"--expect-body", "NOPE"}, {"-o", "json", "--expect-body", "NOPE"}} {
			args := append([]string{"--no-marker", "-H", "Authorization: Bearer ${TOKEN}"}, flags...)
			args = append(args, target)
			var stdout, stderr bytes.Buffer
			Main(args, &stdout, &stderr, Stamp{})
			if out := stdout.String() + stderr.String(); strings.Contains(out, "Tk9") || !strings.Contains(out, "127.0.0.1") {
				t.Fatalf("probe %q:\n%s", args, out)
			}
		}
	}
}
