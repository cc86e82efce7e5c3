package bson

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"strings"
	"testing"
)

// doc is a document of raw fields: each its type, name, NUL and value.
func doc(fields ...string) []byte {
	body := strings.Join(fields, "")
	b := binary.LittleEndian.AppendUint32(nil, uint32(4+len(body)+1))
	return append(append(b, body...), 0)
}

func le32(n int32) string { return string(binary.LittleEndian.AppendUint32(nil, uint32(n))) }

func TestRead(t *testing.T) {
	t.Parallel()
	double := string(binary.LittleEndian.AppendUint64(nil, math.Float64bits(1.5)))
	for _, tc := range []struct {
		name string
		in   []byte
		want map[string]any
		err  string
	}{
		{name: "empty", in: doc(), want: map[string]any{}},
		{name: "the values it decodes", in: doc("\x01d\x00"+double, "\x02s\x00"+le32(3)+"ab\x00", "\x08t\x00\x01", "\x08f\x00\x00",
			"\x10i\x00"+le32(-7), "\x12l\x00"+le32(9)+le32(0), "\x0djs\x00"+le32(2)+"x\x00", "\x0esym\x00"+le32(1)+"\x00"),
			want: map[string]any{"d": 1.5, "s": "ab", "t": true, "f": false, "i": int32(-7), "l": int64(9), "js": "x", "sym": ""}},
		{name: "the types it skips", in: doc("\x03o\x00"+le32(5)+"\x00", "\x04a\x00"+le32(5)+"\x00", "\x05b\x00"+le32(2)+"\x00xy",
			"\x06u\x00", "\x07id\x00"+strings.Repeat("i", 12), "\x09date\x00"+le32(0)+le32(0), "\x0an\x00",
			"\x0bre\x00a.*\x00i\x00", "\x0cp\x00"+le32(2)+"c\x00"+strings.Repeat("o", 12), "\x0fcs\x00"+le32(5)+"\x00",
			"\x11ts\x00"+le32(0)+le32(0), "\x13dec\x00"+strings.Repeat("0", 16), "\x7fmax\x00", "\xffmin\x00", "\x08ok\x00\x01"),
			want: map[string]any{"o": Other(3), "a": Other(4), "b": Other(5), "u": Other(6), "id": Other(7), "date": Other(9), "n": Other(0x0a),
				"re": Other(0x0b), "p": Other(0x0c), "cs": Other(0x0f), "ts": Other(0x11), "dec": Other(0x13), "max": Other(0x7f), "min": Other(0xff), "ok": true}},
		{name: "a key twice: the last counts", in: doc("\x10k\x00"+le32(1), "\x10k\x00"+le32(2)), want: map[string]any{"k": int32(2)}},

		{name: "shorter than a document", in: []byte{5, 0, 0, 0}, err: "its length is not its size"},
		{name: "a length past its bytes", in: append(doc(), 0), err: "its length is not its size"},
		{name: "a length short of its bytes", in: []byte{4, 0, 0, 0, 0}, err: "its length is not its size"},
		{name: "no final NUL", in: []byte{5, 0, 0, 0, 1}, err: "its length is not its size"},
		{name: "a name with no end", in: doc("\x10key"), err: "a field name with no end"},
		{name: "a type it does not know", in: doc("\x20k\x00"), err: "a field of type 0x20 it does not know"},
		{name: "an int32 cut short", in: doc("\x10k\x00\x01\x00"), err: "a field runs past the document"},
		{name: "a double cut short", in: doc("\x01k\x00\x01"), err: "a field runs past the document"},
		{name: "a string of length 0", in: doc("\x02s\x00" + le32(0)), err: "a string whose length is not its size"},
		{name: "a string of negative length", in: doc("\x02s\x00" + le32(-1) + "a\x00"), err: "a string whose length is not its size"},
		{name: "a string past the document", in: doc("\x02s\x00" + le32(9) + "a\x00"), err: "a string whose length is not its size"},
		{name: "a string of the largest length", in: doc("\x02s\x00" + le32(math.MaxInt32) + "a\x00"), err: "a string whose length is not its size"},
		{name: "a string without its NUL", in: doc("\x02s\x00" + le32(2) + "ab"), err: "a string whose length is not its size"},
		{name: "a string's length cut short", in: doc("\x02s\x00\x01"), err: "a string whose length is not its size"},
		{name: "a document of length 4", in: doc("\x03o\x00" + le32(4)), err: "a document whose size cannot be"},
		{name: "a document past the document", in: doc("\x03o\x00" + le32(64) + "\x00"), err: "a field runs past the document"},
		{name: "an array of negative length", in: doc("\x04a\x00" + le32(-5)), err: "an array whose size cannot be"},
		{name: "binary data of negative length", in: doc("\x05b\x00" + le32(-5) + "\x00"), err: "binary data whose size cannot be"},
		{name: "binary data of the largest length", in: doc("\x05b\x00" + le32(math.MaxInt32) + "\x00"), err: "a field runs past the document"},
		{name: "a regular expression with no end", in: doc("\x0bre\x00a"), err: "a BSON 0xb whose size cannot be"},
		{name: "a regular expression with one string", in: doc("\x0bre\x00a\x00i"), err: "a BSON 0xb whose size cannot be"},
		{name: "a DBPointer of length 0", in: doc("\x0cp\x00" + le32(0)), err: "a BSON 0xc whose size cannot be"},
		{name: "a DBPointer of the largest length", in: doc("\x0cp\x00" + le32(math.MaxInt32)), err: "a field runs past the document"},
		{name: "a code with scope cut short", in: doc("\x0fcs\x00\x05"), err: "a BSON 0xf whose size cannot be"},
		{name: "an ObjectId cut short", in: doc("\x07id\x00abc"), err: "a field runs past the document"},
	} {
		got, err := Read(tc.in)
		switch {
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("%s: %v, %v; want the error %q", tc.name, got, err, tc.err)
		case tc.err == "" && (err != nil || !reflect.DeepEqual(got, tc.want)):
			t.Errorf("%s: %#v, %v; want %#v", tc.name, got, err, tc.want)
		}
	}
}

func TestDoc(t *testing.T) {
	t.Parallel()
	b := Doc("hello", int32(1), "$db", "admin")
	want := doc("\x10hello\x00"+le32(1), "\x02$db\x00"+le32(6)+"admin\x00")
	if !bytes.Equal(b, want) {
		t.Fatalf("Doc: %q, want %q", b, want)
	}
	got, err := Read(b)
	if err != nil || !reflect.DeepEqual(got, map[string]any{"hello": int32(1), "$db": "admin"}) {
		t.Errorf("Read(Doc(...)) = %v, %v", got, err)
	}
}

func TestOtherNames(t *testing.T) {
	t.Parallel()
	for typ, want := range map[Other]string{3: "a document", 4: "an array", 0x0a: "null", 0x13: "a decimal128", 0x42: "a BSON 0x42"} {
		if got := typ.String(); got != want {
			t.Errorf("Other(%#x) = %q, want %q", byte(typ), got, want)
		}
	}
}

func TestCommand(t *testing.T) {
	t.Parallel()
	body := Doc("hello", int32(1))
	msg := Command([4]byte{1, 2, 3, 4}, body)
	h := ReadHeader(msg)
	if h.Length != int32(len(msg)) || h.RequestID != [4]byte{1, 2, 3, 4} || h.ResponseTo != [4]byte{} || h.OpCode != OpMsg {
		t.Errorf("header %+v of %d bytes", h, len(msg))
	}
	if got, ok := Body(msg[HeaderSize:]); !ok || !bytes.Equal(got, body) {
		t.Errorf("Body: %q, %v; want %q", got, ok, body)
	}
}

func TestBody(t *testing.T) {
	t.Parallel()
	body := Doc("ok", int32(1))
	seq := append([]byte{1}, le32(9)+"ids\x00\x00"...) // a document sequence, with no document
	for _, tc := range []struct {
		name string
		in   []byte
		ok   bool
	}{
		{name: "a body", in: append([]byte{0, 0, 0, 0, 0}, body...), ok: true},
		{name: "a body with more after it", in: append(append([]byte{0, 0, 0, 0, 0}, body...), "more"...), ok: true},
		{name: "a document sequence, then the body", in: append(append([]byte{0, 0, 0, 0}, seq...), append([]byte{0}, body...)...), ok: true},
		{name: "no section", in: []byte{0, 0, 0, 0}},
		{name: "shorter than its flags", in: []byte{0, 0}},
		{name: "a document sequence only", in: append([]byte{0, 0, 0, 0}, seq...)},
		{name: "a section of kind 2", in: append([]byte{0, 0, 0, 0, 2}, body...)},
		{name: "a body's length cut short", in: []byte{0, 0, 0, 0, 0, 5, 0}},
		{name: "a body of length 4", in: []byte{0, 0, 0, 0, 0, 4, 0, 0, 0}},
		{name: "a body past the message", in: append([]byte{0, 0, 0, 0, 0}, le32(64)+"\x00"...)},
		{name: "a body of negative length", in: append([]byte{0, 0, 0, 0, 0}, le32(-1)+"\x00"...)},
	} {
		got, ok := Body(tc.in)
		if ok != tc.ok || ok && !bytes.Equal(got, body) {
			t.Errorf("%s: %q, %v; want %v", tc.name, got, ok, tc.ok)
		}
	}
}

// FuzzBSON: a MongoDB reply's document, whatever its bytes, is read
// without a panic and no further than its length says; so is an OP_MSG's
// body section, which lies within the message.
func FuzzBSON(f *testing.F) {
	f.Add([]byte("\x05\x00\x00\x00\x00"))
	f.Add([]byte("\x11\x00\x00\x00\x01ok\x00\x00\x00\x00\x00\x00\x00\xf0?\x00"))
	f.Add([]byte("\x10\x00\x00\x00\x0bre\x00a\x00i\x00\x08x\x00\x01\x00"))
	f.Add([]byte("\x0f\x00\x00\x00\x05b\x00\xfb\xff\xff\xff\x00\x00"))
	f.Add(Command([4]byte{}, Doc("hello", int32(1), "$db", "admin"))[HeaderSize:])
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := Read(b)
		if err == nil && doc == nil {
			t.Fatal("no document and no error")
		}
		if err != nil && strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("the error spans lines: %q", err)
		}
		body, ok := Body(b)
		if !ok {
			return
		}
		if len(body) < 5 || !bytes.Contains(b, body) {
			t.Fatalf("a body of %d bytes, not within the message", len(body))
		}
		_, _ = Read(body)
	})
}

// TestLength: a length past the bytes there are reads as one past them, so
// that a size added to it cannot overflow a 32-bit int (arm/v7, 386), where
// a string of length 2147483647 indexed before the field and panicked.
func TestLength(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int
	}{
		{le32(3) + "ab\x00", 3}, {le32(-5), -5}, {le32(9) + "ab", 7}, {le32(math.MaxInt32) + "ab", 7}, {"\x01\x00", -1},
	} {
		if got := length([]byte(tc.in)); got != tc.want {
			t.Errorf("length(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
