package cli

import (
	"encoding"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/probe-sh/probe/internal/patched/kong"
)

// Only the flags a command line uses join kong's model. kong reflects over
// every flag it knows and parses its tag at each start, and a health check
// starts a process every few seconds: for `probe URL`, building every flag
// of the command was most of the instructions probe ran. A flag is left
// out when the command line does not name it (as --name, --name=VALUE or a
// short letter) and no PROBE_ variable sets it; a flag left out gets its
// default from its tag, as kong would give it. Help, and any error, are
// made from the whole model (parseLine), so that what they say is the same.
// The differential test of kong (kong_diff_test.go) compares every
// one-liner and flag parsed this way with upstream kong's whole model.

// flagModel decides which flags of cli join the model for args, sets the
// default of every other when defaults is set, and returns the kong option
// that leaves them out.
func flagModel(cli *CLI, args []string, defaults bool) kong.Option {
	m := &model{words: flagWords(args), env: probeEnv(), decided: make(map[fieldID]bool, 64)}
	if defaults {
		v := reflect.ValueOf(cli).Elem()
		visit := func(ft reflect.StructField, tag flagTag, fv reflect.Value) {
			if name, keep := m.keep(ft, tag); !keep {
				setDefault(name, tag, fv)
			}
		}
		walkFlags(v.FieldByName("Globals"), visit)
		walkFlags(v.FieldByName("Check"), visit)
		for _, c := range commands {
			if m.words[c.name] {
				walkFlags(reflect.ValueOf(c.cmd(cli)).Elem(), visit)
			}
		}
	}
	return kong.IgnoreFieldsFunc(m.ignore)
}

// withoutKong parses a line of targets and a few run flags without kong,
// or returns nil when kong must: every flag takes its default, as the
// model of the flags a line uses gives it to each flag it leaves out, and
// the run flags below their values, decoded as kong's mappers decode them.
// kong must parse a line with any other flag, a flag given twice, a
// short flag with its value attached (-t2s) or a cluster (-qv), a value
// that starts with a dash or does not decode, "--", a word that names a
// command (check and help too), a word that is not valid UTF-8 (kong
// makes each such byte U+FFFD), or no target; and any line when a PROBE_
// variable is set but those of these flags and PROBE_MARKER (fromEnv).
func withoutKong(args []string) *CLI {
	if len(args) == 0 {
		return nil
	}
	cli := &CLI{}
	allDefaults(cli)
	g := &cli.Globals
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if rest, ok := strings.CutPrefix(name, "PROBE_"); ok && value != "" && !fromEnv(g, rest, value) {
			return nil
		}
	}
	seen := map[string]bool{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "" || !utf8.ValidString(a) {
			return nil
		}
		if a[0] != '-' {
			if a == "check" || a == "help" || isCommand(a) {
				return nil
			}
			cli.Check.Targets = append(cli.Check.Targets, a)
			continue
		}
		name, value, hasValue := strings.Cut(a, "=")
		flag := runFlag(name)
		if flag == "" || seen[flag] || hasValue && !strings.HasPrefix(name, "--") {
			return nil
		}
		seen[flag] = true
		if b := boolFlag(g, flag); b != nil {
			if hasValue {
				return nil
			}
			*b = true
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return nil
			}
			i++
			value = args[i]
		}
		if value == "" || value[0] == '-' || !utf8.ValidString(value) {
			return nil
		}
		if !setRunFlag(g, flag, value) {
			return nil
		}
	}
	if len(cli.Check.Targets) == 0 {
		return nil
	}
	return cli
}

// isCommand reports whether word names one of commands.
func isCommand(word string) bool {
	for _, c := range commands {
		if c.name == word {
			return true
		}
	}
	return false
}

// runFlag names the flag a word names, of those a line parsed without
// kong may carry: the ones health checks are written with (HEALTHCHECK
// CMD ["probe", "--timeout", "2s", "--retries", "2", URL]); "" for any
// other word.
func runFlag(word string) string {
	switch word {
	case "--timeout", "-t":
		return "timeout"
	case "--retries":
		return "retries"
	case "--quiet", "-q":
		return "quiet"
	case "--verbose", "-v":
		return "verbose"
	case "--no-marker":
		return "no-marker"
	case "--loopback-only":
		return "loopback-only"
	}
	return ""
}

// setRunFlag sets the run flag that takes a value, decoded as kong's
// mappers decode it, and reports whether it did.
func setRunFlag(g *Globals, flag, value string) bool {
	switch flag {
	case "timeout":
		d, err := time.ParseDuration(value)
		if err != nil {
			return false
		}
		g.Timeout = &d
	case "retries":
		n, err := strconv.ParseInt(value, 0, strconv.IntSize)
		if err != nil {
			return false
		}
		g.Retries = int(n)
	case "marker":
		g.Marker = value
	default:
		return false
	}
	return true
}

// fromEnv sets the run flag the variable PROBE_name sets, as kong reads it
// (kong.DefaultEnvars: PROBE_TIMEOUT, PROBE_NO_MARKER, ...), before the
// command line, which wins; it reports false for a variable of any other
// flag, and for a value that does not decode: kong must read those.
func fromEnv(g *Globals, name, value string) bool {
	flag := runFlag("--" + strings.ToLower(strings.ReplaceAll(name, "_", "-")))
	if name == "MARKER" {
		flag = "marker"
	}
	if flag == "" || strings.ToUpper(strings.ReplaceAll(flag, "-", "_")) != name {
		return false
	}
	if b := boolFlag(g, flag); b != nil {
		// kong's bool mapper: true, 1, yes, false, 0, no, in any case.
		switch strings.ToLower(value) {
		case "true", "1", "yes":
			*b = true
		case "false", "0", "no":
			*b = false
		default:
			return false
		}
		return true
	}
	return setRunFlag(g, flag, value)
}

// boolFlag is where the run flag that takes no value goes, or nil.
func boolFlag(g *Globals, flag string) *bool {
	switch flag {
	case "quiet":
		return &g.Quiet
	case "verbose":
		return &g.Verbose
	case "no-marker":
		return &g.NoMarker
	case "loopback-only":
		return &g.LoopbackOnly
	}
	return nil
}

// allDefaults gives every flag of the check command line its default, as
// flagModel does to each flag it leaves out.
func allDefaults(cli *CLI) {
	v := reflect.ValueOf(cli).Elem()
	visit := func(ft reflect.StructField, tag flagTag, fv reflect.Value) {
		setDefault(flagName(ft.Name, tag), tag, fv)
	}
	walkFlags(v.FieldByName("Globals"), visit)
	walkFlags(v.FieldByName("Check"), visit)
}

// model is what flagModel decided, field by field.
type model struct {
	words   map[string]bool
	env     map[string]bool
	decided map[fieldID]bool // keep or not, for the fields seen
}

// keep reports whether the flag field ft joins the model, and its name.
func (m *model) keep(ft reflect.StructField, tag flagTag) (string, bool) {
	name := flagName(ft.Name, tag)
	id := fieldIDOf(ft)
	keep, seen := m.decided[id]
	if !seen {
		keep = m.words[name] || tag.short != "" && m.words["-"+tag.short] || len(m.env) > 0 && m.env[squash(name)]
		m.decided[id] = keep
	}
	return name, keep
}

// ignore is the option's test: a flag field that does not join the model.
// Embedded structs, commands and positional arguments always do.
// kong asks again for the fields of a struct each command embeds, so the
// answer is looked up before the tag is read.
func (m *model) ignore(ft reflect.StructField) bool {
	if ft.Anonymous || !ft.IsExported() {
		return false
	}
	if keep, seen := m.decided[fieldIDOf(ft)]; seen {
		return !keep
	}
	tag := readTag(ft.Tag)
	if tag.ignored || tag.arg || tag.cmd {
		m.decided[fieldIDOf(ft)] = true
		return false
	}
	_, keep := m.keep(ft, tag)
	return !keep
}

// fieldID names a field for the option: its Go name and where its tag is
// (each field's tag is a string of the binary's own, which reflect returns
// as it is): no two different flags share both.
type fieldID struct {
	name string
	tag  *byte
}

func fieldIDOf(ft reflect.StructField) fieldID {
	return fieldID{ft.Name, unsafe.StringData(string(ft.Tag))}
}

// walkFlags calls visit for every flag field of the struct v, and of the
// structs it embeds; positional arguments and fields kong ignores are no
// flags.
func walkFlags(v reflect.Value, visit func(reflect.StructField, flagTag, reflect.Value)) {
	t := v.Type()
	for i := range t.NumField() {
		ft, fv := t.Field(i), v.Field(i)
		if !ft.IsExported() {
			continue
		}
		tag := readTag(ft.Tag)
		switch {
		case tag.ignored:
		case ft.Anonymous:
			walkFlags(fv, visit)
		case tag.arg || tag.cmd:
		default:
			visit(ft, tag, fv)
		}
	}
}

// flagTag is what flagModel needs of a field's tag.
type flagTag struct {
	name, short, def string
	hasDefault       bool
	arg, cmd         bool
	ignored          bool // kong:"-"
}

// readTag reads a struct tag in one pass, as reflect.StructTag.Lookup reads
// each key: a flag's tag holds its help, and reading it once per key was
// most of what choosing the flags cost.
func readTag(tag reflect.StructTag) flagTag {
	var t flagTag
	s := string(tag)
	for s != "" {
		s = strings.TrimLeft(s, " ")
		colon := strings.IndexByte(s, ':')
		if colon <= 0 || colon+1 >= len(s) || s[colon+1] != '"' {
			break
		}
		key := s[:colon]
		// The closing quote: the first one not escaped. A value seldom has
		// a backslash, and IndexByte is many times faster than a loop.
		i := colon + 2
		escaped := false
		for {
			q := strings.IndexByte(s[i:], '"')
			if q < 0 {
				return t
			}
			bs := strings.IndexByte(s[i:i+q], '\\')
			if bs < 0 {
				i += q
				break
			}
			escaped = true
			i += bs + 2 // past the backslash and the byte it escapes
			if i > len(s) {
				return t
			}
		}
		value := s[colon+2 : i]
		s = s[i+1:]
		if escaped {
			if v, err := strconv.Unquote(`"` + value + `"`); err == nil {
				value = v
			}
		}
		switch key {
		case "name":
			t.name = value
		case "short":
			t.short = value
		case "default":
			t.def, t.hasDefault = value, true
		case "arg":
			t.arg = true
		case "cmd":
			t.cmd = true
		case "kong":
			t.ignored = value == "-"
		}
	}
	return t
}

// flagName is the name kong gives a flag: its name tag, or its Go name in
// lower-case words joined by dashes (MaxBody: max-body).
func flagName(goName string, tag flagTag) string {
	if tag.name != "" {
		return tag.name
	}
	var b strings.Builder
	s := goName
	for i := 0; i < len(s); i++ {
		c := s[i]
		upper := 'A' <= c && c <= 'Z'
		// A word starts at an upper-case letter after a lower-case one,
		// or before a lower-case one after upper-case ones (HTTPServer:
		// http-server), and at a digit after a letter.
		if i > 0 && (upper && isLower(s[i-1]) || upper && i+1 < len(s) && isLower(s[i+1]) && isUpper(s[i-1]) ||
			isDigit(c) && !isDigit(s[i-1]) || !isDigit(c) && isDigit(s[i-1])) {
			b.WriteByte('-')
		}
		if upper {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// flagWords are what args may name: long flags by name, short ones as
// "-X", commands by name. A value that looks like a flag counts too: it
// can only keep a flag that is not needed, never leave out one that is.
func flagWords(args []string) map[string]bool {
	words := map[string]bool{}
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "--"):
			name, _, _ := strings.Cut(a[2:], "=")
			words[name] = true
		case strings.HasPrefix(a, "-"):
			for _, r := range a[1:] {
				words["-"+string(r)] = true
			}
		default:
			words[a] = true
		}
	}
	return words
}

// probeEnv lists the PROBE_ variables that are set and not empty, by
// squashed name: PROBE_MAX_BODY and PROBE_HTTP2 are MAXBODY and HTTP2,
// which a flag's squashed name (max-body, http2) meets whatever kong made
// of its digits and dashes.
func probeEnv() map[string]bool {
	env := map[string]bool{}
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if rest, ok := strings.CutPrefix(name, "PROBE_"); ok && value != "" {
			env[squash(rest)] = true
		}
	}
	return env
}

// squash upper-cases s and drops its dashes and underscores.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' {
			return -1
		}
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// setDefault gives a flag left out of the model the value kong would give
// it: its default tag, ${...} interpolated, decoded for its type.
func setDefault(name string, tag flagTag, fv reflect.Value) {
	if !tag.hasDefault {
		fv.SetZero()
		return
	}
	def := tag.def
	if strings.Contains(def, "${") {
		for name, value := range kongVars() {
			def = strings.ReplaceAll(def, "${"+name+"}", value)
		}
	}
	if err := decodeDefault(fv, def); err != nil {
		// The flag tests decode every default: this is a programming
		// error, and a health check must not run on a wrong default.
		panic(fmt.Sprintf("the default of --%s: %v", name, err))
	}
}

// decodeDefault decodes def into v, for the types probe's flags have.
func decodeDefault(v reflect.Value, def string) error {
	if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		return u.UnmarshalText([]byte(def))
	}
	switch {
	case v.Type() == reflect.TypeFor[time.Duration]():
		d, err := time.ParseDuration(def)
		v.SetInt(int64(d))
		return err
	case v.Kind() == reflect.String:
		v.SetString(def)
		return nil
	case v.Kind() == reflect.Int:
		n, err := strconv.Atoi(def)
		v.SetInt(int64(n))
		return err
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(def)
		v.SetBool(b)
		return err
	}
	return fmt.Errorf("no decoder for %s", v.Type())
}
