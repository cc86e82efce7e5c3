package fasthttp

import (
	"errors"
	"io"

	"github.com/valyala/fasthttp/stackless"
)

// probe: brotli is not built in (see internal/patched/README.md); the names the rest of
// fasthttp uses remain, as stubs that fail.
const (
	CompressBrotliNoCompression      = 0
	CompressBrotliBestSpeed          = 1
	CompressBrotliBestCompression    = 11
	CompressBrotliDefaultCompression = 4
)

var errNoCompression = errors.New("fasthttp: this compression is not built in")

type brotliReader struct{}

func (*brotliReader) Read([]byte) (int, error) { return 0, errNoCompression }

func acquireBrotliReader(io.Reader) *brotliReader { return &brotliReader{} }
func releaseBrotliReader(*brotliReader)           {}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errNoCompression }
func (failWriter) Flush() error              { return errNoCompression }
func (failWriter) Close() error              { return errNoCompression }
func (failWriter) Reset(io.Writer)           {}

func acquireStacklessBrotliWriter(io.Writer, int) stackless.Writer { return failWriter{} }
func releaseStacklessBrotliWriter(stackless.Writer, int)           {}
func AppendBrotliBytesLevel(dst, src []byte, level int) []byte     { return dst }
func writeUnbrotli(io.Writer, []byte, int) (int, error)            { return 0, errNoCompression }
