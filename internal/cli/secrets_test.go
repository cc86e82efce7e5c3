package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
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

// TestVarFromFile: ${VAR} unset or empty, with VAR_FILE naming a file (a
// Docker or Kubernetes secret, as the official images' entrypoints read
// them), takes the file's content, its trailing newlines trimmed; the value
// reaches the server (which echoes it) and no output shows it, whatever
// the variable's name; a file that cannot be read is one line that names
// the variable and the file, never the content.
func TestVarFromFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := dir + "/" + name
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("X-Key")
		io.WriteString(w, "key="+got) //nolint:errcheck
	}))
	defer srv.Close()
	run := func(env map[string]string) (string, int) {
		for _, name := range []string{"APIKEY", "APIKEY_FILE"} {
			t.Setenv(name, env[name])
		}
		got = ""
		var stdout, stderr bytes.Buffer
		code := Main([]string{"--no-marker", "-v", "-H", "X-Key: ${APIKEY}", "--expect-body", "NOPE", srv.URL + "/"}, &stdout, &stderr, Stamp{})
		return stdout.String() + stderr.String(), code
	}
	for _, c := range []struct {
		name, content, want string
	}{
		{"a newline trimmed", "f1le-Secret-A\n", "f1le-Secret-A"},
		{"CRLF trimmed", "f1le-Secret-B\r\n", "f1le-Secret-B"},
		{"every trailing newline, as $(< file)", "f1le-Secret-C\n\r\n\n", "f1le-Secret-C"},
		{"none", "f1le-Secret-D", "f1le-Secret-D"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, code := run(map[string]string{"APIKEY_FILE": write("key", c.content)})
			if got != c.want {
				t.Errorf("the server got %q, want %q", got, c.want)
			}
			if code != 1 || strings.Contains(out, "f1le") || !strings.Contains(out, "key=***") {
				t.Errorf("exit %d:\n%s", code, out)
			}
		})
	}
	t.Run("the variable first", func(t *testing.T) {
		if out, _ := run(map[string]string{"APIKEY": "from-env-V4R", "APIKEY_FILE": write("key", "f1le-Secret-E")}); got != "from-env-V4R" {
			t.Errorf("the server got %q, want the variable's value:\n%s", got, out)
		}
	})
	for _, c := range []struct{ name, path, want string }{
		{"missing", dir + "/none", "probe: error: ${APIKEY} is read from APIKEY_FILE, and cannot be: " + dir + "/none: no such file or directory"},
		{"a directory", dir, "probe: error: ${APIKEY} is read from APIKEY_FILE, and cannot be: " + dir + ": is a directory, not a file"},
		{"too large", write("big", "f1le-"+strings.Repeat("x", maxSecretFile)), "probe: error: ${APIKEY} is read from APIKEY_FILE, and cannot be: " + dir + "/big: 64.0KiB, larger than the 64.0KiB a file like this can be"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, code := run(map[string]string{"APIKEY_FILE": c.path})
			if code != 1 || !strings.HasPrefix(out, c.want) || strings.Count(out, "\n") != 1 || strings.Contains(out, "f1le") || got != "" {
				t.Errorf("exit %d, the server got %q:\n%s\nwant %s", code, got, out, c.want)
			}
		})
	}
}
