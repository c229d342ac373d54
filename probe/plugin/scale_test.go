package plugin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/kube/kubefake"
)

// atScale is the size: 100 namespaces, 500 service accounts
// (400 annotated, 100 not), 5,000 pods (10 per service account), with
// drift sprinkled in: every 50th service account's pods started before
// its annotation, every 70th's carry an older role.
func atScale() *kubefake.Cluster {
	c := &kubefake.Cluster{}
	for n := range 100 {
		ns := fmt.Sprintf("team-%02d", n)
		c.Namespace(ns)
		for s := range 5 {
			i := n*5 + s
			name := fmt.Sprintf("svc-%d", s)
			role := fmt.Sprintf("arn:aws:iam::111122223333:role/team-%02d-%s", n%10, name)
			if s == 4 {
				role = ""
			}
			c.SA(ns, name, role)
			for range 10 {
				switch {
				case role == "":
					c.Pod(ns, name, name, "none", "")
				case i%50 == 0:
					c.Pod(ns, name, name, "none", "")
				case i%70 == 0:
					c.Pod(ns, name, name, "irsa", role+"-old")
				default:
					c.Pod(ns, name, name, "irsa", role)
				}
			}
		}
	}
	return c
}

const scalePolicy = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"},
  "Action": "sts:AssumeRoleWithWebIdentity",
  "Condition": {"StringEquals": {"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub": "system:serviceaccount:team-00:svc-0"}}}]}`

func scaleArgs(t testing.TB) []string {
	file := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(file, []byte(scalePolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"-A", "--trust-policy", "team-00-svc-0=" + file, "--issuer", "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"}
}

// TestFleetAtScale: inventory, drift and a trust-policy impact over 500
// service accounts and 5,000 pods in 100 namespaces take three kubectl
// calls and well under 5 s (the fake kubectl's time included; not
// asserted under the race detector, which slows both several times).
func TestFleetAtScale(t *testing.T) {
	c := atScale()
	f := newFleetFake(t, c)
	args := scaleArgs(t)
	start := time.Now()
	code, out, errOut := runWith(context.Background(), f, args...)
	took := time.Since(start)
	if code != 1 {
		t.Fatalf("exit %d\n%.2000s%s", code, out, errOut)
	}
	if argv := f.Argv(); len(argv) != 3 {
		t.Errorf("%d kubectl calls, want the three listings: %q", len(argv), argv)
	}
	for _, w := range []string{"all namespaces: 100 namespaces, 500 service accounts, 5000 pods listed; 400 with an AWS identity",
		"ERROR identity-not-injected team-10/svc-0", "ERROR role-drift team-14/svc-0"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q", w)
		}
	}
	// team-00-svc-0's role is used by svc-0 of team-00, team-10 … team-90.
	if n := strings.Count(out, " loses "); n != 9 {
		t.Errorf("%d lose access, want 9", n)
	}
	b, _ := os.ReadFile(filepath.Join(f.Dir, "pods.json"))
	t.Logf("5,000 pods: %d MiB of JSON; -A with drift and a trust-policy impact took %s", len(b)>>20, took)
	if took > 5*time.Second && !raceEnabled {
		t.Errorf("took %s, want under 5 s", took)
	}
}

// BenchmarkFleetAtScale: one -A run with a trust-policy impact over the
// issue's size, the fake kubectl's time included.
func BenchmarkFleetAtScale(b *testing.B) {
	f := newFleetFake(b, atScale())
	args := scaleArgs(b)
	for b.Loop() {
		if code, _, errOut := runWith(context.Background(), f, args...); code != 1 {
			b.Fatalf("exit %d %s", code, errOut)
		}
	}
}
