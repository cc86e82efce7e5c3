package checks

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/probe-sh/probe/internal/sanitize"
)

// maxCodings bounds the codings of one body ("gzip, gzip" is two): each
// is undone in turn, so a server cannot make probe decode without end.
const maxCodings = 4

// decodeBody is the body as the server meant it: undone, last first, the
// gzip and deflate of its Content-Encoding fields, which servers apply
// even to a request without Accept-Encoding (probe sends none). A body
// without Content-Encoding, or with identity, is as it came. The decoded
// body is bounded by max, like the body read, so that a small gzip bomb
// stops at the bound; any other coding (br, zstd, compress) is refused in
// one line, never matched as it came.
func decodeBody(r *reply, max int) ([]byte, error) {
	var codings []string
	for _, hd := range r.headers {
		if !strings.EqualFold(hd.Name, "Content-Encoding") {
			continue
		}
		for c := range strings.SplitSeq(hd.Value, ",") {
			if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "identity" {
				codings = append(codings, c)
			}
		}
	}
	if len(codings) == 0 || len(r.body) == 0 {
		return r.body, nil // an empty body, as a HEAD's or a 204's, has nothing to undo
	}
	shown := sanitize.Clip(strings.Join(codings, ", "), 60)
	if len(codings) > maxCodings {
		return nil, &ReplyError{Msg: fmt.Sprintf("HTTP %d, but the body is encoded %d times (Content-Encoding: %s); probe undoes at most %d", r.status, len(codings), shown, maxCodings)}
	}
	for _, c := range codings {
		if c != "gzip" && c != "x-gzip" && c != "deflate" {
			return nil, &ReplyError{Field: "Header", Msg: fmt.Sprintf("HTTP %d, but the body is encoded %s (Content-Encoding: %s), which probe cannot decode to match it: it reads gzip and deflate; ask for one with the header Accept-Encoding: gzip", r.status, sanitize.Printable(c), shown)}
		}
	}
	body := r.body
	for i := len(codings) - 1; i >= 0; i-- {
		var err error
		if body, err = decode(codings[i], body, max); err != nil {
			return nil, &ReplyError{Msg: fmt.Sprintf("HTTP %d, but the body is not valid %s (Content-Encoding: %s): %s", r.status, codings[i], shown, codingWhy(err)), Err: err}
		}
		if len(body) > max {
			return nil, &ReplyError{Field: "MaxBody", Msg: fmt.Sprintf("response body is larger than %s once decompressed (Content-Encoding: %s)", Size(max), shown)}
		}
	}
	return body, nil
}

// decode undoes one coding, reading at most max+1 bytes of its output.
// deflate is the zlib format (RFC 9110, 8.4.1.2), or the raw deflate some
// servers send under that name, as curl and browsers accept it.
func decode(coding string, in []byte, max int) ([]byte, error) {
	var rd io.Reader
	var err error
	switch {
	case coding == "deflate" && isZlib(in):
		rd, err = newZlibReader(bytes.NewReader(in))
	case coding == "deflate":
		rd = flate.NewReader(bytes.NewReader(in))
	default:
		rd, err = newGzipReader(bytes.NewReader(in))
	}
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(rd, int64(max)+1))
}

// isZlib reports whether b starts with a zlib header: deflate, a window of
// at most 32 KiB, and the check bits (RFC 1950, 2.2).
func isZlib(b []byte) bool {
	return len(b) >= 2 && b[0]&0x0f == 8 && b[0]>>4 <= 7 && (uint(b[0])<<8|uint(b[1]))%31 == 0
}

// The errors of the gzip and zlib framing, with compress/gzip's and
// compress/zlib's words.
var (
	errGzipHeader   = errors.New("gzip: invalid header")
	errGzipChecksum = errors.New("gzip: invalid checksum")
	errZlibHeader   = errors.New("zlib: invalid header")
	errZlibChecksum = errors.New("zlib: invalid checksum")
	errZlibDict     = errors.New("zlib: invalid dictionary")
)

// codingWhy says why a body did not decode, in a few words of our own.
func codingWhy(err error) string {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return "it ends early"
	case errors.Is(err, errGzipHeader) || errors.Is(err, errZlibHeader):
		return "its header is wrong"
	case errors.Is(err, errGzipChecksum) || errors.Is(err, errZlibChecksum):
		return "its checksum is wrong"
	case errors.As(err, &corrupt):
		return "its data is corrupt"
	}
	return "it cannot be read"
}

// The gzip (RFC 1952) and zlib (RFC 1950) framings around compress/flate
// are compress/gzip's and compress/zlib's readers, as they read a body in
// memory: the same bytes out, the same errors at the same points (a
// differential test compares them). Written here, they leave out what
// those packages link and run at every start of probe: hash/crc32's
// tables, built by its initialiser (24,000 instructions), and its
// assembly; the CRC-32 table here is built the first time a gzip body is
// read.

// gzipReader reads a gzip stream of one member or more.
type gzipReader struct {
	r      *bytes.Reader
	flate  io.Reader
	digest uint32 // CRC-32 of the member's data so far
	size   uint32 // its length, modulo 2^32
	err    error
}

func newGzipReader(r *bytes.Reader) (*gzipReader, error) {
	z := &gzipReader{r: r}
	if err := z.readHeader(); err != nil {
		return nil, err
	}
	return z, nil
}

// readHeader reads a member's header (RFC 1952, 2.3.1): an error when it
// is not one, io.EOF when the stream ends before it.
func (z *gzipReader) readHeader() error {
	var buf [512]byte
	if _, err := io.ReadFull(z.r, buf[:10]); err != nil {
		return err // io.EOF: no member more
	}
	if buf[0] != 0x1f || buf[1] != 0x8b || buf[2] != 8 {
		return errGzipHeader
	}
	const fhcrc, fextra, fname, fcomment = 1 << 1, 1 << 2, 1 << 3, 1 << 4
	flg := buf[3]
	digest := crc32Update(0, buf[:10])
	if flg&fextra != 0 {
		if _, err := io.ReadFull(z.r, buf[:2]); err != nil {
			return noEOF(err)
		}
		digest = crc32Update(digest, buf[:2])
		extra := make([]byte, binary.LittleEndian.Uint16(buf[:2]))
		if _, err := io.ReadFull(z.r, extra); err != nil {
			return noEOF(err)
		}
		digest = crc32Update(digest, extra)
	}
	for _, f := range []byte{fname, fcomment} {
		if flg&f == 0 {
			continue
		}
		// A zero-terminated string, of at most 511 bytes.
		for i := 0; ; i++ {
			if i >= len(buf) {
				return errGzipHeader
			}
			c, err := z.r.ReadByte()
			if err != nil {
				return noEOF(err)
			}
			if buf[i] = c; c == 0 {
				digest = crc32Update(digest, buf[:i+1])
				break
			}
		}
	}
	if flg&fhcrc != 0 {
		if _, err := io.ReadFull(z.r, buf[:2]); err != nil {
			return noEOF(err)
		}
		if binary.LittleEndian.Uint16(buf[:2]) != uint16(digest) {
			return errGzipHeader
		}
	}
	z.digest, z.size = 0, 0
	z.flate = flate.NewReader(z.r)
	return nil
}

// Read is compress/gzip's: the data of each member, its CRC-32 and length
// checked at its end, then the next member, if any.
func (z *gzipReader) Read(p []byte) (n int, err error) {
	if z.err != nil {
		return 0, z.err
	}
	for n == 0 {
		n, z.err = z.flate.Read(p)
		z.digest = crc32Update(z.digest, p[:n])
		z.size += uint32(n)
		if z.err != io.EOF {
			return n, z.err
		}
		var trailer [8]byte
		if _, err := io.ReadFull(z.r, trailer[:]); err != nil {
			z.err = noEOF(err)
			return n, z.err
		}
		if binary.LittleEndian.Uint32(trailer[:4]) != z.digest || binary.LittleEndian.Uint32(trailer[4:]) != z.size {
			z.err = errGzipChecksum
			return n, z.err
		}
		if z.err = z.readHeader(); z.err != nil {
			return n, z.err
		}
	}
	return n, nil
}

// zlibReader reads a zlib stream.
type zlibReader struct {
	r     *bytes.Reader
	flate io.Reader
	a, b  uint32 // Adler-32 of the data so far, its two sums
	err   error
}

// newZlibReader reads the header (RFC 1950, 2.2); a preset dictionary is
// none, whose Adler-32 is 1, as compress/zlib's NewReader has it.
func newZlibReader(r *bytes.Reader) (*zlibReader, error) {
	var buf [4]byte
	if _, err := io.ReadFull(r, buf[:2]); err != nil {
		return nil, noEOF(err)
	}
	if !isZlib(buf[:2]) {
		return nil, errZlibHeader
	}
	if buf[1]&0x20 != 0 {
		if _, err := io.ReadFull(r, buf[:4]); err != nil {
			return nil, noEOF(err)
		}
		if binary.BigEndian.Uint32(buf[:]) != 1 {
			return nil, errZlibDict
		}
	}
	return &zlibReader{r: r, flate: flate.NewReader(r), a: 1}, nil
}

// Read is compress/zlib's: the data, then its Adler-32 at the end.
func (z *zlibReader) Read(p []byte) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	var n int
	n, z.err = z.flate.Read(p)
	z.adler(p[:n])
	if z.err != io.EOF {
		return n, z.err
	}
	var sum [4]byte
	if _, err := io.ReadFull(z.r, sum[:]); err != nil {
		z.err = noEOF(err)
		return n, z.err
	}
	if binary.BigEndian.Uint32(sum[:]) != z.b<<16|z.a {
		z.err = errZlibChecksum
		return n, z.err
	}
	return n, io.EOF
}

// adler adds p to the Adler-32 (RFC 1950, 8.2), reducing the sums modulo
// 65521 at least every 5552 bytes, before they can overflow.
func (z *zlibReader) adler(p []byte) {
	for len(p) > 0 {
		chunk := p[:min(len(p), 5552)]
		p = p[len(chunk):]
		for _, c := range chunk {
			z.a += uint32(c)
			z.b += z.a
		}
		z.a %= 65521
		z.b %= 65521
	}
}

// noEOF is io.ErrUnexpectedEOF in place of io.EOF: the stream ends inside
// what it must hold.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// crcTable is the CRC-32 (IEEE) of each byte, built the first time a gzip
// body is read.
var (
	crcOnce  sync.Once
	crcTable [256]uint32
)

// crc32Update is crc, the CRC-32 (IEEE, as gzip has it) of some bytes, with
// p added.
func crc32Update(crc uint32, p []byte) uint32 {
	crcOnce.Do(func() {
		for i := range crcTable {
			c := uint32(i)
			for range 8 {
				if c&1 == 1 {
					c = c>>1 ^ 0xedb88320
				} else {
					c >>= 1
				}
			}
			crcTable[i] = c
		}
	})
	crc = ^crc
	for _, c := range p {
		crc = crcTable[byte(crc)^c] ^ crc>>8
	}
	return ^crc
}
