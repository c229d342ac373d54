//go:build e2e

package framework

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
)

// envInNetns marks the re-executed test binary running inside the network
// namespace.
const envInNetns = "IRSA_PROBE_E2E_NETNS"

// NodeIP is the node's address: an extra address on the namespace's lo,
// routed locally, so nothing the cluster does can leave the namespace.
const NodeIP = "198.51.100.10"

// InNetns reports whether this process runs inside the suite's namespace.
func InNetns() bool { return os.Getenv(envInNetns) != "" }

// RunInNetns creates a network namespace with lo up and NodeIP on it,
// re-executes this test binary inside it (joining only the network
// namespace: `ip netns exec` would also mount a fresh /sys, hiding the
// cgroup v1 mounts kubelet, containerd and runc need), waits, deletes the
// namespace and returns the child's exit code. SIGINT and SIGTERM are
// passed on to the child, which stops the cluster before it exits.
func RunInNetns() int {
	name := "irsa-probe-e2e-" + strconv.Itoa(os.Getpid())
	for _, args := range [][]string{
		{"netns", "add", name},
		{"-n", name, "link", "set", "lo", "up"},
		{"-n", name, "addr", "add", NodeIP + "/32", "dev", "lo"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: ip %v: %v\n%s", args, err, out)
			_ = exec.Command("ip", "netns", "delete", name).Run()
			return 1
		}
	}
	defer func() {
		if out, err := exec.Command("ip", "netns", "delete", name).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: ip netns delete %s: %v\n%s", name, err, out)
		}
	}()

	args := append([]string{"--net=/run/netns/" + name, "--", os.Args[0]}, os.Args[1:]...)
	cmd := exec.Command("nsenter", args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), envInNetns+"="+name)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: nsenter: %v\n", err)
		return 1
	}
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() > 0 {
		return ee.ExitCode()
	}
	fmt.Fprintf(os.Stderr, "e2e: test binary in %s: %v\n", name, err)
	return 1
}
