package checks

import (
	"fmt"

	"github.com/probe-sh/probe/internal/patched/fasthttp"
)

// The failures a caller may tell apart are these types, as Go's net tells
// its failures apart, so that no caller reads an error's text:
//
//   - ConnError: the connection failed (dns, connect, send, read);
//   - TLSError: the TLS handshake, or a certificate;
//   - ProtocolError: the server does not speak the check's protocol, or
//     broke it;
//   - ServerError: the server answered, and said why it is not ready;
//   - StatusError: the HTTP status is not one accepted;
//   - ReplyError: the reply does not meet a condition of the check;
//   - StateError: a file, process or socket of this machine is missing or
//     does not meet a condition;
//   - CommandError: a command failed.
//
// Each keeps its cause, where it has one, for errors.Is and errors.As: a
// *net.DNSError, the *net.OpError of each address, an x509 error, io.EOF,
// an *fs.PathError. Field, where a type has it, names the field of the
// check whose condition failed, or which would fix the failure (Status,
// ExpectBody, MaxAge, CertExpiry, HTTP2...), so that a program can name its
// own option: probe's command line adds its flag ("(--expect-body)"). Each
// Error() is one printable line that speaks of the check, not of a command
// line.
//
// A timeout is context.DeadlineExceeded (see IsTimeout): the caller, which
// owns the clock, names the phase from the trace. The shutdown marker's
// verdict, draining, is not a check's: it is probe.DrainingError.

// ConnError: the connection failed. Op says where: "dns", the host name did
// not resolve; "connect", no address of it (nor the Unix socket) took the
// connection; "send" or "read", it broke while the check talked, or the
// server closed it.
type ConnError struct {
	Op   string // dns, connect, send, read
	Host string // the host name, or the Unix socket's path
	Msg  string // "connect: connection refused (127.0.0.1:8080, [::1]:8080)"
	// Err is the cause: the resolver's *net.DNSError; the error of each
	// address tried, joined (each a *net.OpError, whose Addr says which);
	// the socket's error; io.EOF when the server closed the connection.
	Err error
}

func (e *ConnError) Error() string { return e.Msg }

// Unwrap returns Err.
func (e *ConnError) Unwrap() error { return e.Err }

// TLSError: the TLS handshake failed, or a certificate the server presented
// expires within CertExpiry (Field). Msg says what was wrong.
type TLSError struct {
	Msg string
	// Field is the field that would fix it, or whose condition failed:
	// CertExpiry, ServerName (the target is an IP address, or not the name
	// on the certificate), RootCAs (an unknown authority), Certificates (a
	// client certificate wanted); "" otherwise.
	Field string
	// Err is the handshake's error: an x509.UnknownAuthorityError,
	// x509.HostnameError, x509.CertificateInvalidError,
	// tls.RecordHeaderError, a *net.OpError holding the server's alert...
	Err error
}

func (e *TLSError) Error() string { return "tls: " + e.Msg }

// Unwrap returns Err.
func (e *TLSError) Unwrap() error { return e.Err }

// ProtocolError: the server does not speak the check's protocol ("not an
// AMQP broker"), sent a reply that cannot be read, or broke the protocol
// (an HTTP/2 stream reset, a GOAWAY).
type ProtocolError struct {
	Msg   string
	Field string // the field that would fix it: HTTP2 for a server that speaks only HTTP/2
	Err   error  // the cause, when there is one

	// dropped: the server closed or reset the connection during the
	// HTTP/2 handshake, as a TLS server does to cleartext.
	dropped bool
}

func (e *ProtocolError) Error() string { return e.Msg }

// Unwrap returns Err.
func (e *ProtocolError) Unwrap() error { return e.Err }

// ServerError: the server answered, and what it said is why it is not
// ready: starting up, too many connections, a login refused, a gRPC status
// other than OK, a health status other than SERVING, a DNS response code
// not accepted.
type ServerError struct {
	// Code is the server's own code for why, as it wrote it: a SQLSTATE
	// (57P03), a MySQL error number (1040), a Redis error's first word
	// (LOADING), a gRPC status (UNIMPLEMENTED) or health status
	// (NOT_SERVING), a DNS response code (SERVFAIL); "" when it gave none.
	Code  string
	Msg   string
	Field string // Rcodes, when a DNS response code is not one accepted
}

func (e *ServerError) Error() string { return e.Msg }

// StatusError: the HTTP status is not one of those accepted (HTTP.Status).
type StatusError struct {
	Status int
	Want   StatusRanges
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d %s, want %s", e.Status, fasthttp.StatusMessage(e.Status), e.Want)
}

// ReplyError: the reply does not meet a condition of the check. Field
// names it: ExpectBody, RejectBody, ExpectJSON, ExpectHeader,
// RejectHeader, MaxBody, MaxRedirects (an HTTP reply); Expect, Reject (a
// TCP reply, a DNS answer); "" for a reply the check cannot judge (a body
// it cannot decode).
type ReplyError struct {
	Field string
	Msg   string
	Err   error // the cause, when there is one: a JSON syntax error, a decompressor's

	// Deprecated: the fields below are read by this package only, and
	// go; Msg says it all.
	What    string
	Pattern fmt.Stringer
	Reject  bool
	Closed  bool
	Excerpt string
	Read    Size
}

func (e *ReplyError) Error() string {
	if e.Msg != "" {
		return e.Msg
	}
	switch {
	case e.What != "" && e.Reject:
		return fmt.Sprintf("%s %s matches %q", e.What, e.Excerpt, e.Pattern)
	case e.What != "":
		return fmt.Sprintf("%s %s does not match %q", e.What, e.Excerpt, e.Pattern)
	}
	return "the reply does not match"
}

// Unwrap returns Err.
func (e *ReplyError) Unwrap() error { return e.Err }

// StateError: a file, process or socket of this machine is missing, cannot
// be read, or does not meet a condition of the check. Field names the
// condition: MaxAge, Expect, Reject (a file), MaxRSS, MaxFDs, PIDFile (a
// process); "" when the file, process or socket is not there.
type StateError struct {
	Field string
	Msg   string
	Err   error // the cause, when there is one: an *fs.PathError, a /proc read's
}

func (e *StateError) Error() string { return e.Msg }

// Unwrap returns Err.
func (e *StateError) Unwrap() error { return e.Err }

// CommandError: a command check's program exited with another code than 0,
// was killed, or could not start.
type CommandError struct {
	Msg  string
	Code int // its exit code; -1 when it could not start or was killed
	// Err is the cause: ctx's error when probe stopped the command
	// (context.DeadlineExceeded or context.Canceled; Msg then says what
	// became of its process group), the *exec.ExitError of a program that
	// exited with another code or was killed, or why it could not start.
	Err error
}

func (e *CommandError) Error() string { return e.Msg }

// Unwrap returns Err.
func (e *CommandError) Unwrap() error { return e.Err }

// notProtocol is a *ProtocolError with a formatted message: "not a MySQL
// server: it answered ...".
func notProtocol(format string, a ...any) error {
	return &ProtocolError{Msg: fmt.Sprintf(format, a...)}
}
