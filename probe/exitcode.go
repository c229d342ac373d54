// Package probe decides whether a pod's IRSA identity works and, when it
// does not, says why and how to fix it.
package probe

// Exit codes are a contract with kubelet and with scripts: keep them stable.
const (
	ExitOK            = 0 // the identity works
	ExitBroken        = 1 // the identity is broken: a finding of severity error
	ExitUsage         = 2 // the probe was invoked wrongly
	ExitIndeterminate = 3 // could not decide before the deadline
)
