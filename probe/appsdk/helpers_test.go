package appsdk_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/appsdk"
	"github.com/irsa-probe/irsa-probe/probe/target"
)

// startProcess starts a real process, waits until it runs its own
// program (not the forked test binary) and returns it as appsdk reads it.
func startProcess(t *testing.T, dir string, env []string, name string, args ...string) appsdk.Proc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting %s: %v", name, err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	want, _ := exec.LookPath(name)
	want, _ = filepath.EvalSymlinks(want)
	deadline := time.Now().Add(20 * time.Second)
	for {
		p, err := target.Open(cmd.Process.Pid)
		if err == nil && (want == "" || p.Exe == want) {
			return p.SDKProc()
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d never ran %s (%v)", cmd.Process.Pid, name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func need(t *testing.T, tool string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("runs %s: the -short tier starts no other program", tool)
	}
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: CI installs it", tool)
		}
		t.Skipf("%s is not installed", tool)
	}
	return p
}

// only returns the single found package of pkg.
func only(t *testing.T, found []appsdk.Found, pkg string) appsdk.Found {
	t.Helper()
	var out []appsdk.Found
	for _, f := range found {
		if f.Package == pkg {
			out = append(out, f)
		}
	}
	if len(out) != 1 {
		t.Fatalf("found %d %s, want 1: %+v", len(out), pkg, found)
	}
	return out[0]
}
