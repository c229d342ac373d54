package migrate

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/fleet"
)

var update = flag.Bool("update", false, "rewrite testdata/*.txt")

// TestTextGolden is the text report users read, for a cluster with one
// service account ready (trust policy given) and one blocked (Fargate,
// another account): testdata/report.txt.
func TestTextGolden(t *testing.T) {
	w := newWorld()
	w.in.Policies = []fleet.PolicyChange{{Role: "billing-api", File: "billing-api.json", Doc: mustPolicy(irsaOnlyPolicy)}}
	w.listing.ServiceAccounts = append(w.listing.ServiceAccounts, serviceAccount("payments", "ledger", "arn:aws:iam::444455556666:role/ledger"))
	w.listing.Pods = append(w.listing.Pods, deploymentPod("payments", "ledger", "q8z2m", "ledger", "fargate-ip-10-0-2-2", "arn:aws:iam::444455556666:role/ledger"))
	w.in.Nodes = append(w.in.Nodes, node("fargate-ip-10-0-2-2", map[string]string{"eks.amazonaws.com/compute-type": "fargate", "kubernetes.io/os": "linux"}))
	w.listing.AssociationsRead = true
	w.listing.Namespace = "payments"
	w.in.Inventory = fleet.Build(&w.listing)
	r := NewReport(&w.in)
	if r.Exit != ExitBlocked {
		t.Errorf("exit %d, want %d", r.Exit, ExitBlocked)
	}
	var b strings.Builder
	if err := r.Text(&b); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "report.txt")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("text report differs from %s (go test -run TestTextGolden -update):\n%s", golden, b.String())
	}
}
