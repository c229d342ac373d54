// Command kubectl-irsa_probe is the kubectl plugin `kubectl irsa-probe
// POD`: it diagnoses a running pod's AWS identity as its application sees
// it, without a redeploy. It finds the pod's application container, its
// user and the namespace's Pod Security level, adds an ephemeral
// container running `irsa-probe check --target=auto` in that container's
// PID namespace (kubectl debug --target) as the same user, streams the
// report and exits with the probe's exit code. --print shows the kubectl
// commands instead of running them.
//
// Without POD (-A, or -n NAMESPACE) it is the fleet view: three listings,
// the associations (--cluster), canary Jobs (--prove) and a proposed trust
// policy's impact (--trust-policy), decided by package probe/fleet and
// rendered as a table or JSON (fleet.go here runs kubectl and the AWS SDK
// for it).
//
// It shells out to kubectl (the user's context, credentials and plugins
// apply) rather than linking client-go, which would make it several times
// larger than the probe.
package main
