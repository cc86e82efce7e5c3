package cli

import (
	"reflect"
	"strconv"
	"testing"
)

// FuzzReadTag: readTag, which reads a tag in one pass, finds what
// reflect.StructTag.Lookup finds for every key flagModel uses, in tags made
// of quoted values as the Go compiler accepts them (backslashes, escaped
// quotes, colons and spaces inside values, keys in any order).
func FuzzReadTag(f *testing.F) {
	f.Add("max-body", "m", "1MiB", `Stop reading the body after this many bytes ("1MiB").`, true)
	f.Add(`a\"b`, `\`, `${x}`, `c:"d" e`, false)
	f.Add("", "", "", "", false)
	f.Fuzz(func(t *testing.T, name, short, def, help string, arg bool) {
		tag := `help:` + strconv.Quote(help) + ` name:` + strconv.Quote(name) + ` short:` + strconv.Quote(short)
		if arg {
			tag = `arg:"" ` + tag + ` default:` + strconv.Quote(def)
		} else {
			tag += ` kong:` + strconv.Quote(def)
		}
		st := reflect.StructTag(tag)
		got := readTag(st)
		for key, gotValue := range map[string]string{"name": got.name, "short": got.short, "help": ""} {
			want, _ := st.Lookup(key)
			if key != "help" && gotValue != want {
				t.Errorf("readTag(%s).%s = %q; Lookup gives %q", tag, key, gotValue, want)
			}
		}
		wantDef, hasDef := st.Lookup("default")
		if got.def != wantDef || got.hasDefault != hasDef {
			t.Errorf("readTag(%s) default = %q, %v; Lookup gives %q, %v", tag, got.def, got.hasDefault, wantDef, hasDef)
		}
		_, isArg := st.Lookup("arg")
		kongValue, _ := st.Lookup("kong")
		if got.arg != isArg || got.cmd || got.ignored != (kongValue == "-") {
			t.Errorf("readTag(%s) = %+v", tag, got)
		}
	})
}
