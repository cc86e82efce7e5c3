//go:build tools

// Package kubelet pins the kubelet that e2e/kubelet_test.go builds, in a
// module of its own so that Kubernetes stays out of probe's go.mod:
// k8s.io/kubernetes cannot be go installed (its go.mod replaces its staging
// modules), so this module requires it and replaces each staging module with
// its published version.
package kubelet

import _ "k8s.io/kubernetes/cmd/kubelet"
