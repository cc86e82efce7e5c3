package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/probe-sh/probe/internal/logline"
	"github.com/probe-sh/probe/internal/netpolicy"
	"github.com/probe-sh/probe/internal/render"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/probe"
)

// Globals are the flags every command shares, and what they decide: the
// options of a run, where output goes, the shutdown marker.
type Globals struct {
	Timeout    *time.Duration `short:"t" placeholder:"5s" help:"Deadline for the whole run, shared by every target and retry; 5s by default (60s for wait). Keep it under the HEALTHCHECK --timeout."`
	Retries    int            `default:"0" help:"Extra attempts after a failure, within --timeout."`
	RetryDelay time.Duration  `default:"500ms" help:"Pause between attempts."`
	Verbose    bool           `short:"v" help:"Add phase timings (dns, connect, tls, first byte, total) and an excerpt of the reply."`
	Quiet      bool           `short:"q" help:"Print nothing: the exit code says it all."`
	Output     string         `short:"o" enum:"text,json" default:"text" help:"Output format: text or json."`
	Marker     string         `default:"${default_marker}" help:"Shutdown marker: while this file exists, every check reports draining."`
	NoMarker   bool           `help:"Ignore the shutdown marker, for liveness checks."`
	ProcRoot   string         `default:"/proc" hidden:"" help:"Where the proc filesystem is mounted; tests point it at fixture trees."`

	LoopbackOnly bool `name:"loopback-only" help:"Connect to loopback addresses and Unix sockets only: a target, a redirect or a DNS answer that leads elsewhere is refused before a packet is sent, and names resolve from /etc/hosts or a name server on loopback only. PROBE_LOOPBACK_ONLY=1 in an image's ENV sets it for every check."`

	// varSecrets are the values of the ${VAR}s whose names say secret
	// (expand.go): masked wherever they land.
	varSecrets []string
}

// marker is the shutdown marker's path, or "" with --no-marker: the one
// place --marker and --no-marker are read.
func (g *Globals) marker() string {
	if g.NoMarker {
		return ""
	}
	return g.Marker
}

// markerFor is the marker that probe drain and undrain act on.
func (g *Globals) markerFor(cmd string) (probe.Marker, error) {
	path := g.marker()
	if path == "" {
		return probe.Marker{}, fmt.Errorf("probe %s needs a shutdown marker; drop --no-marker", cmd)
	}
	return probe.Marker{Path: path}, nil
}

// context is the context every command's checks start from: it carries
// --loopback-only to checks/dial.go, where every connection is made
// (internal/netpolicy). Every command derives its own from this one.
func (g *Globals) context() context.Context {
	if g.LoopbackOnly {
		return netpolicy.WithLoopbackOnly(context.Background())
	}
	return context.Background()
}

// timeoutOr is --timeout, or def when it was not given: the default depends
// on the command.
func (g *Globals) timeoutOr(def time.Duration) time.Duration {
	if g.Timeout == nil {
		return def
	}
	return *g.Timeout
}

// logger is the log of a long-running command (serve, exec, wait, watch) on
// stderr, in the --log-format it was given; nil with -q.
func (g *Globals) logger(env *Env, cmd, format string) (*logline.Logger, error) {
	f, err := logline.ParseFormat(format)
	if err != nil {
		return nil, fmt.Errorf("--log-format: %w", err)
	}
	if g.Quiet {
		return nil, nil
	}
	env.log = &logline.Logger{W: env.Stderr, Format: f, Cmd: cmd}
	return env.log, nil
}

// logFormatHelp is --log-format's help (${log_format}), the same on every
// command that has it.
const logFormatHelp = "How the log on stderr is written, one record a line: text (probe: ...), json or logfmt, with the fields time, level, probe and msg (and target and state for a target's change); the secrets are masked in each."

// options turns the shared flags into the engine's options.
func (g *Globals) options() (probe.Options, error) {
	timeout := g.timeoutOr(probe.DefaultTimeout)
	if timeout <= 0 {
		return probe.Options{}, fmt.Errorf("--timeout must be above zero, got %s", timeout)
	}
	if g.Retries < 0 || g.RetryDelay < 0 {
		return probe.Options{}, errors.New("--retries and --retry-delay cannot be negative")
	}
	return probe.Options{Timeout: timeout, Retries: g.Retries, RetryDelay: g.RetryDelay, Marker: g.marker(), Describe: describe}, nil
}

// prepare checks the shared flags and builds the targets: the first step of
// every command that checks targets. Every target's secrets are masked in
// every result, as one target's may be echoed in another's reply.
func (g *Globals) prepare(build func() ([]probe.Target, error)) (probe.Options, []probe.Target, error) {
	opt, err := g.options()
	if err != nil {
		return opt, nil, err
	}
	targets, err := build()
	if err != nil {
		return opt, nil, err
	}
	opt.Secrets = append(opt.Secrets, g.varSecrets...)
	for _, t := range targets {
		opt.Secrets = append(opt.Secrets, t.Secrets...)
	}
	// Names reach /status and /metrics too, which Run does not mask.
	for i := range targets {
		targets[i].Name = sanitize.Mask(targets[i].Name, opt.Secrets)
	}
	return opt, targets, nil
}

// check checks the targets once, within the deadline, and reports.
func (g *Globals) check(env *Env, targets []probe.Target, opt probe.Options) error {
	return g.report(env, probe.Run(g.context(), targets, opt))
}

// report writes r as the flags ask, and ends the run with exit 1 when it is
// not healthy.
func (g *Globals) report(env *Env, r *probe.Report) error {
	err := g.write(env,
		func(w io.Writer) error { return render.Text(w, r, g.Verbose) },
		func(w io.Writer) error { return render.JSON(w, r, g.Verbose) })
	if err != nil {
		return err
	}
	if code := r.ExitCode(); code != 0 {
		return exitCode(code)
	}
	return nil
}

// write is the one place that chooses the output: nothing with -q, JSON
// with -o json, text otherwise.
func (g *Globals) write(env *Env, text, json func(io.Writer) error) error {
	var err error
	switch {
	case g.Quiet:
	case g.Output == "json":
		err = json(env.Stdout)
	default:
		err = text(env.Stdout)
	}
	if err != nil {
		return fmt.Errorf("cannot write the result: %w", err)
	}
	return nil
}

// writeLine writes an action's outcome (drain, undrain, install): msg as
// one printable line, or v as one JSON object with -o json.
func (g *Globals) writeLine(env *Env, msg string, v any) error {
	return g.write(env,
		func(w io.Writer) error {
			_, err := fmt.Fprintln(w, sanitize.Printable(msg))
			return err
		},
		func(w io.Writer) error { return json.NewEncoder(w).Encode(v) })
}
