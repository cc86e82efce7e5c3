//go:build !probe_omit_grpc

package kinds

import "github.com/probe-sh/probe/checks"

// GRPC says whether this build has the grpc kind: the tag probe_omit_grpc
// leaves it out (grpc_omit.go).
const GRPC = true

var grpcImpl = impl{checks.GRPC{}, buildGRPC}
