package text

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Table lays out lines of tab-separated cells in columns, as text/tabwriter
// does with a padding of two spaces (and without linking it): each cell
// that a tab ends is padded to its column's widest plus two, the text after
// a line's last tab is written as it is. Lines are written on Flush.
type Table struct {
	b     *strings.Builder
	lines [][]string
}

// NewTable returns a Table that writes into b.
func NewTable(b *strings.Builder) *Table { return &Table{b: b} }

// Printf adds the lines that format and args make; each line ends with a
// newline.
func (t *Table) Printf(format string, args ...any) {
	s := strings.TrimSuffix(fmt.Sprintf(format, args...), "\n")
	for _, line := range strings.Split(s, "\n") {
		t.lines = append(t.lines, strings.Split(line, "\t"))
	}
}

// Flush writes the lines added since the last Flush.
func (t *Table) Flush() {
	var widths []int
	for _, cells := range t.lines {
		for i, c := range cells[:len(cells)-1] {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for _, cells := range t.lines {
		last := len(cells) - 1
		for i, c := range cells[:last] {
			t.b.WriteString(c)
			t.b.WriteString(strings.Repeat(" ", widths[i]+2-utf8.RuneCountInString(c)))
		}
		t.b.WriteString(cells[last])
		t.b.WriteByte('\n')
	}
	t.lines = t.lines[:0]
}
