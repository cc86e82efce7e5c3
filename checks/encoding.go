package checks

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"

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

// isZlib reports whether b starts with a zlib header: deflate, a window of
// at most 32 KiB, and the check bits (RFC 1950, 2.2).
func isZlib(b []byte) bool {
	return len(b) >= 2 && b[0]&0x0f == 8 && b[0]>>4 <= 7 && (uint(b[0])<<8|uint(b[1]))%31 == 0
}

// codingWhy says why a body did not decode, in a few words of our own.
func codingWhy(err error) string {
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
