// Package fleet is the cluster-wide view of kubectl irsa-probe -A: every
// AWS identity of a cluster at once, from three listings (service
// accounts, pods, namespaces) and, when read, the cluster's EKS Pod
// Identity associations.
//
// It is data first, then rendering, like kubectl get: the listed objects
// (package kube's types) are gathered (gather.go), joined in memory into
// an inventory of who has which identity (inventory.go), judged by pure
// rules (drift.go for what the listing alone shows, impact.go for what a
// proposed trust policy would do to each identity), optionally proven by
// canary Jobs (canary.go builds and reads them, prove.go runs them through
// a Kube), and rendered as a table or JSON (render.go). It reaches the
// cluster only through a kube.Runner, so its tests run against one fake,
// and never calls AWS: the plugin reads the associations (package eksapi)
// and hands them over.
package fleet
