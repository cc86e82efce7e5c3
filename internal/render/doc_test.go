package render

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/probe-sh/probe/internal/kinds"
)

const outputDoc = "../../docs/output.md"

var (
	docTick = regexp.MustCompile("`([^`]+)`")
	docJSON = regexp.MustCompile("(?s)```json\n(.*?)```")
)

// docSection returns the text of docs/output.md from the heading to the next
// heading of the same depth or above.
func docSection(t *testing.T, doc, heading string) string {
	t.Helper()
	i := strings.Index(doc, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("%s has no heading %q", outputDoc, heading)
	}
	rest := doc[i+len(heading)+2:]
	depth := strings.Index(heading, " ")
	for _, l := range regexp.MustCompile(`(?m)^#+ `).FindAllStringIndex(rest, -1) {
		if l[1]-l[0]-1 <= depth {
			return rest[:l[0]]
		}
	}
	return rest
}

// docTable returns the rows of the first table in section, each its cells.
func docTable(section string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "|") {
			if len(rows) > 0 {
				break
			}
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if strings.HasPrefix(cells[0], "---") {
			continue
		}
		rows = append(rows, cells)
	}
	if len(rows) > 0 {
		rows = rows[1:] // the header
	}
	return rows
}

// jsonFields walks the types JSON writes and returns each field's path, as
// the doc writes it (checks[].phases[].end_ms), and its JSON type.
func jsonFields(prefix string, typ reflect.Type, out map[string]string) {
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		path := prefix + name
		switch {
		case f.Name == "Checks": // []json.RawMessage, each a jsonResult
			out[path+"[]"] = "array"
			jsonFields(path+"[].", reflect.TypeFor[jsonResult](), out)
		case f.Type.Kind() == reflect.Slice:
			out[path+"[]"] = "array"
			jsonFields(path+"[].", f.Type.Elem(), out)
		case f.Type.Kind() == reflect.String:
			out[path] = "string"
		case f.Type.Kind() == reflect.Float64 || f.Type.Kind() == reflect.Int:
			out[path] = "number"
		default:
			out[path] = f.Type.String()
		}
	}
}

// TestOutputDocJSON: docs/output.md's table of -o json's fields is every
// field JSON writes, with its type, and its example uses only those.
func TestOutputDocJSON(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(outputDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	section := docSection(t, doc, "### JSON (`-o json`)")

	want := map[string]string{}
	jsonFields("", reflect.TypeFor[jsonReport](), want)
	got := map[string]string{}
	for _, row := range docTable(section) {
		m := docTick.FindStringSubmatch(row[0])
		if m == nil || len(row) < 3 {
			t.Fatalf("a row without a field: %q", row)
		}
		got[m[1]] = row[1]
	}
	for path, typ := range want {
		if got[path] == "" {
			t.Errorf("JSON writes %s (%s); the table of %s lacks it", path, typ, outputDoc)
		} else if got[path] != typ {
			t.Errorf("%s is a %s; the table says %s", path, typ, got[path])
		}
	}
	for path := range got {
		if want[path] == "" {
			t.Errorf("the table of %s has %s, which JSON does not write", outputDoc, path)
		}
	}

	examples := docJSON.FindAllStringSubmatch(section, -1)
	if len(examples) == 0 {
		t.Fatalf("%s has no JSON example", outputDoc)
	}
	for _, ex := range examples {
		var v any
		if err := json.Unmarshal([]byte(ex[1]), &v); err != nil {
			t.Fatalf("the example is not JSON: %v\n%s", err, ex[1])
		}
		var walk func(prefix string, v any)
		walk = func(prefix string, v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, x := range v {
					path := prefix + k
					if _, isArray := x.([]any); isArray {
						path += "[]"
					}
					if want[path] == "" {
						t.Errorf("the example has %s, which JSON does not write", path)
					}
					walk(path, x)
				}
			case []any:
				for _, x := range v {
					walk(prefix+".", x)
				}
			}
		}
		walk("", v)
	}
}

// TestOutputDocKinds: docs/output.md's table of kinds is every kind a
// result can name, each with every scheme that names it; and its phases
// are every phase.
func TestOutputDocKinds(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(outputDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)

	want := map[string][]string{
		// Not targets: the commands that check a process and run one.
		"process": {"probe process"},
		"command": {"probe run"},
	}
	for _, k := range kinds.All() {
		for _, s := range k.Schemes {
			sep := "://"
			if k.Opaque {
				sep = ":"
			}
			want[k.Name] = append(want[k.Name], s.Name+sep)
		}
	}
	want["listen"] = append(want["listen"], "probe listen")
	got := map[string][]string{}
	for _, row := range docTable(docSection(t, doc, "### Kinds")) {
		m := docTick.FindStringSubmatch(row[0])
		if m == nil || len(row) < 2 {
			t.Fatalf("a row without a kind: %q", row)
		}
		for _, s := range docTick.FindAllStringSubmatch(row[1], -1) {
			got[m[1]] = append(got[m[1]], s[1])
		}
	}
	for kind, schemes := range want {
		slices.Sort(schemes)
		slices.Sort(got[kind])
		if !slices.Equal(got[kind], schemes) {
			t.Errorf("kind %s: the table says %q, want %q", kind, got[kind], schemes)
		}
	}
	for kind := range got {
		if want[kind] == nil {
			t.Errorf("the table has a kind %s that no result names", kind)
		}
	}

	all := checksPhases(t)
	var phases []string
	for _, m := range docTick.FindAllStringSubmatch(docSection(t, doc, "### Phases"), -1) {
		if slices.Contains(all, m[1]) {
			phases = append(phases, m[1])
		}
	}
	for _, p := range all {
		if !slices.Contains(phases, p) {
			t.Errorf("the phases of %s lack %q", outputDoc, p)
		}
	}
}

// checksPhases finds every phase constant in package checks' source.
func checksPhases(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../checks/*.go")
	if err != nil {
		t.Fatal(err)
	}
	decl := regexp.MustCompile(`(?m)^\s*(?:const\s+)?Phase\w+\s*=\s*"([^"]+)"`)
	var phases []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			phases = append(phases, m[1])
		}
	}
	if len(phases) < 10 {
		t.Fatalf("found %d phase constants in ../../checks", len(phases))
	}
	return phases
}
