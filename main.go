// Command probe is a tiny static health checker for containers: HTTP(S),
// TCP, gRPC, database, file, shutdown-marker and /proc checks that report
// healthy, unhealthy or draining, and the entrypoint that drains on SIGTERM.
// The command line is internal/cli, the engine package probe, the checks
// package checks.
package main

import (
	"os"

	"github.com/probe-sh/probe/internal/cli"
	// The main goroutine's stack, grown once before any deep initialiser.
	_ "github.com/probe-sh/probe/internal/startstack"
)

// version and commit are set at build time by make build and make release:
//
//	-ldflags "-X main.version=v1.2.3 -X main.commit=0123abcd"
//
// Without them, as with go install, they come from the build information.
var version, commit string

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr, cli.Stamp{Version: version, Commit: commit}))
}
