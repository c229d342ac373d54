// Command kubectl-irsa_probe is the kubectl plugin `kubectl irsa-probe`:
// with a POD it diagnoses a running pod's AWS identity as its application
// sees it, from an ephemeral container, without a redeploy; without one
// (-A, or -n NAMESPACE) it is the fleet view of every identity of a
// cluster. The logic is in package probe/plugin and below it; main only
// wires it to the process.
package main
