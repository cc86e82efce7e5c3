package amqp

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"
)

func be32(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

func TestWrite(t *testing.T) {
	t.Parallel()
	if got, want := Method(10, 51, nil), []byte{1, 0, 0, 0, 0, 0, 4, 0, 10, 0, 51, 0xce}; !bytes.Equal(got, want) {
		t.Errorf("Method: %x, want %x", got, want)
	}
	args := Long(Short(nil, "PLAIN"), "\x00u\x00p")
	if want := []byte("\x05PLAIN\x00\x00\x00\x04\x00u\x00p"); !bytes.Equal(args, want) {
		t.Errorf("Short, Long: %q, want %q", args, want)
	}
	props := Table(Field(Field(nil, "product", 'S', []byte("probe")), "capabilities", 'F', Table(Field(nil, "x", 't', []byte{1}))))
	if got := Strings(props); !reflect.DeepEqual(got, map[string]string{"product": "probe"}) {
		t.Errorf("Strings(Table(...)) = %v", got)
	}
}

func TestStrings(t *testing.T) {
	t.Parallel()
	field := func(name string, typ byte, value []byte) []byte { return Field(nil, name, typ, value) }
	long := func(s string) []byte { return append(be32(uint32(len(s))), s...) }
	for _, tc := range []struct {
		name string
		in   []byte
		want map[string]string
	}{
		{name: "strings among every fixed type", in: Table(bytes.Join([][]byte{
			field("product", 'S', []byte("RabbitMQ")), field("t", 't', []byte{1}), field("b", 'b', []byte{1}), field("s", 's', []byte{1, 2}),
			field("I", 'I', be32(1)), field("l", 'l', make([]byte, 8)), field("D", 'D', make([]byte, 5)), field("V", 'V', nil),
			field("caps", 'F', Table(field("x", 'S', []byte("nested")))), field("A", 'A', be32(0)), field("x", 'x', long("bytes")),
			field("version", 'S', []byte("3.13.0")),
		}, nil)), want: map[string]string{"product": "RabbitMQ", "version": "3.13.0"}},
		{name: "empty", in: nil, want: map[string]string{}},
		{name: "an empty table", in: be32(0), want: map[string]string{}},
		{name: "a table longer than its bytes", in: append(be32(100), field("a", 'S', []byte("b"))...), want: map[string]string{}},
		{name: "a type it does not know: it stops", in: Table(append(field("a", 'S', []byte("b")), field("c", '?', nil)...)), want: map[string]string{"a": "b"}},
		{name: "a name past the table", in: Table([]byte{9, 'a'}), want: map[string]string{}},
		{name: "a fixed value cut short", in: Table(append(field("a", 'S', []byte("b")), 1, 'l', 'l', 0)), want: map[string]string{"a": "b"}},
		{name: "a string's length cut short", in: Table([]byte{1, 'a', 'S', 0, 0}), want: map[string]string{}},
		{name: "a string past the table", in: Table(append([]byte{1, 'a', 'S'}, be32(9)...)), want: map[string]string{}},
		// A negative int on a 32-bit platform: it cut before the slice.
		{name: "a table of 2 GiB", in: append(be32(0x80000000), 0, 0, 0, 0), want: map[string]string{}},
		{name: "a table of 4 GiB less 1", in: append(be32(0xffffffff), 0, 0, 0, 0), want: map[string]string{}},
		{name: "a string of 2 GiB", in: Table(append(append([]byte{1, 'a', 'S'}, be32(0x80000000)...), "abcd"...)), want: map[string]string{}},
	} {
		if got := Strings(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMechanisms(t *testing.T) {
	t.Parallel()
	props := Table(Field(nil, "product", 'S', []byte("RabbitMQ")))
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{name: "after the properties", in: Long(append([]byte(nil), props...), "AMQPLAIN PLAIN"), want: "AMQPLAIN PLAIN"},
		{name: "none", in: Long(append([]byte(nil), props...), ""), want: ""},
		{name: "empty", in: nil},
		{name: "properties past the method", in: append(be32(100), "x"...)},
		{name: "no mechanisms after the properties", in: props},
		{name: "mechanisms past the method", in: append(append([]byte(nil), props...), append(be32(9), "PLAIN"...)...)},
		{name: "properties of 2 GiB", in: append(be32(0x80000000), "abcdefgh"...)},
		{name: "mechanisms of 2 GiB", in: append(append([]byte(nil), props...), append(be32(0x80000000), "PLAIN"...)...)},
	} {
		if got := Mechanisms(tc.in); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// FuzzAMQPStart reads any bytes as Connection.Start's arguments after the
// versions: never a panic, and what is read lies within them.
func FuzzAMQPStart(f *testing.F) {
	f.Add(Long(Table(Field(Field(nil, "product", 'S', []byte("RabbitMQ")), "capabilities", 'F', Table(Field(nil, "x", 't', []byte{1})))), "PLAIN"))
	f.Add(append(be32(6), 1, 'a', 'x', 0, 0, 0))
	f.Add(append(be32(0x80000000), 0, 0, 0, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		for k, v := range Strings(b) {
			if !bytes.Contains(b, []byte(k)) || !bytes.Contains(b, []byte(v)) {
				t.Fatalf("%q: %q, not in the table", k, v)
			}
		}
		if m := Mechanisms(b); !bytes.Contains(b, []byte(m)) {
			t.Fatalf("mechanisms %q, not in the method", m)
		}
	})
}
