package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/probe-sh/probe/internal/kinds"
	"github.com/probe-sh/probe/internal/patched"
	"github.com/probe-sh/probe/internal/patched/kong"
	"github.com/probe-sh/probe/internal/serve"
)

// VersionFlag is --version: it prints the version, the commit and the Go
// version (and, in a lite build, the kinds it has), and exits 0. With -v it adds the modules compiled in, the patched
// copies first.
type VersionFlag bool

// BeforeReset prints before kong checks the rest of the command line, so
// that "probe serve --version" works without targets.
func (VersionFlag) BeforeReset(ctx *kong.Context, app *kong.Kong, stamp Stamp) error {
	verbose := false
	for _, p := range ctx.Path {
		if p.Flag != nil && p.Flag.Name == "verbose" {
			verbose = true
		}
	}
	fmt.Fprint(app.Stdout, versionText(stamp, buildInfo(), verbose))
	app.Exit(0)
	return nil
}

// userAgent is the User-Agent of HTTP checks: probe/VERSION. The build
// information is read only when the build did not set the version.
func userAgent(stamp Stamp) string {
	if stamp.Version != "" {
		return "probe/" + stamp.Version
	}
	v, _ := buildVersion(stamp, buildInfo())
	return "probe/" + v
}

// build is what probe_build_info says of the binary: the version and commit
// as --version says them, and the build tags.
func build(stamp Stamp) serve.Build {
	info := buildInfo()
	b := serve.Build{}
	b.Version, b.Revision = buildVersion(stamp, info)
	if info != nil {
		for _, s := range info.Settings {
			if s.Key == "-tags" {
				b.Tags = s.Value
			}
		}
	}
	return b
}

// buildInfo is the binary's build information, or nil.
func buildInfo() *debug.BuildInfo {
	info, _ := debug.ReadBuildInfo()
	return info
}

// versionText is what --version prints, from the stamp or, in its absence,
// from info (nil when the binary has none).
func versionText(stamp Stamp, info *debug.BuildInfo, verbose bool) string {
	v, c := buildVersion(stamp, info)
	s := fmt.Sprintf("probe %s (commit %s, %s, %s/%s)\n", v, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if in, out := kinds.Built(); len(out) > 0 { // a lite build
		s += fmt.Sprintf("  kinds: %s; left out of this build: %s\n", strings.Join(in, ", "), strings.Join(out, ", "))
	}
	if !verbose {
		return s
	}
	if info == nil {
		return s
	}
	// The build information names each copy's upstream module (the copies
	// import a package of it, for scanners), so the copies come first, as
	// they are what runs, then the rest as the linker recorded them.
	var rest string
	for _, d := range info.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		if cp, ok := patched.Of(d.Path); ok {
			s += fmt.Sprintf("  %s %s, patched copy in internal/patched/%s\n", d.Path, d.Version, cp.Name)
			continue
		}
		rest += fmt.Sprintf("  %s %s\n", d.Path, d.Version)
	}
	return s + rest
}

// buildVersion is the version and commit: the stamp's when set, else the
// module version go install records and the VCS revision go build records,
// else "dev" and "unknown".
func buildVersion(stamp Stamp, info *debug.BuildInfo) (v, c string) {
	v, c = stamp.Version, stamp.Commit
	if info != nil {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		var rev string
		var modified bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if c == "" && rev != "" {
			c = rev[:min(len(rev), 12)]
			if modified {
				c += "-dirty"
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	if c == "" {
		c = "unknown"
	}
	return v, strings.TrimSpace(c)
}
