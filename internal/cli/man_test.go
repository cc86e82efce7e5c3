package cli

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/probe-sh/probe/internal/patched/kong"
)

// TestManPage: probe(1) renders with groff's warnings on and says nothing
// of them, and holds every command, every flag and each one's help as
// --help has it, read from the same model.
func TestManPage(t *testing.T) {
	var page bytes.Buffer
	if err := WriteMan(&page, "v1.2.3-test"); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("groff"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("groff missing: .ci/run installs it")
		}
		t.Skip("SKIPPED: groff missing (apt-get install groff-base): probe(1) is not rendered")
	}
	cmd := exec.Command("groff", "-ww", "-man", "-Tutf8")
	cmd.Stdin = bytes.NewReader(page.Bytes())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("groff -ww -man: %v\n%s", err, stderr.String())
	}
	// The page as a reader sees it, in words: no bold, no line breaks.
	var plain strings.Builder
	for _, r := range stdout.String() {
		if r == '\b' {
			s := []rune(plain.String())
			plain.Reset()
			plain.WriteString(string(s[:len(s)-1]))
			continue
		}
		plain.WriteRune(r)
	}
	words := strings.Join(strings.Fields(strings.ReplaceAll(plain.String(), "\u2010", "-")), " ")
	app, err := wholeParser()
	if err != nil {
		t.Fatal(err)
	}
	has := func(what, s string) {
		t.Helper()
		if s = strings.Join(strings.Fields(s), " "); !strings.Contains(words, s) {
			t.Errorf("probe(1) lacks %s: %q", what, s)
		}
	}
	has("the version", "probe v1.2.3-test")
	for _, want := range []string{"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "TARGET FLAGS", "EXIT STATUS"} {
		has("a section", "\n"+want+"\n")
	}
	flags := 0
	for _, c := range append([]*kong.Node{app.Model.Node}, app.Model.Children...) {
		if c.Hidden {
			continue
		}
		if c != app.Model.Node {
			has("a command", "probe "+c.Summary())
			has("a command's help", c.Help)
		}
		for _, f := range c.Flags {
			if f.Hidden {
				continue
			}
			flags++
			has("a flag", "--"+f.Name)
			has("the help of --"+f.Name, kong.DefaultHelpValueFormatter(f.Value))
		}
	}
	if flags < 60 {
		t.Errorf("only %d flags: the walk missed some", flags)
	}
	if bytes.Contains(page.Bytes(), []byte("ProcRoot")) || strings.Contains(words, "--proc-root") {
		t.Error("a hidden flag is in probe(1)")
	}
}
