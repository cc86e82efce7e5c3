// Package checks holds one file per kind of health check: http.go, tcp.go,
// listen.go, process.go, and marker.go for the shutdown marker. Each kind is
// a config struct whose Run(ctx, trace) returns what it saw when the target
// is healthy, or a typed error (errors.go) when it is not. A check never
// prints and never exits: it obeys the deadline of ctx, records its phases in
// the trace, and the caller (package runner) owns the clock, the retries and
// the output.
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
	PhaseExpect    = "expect"     // TCP: reading until --expect matches
	PhaseRedirect  = "redirect"
	PhaseProc      = "proc" // reading /proc
)

// Phases lists every phase, wherever it is declared, for those who name
// them (the runner's timeout messages); TestPhasesAreListed keeps it whole.
var Phases = []string{PhaseDNS, PhaseConnect, PhaseTLS, PhaseHTTP2, PhaseFirstByte, PhaseResponse,
	PhaseExpect, PhaseRedirect, PhaseProc, PhaseFile, PhaseReply}

// Mark records when a phase ended, measured from the start of the attempt,
// as curl's -w timings are.
type Mark struct {
	Phase string        `json:"phase"`
	At    time.Duration `json:"-"`
}

// Trace records the phases of one attempt. The runner reads it while the
// check may still be running (to name the phase a timeout hit), so every
// method locks. A nil *Trace is valid and records nothing.
type Trace struct {
	mu      sync.Mutex
	start   time.Time
	phase   string
	marks   []Mark
	reply   string
	partial string
	notes   []Note
	expiry  time.Time
}

// Note is one fact about an attempt that -v shows, such as the address that
// answered or the TLS session.
type Note struct {
	Key, Value string
}

// NewTrace starts a trace now.
func NewTrace() *Trace { return &Trace{start: time.Now()} }

// Enter ends the current phase, if any, and begins phase.
func (t *Trace) Enter(phase string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.endLocked()
	t.phase = phase
}

// Finish ends the current phase.
func (t *Trace) Finish() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.endLocked()
	t.phase = ""
}

func (t *Trace) endLocked() {
	if t.phase != "" {
		t.marks = append(t.marks, Mark{Phase: t.phase, At: time.Since(t.start)})
	}
}

// Phase returns the phase in progress, or the last one entered.
func (t *Trace) Phase() string {
	if t == nil {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.phase != "" {
		return t.phase
	}
	if n := len(t.marks); n > 0 {
		return t.marks[n-1].Phase
	}
	return ""
}

// Current returns the phase in progress, or "" once the attempt finished.
func (t *Trace) Current() string {
	if t == nil {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.phase
}

// Marks returns a copy of the phases ended so far.
func (t *Trace) Marks() []Mark {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Mark(nil), t.marks...)
}

// Reply records a short, printable excerpt of the response, shown by -v.
func (t *Trace) Reply(reply string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.reply = reply
	t.mu.Unlock()
}

// Partial records, as it arrives, the part of a reply that a timeout should
// report ("got ... so far").
func (t *Trace) Partial(got string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.partial = got
	t.mu.Unlock()
}

// PartialReply returns what Partial recorded last.
func (t *Trace) PartialReply() string {
	if t == nil {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.partial
}

// CertExpires records when the first certificate a server presented
// expires; the earliest of several connections (redirects) is kept.
func (t *Trace) CertExpires(at time.Time) {
	if t == nil {
		return
	}
	t.mu.Lock()
	if t.expiry.IsZero() || at.Before(t.expiry) {
		t.expiry = at
	}
	t.mu.Unlock()
}

// CertExpiry returns what CertExpires recorded: zero without TLS.
func (t *Trace) CertExpiry() time.Time {
	if t == nil {
		return time.Time{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.expiry
}

// Note records a fact for -v, replacing an earlier one with the same key
// (a redirect dials again).
func (t *Trace) Note(key, value string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range t.notes {
		if t.notes[i].Key == key {
			t.notes[i].Value = value
			return
		}
	}
	t.notes = append(t.notes, Note{key, value})
}

// Notes returns a copy of the notes recorded so far.
func (t *Trace) Notes() []Note {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Note(nil), t.notes...)
}

// Replied returns what Reply recorded last.
func (t *Trace) Replied() string {
	if t == nil {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.reply
}

// deadline returns the deadline of ctx, or a bound far enough away that a
// caller without one still never waits forever.
func deadline(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(time.Minute)
}
