//go:build unix

package kube

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup starts cmd in a process group of its own and, on
// cancel, kills the whole group: kubectl's exec credential plugins and
// any other child die with it rather than hold its output open.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
