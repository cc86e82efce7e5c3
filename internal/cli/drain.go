package cli

import (
	"time"

	"github.com/probe-sh/probe/internal/text"
	"github.com/probe-sh/probe/probe"
)

// DrainCmd is probe drain: create the shutdown marker by hand, so that this
// replica reports draining and leaves the rotation without being stopped.
type DrainCmd struct{}

// UndrainCmd is probe undrain: remove the shutdown marker by hand.
type UndrainCmd struct{}

// Run creates the marker; running it twice changes nothing.
func (c *DrainCmd) Run(g *Globals, env *Env) error {
	m, err := g.markerFor("drain")
	if err != nil {
		return err
	}
	existed, err := m.Create("probe drain at " + time.Now().UTC().Format(time.RFC3339))
	if err != nil {
		return err
	}
	msg := "draining: created the shutdown marker " + m.Path + "; health checks now report draining (probe undrain ends it)"
	if existed {
		msg = "already draining: " + markerAge(m) + "; nothing changed"
	}
	return reportDrain(g, env, msg, true, !existed, m)
}

// Run removes the marker; running it twice changes nothing.
func (c *UndrainCmd) Run(g *Globals, env *Env) error {
	m, err := g.markerFor("undrain")
	if err != nil {
		return err
	}
	age := markerAge(m)
	existed, err := m.Remove()
	if err != nil {
		return err
	}
	msg := "not draining: there is no shutdown marker " + m.Path + "; nothing changed"
	if existed {
		msg = "undrained: removed the " + age + "; health checks report the app's own state again"
	}
	return reportDrain(g, env, msg, false, existed, m)
}

// markerAge describes the marker and its age, for the messages above.
func markerAge(m probe.Marker) string {
	_, since, err := m.Since()
	if err != nil || since.IsZero() {
		return "shutdown marker " + m.Path
	}
	return "shutdown marker " + m.Path + ", " + text.Present(since)
}

// reportDrain prints what drain or undrain did, as text or JSON.
func reportDrain(g *Globals, env *Env, msg string, draining, changed bool, m probe.Marker) error {
	return g.writeLine(env, msg, struct {
		Marker   string `json:"marker"`
		Draining bool   `json:"draining"`
		Changed  bool   `json:"changed"`
		Message  string `json:"message"`
	}{m.Path, draining, changed, msg})
}
