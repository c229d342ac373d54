//go:build e2e

// Package framework is the end-to-end suite's harness: it builds the
// Kubernetes components, etcd and the images it needs (cached outside the
// clone), runs a single-node cluster inside a network namespace of its own,
// serves the emulated AWS side (probe/ststest) and the admission webhooks,
// and gives tests a kubectl bound to that cluster, per-test namespaces and
// bounded waits. The tests in test/e2e read like a user's story on top of it.
//
// Everything here runs only with the e2e build tag (make e2e), as root, on
// Linux with cgroup v1 (what kubelet v1.34 still accepts).
package framework
