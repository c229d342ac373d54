// Package migrate plans the move of service accounts from IRSA to EKS Pod
// Identity: kubectl irsa-probe -A --migrate. It is a pure core, like
// package fleet: it takes what the plugin listed (the fleet inventory, the
// nodes, the Pod Identity agent's pods, the associations with --cluster,
// the trust policies given with --trust-policy) and decides, per service
// account on IRSA, whether it can move (readiness.go: finding codes with
// evidence), and what to run, in order (plan.go): the trust policy with
// both trusts, the association, the annotation removed, the workloads
// restarted, the proof, the IRSA trust removed later, and the rollback.
//
// Every step is data: argv words and prose on lines of their own. One
// function (command.go) turns argv into the line a person pastes, so the
// shell-parser and paste tests check exactly what is printed. Nothing here
// calls kubectl or AWS.
package migrate
