package procfs

import (
	"regexp"
	"sync"
)

// lazyRegexp is a regular expression compiled the first time it is used. A
// pointer to one is set up by the linker, so declaring it costs nothing at
// start, unlike sync.OnceValue, whose closures are made when the package
// initialises (as Go's internal/lazyregexp does it).
type lazyRegexp struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

func (r *lazyRegexp) get() *regexp.Regexp {
	r.once.Do(func() { r.re = regexp.MustCompile(r.expr) })
	return r.re
}
