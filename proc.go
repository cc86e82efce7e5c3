package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/probe-sh/probe/internal/checks"
	"github.com/probe-sh/probe/internal/inspect"
	"github.com/probe-sh/probe/internal/runner"
	"github.com/probe-sh/probe/internal/sanitize"
)

// ListenCmd is probe listen PORT...: sugar for listen:// targets.
type ListenCmd struct {
	Ports []string `arg:"" name:"port" help:"PORT, ADDR:PORT or [ADDR6]:PORT that must have a socket in LISTEN state, read from /proc/net/tcp and tcp6; no packet is sent."`
}

// Run checks that every port listens.
func (c *ListenCmd) Run(g *Globals, env *Env) error {
	return g.run(env, func() ([]runner.Target, []string, error) {
		if _, err := openProc(g.ProcRoot); err != nil {
			return nil, nil, err
		}
		targets := make([]runner.Target, len(c.Ports))
		for i, p := range c.Ports {
			if !strings.Contains(p, ":") {
				p = ":" + p
			}
			var err error
			if targets[i], err = listenTarget(g.ProcRoot, p); err != nil {
				return nil, nil, err
			}
		}
		return targets, nil, nil
	})
}

// ProcessCmd is probe process: PID 1, or the process named by a flag, is
// alive and not a zombie, within optional bounds.
type ProcessCmd struct {
	PID     int          `name:"pid" xor:"which" help:"Check this process (default: PID 1)."`
	PIDFile string       `name:"pidfile" xor:"which" placeholder:"FILE" help:"Check the process whose PID this file holds; fails if the file is stale."`
	Name    string       `xor:"which" placeholder:"COMM" help:"Check the processes with this name (as in /proc/PID/comm); one must pass."`
	MaxRSS  checks.Size  `name:"max-rss" placeholder:"SIZE" help:"Fail when resident memory is above this, such as 512MiB."`
	MaxFDs  checks.Share `name:"max-fds" placeholder:"SHARE" help:"Fail when open files are above this share of the soft limit, such as 90%."`
}

// Run checks the process.
func (c *ProcessCmd) Run(g *Globals, env *Env) error {
	return g.run(env, func() ([]runner.Target, []string, error) {
		t, err := c.target(g.ProcRoot)
		return []runner.Target{t}, nil, err
	})
}

func (c *ProcessCmd) target(procRoot string) (runner.Target, error) {
	if c.PID < 0 {
		return runner.Target{}, fmt.Errorf("--pid must be a PID, got %d", c.PID)
	}
	if c.MaxRSS < 0 {
		return runner.Target{}, fmt.Errorf("--max-rss cannot be negative")
	}
	pfs, err := openProc(procRoot)
	if err != nil {
		return runner.Target{}, err
	}
	name := "process " + strconv.Itoa(max(c.PID, 1))
	switch {
	case c.PIDFile != "":
		name = "process --pidfile " + c.PIDFile
	case c.Name != "":
		name = "process --name " + c.Name
	}
	check := checks.Process{FS: pfs, PID: c.PID, PIDFile: c.PIDFile, Name: c.Name, MaxRSS: c.MaxRSS, MaxFDs: c.MaxFDs}
	return runner.Target{Name: name, Kind: "process", Check: check}, nil
}

// prepare checks the shared flags and builds the targets: the first step of
// every command that checks targets. build also lists the secrets that
// output must never show.
func (g *Globals) prepare(build func() ([]runner.Target, []string, error)) (runner.Options, []runner.Target, error) {
	opt, err := g.Options()
	if err != nil {
		return opt, nil, err
	}
	targets, secrets, err := build()
	if err != nil {
		return opt, nil, err
	}
	opt.Secrets = secrets
	// Names reach /status and /metrics too: masked once, here.
	for i := range targets {
		targets[i].Name = sanitize.Mask(targets[i].Name, secrets)
	}
	return opt, targets, nil
}

// run checks the targets once, within the deadline, and reports.
func (g *Globals) run(env *Env, build func() ([]runner.Target, []string, error)) error {
	opt, targets, err := g.prepare(build)
	if err != nil {
		return err
	}
	return g.Report(env, runner.Run(context.Background(), targets, opt))
}

// InspectCmd is probe inspect: the incident view of this container.
type InspectCmd struct {
	PID        int    `arg:"" optional:"" help:"Show only this process (default: every process)."`
	CgroupRoot string `default:"/sys/fs/cgroup" hidden:"" help:"Where the cgroup filesystem is mounted; tests point it at fixture trees."`
}

// Run gathers and prints the view.
func (c *InspectCmd) Run(g *Globals, env *Env) error {
	if c.PID < 0 {
		return fmt.Errorf("%d is not a PID", c.PID)
	}
	pfs, err := openProc(g.ProcRoot)
	if err != nil {
		return err
	}
	opt := inspect.Options{FS: pfs, ProcRoot: g.ProcRoot, CgroupRoot: c.CgroupRoot, Marker: g.marker(), PID: c.PID}
	r, err := inspect.Gather(opt)
	if err != nil {
		return err
	}
	return g.write(env, r.WriteText, r.WriteJSON)
}
