package fasthttp

import (
	"io"
	"io/fs"

	"github.com/valyala/fasthttp/stackless"
)

// probe: gzip and deflate are not built in (see internal/patched/README.md),
// as brotli and zstd are not: the names the rest of fasthttp uses remain, as
// stubs that fail.

// Supported compression levels.
const (
	CompressNoCompression      = 0
	CompressBestSpeed          = 1
	CompressBestCompression    = 9
	CompressDefaultCompression = 6  // flate.DefaultCompression
	CompressHuffmanOnly        = -2 // flate.HuffmanOnly
)

// gzipReader stands for *gzip.Reader.
type gzipReader = brotliReader

func acquireGzipReader(io.Reader) (*gzipReader, error) { return nil, errNoCompression }
func releaseGzipReader(*gzipReader)                    {}
func newGzipReader(io.Reader) (io.Reader, error)       { return nil, errNoCompression }

func acquireStacklessGzipWriter(io.Writer, int) stackless.Writer    { return failWriter{} }
func releaseStacklessGzipWriter(stackless.Writer, int)              {}
func acquireStacklessDeflateWriter(io.Writer, int) stackless.Writer { return failWriter{} }
func releaseStacklessDeflateWriter(stackless.Writer, int)           {}

// AppendGzipBytesLevel appends nothing: gzip is not built in.
func AppendGzipBytesLevel(dst, src []byte, level int) []byte { return dst }

// WriteGzipLevel fails: gzip is not built in.
func WriteGzipLevel(w io.Writer, p []byte, level int) (int, error) { return 0, errNoCompression }

// WriteGzip fails: gzip is not built in.
func WriteGzip(w io.Writer, p []byte) (int, error) { return 0, errNoCompression }

func writeGunzip(io.Writer, []byte, int) (int, error) { return 0, errNoCompression }

// AppendDeflateBytesLevel appends nothing: deflate is not built in.
func AppendDeflateBytesLevel(dst, src []byte, level int) []byte { return dst }

// WriteDeflateLevel fails: deflate is not built in.
func WriteDeflateLevel(w io.Writer, p []byte, level int) (int, error) { return 0, errNoCompression }

// WriteDeflate fails: deflate is not built in.
func WriteDeflate(w io.Writer, p []byte) (int, error) { return 0, errNoCompression }

func writeInflate(io.Writer, []byte, int) (int, error) { return 0, errNoCompression }

// isFileCompressible says no: nothing can compress it.
func isFileCompressible(fs.File, float64) bool { return false }
