// Package cli is probe's command line: the kong model of every command, and
// the path from argv to an exit code. The engine is package probe and the
// checks are package checks; this package turns flags into their values and
// their results into output.
//
// Output rules, followed everywhere:
//   - check results go to stdout, one line per target (package render);
//   - usage and setup errors go to stderr as one line, "probe: error: ...",
//     lower case, no trailing period, with a hint where one helps;
//   - the exit code is 0 (healthy) or 1 (anything else), never 2 (Docker
//     reserves it) and never kong's 80; probe exec alone exits with the
//     app's own code;
//   - secrets (URL userinfo, Authorization, Cookie and Proxy-Authorization
//     values, secret query values) are never printed.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/probe-sh/probe/internal/kinds"
	"github.com/probe-sh/probe/internal/logline"
	"github.com/probe-sh/probe/internal/patched/kong"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/probe"
)

// Stamp is what the linker stamps into the binary: make build and make
// release set main.version and main.commit with -X, and main passes them.
type Stamp struct {
	Version, Commit string
}

// Main runs probe with args (without the program's name) and returns the
// exit code.
func Main(args []string, stdout, stderr io.Writer, stamp Stamp) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprint(stderr, errorLine(fmt.Errorf("internal error: %v", r), "", nil))
			code = 1
		}
	}()
	if len(args) > 0 && args[0] == completeCommand {
		return complete(args[1:], stdout)
	}
	env := &Env{Stdout: stdout, Stderr: stderr, Stamp: stamp}
	args, env.Command = splitCommand(args)
	cli, kctx, err := parseLine(args, stdout, stderr, stamp)
	if err == nil && env.Command != nil {
		if _, ok := selected[commandTaker](kctx); !ok {
			err = errors.New(`only probe wait, probe exec and probe run take a command after "--"`)
		}
	}
	switch _, isExit := errors.AsType[exitCode](err); {
	case err == nil && kctx == nil:
		// A line of targets only, parsed without kong (parseLine): the
		// check command, as kong would run it.
		err = cli.Check.Run(&cli.Globals, env)
	case err == nil:
		err = kctx.Run(&cli.Globals, env)
	case !isExit:
		err = usageError{err}
	}
	var secrets []string
	if cli != nil {
		secrets = cli.Globals.varSecrets
	}
	return exit(err, stderr, secrets, env.log)
}

// exit turns how a run ended into its exit code, writing the one line that
// says why when nothing has said it yet, with secrets masked: a record of
// the command's log when it asked for JSON or logfmt.
func exit(err error, stderr io.Writer, secrets []string, log *logline.Logger) int {
	if err == nil {
		return 0
	}
	if code, ok := errors.AsType[exitCode](err); ok {
		return int(code)
	}
	hint := ""
	if _, ok := errors.AsType[usageError](err); ok {
		hint = " (see probe --help)"
	}
	if log != nil && log.Format != logline.Text {
		log.Log(logline.Error, "error: "+oneLine(sanitize.Mask(err.Error(), secrets))+hint)
		return 1
	}
	fmt.Fprint(stderr, errorLine(err, hint, secrets))
	return 1
}

// exitCode ends a run with a code once everything is said: 1 after a report
// that is not healthy, or after kong's own usage message; 0 after --help or
// --version; the app's own code for probe exec.
type exitCode int

func (c exitCode) Error() string { return "exit status " + strconv.Itoa(int(c)) }

// usageError is a mistake on the command line, which --help can fix.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// Env is what every command's Run gets besides the flags.
type Env struct {
	Stdout, Stderr io.Writer
	Stamp          Stamp
	// Command is what follows "--": the command probe wait and probe exec
	// run. kong cannot end a list of targets at "--" and start another.
	Command []string
	// log is the log of a long-running command (Globals.logger), which
	// writes its last error too.
	log *logline.Logger
}

// commandTaker is a command that runs what follows "--".
type commandTaker interface{ takesCommand() }

// targeted is a command whose positional arguments are targets, with the
// target flags (flags.go).
type targeted interface{ targetFlags() *TargetFlags }

// selected returns the command kong chose as a T, when it is one; nothing
// when kong parsed nothing.
func selected[T any](kctx *kong.Context) (T, bool) {
	var zero T
	if kctx == nil {
		// A line parsed without kong (withoutKong), which runs the check
		// command: no kong context to ask.
		return zero, false
	}
	node := kctx.Selected()
	if node == nil || !node.Target.CanAddr() {
		return zero, false
	}
	t, ok := node.Target.Addr().Interface().(T)
	return t, ok
}

const description = "Health checks for containers: HTTP(S), TCP, shutdown-marker and /proc checks. Exit 0 is healthy; 1 is unhealthy or draining.\n\n" + targetFlagsHelp

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
	Watch   WatchCmd   `kong:"-"`
	Run     RunCmd     `kong:"-"`
	Listen  ListenCmd  `kong:"-"`
	Process ProcessCmd `kong:"-"`
	Inspect InspectCmd `kong:"-"`
	Exec    ExecCmd    `kong:"-"`
	Drain   DrainCmd   `kong:"-"`
	Undrain UndrainCmd `kong:"-"`
	Install InstallCmd `kong:"-"`
	// Completion is probe completion SHELL: the script (complete.go).
	Completion CompletionCmd `kong:"-"`
}

// commands are the commands besides check. kong reflects over every flag of
// every command it knows at each start, and a health check starts a process
// every few seconds: building only the commands a command line can use
// halves kong's share of start-up.
var commands = []command{
	{"serve", "Sidecar: check targets in the background and serve /livez, /readyz, /healthz, /status and /metrics.", func(c *CLI) any { return &c.Serve }},
	{"wait", "Wait until every target passes, then exec the command after --, if any.", func(c *CLI) any { return &c.Wait }},
	{"run", "Run the command after -- under --timeout: exit 0 is healthy, as a Kubernetes exec probe; its last line of output is shown.", func(c *CLI) any { return &c.Run }},
	{"watch", "Check targets every --interval and show them over time: live on a terminal, changes of state in a log, a summary at Ctrl-C.", func(c *CLI) any { return &c.Watch }},
	{"listen", "Check that ports have a listening socket, from /proc: no packet is sent.", func(c *CLI) any { return &c.Listen }},
	{"process", "Check that PID 1 (or --pid, --pidfile, --name) is alive and not a zombie, from /proc.", func(c *CLI) any { return &c.Process }},
	{"exec", "Entrypoint: run the command after --, forwarding signals and reaping zombies as PID 1; on SIGTERM, create the shutdown marker and keep the app serving until its traffic stops (or for --drain-delay) before passing the signal on.", func(c *CLI) any { return &c.Exec }},
	{"drain", "Create the shutdown marker: health checks report draining, so this replica leaves the rotation while it keeps running.", func(c *CLI) any { return &c.Drain }},
	{"undrain", "Remove the shutdown marker: health checks report the app's own state again.", func(c *CLI) any { return &c.Undrain }},
	{"install", "Copy this binary into DIR, as DIR/probe (mode 0755, atomically), for an image without probe, a shell or cp: an initContainer or a one-shot container fills a volume the app mounts.", func(c *CLI) any { return &c.Install }},
	{"inspect", "Show this container's processes, memory, listening sockets, SIGTERM handling and shutdown marker.", func(c *CLI) any { return &c.Inspect }},
	{"completion", "Print the shell completion script for bash, zsh or fish: eval \"$(probe completion bash)\", source <(probe completion zsh), probe completion fish | source.", func(c *CLI) any { return &c.Completion }},
}

// command is one of commands.
type command struct {
	name, help string
	cmd        func(*CLI) any
}

// wantsHelp reports whether args ask for help, or are empty: then help
// lists every command and every flag.
func wantsHelp(args []string) bool {
	return len(args) == 0 || slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "--help" || a == "help" })
}

// commandOptions adds each command that args name, or all of them when
// args ask for help.
func commandOptions(cli *CLI, args []string) []kong.Option {
	all := wantsHelp(args)
	var opts []kong.Option
	for _, c := range commands {
		if all || slices.Contains(args, c.name) {
			opts = append(opts, kong.DynamicCommand(c.name, c.help, "", c.cmd(cli)))
		}
	}
	return opts
}

// kongVars are the ${...} that the help texts use.
func kongVars() kong.Vars {
	return kong.Vars{"default_marker": probe.DefaultMarker, "target_flags": targetFlagsHelp, "log_format": logFormatHelp, "schemes": strings.Join(kinds.Schemes(), ", ")}
}

// parseLine expands ${VAR} in args and in the PROBE_ variables, then parses
// args with a model of the flags they use (model.go); when that fails, it
// parses them again with the whole model, so that an error says what kong
// says of the whole command line.
func parseLine(args []string, stdout, stderr io.Writer, stamp Stamp) (cli *CLI, kctx *kong.Context, err error) {
	var vars secretVars
	args, err = expandArgs(args, &vars)
	if err != nil {
		return &CLI{}, nil, err
	}
	if err := expandEnvars(&vars); err != nil {
		return &CLI{}, nil, err
	}
	defer func() {
		if cli != nil {
			cli.Globals.varSecrets = vars.values
		}
	}()
	// probe --version alone needs no model of the command line: building
	// one was a third of its instructions. Any other line with --version is
	// kong's, and VersionFlag's hook prints the same.
	if len(args) == 1 && args[0] == "--version" {
		fmt.Fprint(stdout, versionText(stamp, buildInfo(), false))
		return &CLI{}, nil, exitCode(0)
	}
	// A line of targets and a few run flags (withoutKong) needs no model
	// either, and Main runs the check command (kctx is nil). kong's model,
	// parse and run were a third of the instructions of probe URL, and a
	// tenth of its page faults. The differential test of kong compares
	// this with upstream kong's parse of every such line it has.
	if c := withoutKong(args); c != nil {
		return c, nil, nil
	}
	// --version ends in kong's BeforeReset hook, before any flag has a
	// value: no default is set for it. Should kong not end the run there
	// (--version was some flag's value), it is parsed again with them.
	versionOnly := slices.Contains(args, "--version")
	model := prunedModel
	if versionOnly {
		model = prunedNoDefaults
	}
	cli, kctx, err = parse(args, stdout, stderr, stamp, model)
	if err == nil && model == prunedNoDefaults {
		cli, kctx, err = parse(args, stdout, stderr, stamp, prunedModel)
	}
	if _, exited := errors.AsType[exitCode](err); err != nil && !exited {
		cli, kctx, err = parse(args, stdout, stderr, stamp, wholeModel)
	}
	return cli, kctx, err
}

// modelKind is how much of the command line's model kong builds.
type modelKind int

const (
	wholeModel       modelKind = iota // every flag: for help, and errors
	prunedModel                       // the flags the line uses; the others at their defaults
	prunedNoDefaults                  // the same, the others left unset: for --version
)

// parse parses the command line, with the model asked for. An exitCode
// error means kong ended the run itself (--help, --version, or a usage
// error it has printed).
func parse(args []string, stdout, stderr io.Writer, stamp Stamp, kind modelKind) (cli *CLI, kctx *kong.Context, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, ok := r.(exitCode)
			if !ok {
				panic(r)
			}
			// Only 0 and 1 leave probe: kong's 80 for usage errors becomes 1.
			err = min(c, 1)
		}
	}()
	cli = &CLI{}
	var model []kong.Option
	if kind != wholeModel && !wantsHelp(args) {
		model = append(model, flagModel(cli, args, kind == prunedModel))
	}
	opts := append(append(model, commandOptions(cli, args)...),
		kong.Name("probe"),
		kong.Description(description),
		kong.Writers(stdout, stderr),
		kong.Exit(func(c int) { panic(exitCode(c)) }),
		kong.DefaultEnvars("PROBE"),
		ignoreEmptyEnvars(),
		kong.Bind(stamp),
		kongVars(),
	)
	parser, err := kong.New(cli, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("internal error: %w", err)
	}
	bound, err := bindFlags(parser.Model.Node, args)
	if err != nil {
		return cli, nil, err
	}
	// Each target with flags of its own is parsed again, its flags after
	// the defaults; the run's own parse comes first, so that a mistake in
	// the run's flags is not blamed on a target, and last, so that cli
	// holds the defaults.
	kctx, err = parser.Parse(bound.args())
	if err != nil || !bound.hasPerTarget() {
		return cli, kctx, err
	}
	perTarget := make([]*TargetFlags, len(bound.targets))
	for i, own := range bound.perTarget {
		if own == nil {
			continue
		}
		kctx, err = parser.Parse(bound.argsFor(i))
		if err != nil {
			return cli, kctx, fmt.Errorf("for %s: %w", sanitize.RedactText(bound.targets[i]), err)
		}
		if cmd, ok := selected[targeted](kctx); ok {
			copied := *cmd.targetFlags()
			perTarget[i] = &copied
		}
	}
	kctx, err = parser.Parse(bound.args())
	if cmd, ok := selected[targeted](kctx); ok && err == nil {
		cmd.targetFlags().perTarget = perTarget
	}
	return cli, kctx, err
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

// CheckCmd is the default command: probe TARGET...
type CheckCmd struct {
	Targets []string `arg:"" optional:"" name:"target" help:"What to check: a URL whose scheme says how (${schemes}); see docs/reference.md. All must pass; they run concurrently. ${target_flags}"`
	TargetFlags
}

func (c *CheckCmd) targetFlags() *TargetFlags { return &c.TargetFlags }

// Run checks every target once, within the deadline.
func (c *CheckCmd) Run(g *Globals, env *Env) error {
	if len(c.Targets) == 0 {
		return errors.New("no target given: try probe http://127.0.0.1:8080/healthz")
	}
	opt, targets, err := g.prepare(func() ([]probe.Target, error) { return c.build(c.Targets, g.ProcRoot, env.Stamp) })
	if err != nil {
		return err
	}
	return g.check(env, targets, opt)
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
// masked (those given, and any RedactText finds), nothing a terminal would
// act on.
func errorLine(err error, hint string, secrets []string) string {
	return "probe: error: " + sanitize.Printable(oneLine(sanitize.Mask(err.Error(), secrets))) + hint + "\n"
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
