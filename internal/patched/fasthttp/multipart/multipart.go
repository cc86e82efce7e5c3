// Package multipart stands in for mime/multipart in probe's copy of
// fasthttp: the types and functions fasthttp names, none of which reads or
// writes a form. probe's server refuses every request body (and sets
// DisablePreParseMultipartForm), and its client sends none, so neither
// ever reads or writes a multipart/form-data body; mime/multipart and mime,
// which fasthttp would link for them, cost 90 KB of probe's binary.
package multipart

import (
	"errors"
	"io"
)

// ErrNotBuiltIn is what every operation on a form returns.
var ErrNotBuiltIn = errors.New("multipart/form-data is not built in")

// Form is mime/multipart's Form; this copy never fills one.
type Form struct {
	Value map[string][]string
	File  map[string][]*FileHeader
}

// RemoveAll removes the files of a form: it has none.
func (f *Form) RemoveAll() error { return nil }

// FileHeader is mime/multipart's FileHeader (its Header a
// net/textproto.MIMEHeader there).
type FileHeader struct {
	Filename string
	Header   map[string][]string
	Size     int64
}

// File is mime/multipart's File.
type File interface {
	io.Reader
	io.ReaderAt
	io.Seeker
	io.Closer
}

// Open fails: no form has a file.
func (fh *FileHeader) Open() (File, error) { return nil, ErrNotBuiltIn }

// Reader reads no form.
type Reader struct{}

// NewReader returns a Reader that reads no form.
func NewReader(io.Reader, string) *Reader { return &Reader{} }

// ReadForm fails.
func (r *Reader) ReadForm(int64) (*Form, error) { return nil, ErrNotBuiltIn }

// Writer writes no form.
type Writer struct{}

// NewWriter returns a Writer that writes no form.
func NewWriter(io.Writer) *Writer { return &Writer{} }

// SetBoundary fails.
func (w *Writer) SetBoundary(string) error { return ErrNotBuiltIn }

// WriteField fails.
func (w *Writer) WriteField(string, string) error { return ErrNotBuiltIn }

// CreatePart fails.
func (w *Writer) CreatePart(map[string][]string) (io.Writer, error) { return nil, ErrNotBuiltIn }

// Close fails.
func (w *Writer) Close() error { return ErrNotBuiltIn }
