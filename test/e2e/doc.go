//go:build e2e

// Package e2e runs irsa-probe's shipped image, manifests and kubectl plugin
// on a real single-node Kubernetes (make e2e; docs/end-to-end.md
// says what is real and what is emulated). The harness is
// test/e2e/framework; each test here is a user's story.
package e2e
