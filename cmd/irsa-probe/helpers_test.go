package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/cli"
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
// into a world-readable directory so it can also run as uid 65532. A test
// that needs the binary is not in the -short tier: building and starting
// processes is what makes that tier slow.
func buildBinary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the built binary: not in the -short tier (make test runs it)")
	}
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

// cliMu serialises in-process runs: a check reads its settings, and the
// SDK its configuration, from the process environment, which each run
// replaces.
var cliMu sync.Mutex

// inProcess reports whether a run can be made in this process, through
// cli.CLI as main wires it, with the same result as the built binary: not
// as another user, and with nothing the standard library reads once per
// process. net/http reads the proxy variables, and crypto/x509 the system
// roots (SSL_CERT_FILE, SSL_CERT_DIR), at their first use: every ststest
// stack trusts a CA of its own through SSL_CERT_FILE, so a second stack's
// run in this process would meet the first's roots, and its signature step
// would differ from the binary's while the scenario's checks still passed.
func inProcess(o runOpts) bool {
	if o.uid != 0 {
		return false
	}
	for _, kv := range o.env {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasSuffix(strings.ToUpper(name), "_PROXY") || strings.HasPrefix(name, "SSL_CERT_") {
			return false
		}
	}
	return true
}

// run runs the command in this process where inProcess allows, otherwise
// the built binary. Either way env is the whole environment and the
// result is what kubelet would see.
func run(t *testing.T, o runOpts) result {
	t.Helper()
	if !inProcess(o) {
		return runBinary(t, o)
	}
	return runCLI(t, o)
}

// runCLI runs cli.CLI.Main as main does, with o.env as the whole
// environment for the run (the test's own is restored after), the same
// build identity as buildBinary's, and no stdin.
func runCLI(t *testing.T, o runOpts) result {
	t.Helper()
	if !inProcess(o) {
		t.Fatalf("%v cannot run in this process (another user, or a proxy): use runBinary", o.args)
	}
	cliMu.Lock()
	defer cliMu.Unlock()
	saved := os.Environ()
	setEnv := func(env []string) {
		os.Clearenv()
		for _, kv := range env {
			if name, value, ok := strings.Cut(kv, "="); ok {
				if err := os.Setenv(name, value); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	setEnv(o.env)
	defer setEnv(saved)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	c := &cli.CLI{
		Stdin:  strings.NewReader(""),
		Stdout: &stdout,
		Stderr: &stderr,
		Build:  cli.BuildInfo{Version: testVersion, Commit: testCommit, Date: testDate}.Complete(),
	}
	start := time.Now()
	code := c.Main(ctx, o.args)
	return result{stdout: stdout.String(), stderr: stderr.String(), exit: code, took: time.Since(start)}
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
