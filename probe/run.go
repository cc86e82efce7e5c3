// Package probe is the engine of probe, the health checker for containers:
// it reads targets written as URLs, runs the checks of package checks
// against one shared deadline, and turns their results into a state
// (healthy, unhealthy or draining) and an exit code, with every secret of a
// target masked in what it reports.
//
// The three-line use:
//
//	target, err := probe.ParseTarget("http://127.0.0.1:8080/healthz")
//	report := probe.Run(ctx, []probe.Target{target}, probe.Options{Timeout: 2 * time.Second})
//	os.Exit(report.ExitCode())
//
// ParseTarget reads a target URL: its scheme names the kind of check, and
// templates, checks of package checks, give the options the URL does not
// say (checks.HTTP{Status: ...}). A Target may also be built by hand, with
// any Check. Run owns the clock: one deadline for every target and retry,
// targets run concurrently, and Run returns by the deadline plus a few
// milliseconds, or as soon after a cancel, whatever a check does (a check
// that must end what it started first, checks.Command, up to 2s more). Waiter
// checks targets until each passes (the dependencies of a service that
// starts), and Marker is the shutdown marker that turns every verdict into
// draining.
//
// A check's failure is one of the error types of package checks; Run
// reports it as Result.Detail, one printable line with the target's
// secrets masked, which Options.Describe may write in the program's own
// words.
//
// Target.Func and CheckFunc turn a target into the func(ctx) error that
// Go's health libraries take for a check, and such a func into a check.
// Drain drains an HTTP server (net/http or fasthttp) from inside the app,
// as probe exec does from outside.
//
// This package is v0: its API may change between minor versions, and
// each change is written in CHANGELOG.md.
package probe

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/text"
)

// Check is what every kind in package checks implements, by value: a nil
// error means healthy.
type Check interface {
	// Run checks the target by the deadline of ctx, recording its phases
	// in tr, and returns what it saw ("HTTP 200 OK") or why it failed.
	Run(ctx context.Context, tr *checks.Trace) (seen string, err error)
}

// Target is one check, the name it is reported under, and what no output
// may show of it.
type Target struct {
	Name  string // as the user wrote it, with its secrets masked
	Kind  string // the kind's name: http, grpc, tcp..., as ParseTarget names it
	Check Check
	// Secrets are never printed: Run masks them wherever a reply or an
	// error of this target echoes them (URL userinfo, secret header and
	// query values, as ParseTarget lists them).
	Secrets []string
}

// State is the outcome of a check or of a whole run.
type State string

// The three states. Only Healthy exits 0.
const (
	Healthy   State = "healthy"
	Unhealthy State = "unhealthy"
	Draining  State = "draining"
)

// String returns the state's name, as printed.
func (s State) String() string { return string(s) }

// DefaultTimeout is the run's deadline when Options.Timeout is zero. It is well
// under Docker's default HEALTHCHECK timeout (30s), so the reason for a
// failure reaches docker inspect instead of Docker killing the probe.
const DefaultTimeout = 5 * time.Second

// grace is how long past the deadline, or past a cancel, Run waits for a
// check to return on its own before it reports the check from its trace
// and moves on.
const grace = 20 * time.Millisecond

// ender is a Check that starts what must not outlive it (checks.Command: a
// process group) and ends it itself before it returns. Run waits for such
// a check up to EndWithin past the deadline, or past a cancel, rather than
// grace, at most maxEndWithin: no report is made while what it started
// may still run.
type ender interface {
	Check
	EndWithin() time.Duration
}

// maxEndWithin bounds the wait for an ender.
const maxEndWithin = 2 * time.Second

// Options control one run.
type Options struct {
	Timeout    time.Duration // shared by every check and retry; DefaultTimeout when zero
	Retries    int           // extra attempts after a failure, within Timeout
	RetryDelay time.Duration // pause between attempts
	Marker     string        // shutdown marker path; "" ignores draining
	Secrets    []string      // never printed, in any target's result (each target's own are masked too)

	// Describe, when set, writes the Detail of a failure from the check's
	// error, in place of err.Error(): to name the option that set a
	// condition as the program's users know it, from the error's type
	// and its Field (probe's command line adds its flag: "HTTP 503
	// Service Unavailable, want 200-399 (--status)"). What it returns is
	// masked and made printable as every Detail is. A timeout and a cancel
	// are described by Run, from the trace.
	Describe func(err error) string
}

// Result is the outcome of one target.
type Result struct {
	Target   string
	Kind     string
	State    State
	Detail   string // what was seen when healthy, why it failed otherwise
	Phase    string // the phase that failed, when one did
	Attempts int
	Duration time.Duration
	Marks    []checks.Mark
	Reply    string        // excerpt of the response, shown by -v
	Notes    []checks.Note // facts shown by -v: the address that answered, the TLS session
	// CertExpiry is when the first certificate the server presented
	// expires; zero without TLS.
	CertExpiry time.Time
	// HTTPStatus is the status code of the final HTTP response; zero for
	// other kinds, and when none came.
	HTTPStatus int

	err error // the cause of a failure, for Target.Func's error to unwrap to
}

// Report is the outcome of a run.
type Report struct {
	State    State
	Duration time.Duration
	Timeout  time.Duration
	Marker   string
	Results  []Result
}

// ExitCode is 0 when the run is healthy and 1 otherwise (draining included).
// Docker reserves 2, so no other code is used.
func (r *Report) ExitCode() int {
	if r.State == Healthy {
		return 0
	}
	return 1
}

// Run runs every target concurrently under one deadline and returns by that
// deadline plus a few milliseconds, whatever the checks do; once ctx is
// cancelled, within as much. A check that has not returned by then is
// reported from its trace: timed out, or cancelled, in the phase it was in.
// A check with an EndWithin() time.Duration method (checks.Command), which
// ends what it started before it returns, is waited for that much longer,
// 2s at most.
func Run(ctx context.Context, targets []Target, opt Options) *Report {
	start := time.Now()
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	report := &Report{State: Healthy, Timeout: opt.Timeout, Marker: opt.Marker, Results: make([]Result, len(targets))}
	defer func() { report.Duration = time.Since(start) }()

	if opt.Marker != "" {
		if err := (Marker{Path: opt.Marker}).Draining(); err != nil {
			state, detail := Unhealthy, err.Error()
			var draining *DrainingError
			if errors.As(err, &draining) {
				state, detail = Draining, draining.Reason()
			}
			detail = sanitize.Printable(detail) // the marker's text is anyone's
			for i, t := range targets {
				report.Results[i] = Result{Target: t.Name, Kind: t.Kind, State: state, Detail: detail, err: err}
			}
			report.State = state
			return report
		}
	}

	type done struct {
		i int
		r Result
	}
	finished := make(chan done, len(targets))
	traces := make([]atomic.Pointer[checks.Trace], len(targets))
	for i, t := range targets {
		go func() {
			res := Result{Target: t.Name, Kind: t.Kind}
			returned := false
			// A check that calls runtime.Goexit (t.FailNow in a test) ends
			// this goroutine, deferred calls included: its result is sent
			// at once all the same.
			defer func() {
				if !returned {
					snap := traces[i].Load().Snapshot()
					res.State, res.Phase, res.Marks = Unhealthy, snap.LastPhase, snap.Marks
					res.Duration = time.Since(start)
					res.Detail = "the check exited without returning (runtime.Goexit)"
				}
				finished <- done{i, res}
			}()
			growStack(never)
			attempt(ctx, start, t, opt, &traces[i], &res)
			returned = true
		}()
	}
	got := make([]bool, len(targets))
	// Once ctx is done (the deadline, or a cancel), each check gets grace
	// to return, an ender its EndWithin.
	ended := ctx.Done()
	late := time.NewTimer(time.Hour)
	late.Stop()
	defer late.Stop()
	extended := false
wait:
	for n := 0; n < len(targets); {
		select {
		case d := <-finished:
			report.Results[d.i], got[d.i] = d.r, true
			n++
		case <-ended:
			ended = nil
			late.Reset(grace)
		case <-late.C:
			if !extended {
				extended = true
				if more := endWithin(targets, got) - grace; more > 0 {
					late.Reset(more)
					continue
				}
			}
			break wait
		}
	}
	for i, t := range targets {
		res := &report.Results[i]
		if !got[i] {
			// The check ignored its deadline; report it from its trace.
			snap, took := traces[i].Load().Snapshot(), time.Since(start)
			*res = Result{Target: t.Name, Kind: t.Kind, State: Unhealthy, Attempts: 1,
				Duration: took, Phase: snap.LastPhase, Marks: snap.Marks,
			}
			stop := stopped(ctx, took, snap.LastPhase, opt.Timeout, snap.Partial, "", nil)
			res.Detail, res.err = describe(opt, stop), stop
		}
		secrets := append(t.Secrets[:len(t.Secrets):len(t.Secrets)], opt.Secrets...)
		// What a result says is shown as it is, by every output (the
		// terminal, -o json, /readyz, /status, the agent-check, -v's
		// notes): no secret,
		// and no byte a terminal would act on, whatever a peer sent.
		res.Target = sanitize.Printable(sanitize.Mask(res.Target, secrets))
		res.Detail = sanitize.Printable(sanitize.Mask(res.Detail, secrets))
		res.Reply = sanitize.Printable(sanitize.Mask(res.Reply, secrets))
		for k := range res.Notes { // a copy of the trace's: a certificate's name is the peer's
			res.Notes[k].Value = sanitize.Printable(sanitize.Mask(res.Notes[k].Value, secrets))
		}
		if res.State != Healthy {
			report.State = Unhealthy
		}
	}
	return report
}

// endWithin is the longest EndWithin of the checks not yet returned, up to
// maxEndWithin; 0 when none is an ender.
func endWithin(targets []Target, got []bool) time.Duration {
	var d time.Duration
	for i, t := range targets {
		if e, ok := t.Check.(ender); ok && !got[i] {
			d = max(d, min(e.EndWithin(), maxEndWithin))
		}
	}
	return d
}

// attempt runs one target into res, retrying within the deadline.
// Durations count from start, the start of the run, which the deadline
// counts from too.
func attempt(ctx context.Context, start time.Time, t Target, opt Options, current *atomic.Pointer[checks.Trace], res *Result) {
	for {
		res.Attempts++
		tr := checks.NewTrace()
		current.Store(tr)
		seen, err := runSafely(ctx, tr, t.Check)
		snap := tr.Snapshot()
		res.Duration, res.Marks, res.Reply, res.Notes = time.Since(start), snap.Marks, snap.Reply, snap.Notes
		res.CertExpiry, res.HTTPStatus = snap.CertExpiry, snap.HTTPStatus
		if err == nil {
			res.State, res.Detail, res.Phase, res.err = Healthy, seen, "", nil
			return
		}
		res.State, res.Phase, res.err = Unhealthy, snap.Phase, err
		if checks.IsTimeout(err) || errors.Is(ctx.Err(), context.Canceled) {
			// Cancelled, a check's error says only how it was cut short.
			var ce *checks.CommandError
			ended := ""
			if errors.As(err, &ce) && (errors.Is(ce.Err, context.DeadlineExceeded) || errors.Is(ce.Err, context.Canceled)) {
				ended = ce.Msg
			}
			stop := stopped(ctx, res.Duration, res.Phase, opt.Timeout, snap.Partial, ended, err)
			res.Detail, res.err = describe(opt, stop), stop
			return
		}
		res.Detail = describe(opt, err)
		deadline, _ := ctx.Deadline()
		if res.Attempts > opt.Retries || time.Until(deadline) < opt.RetryDelay {
			return
		}
		select {
		case <-time.After(opt.RetryDelay):
		case <-ctx.Done():
			return
		}
	}
}

// describe writes a failure's Detail, through Options.Describe when set.
func describe(opt Options, err error) string {
	if opt.Describe != nil {
		return opt.Describe(err)
	}
	return err.Error()
}

// runSafely turns a panic in a check into a failure of that check, so the
// probe still prints one line and exits 1.
func runSafely(ctx context.Context, tr *checks.Trace, c Check) (seen string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return c.Run(ctx, tr)
}

// phaseWords says where a check was when it stopped, in words. A switch,
// not a map: nothing to build at every start.
func phaseWords(phase string) string {
	switch phase {
	case checks.PhaseDNS:
		return "resolving the host name"
	case checks.PhaseConnect:
		return "connecting"
	case checks.PhaseTLS:
		return "in the TLS handshake"
	case checks.PhaseHTTP2:
		return "in the HTTP/2 handshake"
	case checks.PhaseFirstByte:
		return "waiting for the first byte of the response"
	case checks.PhaseResponse:
		return "reading the response"
	case checks.PhaseExpect:
		return "waiting for the reply to match"
	case checks.PhaseRedirect:
		return "following a redirect"
	case checks.PhaseProc:
		return "reading /proc"
	case checks.PhaseFile:
		return "reading the file"
	case checks.PhaseReply:
		return "waiting for the server's reply"
	case checks.PhaseRun:
		return "while the command ran"
	}
	return "before the check finished"
}

// StoppedError is a check that did not finish: the run's deadline passed
// (Cause is context.DeadlineExceeded), or its context was cancelled
// (context.Canceled, or the canceller's cause, such as "received
// SIGTERM"). It says where the check was and what had come of the reply,
// from the check's trace; Result.Detail is its line, through
// Options.Describe when set.
type StoppedError struct {
	Elapsed time.Duration // since the run began
	Timeout time.Duration // the run's
	Phase   string        // the phase the check was in: checks.PhaseFirstByte...
	Partial string        // what had come of the reply, quoted; "" for nothing
	Cause   error
	ended   string // what became of what the check started, in its words
	ctxErr  error  // the context's error, when Cause is the canceller's
	err     error  // the check's own error, if it returned one
}

func (e *StoppedError) Error() string {
	words := phaseWords(e.Phase)
	if e.ended != "" {
		words += " (" + e.ended + ")"
	}
	var s string
	switch {
	case errors.Is(e.Cause, context.DeadlineExceeded):
		s = fmt.Sprintf("timeout after %s %s", text.Duration(e.Elapsed), words)
	case e.Cause == nil || e.Cause == context.Canceled:
		s = fmt.Sprintf("cancelled after %s %s", text.Duration(e.Elapsed), words)
	default:
		s = fmt.Sprintf("%s after %s %s", e.Cause, text.Duration(e.Elapsed), words)
	}
	if e.Partial != "" {
		s += "; got " + e.Partial + " so far"
	}
	return s
}

// Unwrap returns Cause, and the check's own error when it returned one.
func (e *StoppedError) Unwrap() []error {
	errs := []error{e.Cause}
	if e.ctxErr != nil {
		errs = append(errs, e.ctxErr) // context.Canceled, under a cause
	}
	if e.err != nil {
		errs = append(errs, e.err)
	}
	return errs
}

// stopped is the StoppedError of a check stopped in phase, with its trace's
// partial reply; ended is what the check said of what it started, err what
// it returned (nil when it has not returned).
func stopped(ctx context.Context, elapsed time.Duration, phase string, limit time.Duration, partial, ended string, err error) *StoppedError {
	e := &StoppedError{Elapsed: elapsed, Timeout: limit, Phase: phase, Partial: partial, Cause: context.DeadlineExceeded, ended: ended, err: err}
	if errors.Is(ctx.Err(), context.Canceled) {
		e.Cause = context.Cause(ctx)
		if e.Cause != context.Canceled {
			e.ctxErr = ctx.Err()
		}
	}
	return e
}

// checkStack is the frame growStack has: the runtime grows a goroutine's
// 2 KiB stack to the next power of two that holds it and a margin, 16 KiB,
// what an HTTP check through fasthttp and the resolver uses. Grown so at
// the start, while the stack holds two frames, it is copied once, instead
// of three times as the check goes deeper (2, 4, 8, then 16 KiB, each copy
// walking every frame, and each size of stack touched): 4,000 instructions
// and a few page faults less a check.
const checkStack = 12 << 10

// never is 0; growStack cannot know it, so its frame keeps the array.
var never = 0

// growStack has a frame of checkStack bytes, so that calling it grows the
// stack to hold it; the array is declared and read only when n is not 0,
// which it never is.
//
//go:noinline
func growStack(n int) byte {
	if n != 0 {
		var b [checkStack]byte
		return b[n%checkStack]
	}
	return 0
}
