// Package deploy holds no code. The directory carries the kustomize
// components in components/ that put irsa-probe into a workload, the
// admission policies in policies/ that put the same container into labelled
// pods (generated from the components by inject_gen_test.go), the Helm chart
// in helm/, the krew manifest in krew/ and the alerts in monitoring/. Its
// tests render them, and the manifests in ../examples, with `kubectl
// kustomize`, helm and Kyverno's CLI, and check them against the Kubernetes
// API types and against what the binary (package probe) really reads and
// serves.
package deploy
