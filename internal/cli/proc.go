package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/inspect"
	"github.com/probe-sh/probe/internal/kinds"
	"github.com/probe-sh/probe/internal/procinfo"
	"github.com/probe-sh/probe/probe"
)

// ListenCmd is probe listen PORT...: sugar for listen:// targets.
type ListenCmd struct {
	UDP   bool     `help:"UDP ports: each must have a UDP socket bound to it and not connected, read from /proc/net/udp and udp6."`
	Ports []string `arg:"" name:"port" help:"PORT, ADDR:PORT or [ADDR6]:PORT that must have a socket in LISTEN state, read from /proc/net/tcp and tcp6; no packet is sent."`
}

// Run checks that every port listens.
func (c *ListenCmd) Run(g *Globals, env *Env) error {
	opt, targets, err := g.prepare(func() ([]probe.Target, error) {
		targets := make([]probe.Target, len(c.Ports))
		for i, p := range c.Ports {
			if !strings.Contains(p, ":") {
				p = ":" + p
			}
			// Said of the port as given, not of the URL it becomes.
			if _, _, err := kinds.ParseListen(p); err != nil {
				return nil, err
			}
			var err error
			target := "listen://" + p
			if c.UDP {
				target += "?proto=udp"
			}
			if targets[i], err = probe.ParseTarget(target, checks.Listen{Proc: g.ProcRoot}); err != nil {
				return nil, err
			}
		}
		// Said once, now, rather than as every check's failure.
		if _, err := procinfo.Open(g.ProcRoot); err != nil {
			return nil, err
		}
		return targets, nil
	})
	if err != nil {
		return err
	}
	return g.check(env, targets, opt)
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
	opt, targets, err := g.prepare(func() ([]probe.Target, error) {
		t, err := c.target(g.ProcRoot)
		return []probe.Target{t}, err
	})
	if err != nil {
		return err
	}
	return g.check(env, targets, opt)
}

func (c *ProcessCmd) target(procRoot string) (probe.Target, error) {
	if c.PID < 0 {
		return probe.Target{}, fmt.Errorf("--pid must be a PID, got %d", c.PID)
	}
	if c.MaxRSS < 0 {
		return probe.Target{}, fmt.Errorf("--max-rss cannot be negative")
	}
	// Said once, now, rather than as the check's failure.
	if _, err := procinfo.Open(procRoot); err != nil {
		return probe.Target{}, err
	}
	name := "process " + strconv.Itoa(max(c.PID, 1))
	switch {
	case c.PIDFile != "":
		name = "process --pidfile " + c.PIDFile
	case c.Name != "":
		name = "process --name " + c.Name
	}
	check := checks.Process{Proc: procRoot, PID: c.PID, PIDFile: c.PIDFile, Name: c.Name, MaxRSS: c.MaxRSS, MaxFDs: c.MaxFDs}
	return probe.Target{Name: name, Kind: "process", Check: check}, nil
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
	pfs, err := procinfo.Open(g.ProcRoot)
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
