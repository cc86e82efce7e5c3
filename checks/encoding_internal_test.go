package checks

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"testing"
)

// The gzip and zlib framing (encoding.go) against compress/gzip and
// compress/zlib, which it replaces: for any body, the same bytes out and
// the same error, at every bound on the output.

// stdDecode is decode as it was written with compress/gzip and
// compress/zlib.
func stdDecode(coding string, in []byte, max int) ([]byte, error) {
	var rd io.Reader
	var err error
	switch {
	case coding == "deflate" && isZlib(in):
		rd, err = zlib.NewReader(bytes.NewReader(in))
	case coding == "deflate":
		rd = flate.NewReader(bytes.NewReader(in))
	default:
		rd, err = gzip.NewReader(bytes.NewReader(in))
	}
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(rd, int64(max)+1))
}

// stdCodingWhy is codingWhy as it read compress/gzip's and compress/zlib's
// errors.
func stdCodingWhy(err error) string {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return "it ends early"
	case errors.Is(err, gzip.ErrHeader) || errors.Is(err, zlib.ErrHeader):
		return "its header is wrong"
	case errors.Is(err, gzip.ErrChecksum) || errors.Is(err, zlib.ErrChecksum):
		return "its checksum is wrong"
	case errors.As(err, &corrupt):
		return "its data is corrupt"
	}
	return "it cannot be read"
}

// codingSeeds are bodies at the edges of the framing: every header field,
// several members, a preset dictionary, and what breaks each.
func codingSeeds() [][]byte {
	gz := func(h gzip.Header, parts ...string) []byte {
		var buf bytes.Buffer
		for _, p := range parts {
			w := gzip.NewWriter(&buf)
			w.Header = h
			w.Write([]byte(p)) //nolint:errcheck
			w.Close()          //nolint:errcheck
		}
		return buf.Bytes()
	}
	zl := func(p string) []byte {
		var buf bytes.Buffer
		w := zlib.NewWriter(&buf)
		w.Write([]byte(p)) //nolint:errcheck
		w.Close()          //nolint:errcheck
		return buf.Bytes()
	}
	fl := func(p string) []byte {
		var buf bytes.Buffer
		w, _ := flate.NewWriter(&buf, flate.BestSpeed)
		w.Write([]byte(p)) //nolint:errcheck
		w.Close()          //nolint:errcheck
		return buf.Bytes()
	}
	// A header with FHCRC, which compress/gzip does not write: its CRC-16
	// right, then wrong.
	hcrc := func(good bool) []byte {
		head := []byte{0x1f, 0x8b, 8, 1<<1 | 1<<3, 0, 0, 0, 0, 0, 255, 'n', 0}
		sum := uint16(crc32.ChecksumIEEE(head))
		if !good {
			sum++
		}
		body := gz(gzip.Header{}, "hcrc")[10:]
		return append(binary.LittleEndian.AppendUint16(head, sum), body...)
	}
	up := `{"status":"UP"}`
	long := string(bytes.Repeat([]byte("health "), 5000))
	dict := zl(up)
	dict[1] |= 0x20 // FDICT, with a dictionary id after the header
	dict[1] += 31 - uint8((uint(dict[0])<<8|uint(dict[1]))%31)
	seeds := [][]byte{
		gz(gzip.Header{}, up), gz(gzip.Header{}, up, long, ""), gz(gzip.Header{Name: "naïve.json", Comment: "a comment", Extra: []byte("xx")}, up),
		gz(gzip.Header{Name: string(bytes.Repeat([]byte("n"), 511))}, up), gz(gzip.Header{Name: string(bytes.Repeat([]byte("n"), 512))}, up),
		hcrc(true), hcrc(false), gz(gzip.Header{}, long), append(gz(gzip.Header{}, up), 0, 0), append(gz(gzip.Header{}, up), 0x1f, 0x8b),
		zl(up), zl(long), append(dict[:2:2], append([]byte{0, 0, 0, 1}, dict[2:]...)...), append(dict[:2:2], append([]byte{0, 0, 0, 2}, dict[2:]...)...),
		fl(up), fl(long), []byte("plain text"), {0x1f}, {0x1f, 0x8b, 8}, {0x78, 0x9c},
	}
	// Each seed cut short, and with a byte flipped, at a few places.
	for _, s := range seeds[:len(seeds):len(seeds)] {
		for _, at := range []int{1, 4, 10, 11, len(s) / 2, len(s) - 8, len(s) - 4, len(s) - 1} {
			if at > 0 && at < len(s) {
				flipped := bytes.Clone(s)
				flipped[at] ^= 0x41
				seeds = append(seeds, s[:at], flipped)
			}
		}
	}
	return seeds
}

// sameDecode fails t when decode and stdDecode differ on in.
func sameDecode(t *testing.T, coding string, in []byte, max int) {
	t.Helper()
	got, gerr := decode(coding, in, max)
	want, werr := stdDecode(coding, in, max)
	if !bytes.Equal(got, want) || fmt.Sprint(gerr) != fmt.Sprint(werr) || codingWhy(gerr) != stdCodingWhy(werr) {
		t.Fatalf("%s %q, at most %d:\ngot  %q, %v\nwant %q, %v", coding, in, max, got, gerr, want, werr)
	}
}

func TestDecodeAsTheStandardLibrary(t *testing.T) {
	for _, in := range codingSeeds() {
		for _, coding := range []string{"gzip", "deflate"} {
			for _, max := range []int{0, 1, 14, 15, 16, 100, 1 << 20} {
				sameDecode(t, coding, in, max)
			}
		}
	}
}

func FuzzContentEncoding(f *testing.F) {
	for _, in := range codingSeeds() {
		f.Add(in, false, uint16(1<<15))
		f.Add(in, true, uint16(15))
	}
	f.Fuzz(func(t *testing.T, in []byte, deflate bool, max uint16) {
		coding := "gzip"
		if deflate {
			coding = "deflate"
		}
		sameDecode(t, coding, in, int(max))
	})
}

// TestCRC32: the CRC-32 of the gzip trailer, by hash/crc32's.
func TestCRC32(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef\x00\xff"), 1000)
	for _, n := range []int{0, 1, 7, 100, len(data)} {
		if got, want := crc32Update(crc32Update(0, data[:n/2]), data[n/2:n]), crc32.ChecksumIEEE(data[:n]); got != want {
			t.Errorf("%d bytes: %08x, want %08x", n, got, want)
		}
	}
}
