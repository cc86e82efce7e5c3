package kong

import (
	"bytes"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// toText is go/doc.ToText for help that is plain paragraphs, as a
// program's flags and commands have it: the paragraphs apart at blank
// lines, each filled to width as go/doc/comment's printer fills them,
// with wrap, its line breaking. What go/doc/comment reads besides
// paragraphs (code blocks, lists, headings, links and their definitions,
// doubled backquotes and single quotes as curly quotes) is not read here:
// such text is filled as paragraphs too. Formatting help without go/doc/comment keeps its 30 KB
// of parser and printer out of the program.
func toText(w io.Writer, text string, prefix, codePrefix string, width int) {
	if width == 0 {
		width = 80 - utf8.RuneCountInString(prefix)
	}
	var out bytes.Buffer
	lines := strings.Split(text, "\n")
	for i, n := 0, 0; i < len(lines); n++ {
		for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
			i++
		}
		start := i
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" {
			i++
		}
		if start == i {
			break
		}
		if n > 0 {
			out.WriteString(prefix)
			writeNL(&out)
		}
		out.WriteString(prefix)
		words := strings.Fields(strings.Join(lines[start:i], "\n"))
		seq := []int{0, len(words)} // one long line
		if width >= 0 {
			seq = wrap(words, width)
		}
		for j := 0; j+1 < len(seq); j++ {
			if j > 0 {
				out.WriteString(prefix)
			}
			out.WriteString(strings.Join(words[seq[j]:seq[j+1]], " "))
			writeNL(&out)
		}
	}
	_, _ = w.Write(out.Bytes())
}

// writeNL, wrap and wrapPenalty are go/doc/comment's (text.go, Go 1.26),
// unchanged but for the comments shortened. Copyright 2022 The Go Authors;
// BSD-style licence, as Go's own.

// writeNL calls out.WriteByte('\n')
// but first trims trailing spaces on the previous line.
func writeNL(out *bytes.Buffer) {
	// Trim trailing spaces.
	data := out.Bytes()
	n := 0
	for n < len(data) && (data[len(data)-n-1] == ' ' || data[len(data)-n-1] == '\t') {
		n++
	}
	if n > 0 {
		out.Truncate(len(data) - n)
	}
	out.WriteByte('\n')
}

// wrap wraps words into lines of at most max runes,
// minimizing the sum of the squares of the leftover lengths
// at the end of each line (except the last, of course),
// with a preference for ending lines at punctuation (.,:;).
//
// The returned slice gives the indexes of the first words
// on each line in the wrapped text with a final entry of len(words).
//
// The implementation runs in O(n log n) time, where n = len(words),
// using the algorithm described in D. S. Hirschberg and L. L. Larmore,
// “The least weight subsequence problem,” FOCS 1985, pp. 137-143.
// The weights are pairs [hi, lo], compared element by element: hi counts
// lines longer than max, lo the square of the spaces left at the end of
// each line plus 64 for a line that does not end in punctuation.
func wrap(words []string, max int) (seq []int) {
	type score struct {
		hi int64
		lo int64
	}
	add := func(s, t score) score { return score{s.hi + t.hi, s.lo + t.lo} }
	cmp := func(s, t score) int {
		switch {
		case s.hi < t.hi:
			return -1
		case s.hi > t.hi:
			return +1
		case s.lo < t.lo:
			return -1
		case s.lo > t.lo:
			return +1
		}
		return 0
	}

	// total[j] is the total number of runes
	// (including separating spaces) in words[:j].
	total := make([]int, len(words)+1)
	total[0] = 0
	for i, s := range words {
		total[1+i] = total[i] + utf8.RuneCountInString(s) + 1
	}

	// weight returns weight(i, j).
	weight := func(i, j int) score {
		// On the last line, there is zero weight for being too short.
		n := total[j] - 1 - total[i]
		if j == len(words) && n <= max {
			return score{0, 0}
		}

		// Otherwise the weight is the penalty plus the square of the number of
		// characters remaining on the line or by which the line goes over.
		// In the latter case, that value goes in the hi part of the score.
		p := wrapPenalty(words[j-1])
		v := int64(max-n) * int64(max-n)
		if n > max {
			return score{v, p}
		}
		return score{0, v + p}
	}

	// The rest of this function is “The Basic Algorithm” from
	// Hirschberg and Larmore's conference paper,
	// using the same names as in the paper.
	f := []score{{0, 0}}
	g := func(i, j int) score { return add(f[i], weight(i, j)) }

	bridge := func(a, b, c int) bool {
		k := c + sort.Search(len(words)+1-c, func(k int) bool {
			k += c
			return cmp(g(a, k), g(b, k)) > 0
		})
		if k > len(words) {
			return true
		}
		return cmp(g(c, k), g(b, k)) <= 0
	}

	// d is a one-ended deque implemented as a slice.
	d := make([]int, 1, len(words))
	d[0] = 0
	bestleft := make([]int, 1, len(words))
	bestleft[0] = -1
	for m := 1; m < len(words); m++ {
		f = append(f, g(d[0], m))
		bestleft = append(bestleft, d[0])
		for len(d) > 1 && cmp(g(d[1], m+1), g(d[0], m+1)) <= 0 {
			d = d[1:] // “Retire”
		}
		for len(d) > 1 && bridge(d[len(d)-2], d[len(d)-1], m) {
			d = d[:len(d)-1] // “Fire”
		}
		if cmp(g(m, len(words)), g(d[len(d)-1], len(words))) < 0 {
			d = append(d, m) // “Hire”
			// The next few lines are not in the paper but are necessary
			// to handle two-word inputs correctly. It appears to be
			// just a bug in the paper's pseudocode.
			if len(d) == 2 && cmp(g(d[1], m+1), g(d[0], m+1)) <= 0 {
				d = d[1:]
			}
		}
	}
	bestleft = append(bestleft, d[0])

	// Recover least weight sequence from bestleft.
	n := 1
	for m := len(words); m > 0; m = bestleft[m] {
		n++
	}
	seq = make([]int, n)
	for m := len(words); m > 0; m = bestleft[m] {
		n--
		seq[n] = m
	}
	return seq
}

// wrapPenalty is the penalty for inserting a line break after word s.
func wrapPenalty(s string) int64 {
	switch s[len(s)-1] {
	case '.', ',', ':', ';':
		return 0
	}
	return 64
}
