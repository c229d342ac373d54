package plugin

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/fleet"
)

// TestRealKubectlAcceptsEveryCommand: every kubectl command line the
// fleet view runs or prints for pasting is given to the real kubectl
// (v1.32 on CI machines), against a server that refuses connections: a
// flag, a shorthand or an argument kubectl would reject fails before it
// ever connects, so reaching "connection refused" proves the line parses.
func TestRealKubectlAcceptsEveryCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the real kubectl")
	}
	real, err := exec.LookPath("kubectl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("kubectl is not installed: %v", err)
		}
		t.Skip("kubectl is not installed")
	}
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: dead, cluster: {server: "http://127.0.0.1:1"}}]
users: [{name: u, user: {token: not-a-secret}}]
contexts: [{name: prod, context: {cluster: dead, user: u}}]
current-context: prod
`), 0o600); err != nil {
		t.Fatal(err)
	}
	realDir := filepath.Join(dir, "bin")
	if err := os.MkdirAll(realDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(realDir, "kubectl")); err != nil {
		t.Fatal(err)
	}

	c := drifted()
	c.SA("shop", "ghost-owner", "billing-api") // role-arn-invalid: its fix too
	f := newFleetFake(t, c)
	f.Set(t, "canaries.json", `{"payments/ledger": "unschedulable"}`)
	f.Set(t, "forbidden", "create:jobs/shop list:namespaces")
	policy := filepath.Join(dir, "p.json")
	if err := os.WriteFile(policy, []byte(narrowedPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, out, _ := runWith(ctx, f, "-A", "--prove", "--timeout=2s", "--context=prod", "--trust-policy", "billing-api-v2="+policy)

	// What the plugin ran is run again as argv (no shell between); what
	// it printed for pasting goes through sh, as a person's paste does.
	var cmds []*exec.Cmd
	for _, a := range f.Argv() {
		cmds = append(cmds, exec.Command(filepath.Join(realDir, "kubectl"), append(strings.Fields(a), "--request-timeout=2s")...))
	}
	var lines []string
	printed := 0
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if _, cmd, ok := strings.Cut(l, "check with: "); ok {
			l = cmd
		}
		if strings.HasPrefix(l, "kubectl ") {
			lines = append(lines, l)
			printed++
		}
	}
	if printed < 6 {
		t.Fatalf("only %d kubectl commands printed:\n%s", printed, out)
	}
	job := fleet.CanaryJob(&fleet.Identity{Namespace: "payments", ServiceAccount: "ledger"}, fleet.CanaryOptions{RunID: "a1b2c3", Image: "x", Timeout: time.Minute})
	for _, l := range lines {
		cmds = append(cmds, exec.Command("sh", "-c", l+" --request-timeout=2s"))
	}
	for _, cmd := range cmds {
		cmd.Env = append(os.Environ(), "PATH="+realDir+string(os.PathListSeparator)+"/usr/bin:/bin", "KUBECONFIG="+kubeconfig)
		cmd.Stdin = strings.NewReader(string(job))
		b, _ := cmd.CombinedOutput()
		if !strings.Contains(string(b), "connection refused") && !strings.Contains(string(b), "was refused") {
			t.Errorf("real kubectl rejected: %q\n%s", cmd.Args, b)
		}
	}
	t.Logf("%d command lines (%d printed for pasting) parsed by the real kubectl", len(cmds), printed)
}
