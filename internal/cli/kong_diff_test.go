package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	upstream "github.com/alecthomas/kong"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/patched/kong"
	"github.com/probe-sh/probe/internal/sanitize"
)

// The differential test of kong: every one-liner and flag combination goes
// through probe's parser, built on the patched copy, and through the same
// parser built on upstream kong, and both must give the same values, the
// same command, the same error and the same output. This is what lets go.mod
// name upstream kong for a copy that is compiled in its place.

// parsed is what one parse gave, as text that can be compared.
type parsed struct {
	Values  string
	Command string
	Err     string
	Code    int
	Stdout  string
	Stderr  string
}

func copyParse(args []string) parsed {
	var stdout, stderr bytes.Buffer
	cli, kctx, code, err := testParse(args, &stdout, &stderr)
	return result(cli, kctx, code, err, &stdout, &stderr)
}

// upstreamParse is parse, on upstream kong. Where flags bind is probe's own
// code (bindFlags), not under test, so both parsers get the same words.
func upstreamParse(args []string) (p parsed) {
	var stdout, stderr bytes.Buffer
	code := -1
	cli := &CLI{}
	var kctx *upstream.Context
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				c, ok := r.(exitCode)
				if !ok {
					panic(r)
				}
				code = min(int(c), 1)
			}
		}()
		var opts []upstream.Option
		all := len(args) == 0 || slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "--help" || a == "help" })
		for _, c := range commands {
			if all || slices.Contains(args, c.name) {
				opts = append(opts, upstream.DynamicCommand(c.name, c.help, "", c.cmd(cli)))
			}
		}
		opts = append(opts,
			upstream.Name("probe"),
			upstream.Description(description),
			upstream.Writers(&stdout, &stderr),
			upstream.Exit(func(c int) { panic(exitCode(c)) }),
			upstream.DefaultEnvars("PROBE"),
			upstream.PostBuild(func(k *upstream.Kong) error {
				var walk func(n *upstream.Node)
				walk = func(n *upstream.Node) {
					for _, f := range n.Flags {
						for _, name := range f.Tag.Envs {
							if v, set := os.LookupEnv(name); set && v == "" {
								os.Unsetenv(name)
							}
						}
					}
					for _, c := range n.Children {
						walk(c)
					}
				}
				walk(k.Model.Node)
				return nil
			}),
			upstream.Bind(Stamp{}),
			upstream.Vars(kongVars()),
		)
		parser, perr := upstream.New(cli, opts...)
		if perr != nil {
			err = perr
			return
		}
		bound, berr := bindFlags(copyParserFor(args).Model.Node, args)
		if berr != nil {
			err = berr
			return
		}
		// As parse does: the run, each target with flags of its own, the run.
		if kctx, err = parser.Parse(bound.args()); err != nil || !bound.hasPerTarget() {
			return
		}
		perTarget := make([]*TargetFlags, len(bound.targets))
		for i, own := range bound.perTarget {
			if own == nil {
				continue
			}
			if kctx, err = parser.Parse(bound.argsFor(i)); err != nil {
				err = fmt.Errorf("for %s: %w", sanitize.RedactText(bound.targets[i]), err)
				return
			}
			if cmd, ok := upstreamSelected(kctx); ok {
				copied := *cmd.targetFlags()
				perTarget[i] = &copied
			}
		}
		if kctx, err = parser.Parse(bound.args()); err == nil {
			if cmd, ok := upstreamSelected(kctx); ok {
				cmd.targetFlags().perTarget = perTarget
			}
		}
	}()
	var command string
	if kctx != nil {
		command = kctx.Command()
	}
	return finish(cli, command, code, err, &stdout, &stderr)
}

// upstreamSelected is selected, on upstream kong's context.
func upstreamSelected(kctx *upstream.Context) (targeted, bool) {
	node := kctx.Selected()
	if node == nil || !node.Target.CanAddr() {
		return nil, false
	}
	t, ok := node.Target.Addr().Interface().(targeted)
	return t, ok
}

// copyParserFor builds probe's parser on the copy, for hoistTargets.
func copyParserFor(args []string) *kong.Kong {
	cli := &CLI{}
	opts := append(commandOptions(cli, args), kong.Name("probe"), kongVars())
	p, err := kong.New(cli, opts...)
	if err != nil {
		panic(err)
	}
	return p
}

func result(cli *CLI, kctx *kong.Context, code int, err error, stdout, stderr *bytes.Buffer) parsed {
	var command string
	if kctx != nil {
		command = kctx.Command()
	} else if cli != nil && len(cli.Check.Targets) > 0 && err == nil && code < 0 {
		// A line of targets only, parsed without kong (parseLine): the
		// check command, which Main runs.
		command = "check <target>"
	}
	return finish(cli, command, code, err, stdout, stderr)
}

func finish(cli *CLI, command string, code int, err error, stdout, stderr *bytes.Buffer) parsed {
	p := parsed{Command: command, Code: code, Stdout: stdout.String(), Stderr: stderr.String()}
	if err != nil {
		p.Err = err.Error()
	}
	if cli != nil {
		var b strings.Builder
		dump(&b, reflect.ValueOf(cli).Elem())
		for _, f := range []*TargetFlags{&cli.Check.TargetFlags, &cli.Serve.TargetFlags, &cli.Wait.TargetFlags} {
			for i, own := range f.perTarget {
				if own != nil {
					fmt.Fprintf(&b, " target %d:", i)
					dump(&b, reflect.ValueOf(own).Elem())
				}
			}
		}
		p.Values = b.String()
	}
	return p
}

// dump writes every exported field of v, regular expressions as their text.
func dump(b *strings.Builder, v reflect.Value) {
	switch {
	case v.Type() == reflect.TypeFor[*regexp.Regexp]():
		if v.IsNil() {
			b.WriteString("nil")
		} else {
			fmt.Fprintf(b, "/%s/", v.Interface())
		}
	case v.Kind() == reflect.Pointer:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		b.WriteString("&")
		dump(b, v.Elem())
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() != reflect.Uint8:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		b.WriteString("[")
		for i := range v.Len() {
			dump(b, v.Index(i))
			b.WriteString(" ")
		}
		b.WriteString("]")
	case v.Kind() == reflect.Struct:
		b.WriteString("{")
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				b.WriteString(f.Name + ":")
				dump(b, v.Field(i))
				b.WriteString(" ")
			}
		}
		b.WriteString("}")
	default:
		fmt.Fprintf(b, "%#v", v.Interface())
	}
}

// sampleValues are a good and a bad value for a flag of each type.
func sampleValues(t reflect.Type) (good, bad string) {
	switch t {
	case reflect.TypeFor[checks.StatusRanges]():
		return "200-299,304", "99"
	case reflect.TypeFor[checks.Size]():
		return "64KiB", "lots"
	case reflect.TypeFor[checks.Share]():
		return "90%", "150%"
	case reflect.TypeFor[Duration]():
		return "14d", "soon"
	case reflect.TypeFor[Pattern]():
		return `"status":"UP"`, "\xff"
	}
	switch t.String() {
	case "time.Duration", "*time.Duration":
		return "2s", "soon"
	}
	switch t.Kind() {
	case reflect.Int:
		return "3", "three"
	case reflect.Slice:
		return "X-A: b", ""
	}
	return "v", ""
}

// flagArgs lists, for every command, every flag with a value that parses
// and, where there is one, with a value that does not.
func flagArgs(t *testing.T) map[string][][]string {
	t.Helper()
	out := map[string][][]string{}
	for _, cmd := range append([]string{""}, commandNames()...) {
		args := []string{}
		if cmd != "" {
			args = []string{cmd}
		}
		p := copyParserFor(args)
		node := p.Model.Node
		if cmd != "" {
			for _, c := range node.Children {
				if c.Name == cmd {
					node = c
				}
			}
		}
		for _, group := range node.AllFlags(false) {
			for _, f := range group {
				if f.Name == "help" || f.Name == "version" {
					continue
				}
				if f.IsBool() {
					out[cmd] = append(out[cmd], []string{"--" + f.Name}, []string{"--" + f.Name + "=false"})
					continue
				}
				good, bad := sampleValues(f.Target.Type())
				if len(f.Enum) > 0 {
					good, bad = f.EnumSlice()[len(f.EnumSlice())-1], "nope"
				}
				out[cmd] = append(out[cmd], []string{"--" + f.Name, good})
				if f.Short != 0 {
					out[cmd] = append(out[cmd], []string{"-" + string(f.Short), good})
				}
				if bad != "" {
					out[cmd] = append(out[cmd], []string{"--" + f.Name + "=" + bad})
				}
			}
		}
	}
	return out
}

func commandNames() []string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return names
}

// oneLiners are the README's, word for word, and the usage errors around
// them.
var oneLiners = [][]string{
	{"http://127.0.0.1:8080/healthz"},
	{"https://127.0.0.1:8443/healthz", "--insecure", "-H", "Host: api.example.com"},
	{"http://127.0.0.1:8080/healthz", "--expect-body", `"status":"UP"`},
	{"tcp://127.0.0.1:5432"},
	{"tcp://127.0.0.1:6379", "--send", `PING\r\n`, "--expect", "+PONG"},
	{"http://127.0.0.1:8080/healthz", "tcp://127.0.0.1:6379"},
	{"listen", "8080"},
	{"process"},
	{"drain"},
	{"undrain"},
	{"exec", "--drain-delay", "10s", "--", "/app", "--flag"},
	{"exec", "--", "/app", "--flag"},
	{"exec", "--drain-min", "6s", "--drain-max", "15s", "--", "/app"},
	{"serve", "--listen", ":9090", "http://app:8080/healthz", "tcp://db:5432"},
	{"wait", "--timeout", "60s", "tcp://db:5432", "--", "/app"},
	{"inspect"},
	{"http://a/", "--expect-body", "DOWN", "http://b/", "--expect-body", "UP"},
	{"tcp://r:1", "--send", `PING\r\n`, "--expect", "+PANG", "tcp://m:2", "--send", `stats\r\n`, "--expect", "STAT|ERR", "--reject", "^ERROR"},
	{"--status", "200", "-H", "A: 1", "http://a/", "http://b/", "--status", "503", "-H", "B: 2", "-k"},
	{"serve", "http://a/", "--status", "204", "tcp://b:1", "--expect", "x"},
	{"wait", "http://a/", "--status", "204", "tcp://b:1", "--expect", "x", "--", "/app"},
	{"http://a/", "--status", "204", "http://b/", "--status", "nope"},
	{"--timeout", "2s", "http://127.0.0.1:8080/healthz"},
	{"-qv", "-o", "json", "http://a/"},
	{"-t2s", "http://a/"},
	{"process", "--pid", "7", "--max-rss", "512MiB", "--max-fds", "90%"},
	{"process", "--pid", "7", "--name", "x"},
	{"inspect", "12"},
	{"serve", "--interval", "1s", "--success-threshold", "2", "--failure-threshold", "3", "http://a/"},
	{"serve"},
	{"wait"},
	{"nope", "http://a/"},
	{"--bogus", "http://a/"},
	{"-o", "yaml", "http://a/"},
	{"--timeout"},
	{},
	// Words that name a flag or a command where they are only values: the
	// model of the flags a line uses must not be fooled by them.
	{"http://a/", "--expect-json", "version", "--expect-json", "!serve"},
	{"--expect-body=--version", "http://a/"},
	{"http://a/", "-X", "-v"},
	{"http://a/", "--send=-t2s", "tcp://b:1"},
	{"--help"},
	{"-h"},
	{"help"},
	{"serve", "--help"},
	{"wait", "--help"},
	{"exec", "--help"},
	{"process", "--help"},
	{"listen", "--help"},
	{"inspect", "--help"},
	{"drain", "--help"},
}

func TestKongCopyParsesAsUpstream(t *testing.T) {
	for _, env := range []string{"PROBE_TIMEOUT", "PROBE_MARKER", "PROBE_RETRIES", "PROBE_HEADER", "PROBE_INSECURE", "PROBE_OUTPUT"} {
		t.Setenv(env, "")
	}
	var cases [][]string
	cases = append(cases, oneLiners...)
	for cmd, flags := range flagArgs(t) {
		prefix := []string{}
		target := []string{"http://127.0.0.1:8080/healthz"}
		switch cmd {
		case "":
		case "listen":
			prefix, target = []string{cmd}, []string{"8080"}
		case "inspect", "process", "drain", "undrain":
			prefix, target = []string{cmd}, nil
		case "exec":
			prefix, target = []string{cmd}, []string{"--", "/app"}
		default:
			prefix = []string{cmd}
		}
		for i, a := range flags {
			cases = append(cases, concat(prefix, a, target), concat(prefix, target, a))
			if testing.Short() {
				continue
			}
			// Every pair, one before and one after the target.
			for _, b := range flags[i+1:] {
				cases = append(cases, concat(prefix, a, target, b))
			}
		}
	}
	if len(cases) < 300 {
		t.Fatalf("only %d cases: the flag walk found too few flags", len(cases))
	}
	parsedSome := 0
	for _, args := range cases {
		got, want := copyParse(args), upstreamParse(args)
		if got != want {
			t.Errorf("probe %q: the copy and upstream kong differ\ncopy:     %+v\nupstream: %+v", args, got, want)
			continue
		}
		if got.Err == "" && got.Code < 0 {
			parsedSome++
		}
	}
	t.Logf("%d command lines, %d parsed without error, the same through both", len(cases), parsedSome)
	if parsedSome < len(cases)/2 {
		t.Errorf("only %d of %d command lines parsed: the samples are wrong, so the test proves little", parsedSome, len(cases))
	}
}

// TestKongCopyHelpAtEveryWidth: probe's whole help, every command's, is
// upstream's at every terminal width, from 20 columns to 200: the copy fills
// help as plain paragraphs (patch 0009), and probe's help is nothing else.
func TestKongCopyHelpAtEveryWidth(t *testing.T) {
	t.Setenv("PROBE_MARKER", "")
	lines := [][]string{{"--help"}, {"check", "--help"}}
	for _, c := range commands {
		lines = append(lines, []string{c.name, "--help"})
	}
	for cols := 20; cols <= 200; cols += 9 {
		t.Setenv("COLUMNS", strconv.Itoa(cols)) // kong's width, upstream's and the copy's
		for _, args := range lines {
			got, want := copyParse(args), upstreamParse(args)
			if got != want {
				t.Errorf("COLUMNS=%d probe %q: the copy's help and upstream's differ\ncopy:\n%s\nupstream:\n%s", cols, args, got.Stdout, want.Stdout)
			} else if !strings.Contains(got.Stdout, "Usage: probe") {
				t.Errorf("COLUMNS=%d probe %q printed no help: %+v", cols, args, got)
			}
		}
	}
}

// TestKongCopyEnvironment: flags from PROBE_ variables parse the same.
func TestKongCopyEnvironment(t *testing.T) {
	t.Setenv("PROBE_TIMEOUT", "2s")
	t.Setenv("PROBE_HEADER", "Host: api")
	t.Setenv("PROBE_INSECURE", "1")
	t.Setenv("PROBE_MARKER", "")
	t.Setenv("PROBE_STATUS", "200")
	args := []string{"https://127.0.0.1:8443/"}
	got, want := copyParse(args), upstreamParse(args)
	if got != want {
		t.Fatalf("the copy and upstream kong differ\ncopy:     %+v\nupstream: %+v", got, want)
	}
	if !strings.Contains(got.Values, "Insecure:true") || !strings.Contains(got.Values, "Timeout:&2000000000") {
		t.Errorf("the environment did not reach the flags: %s", got.Values)
	}
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// TestWithoutKongParsesAsUpstream: a line of targets and the run flags
// health checks are written with is parsed without kong (parseLine's fast
// path: kctx is nil), and gives what upstream kong's parse of the whole
// model gives, values, command and output alike; any other line goes
// through kong.
func TestWithoutKongParsesAsUpstream(t *testing.T) {
	t.Setenv("PROBE_MARKER", "")
	t.Setenv("PROBE_TIMEOUT", "") // set but empty: unset, for kong too
	for _, args := range [][]string{
		{"http://127.0.0.1:8080/healthz"}, {"tcp://a:1", "http://b/"}, {"nope"}, {"a b", "ünï"},
		{"http://a/?x=--y"}, {"version"}, {"timeout"}, {"insecure", "k"}, {"HTTP://A/"},
		{"grpc://a:1", "dns://b/x?type=A", "file:///tmp/x", "http://u:secret@a/"},
		{"--timeout", "2s", "--retries", "2", "http://127.0.0.1:8080/healthz"},
		{"--timeout", "2s", "--no-marker", "postgres://127.0.0.1:5432"},
		{"-t", "1m", "tcp://a:1", "-q"}, {"--retries", "0x10", "http://a/"}, {"--retries", "010", "http://a/"},
		{"--retries", "1_000", "http://a/"}, {"--timeout=1500ms", "--no-marker", "http://a/"},
		{"-v", "http://a/", "--loopback-only"}, {"http://a/", "--verbose", "tcp://b:1"}, {"--quiet", "http://a/"},
		{"--timeout", "0s", "http://a/"}, {"--timeout", "1h2m3.5s", "--retries", "0", "http://a/"},
	} {
		_, kctx, err := parseLine(args, io.Discard, io.Discard, Stamp{})
		if err != nil || kctx != nil {
			t.Errorf("probe %q: not parsed without kong (kong's context: %v, error: %v)", args, kctx != nil, err)
		}
		if got, want := copyParse(args), upstreamParse(args); got != want {
			t.Errorf("probe %q: the fast path and upstream kong differ\nfast path: %+v\nupstream:  %+v", args, got, want)
		}
	}
	for _, args := range [][]string{
		{"check", "http://a/"}, {"serve", "http://a/"}, {"-o", "json", "http://a/"}, {"-qv", "http://a/"},
		{"http://a/", "--status", "200"}, {"wait", "http://a/"}, {"http://a/", "completion"}, {"-t2s", "http://a/"},
	} {
		if _, kctx, err := parseLine(args, io.Discard, io.Discard, Stamp{}); err != nil || kctx == nil {
			t.Errorf("probe %q: not parsed by kong (kong's context: %v, error: %v)", args, kctx != nil, err)
		}
	}
	for _, args := range [][]string{
		nil, {}, {""}, {"http://a/", ""}, {"help"}, {"check"}, {"http://a/", "--"}, {"-"}, {"exec"}, {"install"},
		{"\xff"}, {"http://a/\xfe"}, {"--timeout", "2", "http://a/"}, {"--timeout", "2s"}, {"--quiet=false", "http://a/"},
		{"-t=2s", "http://a/"}, {"--retries", "-1", "http://a/"}, {"--retries", "x", "http://a/"}, {"http://a/", "--timeout"},
		{"--timeout=", "http://a/"}, {"--retries", "99999999999999999999", "http://a/"}, {"--timeout", "\xff", "http://a/"},
		{"--timeout", "1s", "--timeout", "2s", "http://a/"}, {"-q", "--quiet", "http://a/"},
	} {
		if withoutKong(args) != nil {
			t.Errorf("probe %q: parsed without kong", args)
		}
		// kong parses these, or says what is wrong, as ever.
		if got, want := copyParse(args), upstreamParse(args); len(args) > 0 && got != want {
			t.Errorf("probe %q: the copy and upstream kong differ\ncopy:     %+v\nupstream: %+v", args, got, want)
		}
	}
	// The PROBE_ variables of those flags (and of --marker) are read as kong
	// reads them, the command line winning; any other, or a value that does
	// not decode, goes to kong.
	for _, c := range []struct {
		env         []string
		args        []string
		withoutKong bool
	}{
		{[]string{"PROBE_TIMEOUT=3s"}, []string{"http://a/"}, true},
		{[]string{"PROBE_TIMEOUT=3s"}, []string{"--timeout", "1s", "http://a/"}, true},
		{[]string{"PROBE_RETRIES=0x3", "PROBE_MARKER=/tmp/m"}, []string{"http://a/"}, true},
		{[]string{"PROBE_LOOPBACK_ONLY=1", "PROBE_QUIET=yes", "PROBE_VERBOSE=FALSE", "PROBE_NO_MARKER=true"}, []string{"http://a/"}, true},
		{[]string{"PROBE_NO_MARKER=0"}, []string{"--no-marker", "http://a/"}, true},
		{[]string{"PROBE_TIMEOUT=3"}, []string{"http://a/"}, false},
		{[]string{"PROBE_QUIET=maybe"}, []string{"http://a/"}, false},
		{[]string{"PROBE_STATUS=200"}, []string{"http://a/"}, false},
		{[]string{"PROBE_OUTPUT=json"}, []string{"http://a/"}, false},
		{[]string{"PROBE_no_marker=1"}, []string{"http://a/"}, false},
		{[]string{"PROBE_NO-MARKER=1"}, []string{"http://a/"}, false},
		{[]string{"PROBE_PROC_ROOT=/x"}, []string{"http://a/"}, false},
	} {
		for _, kv := range c.env {
			k, v, _ := strings.Cut(kv, "=")
			t.Setenv(k, v)
		}
		if got := withoutKong(c.args) != nil; got != c.withoutKong {
			t.Errorf("%s probe %q: parsed without kong %v, want %v", c.env, c.args, got, c.withoutKong)
		}
		if got, want := copyParse(c.args), upstreamParse(c.args); got != want {
			t.Errorf("%s probe %q: the copy and upstream kong differ\ncopy:     %+v\nupstream: %+v", c.env, c.args, got, want)
		}
		for _, kv := range c.env {
			k, _, _ := strings.Cut(kv, "=")
			os.Unsetenv(k)
		}
	}
	t.Setenv("PROBE_TIMEOUT", "3s")
	cli, _, err := parseLine([]string{"http://a/"}, io.Discard, io.Discard, Stamp{})
	if err != nil || cli.Timeout == nil || *cli.Timeout != 3*time.Second {
		t.Errorf("PROBE_TIMEOUT=3s probe http://a/: error %v, timeout %v; want 3s", err, cli.Timeout)
	}
}

// FuzzWithoutKong: any line parsed without kong gives what upstream kong's
// parse of the whole model gives (${VAR} aside: parseLine expands it
// first, which upstreamParse does not).
func FuzzWithoutKong(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8080/healthz", "tcp://a:1\x00http://b/", "nope", "a b\x00ünï", "version", "k",
		"grpc://a:1\x00dns://b/x?type=A", "--timeout\x002s\x00--retries\x002\x00http://a/", "-t\x001m\x00-q\x00tcp://a:1",
		"--retries\x000x10\x00--no-marker\x00http://a/", "--timeout=1.5h\x00-v\x00--loopback-only\x00http://a/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, "\x00")
		if withoutKong(args) == nil || strings.Contains(line, "$") {
			return
		}
		t.Setenv("PROBE_MARKER", "")
		if got, want := copyParse(args), upstreamParse(args); got != want {
			t.Errorf("probe %q: the fast path and upstream kong differ\nfast path: %+v\nupstream:  %+v", args, got, want)
		}
	})
}

// TestWithoutKongCommandAfterDashes: a command after "--" on a line the
// check command runs, parsed without kong, is the usage error kong's parse
// gives (it was a nil kong context, dereferenced).
func TestWithoutKongCommandAfterDashes(t *testing.T) {
	for _, env := range []string{"", "/tmp/no-such-marker"} {
		t.Setenv("PROBE_MARKER", env)
		var stdout, stderr bytes.Buffer
		code := Main([]string{"http://127.0.0.1:1/", "--", "true"}, &stdout, &stderr, Stamp{})
		const want = "probe: error: only probe wait, probe exec and probe run take a command after \"--\" (see probe --help)\n"
		if code != 1 || stderr.String() != want || stdout.Len() != 0 {
			t.Errorf("PROBE_MARKER=%q probe http://127.0.0.1:1/ -- true: exit %d, stdout %q, stderr %q; want 1 and %q", env, code, stdout.String(), stderr.String(), want)
		}
	}
}
