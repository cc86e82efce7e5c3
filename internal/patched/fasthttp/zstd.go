package fasthttp

import (
	"io"

	"github.com/valyala/fasthttp/stackless"
)

// probe: zstd is not built in (see internal/patched/README.md); the names the rest of
// fasthttp uses remain, as stubs that fail.
const (
	CompressZstdSpeedNotSet = iota
	CompressZstdBestSpeed
	CompressZstdDefault
	CompressZstdSpeedBetter
	CompressZstdBestCompression
)

type zstdDecoder struct{}

func (*zstdDecoder) Read([]byte) (int, error) { return 0, errNoCompression }

func acquireZstdReader(io.Reader) (*zstdDecoder, error)          { return nil, errNoCompression }
func releaseZstdReader(*zstdDecoder)                             {}
func acquireStacklessZstdWriter(io.Writer, int) stackless.Writer { return failWriter{} }
func releaseStacklessZstdWriter(stackless.Writer, int)           {}
func AppendZstdBytesLevel(dst, src []byte, level int) []byte     { return dst }
func writeUnzstd(io.Writer, []byte, int) (int, error)            { return 0, errNoCompression }
