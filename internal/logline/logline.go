// Package logline writes the log of probe's long-running commands (serve,
// exec, wait, watch): one record a line, as text, JSON or logfmt, for log
// pipelines that read one of them (--log-format).
//
// Every record has the same fields, in this order: time (UTC, to the
// millisecond), level (info, warn or error), probe (the command: serve,
// exec, wait, watch) and msg; a record about one target adds target and
// state. The text format is the line probe has always written, "probe: "
// and the message, since a terminal and docker logs add their own time.
// Every value goes through sanitize.Printable, as every line probe writes
// does: the secrets were masked before the words reached a record (target
// names as the targets were built, results in probe.Run), and no control
// byte reaches the log.
package logline

import (
	"fmt"
	"io"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/probe-sh/probe/internal/sanitize"
)

// Format is how a record is written.
type Format int

const (
	Text   Format = iota // probe: msg
	JSON                 // {"time":"...","level":"info","probe":"serve","msg":"..."}
	Logfmt               // time=... level=info probe=serve msg="..."
)

// Formats are the values of --log-format, in Format's order.
const Formats = "text,json,logfmt"

// ParseFormat reads a --log-format value.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "", "text":
		return Text, nil
	case "json":
		return JSON, nil
	case "logfmt":
		return Logfmt, nil
	}
	return Text, fmt.Errorf("unknown log format %q: use text, json or logfmt", s)
}

// Level says how much a record matters.
type Level string

const (
	Info  Level = "info"
	Warn  Level = "warn"
	Error Level = "error"
)

// Logger writes records to W, whole lines, one at a time. A nil *Logger
// writes nothing, so a quiet command passes nil.
type Logger struct {
	W      io.Writer
	Format Format
	Cmd    string           // the probe field: serve, exec, wait, watch
	Now    func() time.Time // time.Now when nil; tests fix it

	mu  sync.Mutex
	buf []byte
}

// Field is one more key and value of a record: target, state.
type Field struct{ Key, Value string }

// Target and State are the fields of a record about one target.
func Target(name string) Field { return Field{"target", name} }
func State(state string) Field { return Field{"state", state} }

func (l *Logger) enabled() bool { return l != nil && l.W != nil }

// Printf writes an info record whose message is the format's.
func (l *Logger) Printf(format string, args ...any) {
	if l.enabled() {
		l.Log(Info, fmt.Sprintf(format, args...))
	}
}

// Warnf writes a warn record.
func (l *Logger) Warnf(format string, args ...any) {
	if l.enabled() {
		l.Log(Warn, fmt.Sprintf(format, args...))
	}
}

// Errorf writes an error record.
func (l *Logger) Errorf(format string, args ...any) {
	if l.enabled() {
		l.Log(Error, fmt.Sprintf(format, args...))
	}
}

// Log writes one record. Every value is made printable first, so a record
// is always one line.
func (l *Logger) Log(level Level, msg string, fields ...Field) {
	if !l.enabled() {
		return
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	at := now().UTC().Format("2006-01-02T15:04:05.000Z07:00")
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buf[:0]
	msg = sanitize.Printable(msg)
	switch l.Format {
	case JSON:
		b = append(b, `{"time":`...)
		b = appendJSON(b, at)
		b = append(b, `,"level":`...)
		b = appendJSON(b, string(level))
		b = append(b, `,"probe":`...)
		b = appendJSON(b, l.Cmd)
		b = append(b, `,"msg":`...)
		b = appendJSON(b, msg)
		for _, f := range fields {
			b = append(b, ',')
			b = appendJSON(b, f.Key)
			b = append(b, ':')
			b = appendJSON(b, sanitize.Printable(f.Value))
		}
		b = append(b, '}')
	case Logfmt:
		b = append(b, "time="...)
		b = appendLogfmt(b, at)
		b = append(b, " level="...)
		b = appendLogfmt(b, string(level))
		b = append(b, " probe="...)
		b = appendLogfmt(b, l.Cmd)
		b = append(b, " msg="...)
		b = appendLogfmt(b, msg)
		for _, f := range fields {
			b = append(b, ' ')
			b = append(b, f.Key...)
			b = append(b, '=')
			b = appendLogfmt(b, sanitize.Printable(f.Value))
		}
	default:
		b = append(b, "probe: "...)
		b = append(b, msg...)
	}
	b = append(b, '\n')
	l.buf = b
	_, _ = l.W.Write(b)
}

// appendJSON appends s as a JSON string: quotes, backslashes and control
// characters escaped (RFC 8259), and U+2028 and U+2029, which end a line in
// JavaScript.
func appendJSON(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, `\n`...)
			case c == '\r':
				b = append(b, `\r`...)
			case c == '\t':
				b = append(b, `\t`...)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// appendLogfmt appends s as a logfmt value, as go-logfmt writes it: bare
// unless it holds a space, '=', '"', a control character or invalid UTF-8,
// then quoted with JSON's escapes (go-logfmt's own); "null" is quoted, so
// that it reads as the word, and the empty value is nothing after the '='.
func appendLogfmt(b []byte, s string) []byte {
	if s == "null" {
		return append(b, `"null"`...)
	}
	for _, r := range s {
		if r <= ' ' || r == '=' || r == '"' || r == 0x7f || r == utf8.RuneError {
			return appendJSON(b, s)
		}
	}
	return append(b, s...)
}
