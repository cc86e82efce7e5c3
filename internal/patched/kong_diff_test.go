package patched_test

import (
	"bytes"
	"fmt"
	"go/doc/comment"
	"reflect"
	"strconv"
	"strings"
	"testing"

	upstream "github.com/alecthomas/kong"

	"github.com/probe-sh/probe/internal/patched/kong"
)

// The differential test of the kong patches that change how text is read
// (0004: ${...} without a regular expression, tags without rune slices;
// 0008: tag keys; 0009: help filled as plain paragraphs): a struct whose
// one flag has the fuzzed text as its default and its help is built and
// parsed by upstream kong and by the copy, and the value and the error must
// be the same, and the help too when go/doc/comment reads the flag's help
// as plain paragraphs (plainParagraphs), which is all 0009 reads.
// internal/cli/kong_diff_test.go does the same for probe's own command
// lines, and its whole help at every width.

// kongOutcome is what one kong made of a flag.
type kongOutcome struct {
	Value string
	Err   string
	Help  string
}

// plainParagraphs reports whether go/doc/comment, with the look-ups of an
// empty package (as go/doc.ToText and patch 0007 call it), reads text as
// paragraphs of plain text and nothing else: no code block, list, heading,
// link, link definition, or doubled quotes turned into curly ones. Those
// are what the copy fills as go/doc/comment does (0009), byte for byte.
func plainParagraphs(text string) bool {
	if strings.Contains(text, "``") || strings.Contains(text, "''") {
		return false
	}
	p := &comment.Parser{
		LookupPackage: func(name string) (string, bool) { return "", name == "" },
		LookupSym:     func(recv, name string) bool { return false },
	}
	doc := p.Parse(text)
	if len(doc.Links) > 0 {
		return false
	}
	for _, b := range doc.Content {
		para, ok := b.(*comment.Paragraph)
		if !ok {
			return false
		}
		for _, t := range para.Text {
			switch t := t.(type) {
			case comment.Plain:
			case *comment.Link:
				if !t.Auto { // a URL in the text, printed as it is
					return false
				}
			default:
				return false
			}
		}
	}
	return true
}

// sameAsUpstream reports whether the copy's outcome is upstream's: the
// value, the error and, when the help text is plain paragraphs, the help.
func sameAsUpstream(got, want kongOutcome, helpText string) bool {
	if !plainParagraphs(helpText) {
		got.Help, want.Help = "", ""
	}
	return got == want
}

// flagStruct is a struct with one flag, F, whose tag is tag.
func flagStruct(tag string) reflect.Value {
	t := reflect.StructOf([]reflect.StructField{{Name: "F", Type: reflect.TypeFor[string](), Tag: reflect.StructTag(tag)}})
	return reflect.New(t)
}

// copyKong is what the copy makes of a flag with tag, parsing args, its
// help at most wrap columns wide (0: 80).
func copyKong(tag string, args []string, wrap int) (out kongOutcome) {
	v := flagStruct(tag)
	var help bytes.Buffer
	defer func() {
		if r := recover(); r != nil {
			out.Err = fmt.Sprint("panic: ", r)
		}
	}()
	p, err := kong.New(v.Interface(), kong.Name("t"), kong.Writers(&help, &help), kong.Exit(func(int) {}),
		kong.Vars{"known": "KNOWN", "empty": ""}, kong.ConfigureHelp(kong.HelpOptions{WrapUpperBound: wrap}))
	if err != nil {
		return kongOutcome{Err: err.Error()}
	}
	if _, err := p.Parse(args); err != nil {
		out.Err = err.Error()
	}
	out.Value, out.Help = v.Elem().Field(0).String(), help.String()
	return out
}

// upstreamKong is copyKong on upstream kong, and the flag's help text as
// upstream's help formats it (its ${...} replaced).
func upstreamKong(tag string, args []string, wrap int) (out kongOutcome, helpText string) {
	v := flagStruct(tag)
	var help bytes.Buffer
	defer func() {
		if r := recover(); r != nil {
			out.Err = fmt.Sprint("panic: ", r)
		}
	}()
	p, err := upstream.New(v.Interface(), upstream.Name("t"), upstream.Writers(&help, &help), upstream.Exit(func(int) {}),
		upstream.Vars{"known": "KNOWN", "empty": ""}, upstream.ConfigureHelp(upstream.HelpOptions{WrapUpperBound: wrap}))
	if err != nil {
		return kongOutcome{Err: err.Error()}, ""
	}
	for _, f := range p.Model.Flags {
		if f.Name != "help" {
			helpText = f.Help
		}
	}
	if _, err := p.Parse(args); err != nil {
		out.Err = err.Error()
	}
	out.Value, out.Help = v.Elem().Field(0).String(), help.String()
	return out, helpText
}

// kongSeeds are texts at the edges of both patches: every form of ${...},
// escapes, quotes, separators, UTF-8 and not, and links for go/doc.
var kongSeeds = []string{
	"", "plain", "$", "$$", "a$$b", "${known}", "${known=x}", "${unknown}", "${unknown=}", "${unknown=def}",
	"${}", "${1x}", "${_x=}", "${known", "${known=x", "$${known}", "${known}${known}", "x${a.b}y", "${empty}",
	`with \"quotes\"`, `back\\slash`, `a\tb`, "tab\there", "é ☃ 漢字", "[link] and [fmt.Println] and [Name]",
	"indented\n\n    code block\n\nafter", "a,b c:d=e", "'single' quotes", `\u2603`, `\x41`, "trailing \\",
	// Paragraphs, filled (0009): blank lines, spaces, punctuation to end a
	// line at, a word longer than the line, what go/doc/comment reads
	// otherwise (a heading, a list, a link definition, quotes).
	"Health checks for containers: HTTP(S), TCP and /proc checks. Exit 0 is healthy.\n\nFlags before the first target apply to every target of their kind; after a target, to that target only.",
	"one\n \n\ttwo  three\r\n\nfour", "  common\n  indent\n\n  kept", "PORT, ADDR:PORT or [ADDR6]:PORT; see http://example.com/a and https://x.y/.",
	"a-very-long-word-that-fills-more-than-one-line-of-any-help-at-all-and-then-some-more-of-it, then short words.",
	"First\n\nOld Heading\n\nText", "# Heading\n\ntext", "list:\n  - one\n  - two", "[x]: https://example.com\n\nsee [x]", "``quoted''",
}

// kongTags turns a text into the tags that carry it: as the default, as
// the help, and through a kong:"..." tag.
func kongTags(text string) []string {
	q := strconv.Quote(text)
	return []string{
		"default:" + q + " help:" + q,
		"help:" + q + " placeholder:" + q,
		`kong:"default='` + text + `'"`,
		"name:" + q + " default:\"x\"",
	}
}

func TestKongTextMatchesUpstream(t *testing.T) {
	plain := 0
	for _, text := range kongSeeds {
		for _, tag := range kongTags(text) {
			for _, args := range [][]string{nil, {"--help"}, {"--f=v$$"}} {
				got := copyKong(tag, args, 0)
				want, helpText := upstreamKong(tag, args, 0)
				if !sameAsUpstream(got, want, helpText) {
					t.Errorf("tag %q, args %q:\ncopy:     %+v\nupstream: %+v", tag, args, got, want)
				}
				if plainParagraphs(helpText) && len(args) > 0 && args[0] == "--help" {
					plain++
				}
			}
		}
	}
	if plain < len(kongSeeds) {
		t.Errorf("the help of only %d flags was compared: the seeds are not plain paragraphs, so the test proves little", plain)
	}
}

func FuzzKongText(f *testing.F) {
	for _, s := range kongSeeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, text string, help bool) {
		args := []string(nil)
		if help {
			args = []string{"--help"}
		}
		for _, tag := range kongTags(text) {
			got := copyKong(tag, args, 0)
			if want, helpText := upstreamKong(tag, args, 0); !sameAsUpstream(got, want, helpText) {
				t.Fatalf("tag %q, args %q:\ncopy:     %+v\nupstream: %+v", tag, args, got, want)
			}
		}
	})
}

// FuzzKongHelpWidth: the help of a flag, filled to any width from 1 to 80
// columns (the help column is narrower by the flag's own, down to none).
func FuzzKongHelpWidth(f *testing.F) {
	for _, s := range kongSeeds {
		for _, w := range []uint8{1, 12, 20, 33, 47, 64, 80} {
			f.Add(s, w)
		}
	}
	f.Fuzz(func(t *testing.T, text string, width uint8) {
		wrap := 1 + int(width)%80
		tag := "help:" + strconv.Quote(text)
		got := copyKong(tag, []string{"--help"}, wrap)
		if want, helpText := upstreamKong(tag, []string{"--help"}, wrap); !sameAsUpstream(got, want, helpText) {
			t.Fatalf("help %q at %d columns:\ncopy:\n%s\nupstream:\n%s", text, wrap, got.Help, want.Help)
		}
	})
}
