package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/check"
	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// lifetimeScenarioCodes are the codes of a credential's life after start
// that tests outside scenarios() report, for TestEveryCodeHasAScenario.
func lifetimeScenarioCodes() []finding.Code {
	return []finding.Code{finding.CodeTokenNotRotated} // serve_lifetime_test.go
}

// TestTargetTokenMountNotRotated: check --target follows the token file the
// application reads to its mount. The stack's token is laid out as
// kubelet's projected volume (token -> ..data/token): rotations reach it.
// A copy elsewhere, and a subPath mount (a bind mount of the volume's
// timestamped file, in the application's own mount namespace, as the
// container runtime makes it) do not: token-mount-not-rotated, a warning,
// names the path, what mountinfo shows and the webhook's mount as the fix.
func TestTargetTokenMountNotRotated(t *testing.T) {
	st := startStack(t, ststest.StackOptions{})
	first, err := os.ReadFile(st.TokenFile)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	copied := filepath.Join(dir, "copied-token")
	if err := os.WriteFile(copied, first, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		start  func(t *testing.T) (pid int, tokenFile string)
		stale  bool
		detail string
	}{
		{"the projected volume", func(t *testing.T) (int, string) {
			return startTarget(t, runEnv(st), 0, "sleep", "600"), st.TokenFile
		}, false, ""},
		{"a copy", func(t *testing.T) (int, string) {
			return startTarget(t, runEnv(st, "AWS_WEB_IDENTITY_TOKEN_FILE="+copied), 0, "sleep", "600"), copied
		}, true, "a regular file, not kubelet's projected layout"},
		{"a subPath mount", func(t *testing.T) (int, string) {
			if os.Getuid() != 0 {
				t.Skip("a bind mount in a new mount namespace needs root")
			}
			unshare, err := exec.LookPath("unshare")
			if err != nil {
				t.Skip("no unshare (util-linux)")
			}
			// kubelet resolves the subPath's symlinks and binds the file of
			// the current timestamped directory, as here.
			src, err := filepath.EvalSymlinks(st.TokenFile)
			if err != nil {
				t.Fatal(err)
			}
			mountPoint := filepath.Join(dir, "subpath-token")
			if err := os.WriteFile(mountPoint, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return startSubPath(t, runEnv(st, "AWS_WEB_IDENTITY_TOKEN_FILE="+mountPoint), unshare, src, mountPoint), mountPoint
		}, true, "the file is a mount of its own (a subPath mount)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pid, tokenFile := tc.start(t)
			res, rep := runJSON(t, runOpts{env: probeOwnEnv(t, st), args: []string{"check", "--target=" + strconv.Itoa(pid), "--output=json"}})
			if res.exit != verdict.ExitOK {
				t.Fatalf("exit %d: a warning must not fail the check\n%s\n%s", res.exit, res.stdout, res.stderr)
			}
			step, ok := rep.Step(check.StepTokenMount)
			if !ok {
				t.Fatalf("no %s step: %+v", check.StepTokenMount, rep.Checks)
			}
			var f *finding.Finding
			for i := range rep.Findings {
				if rep.Findings[i].Code == finding.CodeTokenMountNotRotated {
					f = &rep.Findings[i]
				}
			}
			if !tc.stale {
				if f != nil || step.Status != check.StatusPass {
					t.Fatalf("the projected volume: step %+v, finding %+v", step, f)
				}
				return
			}
			if f == nil || f.Severity != finding.SeverityWarning || step.Status != check.StatusWarn {
				t.Fatalf("step %+v, finding %+v, want a %s warning", step, f, finding.CodeTokenMountNotRotated)
			}
			if !strings.Contains(f.Evidence[finding.EvDetail], tc.detail) || f.Evidence[finding.EvTokenFile] != tokenFile {
				t.Errorf("evidence %v, want detail %q and token_file %s", f.Evidence, tc.detail, tokenFile)
			}
			if want := "/proc/" + strconv.Itoa(pid) + "/mountinfo"; !strings.HasPrefix(f.Evidence[finding.EvMountSource], want) {
				t.Errorf("mount_source %q, want %s", f.Evidence[finding.EvMountSource], want)
			}
			if !strings.Contains(f.Fix, "mountPath: /var/run/secrets/eks.amazonaws.com/serviceaccount") || !strings.Contains(f.Fix, "name: aws-iam-token") {
				t.Errorf("the fix is not the webhook's mount:\n%s", f.Fix)
			}
			assertNoSecrets(t, st, res.stdout, res.stderr)
		})
	}

	// The subPath container's view after kubelet rotates: the old token.
	t.Run("a subPath mount keeps the first token", func(t *testing.T) {
		if os.Getuid() != 0 {
			t.Skip("needs root")
		}
		unshare, err := exec.LookPath("unshare")
		if err != nil {
			t.Skip("no unshare")
		}
		src, _ := filepath.EvalSymlinks(st.TokenFile)
		mp := filepath.Join(dir, "kept")
		if err := os.WriteFile(mp, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		before, _ := os.ReadFile(st.TokenFile)
		pid := startSubPath(t, runEnv(st), unshare, src, mp)
		if err := st.WriteToken(st.Token()); err != nil {
			t.Fatal(err)
		}
		after, _ := os.ReadFile(st.TokenFile)
		kept, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "root", mp))
		if err != nil {
			t.Fatal(err)
		}
		if string(after) == string(before) || string(kept) != string(before) {
			t.Errorf("after a rotation the volume changed: %v; the subPath file kept the first token: %v", string(after) != string(before), string(kept) == string(before))
		}
	})
}

// startSubPath starts an application in a mount namespace of its own
// where src is bind-mounted on mountPoint, as the container runtime mounts
// a subPath; it returns its pid once the mount is there.
func startSubPath(t *testing.T, env []string, unshare, src, mountPoint string) int {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, unshare, "--mount", "--propagation", "private", "sh", "-c", `mount --bind "$1" "$2" && exec sleep 600`, "sh", src, mountPoint)
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	pid := cmd.Process.Pid
	eventually(t, 10*time.Second, "the bind mount in pid "+strconv.Itoa(pid), func() bool {
		b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "mountinfo"))
		exe, _ := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "exe"))
		return strings.Contains(string(b), " "+mountPoint+" ") && filepath.Base(exe) == "sleep"
	})
	return pid
}
