package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

var (
	mdFence   = regexp.MustCompile("(?ms)^\\s*```.*?^\\s*```")
	mdCode    = regexp.MustCompile("`[^`\n]*`")
	mdLink    = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	mdHeading = regexp.MustCompile(`(?m)^#{1,6}\s+(.+?)\s*#*\s*$`)
	mdAnchor  = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	mdScheme  = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// TestDocLinks: every relative link of every Markdown file in the
// repository names a file that exists, and an #anchor in a Markdown file
// names one of its headings (as GitHub spells them) or an <a id>. A doc
// that points at a file the code no longer writes fails here.
func TestDocLinks(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("git", "ls-files", "*.md").Output()
	if err != nil {
		t.Skip("not a git checkout:", err)
	}
	files := strings.Fields(string(out))
	if len(files) == 0 {
		t.Fatal("no Markdown file")
	}
	anchors := map[string]map[string]bool{}
	anchorsOf := func(path string) map[string]bool {
		if a, ok := anchors[path]; ok {
			return a
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		anchors[path] = markdownAnchors(string(data))
		return anchors[path]
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(stripCode(string(data)), -1) {
			link := m[1]
			if mdScheme.MatchString(link) {
				continue
			}
			path, anchor, _ := strings.Cut(link, "#")
			target := file
			if path != "" {
				target = filepath.Join(filepath.Dir(file), path)
				if _, err := os.Stat(target); err != nil {
					t.Errorf("%s links to %s: %v", file, link, err)
					continue
				}
			}
			if anchor != "" && strings.HasSuffix(target, ".md") && !anchorsOf(target)[anchor] {
				t.Errorf("%s links to %s: %s has no heading or <a id> %q", file, link, target, anchor)
			}
		}
	}
}

// stripCode leaves out fenced blocks and code spans, where a link is text.
func stripCode(s string) string {
	return mdCode.ReplaceAllString(mdFence.ReplaceAllString(s, ""), "")
}

// markdownAnchors returns the anchors of a Markdown file: each heading as
// GitHub slugs it (lower case; letters, digits, spaces, - and _ kept;
// spaces to -; a repeated slug gets -1, -2...) and each <a id> or <a name>.
func markdownAnchors(s string) map[string]bool {
	out := map[string]bool{}
	for _, m := range mdAnchor.FindAllStringSubmatch(s, -1) {
		out[m[1]] = true
	}
	seen := map[string]int{}
	for _, m := range mdHeading.FindAllStringSubmatch(mdFence.ReplaceAllString(s, ""), -1) {
		var b strings.Builder
		for _, r := range strings.ToLower(m[1]) {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteByte('-')
			}
		}
		slug := b.String()
		if n, ok := seen[slug]; ok {
			seen[slug] = n + 1
			slug += "-" + strconv.Itoa(n+1)
		} else {
			seen[slug] = 0
		}
		out[slug] = true
	}
	return out
}

func TestMarkdownAnchors(t *testing.T) {
	t.Parallel()
	got := markdownAnchors("# Benchmarks\n## `probe serve` beside nginx\n### Tags: one, two\n## Tags: one, two\n" +
		"```\n# not a heading\n```\n<a id=\"why-brotli\"></a>\n## What was found, what changed, what it bought\n")
	for _, want := range []string{"benchmarks", "probe-serve-beside-nginx", "tags-one-two", "tags-one-two-1", "why-brotli",
		"what-was-found-what-changed-what-it-bought"} {
		if !got[want] {
			t.Errorf("no anchor %q among %v", want, got)
		}
	}
	if got["not-a-heading"] {
		t.Errorf("a line of a code block is a heading: %v", got)
	}
}

// README.md is the front door: its two set-up commands first, the rest
// short, the detail in docs/ (issue 40 set the bar at 300 lines).
func TestREADMELength(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n > 300 || n < 20 {
		t.Errorf("README.md is %d lines: keep it at most 300, and move detail to docs/", n)
	}
}
