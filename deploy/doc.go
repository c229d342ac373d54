// Package deploy holds no code. The directory carries the kustomize
// components in components/ that put irsa-probe into a workload; its tests
// render them, and the manifests in ../examples, with `kubectl kustomize`
// and check them against the Kubernetes API types and against what the
// binary (package probe) really reads and serves.
package deploy
