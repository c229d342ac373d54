package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/kube/kubefake"
)

// TestProveInterrupted: Ctrl-C (SIGINT to the plugin's process) while
// canaries wait to be scheduled deletes every Job of the run, by its
// label, and exits promptly.
func TestProveInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin")
	}
	bin := filepath.Join(t.TempDir(), "kubectl-irsa_probe")
	if b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	c := &kubefake.Cluster{}
	c.Namespace("payments")
	c.SA("payments", "billing-api", "arn:aws:iam::111122223333:role/billing-api")
	c.Pod("payments", "billing-api", "billing-api", "irsa", "arn:aws:iam::111122223333:role/billing-api")
	c.SA("payments", "ledger", "arn:aws:iam::111122223333:role/ledger")
	c.Namespace("shop")
	c.SA("shop", "cart", "arn:aws:iam::111122223333:role/cart")
	f := kubefake.New(t, c)
	f.OnPath(t)
	f.Set(t, "canaries.json", `{"payments/billing-api": "unschedulable", "payments/ledger": "unschedulable", "shop/cart": "unschedulable"}`)
	cmd := exec.Command(bin, "-A", "--prove", "--timeout=5m")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(f.JobsLeft()) < 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(f.JobsLeft()); n != 3 {
		t.Fatalf("%d canary Jobs created before the interrupt, want 3\n%s", n, out.String())
	}
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("still running 15 s after SIGINT\n%s", out.String())
	}
	t.Logf("exited %s after SIGINT", time.Since(start).Round(time.Millisecond))
	if left := f.JobsLeft(); len(left) != 0 {
		t.Errorf("Jobs left behind: %v\n%s", left, out.String())
	}
	if !strings.Contains(out.String(), "canary-canceled") {
		t.Errorf("no canceled canaries reported:\n%s", out.String())
	}
	_ = os.Remove(bin)
}
