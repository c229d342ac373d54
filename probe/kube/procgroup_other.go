//go:build !unix

package kube

import "os/exec"

// ownProcessGroup leaves cmd as it is: without process groups, cancel
// kills kubectl alone, and WaitDelay bounds the wait for its children.
func ownProcessGroup(*exec.Cmd) {}
