// Package patched holds probe's copies of kong, fasthttp and procfs, each
// upstream's exact release plus the patches in patches/, under probe's own
// import path, the way Go's standard library carries golang.org/x/net. go.mod still
// requires the upstream modules at the versions the copies come from, and
// each copy imports a package of its upstream module (upstream.go), so that
// the build information of a program that links a copy names the module and
// its version, where vulnerability scanners read it; the tests import the
// whole of each upstream module, to check the copies against it.
//
// README.md says why each patch exists and what it buys; regen.sh rebuilds
// the copies; patched_test.go fails when a copy is not exactly upstream plus
// its patches.
package patched

// Copy is one patched copy.
type Copy struct {
	Name    string // the directory under internal/patched
	Module  string // the upstream module path
	Version string // the upstream version it was made from
}

// Of is the copy made from module, if there is one.
func Of(module string) (Copy, bool) {
	for _, c := range Copies {
		if c.Module == module {
			return c, true
		}
	}
	return Copy{}, false
}
