// Package startstack grows the main goroutine's stack once, at the start,
// to the size a run of probe needs, so that it is not grown and copied
// again and again as the run goes deeper.
//
// A goroutine starts with a 2 KiB stack; each time a call needs more, the
// runtime allocates one twice the size and copies the old one into it,
// walking every frame to move its pointers: the deeper the stack when it
// runs out, the dearer the copy. probe's main goroutine ran out a few
// times, in kong's package initialiser (a regular expression compiled at
// depth) and while parsing the command line and running the command:
// about 125,000 instructions of a healthy HTTP check (2.0 million) and of
// --version, and a stack of each size in between, touched (0.2 MB of a
// check's peak RSS, 0.6 MB of --version's). Growing it here, while the
// stack holds a few frames, is one short copy.
//
// The package imports nothing, so that it initialises among the first
// (the Go specification initialises, in each step, the first package in
// import-path order whose imports are initialised): before kong's
// initialiser and every other deep one. main imports it.
package startstack

// size is the frame that grows the stack: the runtime makes room for it
// and a bit more, so the stack becomes 32 KiB; a healthy check, the
// command line parsed with kong, fits. Only the pages a run uses are
// touched.
const size = 16 << 10

// never is 0; grow cannot know it, so its frame keeps the array.
var never = 0

func init() { grow(never) }

// grow has a frame of size bytes, so that calling it makes the runtime
// grow the stack to hold it; the array is declared, zeroed and read only
// when n is not 0, which it never is.
//
//go:noinline
func grow(n int) byte {
	if n != 0 {
		var b [size]byte
		return b[n%size]
	}
	return 0
}
