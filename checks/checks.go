// Package checks holds probe's health checks, one type per kind: HTTP,
// GRPC, TCP (tcp://, tls://, unix:), Postgres, Redis, MySQL, Memcached,
// AMQP, NATS, MQTT, MongoDB, Kafka, DNS, File, Listen, Process and Command.
// Each is a plain config struct whose Run(ctx, trace) returns what it saw
// when the target is healthy ("HTTP 200 OK"), or an error when it is not:
// one of the types below (ConnError, TLSError, ProtocolError, ServerError,
// StatusError, ReplyError, StateError, CommandError), which keep their
// cause where they have one, or context.DeadlineExceeded when ctx ran out
// (IsTimeout).
//
// A check never prints, never exits and never retries: it obeys the
// deadline of ctx and records its phases in the Trace, and its caller owns
// the clock, the retries and the output. Package probe is that caller, and
// reads target URLs into these checks (probe.ParseTarget, which takes a
// check as the template of its kind's options); a program may also run a
// check by itself:
//
//	check := checks.HTTP{URL: u, ExpectJSON: []checks.JSONAssertion{status}}
//	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
//	defer cancel()
//	seen, err := check.Run(ctx, checks.NewTrace())
//
// The value types (StatusRanges, Size, Share) read text as a command line
// writes it (UnmarshalText) and write it back (String); ParseJSONAssertion
// reads an assertion on a JSON body. Every text a check returns, seen or in
// an error, is printable: what a server sent is quoted, never copied raw.
package checks

import (
	"context"
	"sync"
	"time"
)

// Phase names, in the order an attempt passes through them.
const (
	PhaseDNS       = "dns"
	PhaseConnect   = "connect"
	PhaseTLS       = "tls"
	PhaseFirstByte = "first byte" // request sent, waiting for the reply's first byte
	PhaseResponse  = "response"   // reading the rest of the reply
	PhaseExpect    = "expect"     // TCP: reading until Expect matches
	PhaseRedirect  = "redirect"
	PhaseProc      = "proc" // reading /proc
)

// Mark records when a phase ended, measured from the start of the attempt,
// as curl's -w timings are.
type Mark struct {
	Phase string        `json:"phase"`
	At    time.Duration `json:"-"`
}

// Note is one fact about an attempt that -v shows, such as the address that
// answered or the TLS session.
type Note struct {
	Key, Value string
}

// Trace records one attempt as it goes: the phases, the facts -v shows, and
// what the server sent. Its caller reads it with Snapshot while the check
// may still be running (to name the phase a timeout hit), so every method
// locks. A nil *Trace is valid and records nothing.
type Trace struct {
	mu   sync.Mutex
	snap TraceSnapshot
	// start is when the attempt began; current is the phase in progress.
	start   time.Time
	current string
}

// TraceSnapshot is what a Trace holds at one moment.
type TraceSnapshot struct {
	// Phase is the phase in progress, or "" once the attempt finished.
	Phase string
	// LastPhase is the phase in progress, or else the last one entered.
	LastPhase string
	// Marks are the phases ended so far.
	Marks []Mark
	// Reply is a short, printable excerpt of the reply, for -v.
	Reply string
	// Partial is the part of a reply that a timeout reports ("got ... so
	// far"), kept as it arrives.
	Partial string
	// Notes are facts for -v: the address that answered, the TLS session.
	Notes []Note
	// CertExpiry is when the first certificate a server presented
	// expires (the earliest, over redirects); zero without TLS.
	CertExpiry time.Time
	// HTTPStatus is the status code of the last HTTP response (the final
	// one, after redirects); zero before one came, and for other kinds.
	HTTPStatus int
}

// NewTrace starts a trace now.
func NewTrace() *Trace { return &Trace{start: time.Now()} }

// Snapshot returns a copy of what the trace holds now.
func (t *Trace) Snapshot() TraceSnapshot {
	if t == nil {
		return TraceSnapshot{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.snap
	s.Phase = t.current
	s.LastPhase = t.lastPhaseLocked()
	s.Marks = append([]Mark(nil), t.snap.Marks...)
	s.Notes = append([]Note(nil), t.snap.Notes...)
	return s
}

// Enter ends the current phase, if any, and begins phase; entering the
// phase in progress changes nothing.
func (t *Trace) Enter(phase string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if phase == t.current {
		return
	}
	t.endLocked()
	t.current = phase
}

// Finish ends the current phase.
func (t *Trace) Finish() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.endLocked()
	t.current = ""
}

func (t *Trace) endLocked() {
	if t.current != "" {
		t.snap.Marks = append(t.snap.Marks, Mark{Phase: t.current, At: time.Since(t.start)})
	}
}

func (t *Trace) lastPhaseLocked() string {
	if t.current != "" {
		return t.current
	}
	if n := len(t.snap.Marks); n > 0 {
		return t.snap.Marks[n-1].Phase
	}
	return ""
}

// phase is the phase in progress, or the last one entered.
func (t *Trace) phase() string {
	if t == nil {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lastPhaseLocked()
}

// inPhase reports whether phase is in progress.
func (t *Trace) inPhase(phase string) bool {
	if t == nil {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.current == phase
}

// SetReply records a short, printable excerpt of the reply, shown by -v.
func (t *Trace) SetReply(reply string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.snap.Reply = reply
	t.mu.Unlock()
}

// SetPartial records, as it arrives, the part of a reply that a timeout
// should report ("got ... so far").
func (t *Trace) SetPartial(got string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.snap.Partial = got
	t.mu.Unlock()
}

// SetCertExpiry records when the first certificate a server presented
// expires; the earliest of several connections (redirects) is kept.
func (t *Trace) SetCertExpiry(at time.Time) {
	if t == nil {
		return
	}
	t.mu.Lock()
	if t.snap.CertExpiry.IsZero() || at.Before(t.snap.CertExpiry) {
		t.snap.CertExpiry = at
	}
	t.mu.Unlock()
}

// SetHTTPStatus records the status code of an HTTP response; the last one
// is kept, as a redirect is followed.
func (t *Trace) SetHTTPStatus(code int) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.snap.HTTPStatus = code
	t.mu.Unlock()
}

// SetNote records a fact for -v, replacing an earlier one with the same key
// (a redirect dials again).
func (t *Trace) SetNote(key, value string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range t.snap.Notes {
		if t.snap.Notes[i].Key == key {
			t.snap.Notes[i].Value = value
			return
		}
	}
	t.snap.Notes = append(t.snap.Notes, Note{key, value})
}

// deadline returns the deadline of ctx, or a bound far enough away that a
// caller without one still never waits forever.
func deadline(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(time.Minute)
}
