package checks

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/probe-sh/probe/internal/patched/fasthttp"
)

// The failures a caller may want to tell apart, as types, so that no
// caller reads an error's text. Every Error() is the one line probe prints.
// A timeout is context.DeadlineExceeded (see IsTimeout): the runner, which
// owns the clock, names the phase from the trace.

// ErrDraining matches a *DrainingError with errors.Is.
var ErrDraining = errors.New("draining")

// DrainingError is the shutdown marker, present: the app is leaving, and
// load balancers should stop routing to it.
type DrainingError struct {
	Path  string
	Since time.Time
}

func (e *DrainingError) Error() string { return "draining: " + e.Reason() }

// Reason says why, without the state: "shutdown marker PATH present for 3s".
func (e *DrainingError) Reason() string {
	return "shutdown marker " + e.Path + " " + Marker{Path: e.Path}.Age(e.Since)
}

// Is makes errors.Is(err, ErrDraining) hold.
func (e *DrainingError) Is(target error) bool { return target == ErrDraining }

// DNSError: the host name did not resolve.
type DNSError struct {
	Host     string
	NotFound bool
	Cause    string // when it is not "no such host": a server refused, timed out...
}

func (e *DNSError) Error() string {
	if e.NotFound {
		return fmt.Sprintf("dns: no such host %q", e.Host)
	}
	return fmt.Sprintf("dns: cannot resolve %q: %s", e.Host, e.Cause)
}

// DialError: no address of the host accepted the connection. Causes are
// the distinct reasons, each with the addresses that gave it.
type DialError struct {
	Causes []DialCause
}

// DialCause is one reason a connection failed, and where.
type DialCause struct {
	Cause string   // "connection refused"
	Addrs []string // "127.0.0.1:8080"
}

func (e *DialError) Error() string {
	parts := make([]string, 0, len(e.Causes))
	for _, c := range e.Causes {
		parts = append(parts, fmt.Sprintf("%s (%s)", c.Cause, strings.Join(c.Addrs, ", ")))
	}
	return "connect: " + strings.Join(parts, "; ")
}

// TLSError: the TLS handshake failed, with what was wrong and how to fix it.
type TLSError struct {
	Msg string
}

func (e *TLSError) Error() string { return "tls: " + e.Msg }

// StatusError: the HTTP status is not one of those accepted.
type StatusError struct {
	Status int
	Want   StatusRanges
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d %s, want %s (--status)", e.Status, fasthttp.StatusMessage(e.Status), e.Want)
}

// BodyError: the body does not match an --expect-body, or matches a
// --reject-body.
type BodyError struct {
	Status  int
	Pattern *regexp.Regexp
	Reject  bool   // the body matched a --reject-body
	Excerpt string // what the body holds there, quoted
}

func (e *BodyError) Error() string {
	if e.Reject {
		return fmt.Sprintf("HTTP %d, but the body matches --reject-body %q: %s", e.Status, e.Pattern, e.Excerpt)
	}
	return fmt.Sprintf("HTTP %d, but the body does not match --expect-body %q: %s", e.Status, e.Pattern, e.Excerpt)
}

// ReplyError: a TCP reply matched a --reject, or ended before an --expect
// matched.
type ReplyError struct {
	Pattern *regexp.Regexp
	Reject  bool   // the reply matched a --reject
	Closed  bool   // the server closed the connection first
	Excerpt string // the reply, quoted
	Read    Size   // when the read bound was reached
}

func (e *ReplyError) Error() string {
	switch {
	case e.Reject:
		return fmt.Sprintf("the reply matches --reject %q: %s", e.Pattern, e.Excerpt)
	case e.Closed:
		return fmt.Sprintf("connection closed before --expect %q matched; got %s", e.Pattern, e.Excerpt)
	}
	return fmt.Sprintf("read %s without matching --expect %q: %s", e.Read, e.Pattern, e.Excerpt)
}

// HeaderError: a response header is missing, does not match, or should not
// be there.
type HeaderError struct {
	Msg string
}

func (e *HeaderError) Error() string { return e.Msg }
