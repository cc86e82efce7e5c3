// Command probe is a tiny static health checker for containers: HTTP(S), TCP
// and shutdown-marker checks that report healthy, unhealthy or draining.
//
// Output rules, followed everywhere:
//   - check results go to stdout, one line per target (see runner.Report);
//   - usage and setup errors go to stderr as one line, "probe: error: ...",
//     lower case, no trailing period, with a hint where one helps;
//   - the exit code is 0 (healthy) or 1 (anything else), never 2 (Docker
//     reserves it) and never kong's 80;
//   - secrets (URL userinfo, Authorization, Cookie and Proxy-Authorization
//     values) are never printed.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/probe-sh/probe/internal/checks"
	"github.com/probe-sh/probe/internal/patched/kong"
	"github.com/probe-sh/probe/internal/render"
	"github.com/probe-sh/probe/internal/runner"
	"github.com/probe-sh/probe/internal/sanitize"
)

const description = "Health checks for containers: HTTP(S), TCP, shutdown-marker and /proc checks. Exit 0 is healthy; 1 is unhealthy or draining.\n\n" + targetFlagsHelp

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// CLI is the whole command line. Every flag can also be set through a
// PROBE_... environment variable (kong.DefaultEnvars).
type CLI struct {
	Globals

	Check   CheckCmd    `cmd:"" default:"withargs" help:"Check targets; the default command, so 'probe URL' works."`
	Version VersionFlag `env:"-" help:"Print the version, the commit and the Go version, and exit; with -v, also the modules compiled in."`

	// The other commands join the model only when the command line names
	// them, or asks for help (see commands).
	Serve   ServeCmd   `kong:"-"`
	Wait    WaitCmd    `kong:"-"`
	Listen  ListenCmd  `kong:"-"`
	Process ProcessCmd `kong:"-"`
	Inspect InspectCmd `kong:"-"`
	Exec    ExecCmd    `kong:"-"`
	Drain   DrainCmd   `kong:"-"`
	Undrain UndrainCmd `kong:"-"`
}

// commands are the commands besides check. kong reflects over every flag of
// every command it knows at each start, and a health check starts a process
// every few seconds: building only the commands a command line can use
// halves kong's share of start-up.
var commands = []struct {
	name, help string
	cmd        func(*CLI) any
}{
	{"serve", "Sidecar: check targets in the background and serve /livez, /readyz, /healthz, /status and /metrics.", func(c *CLI) any { return &c.Serve }},
	{"wait", "Wait until every target passes, then exec the command after --, if any.", func(c *CLI) any { return &c.Wait }},
	{"listen", "Check that ports have a listening socket, from /proc: no packet is sent.", func(c *CLI) any { return &c.Listen }},
	{"process", "Check that PID 1 (or --pid, --pidfile, --name) is alive and not a zombie, from /proc.", func(c *CLI) any { return &c.Process }},
	{"exec", "Entrypoint: run the command after --, forwarding signals and reaping zombies as PID 1; on SIGTERM, create the shutdown marker and keep the app serving until its traffic stops (or for --drain-delay) before passing the signal on.", func(c *CLI) any { return &c.Exec }},
	{"drain", "Create the shutdown marker: health checks report draining, so this replica leaves the rotation while it keeps running.", func(c *CLI) any { return &c.Drain }},
	{"undrain", "Remove the shutdown marker: health checks report the app's own state again.", func(c *CLI) any { return &c.Undrain }},
	{"inspect", "Show this container's processes, memory, listening sockets, SIGTERM handling and shutdown marker.", func(c *CLI) any { return &c.Inspect }},
}

// commandOptions adds each command that args name, or all of them when
// args ask for help (so that help lists them) or are empty.
func commandOptions(cli *CLI, args []string) []kong.Option {
	all := len(args) == 0 || slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "--help" || a == "help" })
	var opts []kong.Option
	for _, c := range commands {
		if all || slices.Contains(args, c.name) {
			opts = append(opts, kong.DynamicCommand(c.name, c.help, "", c.cmd(cli)))
		}
	}
	return opts
}

// Globals are the flags every command shares.
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
}

// Env is where output goes; tests pass buffers.
type Env struct {
	Stdout, Stderr io.Writer
}

// errFailed means the run was not healthy; its output is already written.
var errFailed = errors.New("not healthy")

// exitCode carries kong's Exit through a panic that run recovers.
type exitCode int

func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "probe: internal error: %v\n", r)
			code = 1
		}
	}()
	args, command := splitCommand(args)
	cli, kctx, code, err := parse(args, stdout, stderr)
	if command != nil {
		if err == nil && !strings.HasPrefix(kctx.Command(), "wait") && !strings.HasPrefix(kctx.Command(), "exec") {
			err = errors.New(`only probe wait and probe exec take a command after "--"`)
		}
		cli.Wait.command, cli.Exec.command = command, command
	}
	if code >= 0 {
		return code
	}
	if err != nil {
		fmt.Fprint(stderr, errorLine(err, " (see probe --help)"))
		return 1
	}
	err = kctx.Run(&cli.Globals, &Env{Stdout: stdout, Stderr: stderr})
	var status exitStatus
	switch {
	case err == nil:
		return 0
	case errors.As(err, &status):
		return int(status)
	case errors.Is(err, errFailed):
		return 1
	default:
		fmt.Fprint(stderr, errorLine(err, ""))
		return 1
	}
}

// parse parses the command line. A code of 0 or more means kong ended the
// run itself (--help, --version) and it is the exit code to use.
func parse(args []string, stdout, stderr io.Writer) (cli *CLI, kctx *kong.Context, code int, err error) {
	code = -1
	defer func() {
		if r := recover(); r != nil {
			c, ok := r.(exitCode)
			if !ok {
				panic(r)
			}
			// Only 0 and 1 leave probe: kong's 80 for usage errors becomes 1.
			code = min(int(c), 1)
		}
	}()
	cli = &CLI{}
	if args, err = expandArgs(args); err != nil {
		return cli, nil, code, err
	}
	if err = expandEnvars(); err != nil {
		return cli, nil, code, err
	}
	opts := append(commandOptions(cli, args),
		kong.Name("probe"),
		kong.Description(description),
		kong.Writers(stdout, stderr),
		kong.Exit(func(c int) { panic(exitCode(c)) }),
		kong.DefaultEnvars("PROBE"),
		ignoreEmptyEnvars(),
		kong.Vars{"default_marker": checks.DefaultMarker, "target_flags": targetFlagsHelp},
	)
	parser, err := kong.New(cli, opts...)
	if err != nil {
		return nil, nil, -1, fmt.Errorf("internal error: %w", err)
	}
	bound, err := bindFlags(parser.Model.Node, args)
	if err != nil {
		return cli, nil, code, err
	}
	// Each target with flags of its own is parsed again, its flags after
	// the defaults; the run's own parse comes first, so that a mistake in
	// the run's flags is not blamed on a target, and last, so that cli
	// holds the defaults.
	kctx, err = parser.Parse(bound.args())
	if err != nil || !bound.hasPerTarget() {
		return cli, kctx, code, err
	}
	perTarget := make([]*TargetFlags, len(bound.targets))
	for i, own := range bound.perTarget {
		if own == nil {
			continue
		}
		kctx, err = parser.Parse(bound.argsFor(i))
		if err != nil {
			return cli, kctx, code, fmt.Errorf("for %s: %w", sanitize.RedactText(bound.targets[i]), err)
		}
		if flags := cli.targetFlags(kctx.Command()); flags != nil {
			copied := *flags
			perTarget[i] = &copied
		}
	}
	kctx, err = parser.Parse(bound.args())
	if err == nil {
		cli.setPerTarget(kctx.Command(), perTarget)
	}
	return cli, kctx, code, err
}

// targetFlags are the target flags of the command that kong chose.
func (c *CLI) targetFlags(command string) *TargetFlags {
	name, _, _ := strings.Cut(command, " ")
	switch name {
	case "check":
		return &c.Check.TargetFlags
	case "serve":
		return &c.Serve.TargetFlags
	case "wait":
		return &c.Wait.TargetFlags
	}
	return nil
}

// setPerTarget gives the command the flags of the targets that have their
// own.
func (c *CLI) setPerTarget(command string, flags []*TargetFlags) {
	if f := c.targetFlags(command); f != nil {
		f.perTarget = flags
	}
}

// splitCommand splits args at the first "--": probe wait's command comes
// after it. kong cannot end a list of targets at "--" and start another.
func splitCommand(args []string) (probeArgs, command []string) {
	i := slices.Index(args, "--")
	if i < 0 {
		return args, nil
	}
	return args[:i], append([]string{}, args[i+1:]...)
}

// marker is the shutdown marker's path, or "" with --no-marker: the one
// place --marker and --no-marker are read.
func (g *Globals) marker() string {
	if g.NoMarker {
		return ""
	}
	return g.Marker
}

// TimeoutOr is --timeout, or def when it was not given: the default depends
// on the command.
func (g *Globals) TimeoutOr(def time.Duration) time.Duration {
	if g.Timeout == nil {
		return def
	}
	return *g.Timeout
}

// Options turns the shared flags into the runner's options.
func (g *Globals) Options() (runner.Options, error) {
	timeout := g.TimeoutOr(runner.DefaultTimeout)
	if timeout <= 0 {
		return runner.Options{}, fmt.Errorf("--timeout must be above zero, got %s", timeout)
	}
	if g.Retries < 0 || g.RetryDelay < 0 {
		return runner.Options{}, errors.New("--retries and --retry-delay cannot be negative")
	}
	return runner.Options{Timeout: timeout, Retries: g.Retries, RetryDelay: g.RetryDelay, Marker: g.marker()}, nil
}

// Report writes r as the flags ask and turns its state into an error.
func (g *Globals) Report(env *Env, r *runner.Report) error {
	err := g.write(env,
		func(w io.Writer) error { return render.Text(w, r, g.Verbose) },
		func(w io.Writer) error { return render.JSON(w, r, g.Verbose) })
	if err != nil {
		return err
	}
	if r.ExitCode() != 0 {
		return errFailed
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

// CheckCmd is the default command: probe TARGET...
type CheckCmd struct {
	Targets []string `arg:"" optional:"" name:"target" help:"What to check: http://, https://, grpc://, grpcs:// (gRPC health), tcp://, tls:// (TCP with TLS), unix: (a Unix socket), postgres://, redis://, rediss://, mysql://, memcached://, amqp://, amqps://, file:// and listen:// URLs. All must pass; they run concurrently. ${target_flags}"`
	TargetFlags
}

// Run checks every target once, within the deadline.
func (c *CheckCmd) Run(g *Globals, env *Env) error {
	if len(c.Targets) == 0 {
		return errors.New("no target given: try probe http://127.0.0.1:8080/healthz")
	}
	return g.run(env, c.builder(c.Targets, g.ProcRoot))
}

// ignoreEmptyEnvars makes an empty PROBE_... variable count as unset, as
// "PROBE_TIMEOUT:" in a compose file leaves it set but empty; kong would try
// to parse "". It must come after kong.DefaultEnvars.
func ignoreEmptyEnvars() kong.Option {
	var walk func(n *kong.Node)
	walk = func(n *kong.Node) {
		for _, f := range n.Flags {
			for _, name := range f.Tag.Envs {
				if v, set := os.LookupEnv(name); set && v == "" {
					os.Unsetenv(name)
				}
			}
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	return kong.PostBuild(func(k *kong.Kong) error {
		walk(k.Model.Node)
		return nil
	})
}

// errorLine is how every error leaves probe: one line on stderr, secrets
// masked, nothing a terminal would act on.
func errorLine(err error, hint string) string {
	return "probe: error: " + sanitize.Printable(oneLine(sanitize.RedactText(err.Error()))) + hint + "\n"
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
