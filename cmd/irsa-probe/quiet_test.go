package main

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// cgroup2Mount is where the unified cgroup hierarchy is mounted, or "".
func cgroup2Mount(t *testing.T) string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS... - FSTYPE SOURCE SUPEROPTS
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if fields := strings.Fields(pre); ok && len(fields) >= 5 && strings.HasPrefix(post, "cgroup2 ") {
			return fields[4]
		}
	}
	return ""
}

// TestCheckPrintsNothingOfLibraries: a passing check writes its report to
// stdout and nothing to stderr. It runs where a container on a cgroup v1
// node stands: the process is in a cgroup v2 hierarchy whose files are not
// mounted (a tmpfs over the unified mount, in a mount namespace of its
// own). There the metrics library serve used to link printed "INFO:
// metrics: disable exposing PSI metrics …" through the standard logger at
// package init, in every command, before the report.
func TestCheckPrintsNothingOfLibraries(t *testing.T) {
	bin := buildBinary(t)
	st := startStack(t, ststest.StackOptions{})
	args := []string{"check"}
	mnt := cgroup2Mount(t)
	if _, err := exec.LookPath("unshare"); err == nil && mnt != "" && os.Getuid() == 0 {
		args = []string{"unshare", "--mount", "--propagation", "private", "sh", "-c",
			`mount -t tmpfs none "$1" && exec "$2" check`, "sh", mnt, bin}
	} else {
		t.Log("no unshare, no cgroup2 mount or not root: the check runs as is")
	}
	var res result
	if args[0] == "check" {
		res = runBinary(t, runOpts{env: runEnv(st), args: args})
	} else {
		res = runCommand(t, runEnv(st), args[0], args[1:]...)
	}
	if res.exit != 0 {
		t.Fatalf("exit %d; stdout:\n%s\nstderr:\n%s", res.exit, res.stdout, res.stderr)
	}
	if res.stderr != "" {
		t.Errorf("a passing check wrote to stderr:\n%s", res.stderr)
	}
}
