//go:build probe_omit_grpc

package kinds

// GRPC says whether this build has the grpc kind: not with probe_omit_grpc.
const GRPC = false

var grpcImpl impl
