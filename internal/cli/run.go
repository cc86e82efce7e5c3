package cli

import (
	"errors"
	"strings"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/probe"
)

// RunCmd is probe run -- CMD ARGS...: a command's exit code as the health
// check, as Kubernetes' exec probes and wait4x's exec checker take it, with
// probe's deadline, output and exit codes.
type RunCmd struct{}

func (c *RunCmd) takesCommand() {}

// Run runs the command after "--" once, under --timeout (and --retries):
// exit 0 is healthy. What it prints, bounded to 4 KiB and masked, shows
// with -v; its last line is the result's.
func (c *RunCmd) Run(g *Globals, env *Env) error {
	if len(env.Command) == 0 {
		return errors.New(`no command given: write probe run -- CMD ARGS..., as in probe run -- pg_isready -q`)
	}
	opt, targets, err := g.prepare(func() ([]probe.Target, error) {
		name := "run: " + sanitize.Clip(strings.Join(env.Command, " "), 120)
		return []probe.Target{{Name: sanitize.Printable(name), Kind: "command", Check: checks.Command{Argv: env.Command}}}, nil
	})
	if err != nil {
		return err
	}
	return g.check(env, targets, opt)
}
