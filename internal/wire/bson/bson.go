// Package bson is the part of MongoDB's wire protocol that mongodb://
// speaks: BSON documents (bsonspec.org), encoded with string keys and
// int32 or string values (Doc) and read at their top level (Read), and the
// OP_MSG messages that carry them (opmsg.go). A server may lie about every
// length, so each is checked against the bytes there are: a document is
// read no further than its length says, and a field whose size cannot be
// fails.
package bson

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Doc encodes a document of string keys and int32 or string values, in
// order: Doc("hello", int32(1), "$db", "admin").
func Doc(kv ...any) []byte {
	b := []byte{0, 0, 0, 0}
	for i := 0; i+1 < len(kv); i += 2 {
		key := kv[i].(string)
		switch v := kv[i+1].(type) {
		case int32:
			b = append(b, 0x10)
			b = append(append(b, key...), 0)
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		case string:
			b = append(b, 0x02)
			b = append(append(b, key...), 0)
			b = binary.LittleEndian.AppendUint32(b, uint32(len(v)+1))
			b = append(append(b, v...), 0)
		}
	}
	b = append(b, 0)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	return b
}

// Other is a field of a type Read does not decode: its BSON type.
type Other byte

func (t Other) String() string {
	switch t {
	case 0x03:
		return "a document"
	case 0x04:
		return "an array"
	case 0x05:
		return "binary data"
	case 0x06:
		return "undefined"
	case 0x07:
		return "an ObjectId"
	case 0x09:
		return "a date"
	case 0x0a:
		return "null"
	case 0x11:
		return "a timestamp"
	case 0x13:
		return "a decimal128"
	}
	return fmt.Sprintf("a BSON %#x", byte(t))
}

// Read reads a document's top-level fields: doubles (float64), strings,
// booleans, 32- and 64-bit integers (int32, int64) as Go values, the others
// as their Other type, skipped by their sizes. It reads no further than the
// document's length says, and fails on a field whose size cannot be.
func Read(b []byte) (map[string]any, error) {
	if len(b) < 5 || int(binary.LittleEndian.Uint32(b)) != len(b) || b[len(b)-1] != 0 {
		return nil, errors.New("its length is not its size")
	}
	out := map[string]any{}
	b = b[4 : len(b)-1]
	for len(b) > 0 {
		typ := b[0]
		end := bytes.IndexByte(b[1:], 0)
		if end < 0 {
			return nil, errors.New("a field name with no end")
		}
		key := string(b[1 : 1+end])
		b = b[2+end:]
		size, err := fieldSize(typ, b)
		if err != nil {
			return nil, err
		}
		if size > len(b) {
			return nil, errors.New("a field runs past the document")
		}
		out[key] = value(typ, b[:size])
		b = b[size:]
	}
	return out, nil
}

// fixedSize is the size of the types whose values have one: double,
// undefined, ObjectId, boolean, date, null, int32, timestamp, int64,
// decimal128, max key and min key.
// A switch, not a map built at every start.
func fixedSize(typ byte) (int, bool) {
	switch typ {
	case 0x06, 0x0a, 0x7f, 0xff:
		return 0, true
	case 0x08:
		return 1, true
	case 0x10:
		return 4, true
	case 0x01, 0x09, 0x11, 0x12:
		return 8, true
	case 0x07:
		return 12, true
	case 0x13:
		return 16, true
	}
	return 0, false
}

// fieldSize is the size of the value of type typ that b begins with, as
// its type and the lengths it holds say; it may run past b.
func fieldSize(typ byte, b []byte) (int, error) {
	if n, ok := fixedSize(typ); ok {
		return n, nil
	}
	size := -1
	switch typ {
	case 0x02, 0x0d, 0x0e: // string, JavaScript, symbol: its length, its bytes, NUL
		n := length(b)
		if n < 1 || 4+n > len(b) || b[4+n-1] != 0 {
			return 0, errors.New("a string whose length is not its size")
		}
		size = 4 + n
	case 0x03, 0x04, 0x0f: // document, array, code with scope
		if n := length(b); n >= 5 {
			size = n
		}
	case 0x05: // binary: its length, its subtype, its bytes
		if n := length(b); n >= 0 {
			size = 5 + n
		}
	case 0x0b: // regular expression: two C strings
		if i := bytes.IndexByte(b, 0); i >= 0 {
			if j := bytes.IndexByte(b[i+1:], 0); j >= 0 {
				size = i + 1 + j + 1
			}
		}
	case 0x0c: // DBPointer: a string, then an ObjectId
		if n := length(b); n >= 1 {
			size = 4 + n + 12
		}
	default:
		return 0, fmt.Errorf("a field of type %#x it does not know", typ)
	}
	if size < 0 {
		return 0, fmt.Errorf("%s whose size cannot be", Other(typ))
	}
	return size, nil
}

// value is the field of type typ whose value is b, as Read returns it.
func value(typ byte, b []byte) any {
	switch typ {
	case 0x01:
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	case 0x02, 0x0d, 0x0e:
		return string(b[4 : len(b)-1])
	case 0x08:
		return b[0] == 1
	case 0x10:
		return int32(binary.LittleEndian.Uint32(b))
	case 0x12:
		return int64(binary.LittleEndian.Uint64(b))
	}
	return Other(typ)
}

// length reads the int32 a field begins with; -1 when it is cut short. A
// length past the bytes there are is returned as one byte past them, as
// wrong, and a size that adds to it cannot overflow a 32-bit int (arm/v7,
// 386), where 4+2147483647 was negative and indexed before the field.
func length(b []byte) int {
	if len(b) < 4 {
		return -1
	}
	return int(min(int64(int32(binary.LittleEndian.Uint32(b))), int64(len(b))+1))
}
