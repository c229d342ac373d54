//go:build e2e

package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/test/e2e/framework"
)

// env is the run's cluster and emulators, shared by every test.
var env *framework.Env

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := filepath.Abs("../..")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	if !framework.InNetns() {
		// Never a silent skip: a machine that cannot run the suite fails it.
		if err := preflight(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: cannot run here:", err)
			return 1
		}
		if _, err := framework.Build(root); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: build:", err)
			return 1
		}
		return framework.RunInNetns()
	}

	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, err := framework.Setup(ctx, framework.Locate(root))
	env = e
	stopped := make(chan struct{})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sigs:
			fmt.Fprintf(os.Stderr, "e2e: %v: stopping the cluster; logs kept in %s\n", s, e.Dir)
			_ = e.Teardown(true)
			os.Exit(130)
		case <-stopped:
		}
	}()
	code := 1
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: the cluster did not start: %v\n", err)
		if e != nil && e.Cluster != nil {
			fmt.Fprintf(os.Stderr, "e2e: component logs (last lines):\n%s", e.Cluster.LogTails(40))
		}
	} else {
		for _, t := range e.Cluster.Timings {
			fmt.Fprintln(os.Stderr, "e2e: start:", t)
		}
		code = m.Run()
		if code != 0 {
			fmt.Fprintf(os.Stderr, "e2e: FAILED; component logs (last lines):\n%s", e.Cluster.LogTails(25))
		}
	}
	signal.Stop(sigs)
	close(stopped)
	keep := code != 0
	if e != nil {
		if err := e.Teardown(keep); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: teardown:", err)
			keep, code = true, 1
		}
		if keep {
			fmt.Fprintf(os.Stderr, "e2e: logs of every component kept in %s/logs\n", e.Dir)
		}
	}
	fmt.Fprintf(os.Stderr, "e2e: run took %s\n", time.Since(start).Round(time.Second))
	return code
}

// preflight checks what the harness needs from the machine.
func preflight() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("the suite runs a kubelet and containerd: run it as root")
	}
	for _, tool := range []string{"containerd", "containerd-shim-runc-v2", "runc", "ctr", "ip", "nsenter", "kubectl"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is missing (.ci/run installs containerd and runc with apt-get)", tool)
		}
	}
	if _, err := os.Stat("/sys/fs/cgroup/memory"); err != nil {
		return fmt.Errorf("no cgroup v1 memory hierarchy at /sys/fs/cgroup/memory: kubelet %s is configured for cgroup v1", framework.KubernetesVersion)
	}
	return nil
}
