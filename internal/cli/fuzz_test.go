package cli

import (
	"io"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCLI parses arbitrary command lines and builds their checks without
// running them (so no fuzzed host is ever contacted): no panic, and any error
// is one line.
func FuzzCLI(f *testing.F) {
	for _, s := range []string{
		"http://127.0.0.1:8080/healthz",
		"https://127.0.0.1:8443/healthz\x00--insecure\x00-H\x00Host: api.example.com",
		"tcp://127.0.0.1:6379\x00--send\x00PING\\r\\n\x00--expect\x00+PONG",
		"--timeout\x005x\x00http://x/",
		"--status\x00200-299,304\x00--max-body\x0064KiB\x00http://x/",
		"--help", "--version", "check\x00--help", "-o\x00json\x00-v\x00tcp://x:1",
		"--expect-body\x00(\x00http://x/", "-H\x00bad\x00http://x/",
		"listen\x008080", "process\x00--pid\x001\x00--max-fds\x0090%", "inspect\x001", "serve\x00--interval\x000s\x00tcp://x:1",
		"wait\x00--timeout\x001s\x00tcp://x:1", "process\x00--pid\x001\x00--name\x00x",
		"-q\x00watch\x00tcp://x:1\x00--expect\x00X\x00tcp://y:2", "exec\x00--check\x00http://x/\x00--status\x00503\x00--check=tcp://y:1\x00-qZ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, "\x00")
		cli, _, code, err := testParse(args, io.Discard, io.Discard)
		if code >= 0 {
			if code != 0 && code != 1 {
				t.Fatalf("exit code %d", code)
			}
			return
		}
		if err != nil {
			checkErrorLine(t, err)
			return
		}
		if _, err := cli.Globals.options(); err != nil {
			return
		}
		if _, err := cli.Check.build(cli.Check.Targets, "/proc", Stamp{}); err != nil {
			checkErrorLine(t, err)
		}
	})
}

// checkErrorLine: the line probe prints for err is one line, with no byte
// that a terminal would act on.
func checkErrorLine(t *testing.T, err error) {
	t.Helper()
	line := errorLine(err, "", nil)
	body, ok := strings.CutSuffix(line, "\n")
	if !ok || strings.IndexFunc(body, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		t.Fatalf("the error line is not one printable line: %q", line)
	}
}

// FuzzPattern: any --expect text becomes a matcher, and text that is not a
// valid regular expression matches itself literally.
func FuzzPattern(f *testing.F) {
	for _, s := range []string{"+PONG", `"status":"UP"`, "(", "[a-", `\`, "^220 ", "a{2,1}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var p Pattern
		if err := p.UnmarshalText([]byte(text)); err != nil {
			if utf8.ValidString(text) {
				t.Fatalf("UnmarshalText(%q): %v", text, err)
			}
			return
		}
		if _, err := regexp.Compile(text); err != nil && !p.MatchString(text) {
			t.Fatalf("literal %q does not match itself", text)
		}
	})
}
