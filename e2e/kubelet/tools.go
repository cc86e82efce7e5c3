//go:build tools

// Package kubelet pins the Kubernetes parts the e2e tests build, in a module
// of its own so that Kubernetes stays out of probe's go.mod: the kubelet
// (kubelet_test.go), and the control plane, kube-proxy, etcd and the CNI
// plugins the rolling update behind a Service runs on (rollout_test.go).
// k8s.io/kubernetes cannot be go installed (its go.mod replaces its staging
// modules), so this module requires it and replaces each staging module with
// its published version.
package kubelet

import (
	_ "github.com/containernetworking/plugins/plugins/ipam/host-local"
	_ "github.com/containernetworking/plugins/plugins/main/bridge"
	_ "github.com/containernetworking/plugins/plugins/main/loopback"
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
