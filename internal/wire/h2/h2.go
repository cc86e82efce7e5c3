// Package h2 is the HTTP/2 framing (RFC 9113, 4 and 6) of probe's
// one-stream client (grpc:// and --http2): reading every frame a server may
// send, checked as the RFC says, its header blocks decoded with HPACK and
// their fields validated (Reader), and writing the client's frames
// (AppendFrame, AppendSettings, AppendHeaders, AppendData). It is probe's
// own so that net/http, which x/net/http2's Framer brings with it, is not
// linked (nor its initialisers run at every start); HPACK is
// x/net/http2/hpack's.
//
// A frame is read only up to MaxFrameSize, the initial
// SETTINGS_MAX_FRAME_SIZE, which probe never raises: a larger one is
// refused by its header (ErrFrameTooLarge), before its payload is read. A
// server that breaks the protocol is an *Error, of the connection or of one
// stream; the client decides what that means for the check.
package h2

import (
	"errors"
	"fmt"
	"strings"
)

// ClientPreface opens every HTTP/2 connection (RFC 9113, 3.4).
const ClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// Frame types.
const (
	FrameData         = 0x0
	FrameHeaders      = 0x1
	FramePriority     = 0x2
	FrameRSTStream    = 0x3
	FrameSettings     = 0x4
	FramePushPromise  = 0x5
	FramePing         = 0x6
	FrameGoAway       = 0x7
	FrameWindowUpdate = 0x8
	FrameContinuation = 0x9
)

// Frame flags.
const (
	FlagEndStream  = 0x1 // DATA, HEADERS
	FlagAck        = 0x1 // SETTINGS, PING
	FlagEndHeaders = 0x4 // HEADERS, CONTINUATION
	FlagPadded     = 0x8 // DATA, HEADERS
	FlagPriority   = 0x20
)

// Settings probe sends, or checks the values of.
const (
	SettingEnablePush        = 0x2
	SettingInitialWindowSize = 0x4
	SettingMaxFrameSize      = 0x5
	SettingMaxHeaderListSize = 0x6
)

// MaxFrameSize is the largest frame read or written: the initial
// SETTINGS_MAX_FRAME_SIZE.
const MaxFrameSize = 16384

// ErrCode is an HTTP/2 error code (RFC 9113, 7).
type ErrCode uint32

// The error codes the reader gives, and NO_ERROR.
const (
	ErrCodeNo          ErrCode = 0x0
	ErrCodeProtocol    ErrCode = 0x1
	ErrCodeFlowControl ErrCode = 0x3
	ErrCodeFrameSize   ErrCode = 0x6
	ErrCodeCompression ErrCode = 0x9
)

var errCodeNames = [...]string{"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
	"STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR",
	"ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"}

func (c ErrCode) String() string {
	if int(c) < len(errCodeNames) {
		return errCodeNames[c]
	}
	return fmt.Sprintf("unknown error code 0x%x", uint32(c))
}

// Error is the server breaking the protocol: of the connection, or, when
// Stream is set, of one stream (RFC 9113, 5.4).
type Error struct {
	Code   ErrCode
	Stream bool
	Why    string // what the server did, printable: the message says it
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Why) }

// ErrFrameTooLarge is a frame larger than MaxFrameSize, refused by its
// header, before its payload is read.
var ErrFrameTooLarge = errors.New("http2: frame too large")

func connError(code ErrCode, format string, args ...any) error {
	return &Error{Code: code, Why: fmt.Sprintf(format, args...)}
}

// TypeName names a frame type for messages.
func TypeName(t uint8) string {
	names := [...]string{"DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"}
	if int(t) < len(names) {
		return names[t]
	}
	return fmt.Sprintf("UNKNOWN_FRAME_TYPE_%d", t)
}

// IsToken reports whether s is an HTTP token (RFC 9110, 5.6.2): a method or
// a header name.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
