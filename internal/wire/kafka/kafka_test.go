package kafka

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// be writes big-endian fields: int16 and int32 as themselves, a string
// with its int16 length, nil as a null string.
func be(fields ...any) []byte {
	var b []byte
	for _, f := range fields {
		switch v := f.(type) {
		case int16:
			b = binary.BigEndian.AppendUint16(b, uint16(v))
		case int32:
			b = binary.BigEndian.AppendUint32(b, uint32(v))
		case string:
			b = append(binary.BigEndian.AppendUint16(b, uint16(len(v))), v...)
		case nil:
			b = binary.BigEndian.AppendUint16(b, 0xffff)
		}
	}
	return b
}

func TestRequest(t *testing.T) {
	t.Parallel()
	got := Request(MetadataKey, 8, 0x01020304, MetadataRequest(8))
	want := append(be(int32(22), int16(3), int16(8), int32(0x01020304), "probe", int32(0)), 0, 0, 0)
	if !bytes.Equal(got, want) {
		t.Errorf("Request: %x, want %x", got, want)
	}
	for version, n := range map[int16]int{1: 4, 3: 4, 4: 5, 7: 5, 8: 7} {
		if got := len(MetadataRequest(version)); got != n {
			t.Errorf("MetadataRequest(%d): %d bytes, want %d", version, got, n)
		}
	}
	for range 100 {
		if id := CorrelationID(); id < 1<<24 || id >= 1<<30 {
			t.Fatalf("CorrelationID: %d", id)
		}
	}
}

func TestErrorText(t *testing.T) {
	t.Parallel()
	for code, want := range map[int16]string{5: "LEADER_NOT_AVAILABLE (error 5)", -1: "UNKNOWN_SERVER_ERROR (error -1)", 99: "error 99"} {
		if got := ErrorText(code); got != want {
			t.Errorf("ErrorText(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestParseAPIVersions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   []byte
		want APIVersions
		err  error
	}{
		{name: "Metadata and ApiVersions", in: be(int16(0), int32(3), int16(0), int16(0), int16(9), int16(3), int16(1), int16(12), int16(18), int16(0), int16(3)),
			want: APIVersions{Metadata: Versions{1, 12, true}, APIVersions: Versions{0, 3, true}}},
		{name: "UNSUPPORTED_VERSION with no API", in: be(int16(35), int32(0)), want: APIVersions{Code: 35}},
		{name: "no API", in: be(int16(0), int32(0)), want: APIVersions{}},
		{name: "empty", in: nil, err: ErrNotAPIVersions},
		{name: "no count", in: be(int16(0), int16(0)), err: ErrNotAPIVersions},
		{name: "a negative count", in: be(int16(0), int32(-1)), err: ErrNotAPIVersions},
		{name: "a count of 1001", in: be(int16(0), int32(1001)), err: ErrNotAPIVersions},
		{name: "fewer APIs than counted", in: be(int16(0), int32(2), int16(3), int16(1), int16(8)), err: ErrCutShort},
		{name: "an API cut short", in: be(int16(0), int32(1), int16(3), int16(1)), err: ErrCutShort},
	} {
		got, err := ParseAPIVersions(tc.in)
		if !errors.Is(err, tc.err) || err == nil && got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v, %v", tc.name, got, err, tc.want, tc.err)
		}
	}
}

func TestParseMetadata(t *testing.T) {
	t.Parallel()
	broker := []any{int32(1), "kafka-1", int32(9092), nil}
	withRack := []any{int32(2), "kafka-2", int32(9092), "rack-a"}
	for _, tc := range []struct {
		name    string
		version int16
		in      []byte
		want    Metadata
		err     string
	}{
		{name: "v1", version: 1, in: be(append(append([]any{int32(1)}, broker...), int32(1))...), want: Metadata{Brokers: 1, Controller: 1}},
		{name: "v2, a cluster", version: 2, in: be(append(append(append([]any{int32(2)}, broker...), withRack...), "c1", int32(2))...), want: Metadata{Brokers: 2, Controller: 2, Cluster: "c1"}},
		{name: "v2, a null cluster", version: 2, in: be(append(append([]any{int32(1)}, broker...), nil, int32(1))...), want: Metadata{Brokers: 1, Controller: 1}},
		{name: "v8, throttle time first", version: 8, in: be(append(append([]any{int32(0), int32(1)}, broker...), "c", int32(-1))...), want: Metadata{Brokers: 1, Controller: -1, Cluster: "c"}},
		{name: "no broker", version: 1, in: be(int32(0), int32(-1)), want: Metadata{Controller: -1}},
		{name: "empty", version: 1, in: nil, err: "a Metadata reply cut short"},
		{name: "a negative broker count", version: 1, in: be(int32(-1), int32(0)), err: "a Metadata reply with a broker count that cannot be"},
		{name: "a broker count of 100001", version: 1, in: be(int32(100001)), err: "a Metadata reply with a broker count that cannot be"},
		{name: "fewer brokers than counted", version: 1, in: be(append(append([]any{int32(2)}, broker...), int32(1))...), err: "a Metadata reply cut short"},
		{name: "a host past the reply", version: 1, in: append(be(int32(1), int32(1), int16(100)), "short"...), err: "a Metadata reply cut short"},
		{name: "a host of negative length", version: 1, in: be(int32(1), int32(1), int16(-2), int32(9092), nil, int32(1)), err: "a Metadata reply cut short"},
		{name: "no controller", version: 1, in: be(append([]any{int32(1)}, broker...)...), err: "a Metadata reply cut short"},
	} {
		got, err := ParseMetadata(tc.in, tc.version)
		switch {
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("%s: %+v, %v; want the error %q", tc.name, got, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}

// FuzzKafkaReplies: an ApiVersions or Metadata reply, whatever its bytes,
// is read without a panic, and one read has no more brokers than its
// bytes could describe.
func FuzzKafkaReplies(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00\x01a\x00\x00\x23\x84\xff\xff\x00\x01x\x00\x00\x00\x01"), int16(8))
	f.Add([]byte{0x7f, 0xff, 0xff, 0xff}, int16(1))
	f.Add(be(int16(0), int32(2), int16(3), int16(1), int16(12), int16(18), int16(0), int16(3)), int16(0))
	f.Fuzz(func(t *testing.T, b []byte, version int16) {
		_, _ = ParseAPIVersions(b)
		md, err := ParseMetadata(b, version)
		if err == nil && md.Brokers > len(b)/12 {
			t.Fatalf("%d brokers from %d bytes", md.Brokers, len(b))
		}
	})
}
