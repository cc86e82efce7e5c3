package text_test

import (
	"fmt"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/probe-sh/probe/internal/text"
)

// TestTableIsTabwriter: the same tables, written by text/tabwriter with a
// padding of two spaces and by Table, are the same bytes.
func TestTableIsTabwriter(t *testing.T) {
	for name, lines := range map[string][]string{
		"processes": {
			"PID\tPPID\tNAME\tSTATE\tTHREADS\tRSS\tCPU\tFILES\n",
			"1\t0\tprobe\tS\t5\t3.1 MiB\t0.01s\t9/1048576\n",
			"4242\t\t?\tno such process\t\t\t\t\n",
			"17\t1\tapp-with-a-long-name\tR\t12\t120 MiB\t12.50s\t?\n",
		},
		"listening":         {"  127.0.0.1:8080\tPID 1 (app)\n", "  [::]:443\t? (owner not readable)\n"},
		"no tabs":           {"one\n", "two\n"},
		"empty cells":       {"\t\t\n", "a\t\tb\n"},
		"wide runes":        {"héllo\twörld\tx\n", "ab\tc\td\n"},
		"one line":          {"a\tb\n"},
		"ragged, same ends": {"a\tbb\tccc\n", "dddd\te\tf\n"},
	} {
		var want strings.Builder
		tw := tabwriter.NewWriter(&want, 0, 0, 2, ' ', 0)
		var got strings.Builder
		tb := text.NewTable(&got)
		for _, l := range lines {
			fmt.Fprint(tw, l)
			tb.Printf("%s", l)
		}
		tw.Flush()
		tb.Flush()
		if got.String() != want.String() {
			t.Errorf("%s: Table wrote\n%q\ntabwriter\n%q", name, got.String(), want.String())
		}
	}
}
