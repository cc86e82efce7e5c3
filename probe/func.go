package probe

import (
	"context"

	"github.com/probe-sh/probe/checks"
)

// Func returns the target as a func(ctx) error, the shape Go's health
// libraries take for a check (alexliesenfeld/health's Check.Check,
// hellofresh/health-go's Config.Check): it runs the target as Run does,
// under opt (its deadline, retries, marker and secrets) and ctx, and
// returns nil when it is healthy. Otherwise the error's text is the
// result's one line ("unhealthy http://db:8080/healthz: HTTP 503 Service
// Unavailable"), with every secret masked, and it unwraps to the cause
// where there is one: the check's own error (errors.As to
// *checks.StatusError, *checks.ConnError...), context.DeadlineExceeded or
// context.Canceled when the check was stopped, a *DrainingError
// (ErrDraining) while the shutdown marker exists. The cause's own text is not masked: print the
// error, not its cause.
func (t Target) Func(opt Options) func(context.Context) error {
	return func(ctx context.Context) error {
		r := Run(ctx, []Target{t}, opt).Results[0]
		if r.State == Healthy {
			return nil
		}
		return &resultError{line: r.State.String() + " " + r.Target + ": " + r.Detail, cause: r.err}
	}
}

// resultError is a result that is not healthy, as an error.
type resultError struct {
	line  string
	cause error
}

func (e *resultError) Error() string { return e.line }
func (e *resultError) Unwrap() error { return e.cause }

// CheckFunc is a func(ctx) error as a probe check, the other way round:
// the checks written for a health library (or a client's own
// PingContext) run under Run's deadline, retries and shutdown marker, and
// print as probe's do. A nil error is healthy.
//
//	probe.Target{Name: "db", Kind: "func", Check: probe.CheckFunc(db.PingContext)}
type CheckFunc func(context.Context) error

// Run runs f; what it saw when healthy is "ok".
func (f CheckFunc) Run(ctx context.Context, _ *checks.Trace) (string, error) {
	if err := f(ctx); err != nil {
		return "", err
	}
	return "ok", nil
}
