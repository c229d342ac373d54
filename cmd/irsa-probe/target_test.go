package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/appsdk"
	"github.com/irsa-probe/irsa-probe/probe/appsdk/appsdktest"
	"github.com/irsa-probe/irsa-probe/probe/check"
	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// targetScenarioCodes are the codes the tests of check --target report,
// for TestEveryCodeHasAScenario.
func targetScenarioCodes() []finding.Code {
	return []finding.Code{finding.CodeTargetUnreadable, finding.CodeAppSDKTooOld, finding.CodeAppSDKUnknown, finding.CodeTokenMountNotRotated,
		finding.CodeAppSDKRefreshDefect}
}

// startTarget starts the application process: name with args and env
// (only), as uid when not 0; it returns its pid once it runs name.
func startTarget(t *testing.T, env []string, uid uint32, name string, args ...string) int {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	if uid != 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	want, _ := exec.LookPath(name)
	want, _ = filepath.EvalSymlinks(want)
	exe := filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "exe")
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got, _ := os.Readlink(exe); got == want {
			return cmd.Process.Pid
		}
	}
	t.Fatalf("process %d never ran %s", cmd.Process.Pid, want)
	return 0
}

// probeOwnEnv is the probe's environment beside the application: nothing
// of AWS's (PodEnv(nil) removes it), only the emulator's CA to trust.
func probeOwnEnv(t *testing.T, st *ststest.Stack, extra ...string) []string {
	t.Helper()
	env := runEnv(nil, append([]string{"SSL_CERT_FILE=" + st.CAFile}, extra...)...)
	for _, kv := range env {
		if strings.HasPrefix(kv, "AWS_") || strings.Contains(strings.ToUpper(kv), "_PROXY=") {
			t.Fatalf("the probe's own environment has %s", kv)
		}
	}
	return env
}

func runJSON(t *testing.T, o runOpts) (result, check.Report) {
	t.Helper()
	res := run(t, o)
	var rep check.Report
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("json output: %v\nstdout:\n%s\nstderr:\n%s", err, res.stdout, res.stderr)
	}
	return res, rep
}

// codesBut lists a report's finding codes, less those of the target steps.
func codesBut(rep check.Report) []string {
	var out []string
	for _, f := range rep.Findings {
		if !slices.Contains(targetScenarioCodes(), f.Code) {
			out = append(out, string(f.Code))
		}
	}
	return out
}

// TestTargetSeesWhatTheAppSees: check --target PID, run with an empty AWS
// environment beside an application process whose environment alone holds
// IRSA's or Pod Identity's variables, decides as check run inside it: same
// exit code, findings and step outcomes.
func TestTargetSeesWhatTheAppSees(t *testing.T) {
	for _, c := range []struct {
		name  string
		opts  ststest.StackOptions
		setup func(t *testing.T, st *ststest.Stack) []string
		exit  int
		codes []string
	}{
		{name: "irsa ok", exit: verdict.ExitOK},
		{name: "pod identity ok", opts: ststest.StackOptions{PodIdentity: true}, exit: verdict.ExitOK},
		{name: "trust policy denies", exit: verdict.ExitBroken, codes: []string{string(finding.CodeTrustPolicyDenied)},
			setup: func(t *testing.T, st *ststest.Stack) []string {
				if err := st.STS.PutRole(st.RoleARN, ststest.TrustPolicyFor("aws", st.Account, st.Issuer.URL, "billing", "billing-api")); err != nil {
					t.Fatal(err)
				}
				return nil
			}},
		{name: "static keys in the app's env shadow IRSA", exit: verdict.ExitBroken, codes: []string{string(finding.CodeStaticCredentialsShadow)},
			setup: func(t *testing.T, st *ststest.Stack) []string {
				return []string{"AWS_ACCESS_KEY_ID=" + st.IMDS.AccessKeyID(), "AWS_SECRET_ACCESS_KEY=not-checked-by-the-emulator"}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st := startStack(t, c.opts)
			var extra []string
			if c.setup != nil {
				extra = c.setup(t, st)
			}
			appEnv := runEnv(st, extra...)
			inside, in := runJSON(t, runOpts{env: appEnv, args: []string{"check", "--output=json"}})

			pid := startTarget(t, appEnv, 0, "sleep", "600")
			beside, out := runJSON(t, runOpts{env: probeOwnEnv(t, st), args: []string{"check", "--target=" + strconv.Itoa(pid), "--output=json"}})

			if inside.exit != c.exit || beside.exit != c.exit {
				t.Fatalf("exit inside %d, with --target %d, want %d\ninside:\n%s\n--target:\n%s", inside.exit, beside.exit, c.exit, inside.stdout, beside.stdout)
			}
			if a, b := strings.Join(codesBut(in), ","), strings.Join(codesBut(out), ","); a != b || a != strings.Join(c.codes, ",") {
				t.Errorf("findings inside %q, with --target %q, want %q", a, b, strings.Join(c.codes, ","))
			}
			for _, s := range in.Checks {
				got, ok := out.Step(s.Name)
				if !ok || got.Status != s.Status {
					t.Errorf("step %s: inside %s, with --target %+v", s.Name, s.Status, got)
				}
			}
			if out.Target == nil || out.Target.PID != pid || (in.Identity == nil) != (out.Identity == nil) {
				t.Errorf("target %+v, identity inside %+v, with --target %+v", out.Target, in.Identity, out.Identity)
			}
			if !out.Has(finding.CodeAppSDKUnknown) {
				t.Errorf("sleep has no AWS SDK: want app-sdk-unknown, got %v", out.Findings)
			}
			assertNoSecrets(t, st, beside.stdout, beside.stderr)
		})
	}
}

// TestTargetAppSDKTooOld: the application is a Go program built against
// aws-sdk-go v1.23.0 (from the module proxy); its identity works, as the
// probe proves with its own SDK, but its SDK predates IRSA: exit 1 with
// app-sdk-too-old naming the module, the version and the binary.
func TestTargetAppSDKTooOld(t *testing.T) {
	st := startStack(t, ststest.StackOptions{})
	app, err := appsdktest.BuildOldGoApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pid := startTarget(t, runEnv(st), 0, app, "sleep")
	// (--target=auto would pick this sandbox's PID 1: probe/target tests it.)
	res, rep := runJSON(t, runOpts{env: probeOwnEnv(t, st), args: []string{"check", "--target=" + strconv.Itoa(pid), "--output=json"}})
	if res.exit != verdict.ExitBroken || rep.Identity == nil {
		t.Fatalf("exit %d identity %+v, want 1 with the identity proven\n%s", res.exit, rep.Identity, res.stdout)
	}
	assertFindings(t, rep, []finding.Code{finding.CodeAppSDKTooOld})
	if rep.Target == nil || rep.Target.PID != pid || rep.Target.Exe != app {
		t.Errorf("target %+v, want pid %d", rep.Target, pid)
	}
	want := appsdk.Found{Ecosystem: "go", Package: "github.com/aws/aws-sdk-go", Version: "v1.23.0", Where: app, Minimum: "1.23.13", TooOld: true}
	if len(rep.AppSDKs) != 1 || rep.AppSDKs[0] != want {
		t.Errorf("appSdks %+v, want %+v", rep.AppSDKs, want)
	}
	text := runBinary(t, runOpts{env: probeOwnEnv(t, st), args: []string{"check", "--target=" + strconv.Itoa(pid)}})
	for _, w := range []string{"app-sdk-too-old:", "github.com/aws/aws-sdk-go v1.23.0", "older than 1.23.13", "go get github.com/aws/aws-sdk-go@v1.23.13"} {
		if !strings.Contains(text.stdout, w) {
			t.Errorf("text report lacks %q:\n%s", w, text.stdout)
		}
	}
}

// TestTargetUnreadable: the probe as uid 65532 without CAP_SYS_PTRACE
// beside an application running as root: a finding with the fix, exit 3,
// and nothing sent to STS.
func TestTargetUnreadable(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run the probe as another user")
	}
	st := startStack(t, ststest.StackOptions{})
	pid := startTarget(t, runEnv(st), 0, "sleep", "600")
	res, rep := runJSON(t, runOpts{env: probeOwnEnv(t, st), uid: 65532, args: []string{"check", "--target=" + strconv.Itoa(pid), "--output=json"}})
	if res.exit != verdict.ExitUndecided {
		t.Fatalf("exit %d, want %d\n%s\n%s", res.exit, verdict.ExitUndecided, res.stdout, res.stderr)
	}
	assertFindings(t, rep, []finding.Code{finding.CodeTargetUnreadable})
	f := rep.Findings[0]
	if !strings.Contains(f.Message, "uid=65532") || !strings.Contains(f.Message, "permission denied") || !strings.Contains(f.Fix, "kubectl irsa-probe") {
		t.Errorf("finding %+v", f)
	}
	if n := len(st.STS.Requests()); n != 0 {
		t.Errorf("%d requests reached STS", n)
	}
	// And the same user reads its own process without any capability.
	pid = startTarget(t, runEnv(st), 65532, "sleep", "600")
	res, rep = runJSON(t, runOpts{env: probeOwnEnv(t, st), uid: 65532, args: []string{"check", "--target=" + strconv.Itoa(pid), "--output=json"}})
	if rep.Has(finding.CodeTargetUnreadable) || rep.Target == nil || rep.Target.UID != 65532 {
		t.Errorf("same uid: exit %d, %+v\n%s", res.exit, rep.Findings, res.stdout)
	}
}

// TestTargetAutoWithoutApplication: check --target=auto in a pod's shared
// PID namespace where only the sandbox's pause runs (the application's
// container is not running): a usage error naming each process it saw and
// skipped, pointing at the container's state instead of repeating the
// kubectl debug --target the plugin already gave. The namespace is a real
// one: unshare --pid --mount-proc, PID 1 named pause.
func TestTargetAutoWithoutApplication(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root for a PID namespace")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare (util-linux)")
	}
	pause := filepath.Join(t.TempDir(), "pause") // its name is PID 1's comm
	if err := os.WriteFile(pause, []byte("#!/bin/sh\n\"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, unshare, "--pid", "--fork", "--mount-proc", pause, buildBinary(t), "check", "--target=auto")
	cmd.Env = runEnv(nil)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != verdict.ExitUsage {
		t.Fatalf("exit %v, want %d (usage)\n%s", err, verdict.ExitUsage, stderr.String())
	}
	got := stderr.String()
	for _, w := range []string{`irsa-probe: error: --target=auto found no application process: this PID namespace holds pid 1 "pause" (the pod's sandbox), pid 2 "irsa-probe" (this probe), each skipped`,
		"kubectl describe pod POD", "irsa-probe: hint: run 'irsa-probe check -h'"} {
		if !strings.Contains(got, w) {
			t.Errorf("stderr lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, "kubectl debug") {
		t.Errorf("stderr repeats kubectl debug:\n%s", got)
	}
}
