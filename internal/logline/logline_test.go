package logline

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var fixed = func() time.Time { return time.Date(2026, 3, 1, 12, 30, 45, 123456789, time.FixedZone("x", 3600)) }

func TestFormats(t *testing.T) {
	cases := []struct {
		name   string
		format Format
		want   string
	}{
		{"text", Text, "probe: http://app:8080/healthz is up: HTTP 200 OK\n"},
		{"json", JSON, `{"time":"2026-03-01T11:30:45.123Z","level":"info","probe":"serve","msg":"http://app:8080/healthz is up: HTTP 200 OK","target":"http://app:8080/healthz","state":"up"}` + "\n"},
		{"logfmt", Logfmt, `time=2026-03-01T11:30:45.123Z level=info probe=serve msg="http://app:8080/healthz is up: HTTP 200 OK" target=http://app:8080/healthz state=up` + "\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			l := &Logger{W: &b, Format: c.format, Cmd: "serve", Now: fixed}
			l.Log(Info, "http://app:8080/healthz is up: HTTP 200 OK", Target("http://app:8080/healthz"), State("up"))
			if b.String() != c.want {
				t.Errorf("got  %s\nwant %s", b.String(), c.want)
			}
		})
	}
}

// hostile are messages and values a target's reply or name could carry.
var hostile = []string{
	"plain",
	"",
	"null",
	`quote " and backslash \ and equals = here`,
	"line\nbreak\r\nand\ttab",
	"escape \x1b[31mred\x1b[0m and bell \a",
	"invalid \xff\xfe utf-8",
	"bidi \u202e override and line separator \u2028",
	"unicode: é ü 日本",
	`{"json":"inside"}`,
	`key=value other="quoted"`,
}

// TestJSONLinesParse: every record is one line and valid JSON, with the
// fields in place and the message as Printable made it.
func TestJSONLinesParse(t *testing.T) {
	var b bytes.Buffer
	l := &Logger{W: &b, Format: JSON, Cmd: "exec", Now: fixed}
	for _, s := range hostile {
		l.Log(Warn, s, Target(s))
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != len(hostile) {
		t.Fatalf("%d lines for %d records:\n%s", len(lines), len(hostile), b.String())
	}
	for i, line := range lines {
		var rec map[string]string
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("%q: not JSON: %v\n%s", hostile[i], err, line)
			continue
		}
		if fields, err := Parse(JSON, line); err != nil || len(fields) != 5 || fields[0].Key != "time" || fields[3].Key != "msg" {
			t.Errorf("%q: Parse: %v %v", hostile[i], fields, err)
		}
		if rec["level"] != "warn" || rec["probe"] != "exec" || rec["time"] != "2026-03-01T11:30:45.123Z" {
			t.Errorf("%q: fields: %v", hostile[i], rec)
		}
		if want := printableOf(hostile[i]); rec["msg"] != want || rec["target"] != want {
			t.Errorf("%q: msg %q, target %q, want %q", hostile[i], rec["msg"], rec["target"], want)
		}
		for _, c := range line {
			if c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u202e' {
				t.Errorf("%q: control character %U in the line %q", hostile[i], c, line)
			}
		}
	}
}

// TestLogfmtQuoting: every record is one line that a logfmt reader splits
// into the same keys and values, quoted only where logfmt needs it.
func TestLogfmtQuoting(t *testing.T) {
	var b bytes.Buffer
	l := &Logger{W: &b, Format: Logfmt, Cmd: "wait", Now: fixed}
	for _, s := range hostile {
		l.Log(Error, s, Target(s))
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != len(hostile) {
		t.Fatalf("%d lines for %d records:\n%s", len(lines), len(hostile), b.String())
	}
	for i, line := range lines {
		rec, err := Parse(Logfmt, line)
		if err != nil {
			t.Errorf("%q: %v\n%s", hostile[i], err, line)
			continue
		}
		keys := []string{"time", "level", "probe", "msg", "target"}
		if len(rec) != len(keys) {
			t.Errorf("%q: keys %v, want %v", hostile[i], rec, keys)
		}
		for j, f := range rec {
			if j < len(keys) && f.Key != keys[j] {
				t.Errorf("%q: key %d is %q, want %q", hostile[i], j, f.Key, keys[j])
			}
		}
		if want := printableOf(hostile[i]); len(rec) == 5 && (rec[3].Value != want || rec[4].Value != want) {
			t.Errorf("%q: msg %q target %q, want %q", hostile[i], rec[3].Value, rec[4].Value, want)
		}
	}
	for _, c := range []struct{ value, want string }{
		{"plain", "plain"},
		{"", ""},
		{"null", `"null"`},
		{"a b", `"a b"`},
		{"a=b", `"a=b"`},
		{`a"b`, `"a\"b"`},
		{`a\b`, `a\b`}, // a backslash alone needs no quotes
		{"日本", "日本"},
	} {
		if got := string(appendLogfmt(nil, c.value)); got != c.want {
			t.Errorf("logfmt value %q: got %s, want %s", c.value, got, c.want)
		}
	}
}

// TestNilLoggerWritesNothing: a quiet command passes a nil *Logger.
func TestNilLoggerWritesNothing(t *testing.T) {
	var l *Logger
	l.Printf("x")
	l.Log(Info, "x")
	(&Logger{}).Printf("x")
}

func TestParseFormat(t *testing.T) {
	for s, want := range map[string]Format{"": Text, "text": Text, "json": JSON, "logfmt": Logfmt} {
		if got, err := ParseFormat(s); err != nil || got != want {
			t.Errorf("%q: %v %v", s, got, err)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil || err.Error() != `unknown log format "yaml": use text, json or logfmt` {
		t.Errorf("yaml: %v", err)
	}
}

func printableOf(s string) string {
	var b bytes.Buffer
	(&Logger{W: &b}).Log(Info, s)
	return strings.TrimSuffix(strings.TrimPrefix(b.String(), "probe: "), "\n")
}
