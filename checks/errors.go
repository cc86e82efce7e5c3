package checks

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/probe-sh/probe/internal/patched/fasthttp"
)

// The failures a caller may want to tell apart, as types, so that no
// caller reads an error's text. Every Error() is the one line probe prints,
// printable, with the flag that would fix it where one would. A timeout is
// context.DeadlineExceeded (see IsTimeout): the caller, which owns the
// clock, names the phase from the trace. The shutdown marker's verdict,
// draining, is not a check's: it is probe.DrainingError.

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

// EncodingError: the body to judge is compressed in a way probe cannot
// undo, past --max-body once decompressed, or not what its
// Content-Encoding says.
type EncodingError struct{ Msg string }

func (e *EncodingError) Error() string { return e.Msg }

// ReplyError: a TCP reply matched a --reject, or ended before an --expect
// matched.
type ReplyError struct {
	What    string // what was judged, when not the reply read: "the answer" (dns://)
	Pattern *regexp.Regexp
	Reject  bool   // the reply matched a --reject
	Closed  bool   // the server closed the connection first
	Excerpt string // the reply's lines, quoted; with Reject, the line that matched
	Read    Size   // when the read bound was reached
}

func (e *ReplyError) Error() string {
	switch {
	case e.What != "" && e.Reject:
		return fmt.Sprintf("%s %s matches --reject %q", e.What, e.Excerpt, e.Pattern)
	case e.What != "":
		return fmt.Sprintf("%s %s does not match --expect %q", e.What, e.Excerpt, e.Pattern)
	case e.Reject:
		return fmt.Sprintf("the reply matches --reject %q: %s", e.Pattern, e.Excerpt)
	case e.Closed:
		return fmt.Sprintf("connection closed before --expect %q matched a line; got %s", e.Pattern, e.Excerpt)
	}
	return fmt.Sprintf("read %s without a line that matches --expect %q: %s", e.Read, e.Pattern, e.Excerpt)
}

// HeaderError: a response header is missing, does not match, or should not
// be there.
type HeaderError struct {
	Msg string
}

func (e *HeaderError) Error() string { return e.Msg }

// FileError: the file is missing, too old, or its content is wrong.
type FileError struct {
	Msg string
}

func (e *FileError) Error() string { return e.Msg }

// GRPCError: the call failed with a gRPC status other than OK.
type GRPCError struct {
	Code    int
	Message string
	Service string
}

// CodeName is the status code's name, such as UNIMPLEMENTED.
func (e *GRPCError) CodeName() string {
	if e.Code >= 0 && e.Code < len(grpcCodes) {
		return grpcCodes[e.Code]
	}
	return "code " + strconv.Itoa(e.Code)
}

func (e *GRPCError) Error() string {
	status := e.CodeName()
	if e.Message != "" {
		status += ": " + e.Message
	}
	switch e.Code {
	case 12:
		return "grpc: the server has no health service (" + healthPath + " is " + status + ")"
	case 5:
		if e.Service != "" {
			return fmt.Sprintf("grpc: the health service does not know service %q (%s)", e.Service, status)
		}
	}
	return "grpc: " + status
}

// NotServingError: the health service answered, with a status other than
// SERVING.
type NotServingError struct {
	Status  string // NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN
	Service string
}

func (e *NotServingError) Error() string {
	if e.Service != "" {
		return fmt.Sprintf("grpc: service %q is %s", e.Service, e.Status)
	}
	return "grpc: the server is " + e.Status
}

// ProtocolError: the server broke HTTP/2, reset the stream, went away, or
// did not speak HTTP/2 at all.
type ProtocolError struct {
	Msg string
	// Dropped: the server closed or reset the connection during the
	// HTTP/2 handshake, as a TLS server does to cleartext.
	Dropped bool
}

func (e *ProtocolError) Error() string { return "http2: " + e.Msg }

// JSONError: an --expect-json does not hold, or the body cannot be read as
// JSON (not JSON, a key twice in one object, nested too deeply).
type JSONError struct {
	Msg string
}

func (e *JSONError) Error() string { return e.Msg + " (--expect-json)" }

// ServerError: the server answered, and what it said is why it is not
// ready (starting up, too many connections, a wrong password...).
type ServerError struct {
	Msg string
}

func (e *ServerError) Error() string { return e.Msg }

// CommandError: a command check's program exited with another code than 0,
// was killed, or could not start.
type CommandError struct {
	Msg  string
	Code int // its exit code; -1 when it could not start or was killed
	// Stop is why probe stopped the command, when it did: ctx's error,
	// context.DeadlineExceeded (IsTimeout) or context.Canceled. Msg then
	// says what became of its process group, and only what was seen.
	Stop error
}

func (e *CommandError) Error() string { return e.Msg }

// Unwrap returns Stop.
func (e *CommandError) Unwrap() error { return e.Stop }
