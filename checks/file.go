package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"time"

	"github.com/probe-sh/probe/internal/files"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/text"
)

// PhaseFile is reading a file: on a network filesystem that can hang.
const PhaseFile = "file"

// File passes when a file exists, is young enough (MaxAge: a heartbeat
// file that a worker touches), and a line of its content matches each
// Expect and none matches a Reject: patterns match one line at a time, as
// TCP's do (linePattern). It works in a scratch image, read-only, as
// nobody: it only reads. Only the first MaxRead bytes of the content are
// read.
type File struct {
	Path    string
	MaxAge  time.Duration // 0: any age
	Expect  []*regexp.Regexp
	Reject  []*regexp.Regexp
	MaxRead int // 64 KiB when zero
}

// Run checks the file.
func (f File) Run(ctx context.Context, tr *Trace) (string, error) {
	tr.Enter(PhaseFile)
	type result struct {
		seen string
		err  error
	}
	done := make(chan result, 1)
	// A stat or read on a hung network filesystem does not obey ctx: it
	// runs aside, and the check returns at the deadline.
	go func() {
		seen, err := f.check()
		done <- result{seen, err}
	}()
	select {
	case r := <-done:
		if r.err == nil {
			tr.Finish()
		}
		return r.seen, r.err
	case <-ctx.Done():
		return "", context.DeadlineExceeded
	}
}

// futureSlack is how far ahead of the clock a file's modification time may
// be, with --max-age, for clocks a little apart (a network filesystem).
const futureSlack = 2 * time.Second

func (f File) check() (string, error) {
	fi, err := os.Stat(f.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", &StateError{Msg: fmt.Sprintf("file %s does not exist", f.Path), Err: err}
	case err != nil:
		return "", &StateError{Msg: fmt.Sprintf("cannot read file %s: %v", f.Path, files.Cause(err)), Err: err}
	case fi.IsDir():
		return "", &StateError{Msg: fmt.Sprintf("%s is a directory, not a file", f.Path)}
	}
	age := time.Since(fi.ModTime())
	ageText := fmt.Sprintf("modified %s ago", age.Round(time.Second))
	if age < 0 {
		ageText = fmt.Sprintf("modified %s in the future (is the clock right?)", (-age).Round(time.Second))
	}
	if f.MaxAge > 0 && age < -futureSlack {
		// A heartbeat dated ahead (touch -d 2099) would pass forever.
		return "", &StateError{Msg: fmt.Sprintf("file %s was modified %s in the future (at %s): its age proves nothing; is the clock right?",
			f.Path, (-age).Round(time.Second), fi.ModTime().UTC().Format(time.RFC3339))}
	}
	if f.MaxAge > 0 && age > f.MaxAge {
		return "", &StateError{Field: "MaxAge", Msg: fmt.Sprintf("file %s is %s old, older than %s: modified at %s",
			f.Path, age.Round(time.Second), text.Days(f.MaxAge), fi.ModTime().UTC().Format(time.RFC3339))}
	}
	seen := fmt.Sprintf("file %s, %s, %s", f.Path, text.Size(fi.Size()), ageText)
	if len(f.Expect)+len(f.Reject) == 0 {
		return seen, nil
	}
	if !fi.Mode().IsRegular() {
		return "", &StateError{Msg: fmt.Sprintf("%s is not a regular file: its content cannot be read", f.Path)}
	}
	// One byte past the bound tells a file that ends within it, whose last
	// line is whole, from one that goes on.
	content, err := files.ReadPrefix(f.Path, int64(f.maxRead())+1)
	if err != nil { // it names the path
		return "", &StateError{Msg: fmt.Sprintf("cannot read file %v", err), Err: err}
	}
	ended := len(content) <= f.maxRead()
	content = content[:min(len(content), f.maxRead())]
	for _, p := range linePatterns(f.Reject) {
		if line, ok := p.match(content, ended); ok {
			return "", &StateError{Field: "Reject", Msg: fmt.Sprintf("file %s matches %q: %s", f.Path, p.re, sanitize.Excerpt(line, 60))}
		}
	}
	if re := unmatched(linePatterns(f.Expect), content, ended); re != nil {
		return "", &StateError{Field: "Expect", Msg: fmt.Sprintf("file %s has no line that matches %q: %s", f.Path, re, quoteLines(content))}
	}
	return seen + ", content matches", nil
}

func (f File) maxRead() int {
	if f.MaxRead <= 0 {
		return 64 << 10
	}
	return f.MaxRead
}
