package main

import (
	"bytes"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// TestCheckEndsOnSIGTERM: kubelet's SIGTERM ends a check stuck on a slow
// STS promptly, as undecided (exit 3), not after IRSA_PROBE_TIMEOUT.
func TestCheckEndsOnSIGTERM(t *testing.T) {
	st := startStack(t, ststest.StackOptions{})
	st.STS.SetFault("AssumeRoleWithWebIdentity", ststest.Fault{Delay: time.Minute})
	cmd := exec.Command(buildBinary(t), "check")
	cmd.Env = runEnv(st, "IRSA_PROBE_TIMEOUT=60s", "IRSA_PROBE_TERMINATION_LOG=")
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for st.STS.Calls("AssumeRoleWithWebIdentity") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the probe never called STS")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("check did not end within 15s of SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != verdict.ExitUndecided {
		t.Errorf("exit %d, want %d\n%s", code, verdict.ExitUndecided, out.String())
	}
	if !strings.Contains(out.String(), "UNDECIDED") || !strings.Contains(out.String(), "SIGTERM") {
		t.Errorf("output:\n%s", out.String())
	}
}
