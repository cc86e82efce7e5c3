package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/probe-sh/probe/internal/patched/kong"
)

// WriteMan writes probe(1), in man(7) macros, from kong's model of the whole
// command line: the descriptions, flags, placeholders and PROBE_ variables
// that --help shows, so that the two never differ. make release writes it
// (go run ./internal/release man VERSION); the binary does not link it.
func WriteMan(w io.Writer, version string) error {
	app, err := wholeParser()
	if err != nil {
		return err
	}
	root := app.Model.Node
	var b strings.Builder
	line := func(macro string, args ...string) {
		b.WriteString(macro)
		for _, a := range args {
			b.WriteString(" " + a)
		}
		b.WriteByte('\n')
	}
	// text is the model's words, escaped; raw is roff as written here.
	text := func(s string) { b.WriteString(lineStart(esc(s)) + "\n") }
	raw := func(s string) { b.WriteString(s + "\n") }

	line(".TH", "PROBE", "1", `""`, quoted("probe "+version), `"User Commands"`)
	// No hyphenation, ragged right: flag names and variables stay whole.
	line(".nh")
	line(".ad", "l")
	line(".SH", "NAME")
	name, rest, _ := strings.Cut(root.Help, "\n\n")
	summary, _, _ := strings.Cut(name, ". ")
	raw(`probe \- ` + esc(lowerFirst(summary)))
	line(".SH", "SYNOPSIS")
	line(".B", "probe")
	raw(`[\fIflags\fR] \fItarget\fR ...`)
	line(".br")
	line(".B", "probe")
	raw(`\fIcommand\fR [\fIarguments\fR] [\fIflags\fR]`)
	line(".SH", "DESCRIPTION")
	text(name)
	for _, p := range strings.Split(rest, "\n\n") {
		line(".PP")
		text(strings.ReplaceAll(p, "\n", " "))
	}
	flag := func(f *kong.Flag) {
		if f.Hidden {
			return
		}
		line(".TP")
		var s strings.Builder
		if f.Short != 0 {
			s.WriteString(`\fB\-` + string(f.Short) + `\fR, `)
		}
		s.WriteString(`\fB\-\-` + esc(f.Name) + `\fR`)
		if !f.IsBool() && !f.IsCounter() {
			s.WriteString(`=\fI` + esc(f.FormatPlaceHolder()) + `\fR`)
		}
		raw(s.String())
		text(kong.DefaultHelpValueFormatter(f.Value))
	}
	line(".SH", "OPTIONS")
	for _, f := range root.Flags {
		flag(f)
	}
	line(".SH", "COMMANDS")
	var targetFlags []*kong.Flag
	for _, c := range root.Children {
		if c.Hidden {
			continue
		}
		line(".SS", quoted("probe "+c.Summary()))
		text(c.Help)
		for _, arg := range c.Positional {
			line(".TP")
			raw(`\fI` + esc(arg.Summary()) + `\fR`)
			text(kong.DefaultHelpValueFormatter(arg))
		}
		var own []*kong.Flag
		targets := false
		for _, f := range c.Flags {
			if f.Group != nil && targetGroups[f.Group.Key] {
				targets = true
				if c.Name == "check" {
					targetFlags = append(targetFlags, f)
				}
				continue
			}
			own = append(own, f)
		}
		if targets {
			line(".PP")
			text("With the target flags (TARGET FLAGS).")
		}
		for _, f := range own {
			flag(f)
		}
	}
	line(".SH", quoted("TARGET FLAGS"))
	text(targetFlagsHelp)
	group := ""
	for _, f := range targetFlags {
		if f.Group.Title != group {
			group = f.Group.Title
			line(".SS", quoted(group))
		}
		flag(f)
	}
	line(".SH", quoted("EXIT STATUS"))
	text("0 when every target is healthy; 1 when one is unhealthy or draining, or on any error. probe exec exits with the code of the command it runs.")
	line(".SH", quoted("SEE ALSO"))
	text("https://github.com/probe-sh/probe/tree/main/docs")
	_, err = io.WriteString(w, b.String())
	return err
}

// esc escapes the model's words for roff: a backslash, a minus sign, and
// anything not ASCII, which groff reads as Latin-1 unless told otherwise.
func esc(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-':
			b.WriteString(`\-`)
		case r >= 0x80:
			fmt.Fprintf(&b, `\[u%04X]`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// lineStart keeps a line that starts with a dot or a quote from reading as
// a request.
func lineStart(s string) string {
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		return `\&` + s
	}
	return s
}

func quoted(s string) string { return `"` + strings.ReplaceAll(esc(s), `"`, `\(dq`) + `"` }

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
