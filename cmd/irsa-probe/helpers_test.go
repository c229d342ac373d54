package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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

// TestMain gives every ststest issuer of this process one CA and loads the
// system roots and proxy settings under that CA and no proxy, before any
// test can, so in-process runs meet what a fresh process would (inProcess);
// it removes the binary built for the run.
func TestMain(m *testing.M) {
	if err := primeProcess(); err != nil {
		fmt.Fprintf(os.Stderr, "preparing in-process runs: %v\n", err)
		os.Exit(1)
	}
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
		// The build inherits the test's own environment, not an in-process
		// run's.
		cliMu.Lock()
		defer cliMu.Unlock()
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
			buildErr = fmt.Errorf("%w: %s", err, out)
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

// The standard library reads some of the environment once per process,
// at its first use: crypto/x509 the system roots (SSL_CERT_FILE,
// SSL_CERT_DIR), net/http the proxy variables (and REQUEST_METHOD). A
// probe run in this process meets what the first use read, not its own
// environment. So primeProcess makes that first use, before any test:
// every ststest issuer signs under one CA (ststest.ShareIssuerCA), whose
// PEM, in a file, is SSL_CERT_FILE; no SSL_CERT_DIR, no proxy. A run whose
// environment reads the same (inProcess) meets in this process exactly what
// the binary meets in a fresh one.
var primedCA []byte

func primeProcess() error {
	primedCA = ststest.ShareIssuerCA()
	dir, err := os.MkdirTemp("", "irsa-probe-ca-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, primedCA, 0o600); err != nil {
		return err
	}
	saved := os.Environ()
	defer func() { _ = replaceEnv(saved) }()
	for _, kv := range saved {
		if name, _, _ := strings.Cut(kv, "="); readOncePerProcess(name) {
			_ = os.Unsetenv(name)
		}
	}
	if err := os.Setenv("SSL_CERT_FILE", caFile); err != nil {
		return err
	}
	if _, err := x509.SystemCertPool(); err != nil {
		return err
	}
	if _, err := http.ProxyFromEnvironment(&http.Request{URL: &url.URL{Scheme: "https", Host: "sts.amazonaws.com"}}); err != nil {
		return err
	}
	// Proof the roots were read now, not before: an issuer under the
	// shared CA is trusted through the system roots alone.
	iss := ststest.NewIssuer()
	defer iss.Close()
	resp, err := (&http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}).Get(iss.URL + "/.well-known/openid-configuration")
	if err != nil {
		return fmt.Errorf("the system roots were read before the shared CA was set: %w", err)
	}
	return resp.Body.Close()
}

// readOncePerProcess reports whether the standard library reads the
// variable name once per process.
func readOncePerProcess(name string) bool {
	return strings.HasPrefix(name, "SSL_CERT_") || strings.HasSuffix(strings.ToUpper(name), "_PROXY") || name == "REQUEST_METHOD"
}

// inProcess reports whether a run can be made in this process, through
// cli.CLI as main wires it, with the same result as the built binary: not
// as another user, and with what the standard library reads once per
// process (primeProcess) read as this process read it: SSL_CERT_FILE
// holding exactly the shared CA, no SSL_CERT_DIR, no proxy (an empty value
// reads as unset). A run in no emulated pod (no SSL_CERT_FILE) qualifies
// too: beyond the host's roots, which a fresh process reads as well, this
// process trusts only the shared CA, which only ststest issuers present. A
// run that trusts another CA, or goes through a proxy, runs the binary.
func inProcess(o runOpts) bool {
	if o.uid != 0 {
		return false
	}
	certFile := ""
	for _, kv := range o.env {
		name, value, _ := strings.Cut(kv, "=")
		switch {
		case name == "SSL_CERT_FILE":
			certFile = value
		case readOncePerProcess(name) && value != "":
			return false
		}
	}
	if certFile == "" {
		return true
	}
	b, err := os.ReadFile(certFile)
	return err == nil && bytes.Equal(b, primedCA)
}

// run runs the command in this process where inProcess allows, otherwise
// the built binary. Either way env is the whole environment and the
// result is what kubelet would see.
//
// A run given a deadline shorter than runEnv's (IRSA_PROBE_TIMEOUT) waits
// it out: it runs the binary too, waiting beside other tests rather than
// holding the in-process runs' lock for seconds of nothing.
func run(t *testing.T, o runOpts) result {
	t.Helper()
	if !inProcess(o) || waitsOutADeadline(o) {
		return runBinary(t, o)
	}
	return runCLI(t, o)
}

// waitsOutADeadline reports whether o shortens the check's deadline below
// runEnv's 10s: the tests that do wait for it to pass.
func waitsOutADeadline(o runOpts) bool {
	d := 10 * time.Second
	for _, kv := range o.env {
		if v, ok := strings.CutPrefix(kv, "IRSA_PROBE_TIMEOUT="); ok {
			d, _ = time.ParseDuration(v)
		}
	}
	return d > 0 && d < 10*time.Second
}

// runCLI runs cli.CLI.Main as main does, with o.env as the whole
// environment for the run (the test's own is restored after), the same
// build identity as buildBinary's, and no stdin.
func runCLI(t *testing.T, o runOpts) result {
	t.Helper()
	if !inProcess(o) {
		t.Fatalf("%v cannot run in this process (another user, another CA or a proxy): use runBinary", o.args)
	}
	cliMu.Lock()
	defer cliMu.Unlock()
	saved := os.Environ()
	setEnv := func(env []string) {
		if err := replaceEnv(env); err != nil {
			t.Fatal(err)
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

// replaceEnv makes env the process environment, one variable at a time and
// never clearing the whole: a parallel test starting a program (go build,
// unshare) reads PATH meanwhile, which both environments hold.
func replaceEnv(env []string) error {
	want := map[string]string{}
	for _, kv := range env {
		if name, value, ok := strings.Cut(kv, "="); ok {
			want[name] = value
		}
	}
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); name != "" {
			if _, ok := want[name]; !ok {
				if err := os.Unsetenv(name); err != nil {
					return err
				}
			}
		}
	}
	for name, value := range want {
		if err := os.Setenv(name, value); err != nil {
			return err
		}
	}
	return nil
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
