// Package patched holds probe's copies of kong, fasthttp and procfs, each
// upstream's exact release plus the patches in patches/, under probe's own
// import path, the way Go's standard library carries golang.org/x/net. go.mod still
// requires the upstream modules at the versions the copies come from, so that
// they stay visible to readers, vulnerability scanners and update bots; only
// the tests import them, to check the copies against them.
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
