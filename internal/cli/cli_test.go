package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/patched/kong"
	"github.com/probe-sh/probe/probe"
)

func TestParseDefaults(t *testing.T) {
	t.Setenv("PROBE_MARKER", "")
	t.Setenv("PROBE_TIMEOUT", "")
	cli, _, code, err := testParse([]string{"http://127.0.0.1:8080/healthz"}, io.Discard, io.Discard)
	if err != nil || code != -1 {
		t.Fatalf("parse: code %d, %v", code, err)
	}
	g := cli.Globals
	if g.Timeout != nil || g.timeoutOr(time.Second) != time.Second || g.Marker != probe.DefaultMarker || g.NoMarker || g.Retries != 0 || g.Output != "text" {
		t.Errorf("globals: %+v", g)
	}
	c := cli.Check
	if c.Status.String() != "200-399" || c.MaxBody != 1<<20 || c.MaxRedirects != 0 || c.Method != "GET" {
		t.Errorf("check flags: status %s, max-body %s, redirects %d, method %s", c.Status, c.MaxBody, c.MaxRedirects, c.Method)
	}
	if len(c.Targets) != 1 {
		t.Errorf("targets: %q", c.Targets)
	}
}

func TestParseFlagsAfterTargets(t *testing.T) {
	cli, _, _, err := testParse([]string{"https://127.0.0.1:8443/healthz", "--insecure", "-H", "Host: api.example.com", "-H", "X-A: b"}, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !cli.Check.Insecure || len(cli.Check.Header) != 2 || cli.Check.Header[0] != "Host: api.example.com" {
		t.Fatalf("flags after the target were lost: %+v", cli.Check.TargetFlags)
	}
	targets, err := cli.Check.build(cli.Check.Targets, "/proc", Stamp{})
	if err != nil {
		t.Fatal(err)
	}
	h, ok := targets[0].Check.(checks.HTTP)
	if !ok || h.TLS == nil || !h.TLS.InsecureSkipVerify || h.Header[0] != (checks.Header{Name: "Host", Value: "api.example.com"}) {
		t.Fatalf("built check: %+v", targets[0].Check)
	}
}

// TestRunExitCodes pins the only two exit codes: kong's 80 never leaks.
func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"--help"}, 0, "Usage: probe", ""},
		{[]string{"--version"}, 0, "probe dev", ""},
		{[]string{"--bogus"}, 1, "", "probe: error: unknown flag --bogus (see probe --help)\n"},
		{[]string{"-o", "xml", "http://x/"}, 1, "", "probe: error: --output must be one of"},
		{[]string{"--timeout", "soon", "http://x/"}, 1, "", "probe: error: --timeout:"},
		{[]string{}, 1, "", "probe: error: no target given"},
		{[]string{"--no-marker", "--timeout", "1s", "tcp://127.0.0.1:1"}, 1, "unhealthy tcp://127.0.0.1:1", ""},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(tc.args, &stdout, &stderr, Stamp{})
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if !strings.Contains(stdout.String(), tc.stdout) || !strings.HasPrefix(stderr.String(), tc.stderr) {
				t.Errorf("stdout %q, stderr %q; want %q and %q", stdout.String(), stderr.String(), tc.stdout, tc.stderr)
			}
			if strings.Count(stderr.String(), "\n") > 1 {
				t.Errorf("stderr spans lines: %q", stderr.String())
			}
		})
	}
}

// kong reads a positional list only until a flag interrupts it; probe lets
// flags sit anywhere, as curl does.
func TestFlagsBetweenTargets(t *testing.T) {
	tests := []struct {
		args    []string
		targets []string
	}{
		{[]string{"http://a/", "--status", "200", "tcp://b:1"}, []string{"http://a/", "tcp://b:1"}},
		{[]string{"http://a/", "-k", "tcp://b:1", "--send", "x", "tls://c:2", "-k"}, []string{"http://a/", "tcp://b:1", "tls://c:2"}},
		{[]string{"http://a/", "--status=200", "-vH", "X: y", "tcp://b:1"}, []string{"http://a/", "tcp://b:1"}},
		{[]string{"-t", "1s", "http://a/", "-Hx:y", "tcp://b:1"}, []string{"http://a/", "tcp://b:1"}},
		{[]string{"check", "http://a/", "-k", "tcp://b:1"}, []string{"http://a/", "tcp://b:1"}},
		{[]string{"tcp://b:1", "--send=-v", "http://a/"}, []string{"tcp://b:1", "http://a/"}},
		{[]string{"--", "http://a/", "tcp://b:1"}, []string{"http://a/", "tcp://b:1"}},
	}
	for _, tc := range tests {
		cli, _, _, err := testParse(tc.args, io.Discard, io.Discard)
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if strings.Join(cli.Check.Targets, " ") != strings.Join(tc.targets, " ") {
			t.Errorf("%q: targets %q, want %q", tc.args, cli.Check.Targets, tc.targets)
		}
	}
	// An unknown flag is still kong's to report, in one line.
	if _, _, _, err := testParse([]string{"http://a/", "--nope", "tcp://b:1"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "unknown flag --nope") {
		t.Errorf("unknown flag: %v", err)
	}
}

func TestBuildVersion(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}
	for _, c := range []struct {
		name, version, commit string
		info                  *debug.BuildInfo
		wantV, wantC          string
	}{
		{"ldflags win", "v1.2.3", "abc", &debug.BuildInfo{Main: debug.Module{Version: "v9.9.9"}, Settings: vcs}, "v1.2.3", "abc"},
		{"go install", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}}, "v0.4.0", "unknown"},
		{"go build in a checkout", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs}, "dev", "0123456789ab-dirty"},
		{"no build information", "", "", nil, "dev", "unknown"},
	} {
		if v, cm := buildVersion(Stamp{c.version, c.commit}, c.info); v != c.wantV || cm != c.wantC {
			t.Errorf("%s: buildVersion = %q, %q; want %q, %q", c.name, v, cm, c.wantV, c.wantC)
		}
	}
	// The build information as the linker writes it: each copy's upstream
	// module among the rest, in module path order.
	deps := []*debug.Module{
		{Path: "github.com/alecthomas/kong", Version: "v1.17.0"},
		{Path: "github.com/prometheus/procfs", Version: "v0.23.0"},
		{Path: "github.com/valyala/bytebufferpool", Version: "v1.0.0"},
		{Path: "github.com/valyala/fasthttp", Version: "v1.78.0"},
		{Path: "golang.org/x/sys", Version: "v0.49.0"},
	}
	text := versionText(Stamp{"v1.2.3", "abc"}, &debug.BuildInfo{Deps: deps}, true)
	want := "probe v1.2.3 (commit abc, " + runtime.Version() + ", " + runtime.GOOS + "/" + runtime.GOARCH + ")\n" +
		"  github.com/alecthomas/kong v1.17.0, patched copy in internal/patched/kong\n" +
		"  github.com/prometheus/procfs v0.23.0, patched copy in internal/patched/procfs\n" +
		"  github.com/valyala/fasthttp v1.78.0, patched copy in internal/patched/fasthttp\n" +
		"  github.com/valyala/bytebufferpool v1.0.0\n" +
		"  golang.org/x/sys v0.49.0\n"
	if text != want {
		t.Errorf("versionText -v:\n%s\nwant:\n%s", text, want)
	}
	if short := versionText(Stamp{}, nil, false); strings.Count(short, "\n") != 1 {
		t.Errorf("versionText without -v is not one line: %q", short)
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"PORT": "9000", "EMPTY": "", "TOKEN": "s3cr3t", "PASS": "ab@cd/ef:gh?#& %", "HOSTILE": "evil.example/x", "NESTED": "${PORT}"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for in, want := range map[string]string{
		"http://127.0.0.1:${PORT}/healthz":       "http://127.0.0.1:9000/healthz",
		"http://127.0.0.1:${NOPE:-8080}/healthz": "http://127.0.0.1:8080/healthz",
		"${EMPTY:-fallback}":                     "fallback",
		"[${EMPTY}]":                             "[]",
		"Authorization: Bearer ${TOKEN}":         "Authorization: Bearer s3cr3t",
		"UP$":                                    "UP$",
		"a$$b $$${PORT}":                         "a$b $9000",
		"$PORT stays":                            "$PORT stays",
		"${PORT:-}":                              "9000",
		"${NOPE:-a:-b}":                          "a:-b",
		// In a URL, a value is escaped for the part it is in.
		"redis://:${PASS}@cache:6379":          "redis://:ab%40cd%2Fef%3Agh%3F%23&%20%25@cache:6379",
		"postgres://${PASS}:${PASS}@db/app":    "postgres://ab%40cd%2Fef%3Agh%3F%23&%20%25:ab%40cd%2Fef%3Agh%3F%23&%20%25@db/app",
		"http://h/x?token=${PASS}&a=1":         "http://h/x?token=ab%40cd%2Fef%3Agh%3F%23%26+%25&a=1",
		"http://h/${PASS}/y":                   "http://h/ab@cd%2Fef:gh%3F%23&%20%25/y",
		"http://h:${PORT}/p?q=${PORT}#${PORT}": "http://h:9000/p?q=9000#9000",
		"unix:///run/${PORT}.sock":             "unix:///run/${PORT}.sock"[:0] + "unix:///run/9000.sock",
		// A value is never expanded again.
		"http://h/${NESTED}": "http://h/$%7BPORT%7D",
		"x${NESTED}":         "x${PORT}",
	} {
		if got, err := expand(in, lookup, ""); err != nil || got != want {
			t.Errorf("expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"http://h:${HOSTILE}/":   "${HOSTILE} is in a URL's host and port, and its value holds /, ?, #, @ or a space",
		"http://h:${NOPE}/":      "${NOPE} is not set: set it, or give a default, as in ${NOPE:-value}",
		"${PORT":                 `"${PORT" has no closing }`,
		"${1ABC}":                "${1ABC} is not a variable",
		"${TOKEN-s3cr3t-oops}x}": "is not a variable",
	} {
		if _, err := expand(in, lookup, ""); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("expand(%q): %v, want an error with %q", in, err, want)
		}
	}
}

// testParse is parse with kong's own exit as a code (-1 for none), as the
// tests compare it.
func testParse(args []string, stdout, stderr io.Writer) (*CLI, *kong.Context, int, error) {
	cli, kctx, err := parseLine(args, stdout, stderr, Stamp{})
	if code, ok := errors.AsType[exitCode](err); ok {
		return cli, kctx, int(code), nil
	}
	return cli, kctx, -1, err
}

// TestPrunedModelParsesAsTheWhole: the model of only the flags a line uses
// (model.go) gives what the whole model gives, on the lines that upstream
// kong cannot be asked about (--version's hook is the copy's), and on
// words that name flags where they are values.
func TestPrunedModelParsesAsTheWhole(t *testing.T) {
	t.Setenv("PROBE_MARKER", "")
	for _, args := range [][]string{
		{"--version"}, {"-v", "--version"}, {"serve", "--version"}, {"--version", "--bogus"}, {"--bogus", "--version"},
		{"--version", "http://a/", "--max-body", "0"}, {"--expect-body", "--version", "http://a/"},
		{"http://a/", "--expect-json", "version"}, {"--expect-body=--version", "http://a/"},
	} {
		var prunedOut, wholeOut bytes.Buffer
		pruned, _, perr := parseLine(args, &prunedOut, &prunedOut, Stamp{Version: "v1"})
		whole, _, werr := parse(args, &wholeOut, &wholeOut, Stamp{Version: "v1"}, wholeModel)
		if fmt.Sprint(perr) != fmt.Sprint(werr) || prunedOut.String() != wholeOut.String() {
			t.Errorf("%q: pruned %v %q, whole %v %q", args, perr, prunedOut.String(), werr, wholeOut.String())
		}
		if perr == nil && !reflect.DeepEqual(pruned.Check.TargetFlags, whole.Check.TargetFlags) {
			t.Errorf("%q: the flags differ:\npruned %+v\nwhole  %+v", args, pruned.Check.TargetFlags, whole.Check.TargetFlags)
		}
	}
}

// TestFlagsBindAlikeInEveryCommand: every command that takes targets binds
// a target flag as the default command does (flags.go), whether the command
// comes first or after flags of the run (issue 34: probe watch T1 --expect
// X T2, and probe -q serve ..., were refused or bound wrongly).
func TestFlagsBindAlikeInEveryCommand(t *testing.T) {
	t.Setenv("PROBE_MARKER", "")
	const a, b, c = "http://127.0.0.1:1/a", "http://127.0.0.1:2/b", "http://127.0.0.1:3/c"
	for _, cmd := range [][]string{{}, {"check"}, {"serve"}, {"wait"}, {"watch"}, {"exec"}} {
		targets := []string{a, "--status", "503", b, "-H", "X-B: 1", c}
		if len(cmd) > 0 && cmd[0] == "exec" {
			targets = []string{"--listen", "127.0.0.1:0", "--check", a, "--status", "503", "--check", b, "-H", "X-B: 1", "--check=" + c}
		}
		for _, run := range [][]string{nil, {"-q", "-t", "1s"}} {
			for _, order := range []string{"run flags first", "command first"} {
				args := slices.Concat(run, cmd, []string{"--status", "200-299"}, targets)
				if order == "command first" {
					args = slices.Concat(cmd, run, []string{"--status", "200-299"}, targets)
				}
				t.Run(strings.Join(args, " "), func(t *testing.T) {
					_, kctx, err := parseLine(args, io.Discard, io.Discard, Stamp{})
					if err != nil {
						t.Fatal(err)
					}
					tc, ok := selected[targeted](kctx)
					if !ok {
						t.Fatalf("%s takes no targets", kctx.Command())
					}
					var raw []string
					switch c := tc.(type) {
					case *CheckCmd:
						raw = c.Targets
					case *ServeCmd:
						raw = c.Targets
					case *WaitCmd:
						raw = c.Targets
					case *WatchCmd:
						raw = c.Targets
					case *ExecCmd:
						raw = c.Check
					}
					built, err := tc.targetFlags().build(raw, "/proc", Stamp{})
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, target := range built {
						h := target.Check.(checks.HTTP)
						got = append(got, fmt.Sprintf("%s %s %d", target.Name, h.Status, len(h.Header)))
					}
					want := []string{a + " 503 0", b + " 200-299 1", c + " 200-299 0"}
					if !slices.Equal(got, want) {
						t.Errorf("targets:\n%q\nwant\n%q", got, want)
					}
				})
			}
		}
	}
}

// TestExpandErrorsInSecretPlaces: an error about a ${...} where a secret
// may sit (a secret flag's value, a URL's userinfo, a secret query value)
// names the place but never shows the text, which may be part of a
// password (issue 34: "${S3cr3tPart..." has no closing } went to Docker's
// health log). Elsewhere the name still shows.
func TestExpandErrorsInSecretPlaces(t *testing.T) {
	lookup := func(k string) (string, bool) { return map[string]string{"PORT": "1"}[k], k == "PORT" }
	for _, c := range []struct {
		prev, arg, want string
	}{
		{"-H", "Authorization: Bearer ab${cdefgh", "a ${ in -H Authorization has no closing }"},
		{"--header", "Authorization: Bearer ${cdefgh}", "a variable in --header Authorization is not set"},
		{"", "--header=Authorization: Bearer ${cd-efgh}", "a ${...} in --header Authorization is not a variable"},
		{"", "-HX-Api-Key: ${cdefgh", "a ${ in -H X-Api-Key has no closing }"},
		{"-vH", "X-Api-Key: ${cdefgh", "a ${ in -H X-Api-Key has no closing }"},
		{"-d", `{"password":"ab${cdefgh}"}`, "a variable in -d is not set"},
		{"--send", `AUTH ab${cdefgh`, "a ${ in --send has no closing }"},
		{"", "redis://:S3cr${cdefgh}@cache:6379", "a variable in a target's userinfo is not set"},
		{"", "redis://cdefgh:S3cr${cd/efgh}@cache:6379", "a ${...} in a target is not a variable"},
		{"", "http://u:p${cdefgh/x@h:${PORT}/", "a ${...} in a target is not a variable"},
		{"", "u:p${cdefgh@h", "a ${ in a target has no closing }"},
		{"", "http://h/?a=1&token=ab${cdefgh}", "a variable in a target's query parameter token is not set"},
		{"", "http://h/?a=1&${PORT}=ab${cdefgh}", "a variable in a target's query is not set"},
	} {
		_, err := expand(c.arg, lookup, secretFlag(c.prev, c.arg))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "cdef") {
			t.Errorf("%q %q: %v, want %q", c.prev, c.arg, err, c.want)
		}
	}
	for _, c := range []struct{ prev, arg, want string }{
		{"", "http://h:${NOPE}/", "${NOPE} is not set"},
		{"", "http://h/?q=${NOPE}", "${NOPE} is not set"},
		{"--expect-body", "${UP", `"${UP" has no closing }`},
		{"-t", "${TIMEOUT}", "${TIMEOUT} is not set"},
	} {
		if _, err := expand(c.arg, lookup, secretFlag(c.prev, c.arg)); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q %q: %v, want %q", c.prev, c.arg, err, c.want)
		}
	}
}

// TestVersionBuildsNoModel: probe --version alone prints the version
// without building kong's model (a third of its start-up); what it prints and
// its exit are kong's (TestPrunedModelParsesAsTheWhole).
func TestVersionBuildsNoModel(t *testing.T) {
	allocs := testing.AllocsPerRun(5, func() {
		if _, _, code, err := testParse([]string{"--version"}, io.Discard, io.Discard); code != 0 || err != nil {
			t.Fatalf("exit %d, %v", code, err)
		}
	})
	if allocs > 100 {
		t.Errorf("probe --version allocates %.0f times: it builds a model of the command line", allocs)
	}
}
