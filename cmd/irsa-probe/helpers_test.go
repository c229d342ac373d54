package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// TestMain removes the binary built for the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// The build identity of the binary under test.
const (
	testVersion = "v0.0.0-test"
	testCommit  = "0123456789abcdef0123456789abcdef01234567"
	testDate    = "2026-01-02T03:04:05Z"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// buildBinary builds irsa-probe once per test run, as the Dockerfile does,
// into a world-readable directory so it can also run as uid 65532.
func buildBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "irsa-probe-bin-")
		if err != nil {
			buildErr = err
			return
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "irsa-probe")
		// The build identity is fixed so the transcripts can show it.
		out, err := exec.Command("go", "build", "-o", binPath, "-ldflags",
			"-X main.version="+testVersion+" -X main.commit="+testCommit+" -X main.date="+testDate, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("building irsa-probe: %v", buildErr)
	}
	return binPath
}

// runEnv is a pod's environment wired to stack (nil: none), with the
// probe's deadline shortened for tests, plus extra ("NAME=" unsets NAME).
func runEnv(stack *ststest.Stack, extra ...string) []string {
	return ststest.PodEnv(stack, append([]string{"IRSA_PROBE_TIMEOUT=10s"}, extra...)...)
}

// result is one run of the binary, as kubelet would see it.
type result struct {
	stdout, stderr string
	exit           int
	took           time.Duration
}

type runOpts struct {
	env  []string
	args []string
	uid  uint32 // run as this uid/gid when the test runs as root (0: as is)
}

func runBinary(t *testing.T, o runOpts) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, buildBinary(t), o.args...)
	cmd.Env = o.env
	if o.uid != 0 && os.Getuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: o.uid, Gid: o.uid}}
	}
	return runCmd(t, cmd)
}

// runCommand runs name (a wrapper such as unshare, which runs the binary)
// with env, as runBinary does.
func runCommand(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	return runCmd(t, cmd)
}

func runCmd(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.exit = ee.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", cmd.Path, err)
	}
	return res
}

// startStack starts an emulated IRSA world for one test.
func startStack(t *testing.T, o ststest.StackOptions) *ststest.Stack {
	t.Helper()
	st := ststest.Start(o)
	t.Cleanup(st.Close)
	return st
}
