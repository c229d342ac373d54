// Package ephemeral is kubectl irsa-probe POD: the ephemeral container
// that runs `irsa-probe check --target=auto` inside a running pod, as its
// application sees its identity, without a redeploy.
//
// The plan is pure (plan.go): from the pod's spec and its namespace's Pod
// Security level it chooses the application container (container.go),
// the user and group the probe runs as and the debug profile, and a name
// the pod has not used (name.go). Run (run.go) reads the pod and
// namespace, then prints the plan's kubectl commands (--print) or runs
// them through a kube.Runner: kubectl debug, the log streamed, the
// container's exit code returned.
package ephemeral
