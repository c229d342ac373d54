package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// hostileTimeout is the deadline of these runs: none may take longer, plus
// a second. (What a check allocates on such input is measured in package
// check: a child's peak RSS as wait4 reports it includes the test
// process's, which it was forked from.)
const hostileTimeout = 5 * time.Second

// TestHostileTokenFiles: a token path that is a FIFO, a device, a huge
// file, or a symlink to a file that is not a token does not hang the
// probe, and not one byte of it reaches STS, from the probe or from the
// SDK's own credential chain.
func TestHostileTokenFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte(strings.Repeat("eyJhbGciOiJSUzI1NiJ9.", 500_000)), 0o644); err != nil { // 10.5 MB
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "shadow")
	if err := os.WriteFile(secret, []byte("root:$6$c2VjcmV0c2FsdA$notatoken:19000:0:99999:7:::\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "token-link")
	if err := os.Symlink(secret, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"fifo", fifo, "token-file-unreadable"},
		{"dev-zero", "/dev/zero", "token-file-unreadable"},
		{"directory", dir, "token-file-unreadable"},
		{"10 MB", big, "token-malformed"},
		{"symlink to a secret", link, "token-malformed"},
	} {
		for _, cmd := range []string{"check", "trust-policy"} {
			t.Run(tc.name+"/"+cmd, func(t *testing.T) {
				st := startStack(t, ststest.StackOptions{})
				termLog := filepath.Join(t.TempDir(), "termination-log")
				env := runEnv(st, "AWS_WEB_IDENTITY_TOKEN_FILE="+tc.path, "IRSA_PROBE_TIMEOUT="+hostileTimeout.String(),
					"IRSA_PROBE_TERMINATION_LOG="+termLog)
				res := runBinary(t, runOpts{env: env, args: []string{cmd}})
				if res.exit != verdict.ExitBroken {
					t.Errorf("exit %d, want %d\n%s%s", res.exit, verdict.ExitBroken, res.stdout, res.stderr)
				}
				if cmd == "check" && !strings.Contains(res.stdout, "ERROR "+tc.want+":") {
					t.Errorf("want %s:\n%s", tc.want, res.stdout)
				}
				if res.took > hostileTimeout+time.Second {
					t.Errorf("took %s, past IRSA_PROBE_TIMEOUT (%s) + 1s", res.took, hostileTimeout)
				}
				if n := st.STS.Calls("AssumeRoleWithWebIdentity"); n != 0 {
					t.Errorf("STS got %d AssumeRoleWithWebIdentity calls with a refused token file", n)
				}
				if strings.Contains(res.stdout+res.stderr, "c2VjcmV0c2FsdA") {
					t.Error("the output quotes the file's content")
				}
			})
		}
	}
}

// TestHostileTerminationLog: a FIFO or a device as the termination log is
// refused, not written: the report is printed and the probe exits at once.
func TestHostileTerminationLog(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, "/dev/full"} {
		st := startStack(t, ststest.StackOptions{})
		res := runBinary(t, runOpts{env: runEnv(st, "IRSA_PROBE_TERMINATION_LOG="+path, "IRSA_PROBE_TIMEOUT="+hostileTimeout.String()), args: []string{"check"}})
		if res.exit != verdict.ExitOK || res.took > hostileTimeout+time.Second || !strings.Contains(res.stderr, "not a regular file") {
			t.Errorf("%s: exit %d after %s\n%s", path, res.exit, res.took, res.stderr)
		}
	}
}
