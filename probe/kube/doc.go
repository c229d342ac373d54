// Package kube is how irsa-probe's kubectl plugin talks to a cluster: the
// ONE way to run kubectl (Runner, and Kubectl, the real one: its own
// process group killed whole on cancel, its output capped) and the ONE set
// of partial Kubernetes objects the plugin decodes from `kubectl get -o
// json` (objects.go).
//
// The plugin shells out to kubectl rather than linking client-go, so the
// user's context, credentials and exec plugins apply and the plugin stays
// small. Everything above this package takes a Runner, so its tests run
// against one fake cluster (package kubefake).
package kube
