package patched_test

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"testing"

	upstream "github.com/alecthomas/kong"

	"github.com/probe-sh/probe/internal/patched/kong"
)

// The differential test of the kong patches that change how text is read
// (0004: ${...} without a regular expression, tags without rune slices;
// 0007: help through go/doc/comment): a struct whose one flag has the
// fuzzed text as its default and its help is built and parsed by upstream
// kong and by the copy, and the value, the error and the help must be the
// same. internal/cli/kong_diff_test.go does the same for probe's own
// command lines.

// kongOutcome is what one kong made of a flag.
type kongOutcome struct {
	Value string
	Err   string
	Help  string
}

// flagStruct is a struct with one flag, F, whose tag is tag.
func flagStruct(tag string) reflect.Value {
	t := reflect.StructOf([]reflect.StructField{{Name: "F", Type: reflect.TypeFor[string](), Tag: reflect.StructTag(tag)}})
	return reflect.New(t)
}

func copyKong(tag string, args []string) (out kongOutcome) {
	v := flagStruct(tag)
	var help bytes.Buffer
	defer func() {
		if r := recover(); r != nil {
			out.Err = fmt.Sprint("panic: ", r)
		}
	}()
	p, err := kong.New(v.Interface(), kong.Name("t"), kong.Writers(&help, &help), kong.Exit(func(int) {}),
		kong.Vars{"known": "KNOWN", "empty": ""})
	if err != nil {
		return kongOutcome{Err: err.Error()}
	}
	if _, err := p.Parse(args); err != nil {
		out.Err = err.Error()
	}
	out.Value, out.Help = v.Elem().Field(0).String(), help.String()
	return out
}

func upstreamKong(tag string, args []string) (out kongOutcome) {
	v := flagStruct(tag)
	var help bytes.Buffer
	defer func() {
		if r := recover(); r != nil {
			out.Err = fmt.Sprint("panic: ", r)
		}
	}()
	p, err := upstream.New(v.Interface(), upstream.Name("t"), upstream.Writers(&help, &help), upstream.Exit(func(int) {}),
		upstream.Vars{"known": "KNOWN", "empty": ""})
	if err != nil {
		return kongOutcome{Err: err.Error()}
	}
	if _, err := p.Parse(args); err != nil {
		out.Err = err.Error()
	}
	out.Value, out.Help = v.Elem().Field(0).String(), help.String()
	return out
}

// kongSeeds are texts at the edges of both patches: every form of ${...},
// escapes, quotes, separators, UTF-8 and not, and links for go/doc.
var kongSeeds = []string{
	"", "plain", "$", "$$", "a$$b", "${known}", "${known=x}", "${unknown}", "${unknown=}", "${unknown=def}",
	"${}", "${1x}", "${_x=}", "${known", "${known=x", "$${known}", "${known}${known}", "x${a.b}y", "${empty}",
	`with \"quotes\"`, `back\\slash`, `a\tb`, "tab\there", "é ☃ 漢字", "[link] and [fmt.Println] and [Name]",
	"indented\n\n    code block\n\nafter", "a,b c:d=e", "'single' quotes", `\u2603`, `\x41`, "trailing \\",
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
	for _, text := range kongSeeds {
		for _, tag := range kongTags(text) {
			for _, args := range [][]string{nil, {"--help"}, {"--f=v$$"}} {
				got, want := copyKong(tag, args), upstreamKong(tag, args)
				if got != want {
					t.Errorf("tag %q, args %q:\ncopy:     %+v\nupstream: %+v", tag, args, got, want)
				}
			}
		}
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
			if got, want := copyKong(tag, args), upstreamKong(tag, args); got != want {
				t.Fatalf("tag %q, args %q:\ncopy:     %+v\nupstream: %+v", tag, args, got, want)
			}
		}
	})
}
