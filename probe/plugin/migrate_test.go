package plugin

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/kube/kubefake"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// migrating is payments with billing-api on IRSA (a role of the
// cluster's account) and ledger on a role of another account, the agent
// on their node.
func migrating() *kubefake.Cluster {
	c := &kubefake.Cluster{}
	for _, ns := range []string{"payments", "kube-system"} {
		c.Namespace(ns)
	}
	c.SA("payments", "billing-api", roleBilling)
	c.Pod("payments", "billing-api", "billing-api", "irsa", roleBilling)
	c.SA("payments", "ledger", "arn:aws:iam::444455556666:role/ledger")
	c.Pod("payments", "ledger", "ledger", "irsa", "arn:aws:iam::444455556666:role/ledger")
	c.SA("kube-system", "default", "")
	c.AgentPod(kubefake.Node)
	return c
}

// TestFleetMigrate: --migrate with --cluster lists nodes and kube-system's
// pods, describes the cluster (its account tells the other account's role
// apart), and prints per service account the verdict and the plan, never
// changing anything: every kubectl call is a get.
func TestFleetMigrate(t *testing.T) {
	e := ststest.NewEKS()
	defer e.Close()
	e.SetIssuer("prod", "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE")
	awsEnv(t, e.URL)
	f := newFleetFake(t, migrating())
	f.Set(t, "nodes.json", kubefake.NodesJSON(map[string]string{"kubernetes.io/os": "linux"}))
	code, out, errOut := runWith(context.Background(), f, "-n", "payments", "--migrate", "--cluster=prod", "--context=prod")
	if code != verdict.ExitBroken {
		t.Fatalf("exit %d, want %d (ledger is blocked)\n%s%s", code, verdict.ExitBroken, out, errOut)
	}
	for _, w := range []string{
		"namespace payments: 2 service accounts on IRSA, 1 ready to move to EKS Pod Identity, 1 blocked\n",
		row("payments", "billing-api", roleBilling, "1", "ready", "-"),
		row("payments", "ledger", "arn:aws:iam::444455556666:role/ledger", "1", "blocked", "cross-account-role,session-tag-budget"),
		"     aws eks create-pod-identity-association --cluster-name prod --namespace payments --service-account billing-api --role-arn " + roleBilling + "\n",
		"     kubectl annotate serviceaccount billing-api --namespace=payments eks.amazonaws.com/role-arn- --context=prod\n",
		"     kubectl rollout restart deployment/billing-api --namespace=payments --context=prod\n     kubectl rollout status deployment/billing-api --namespace=payments --timeout=5m --context=prod\n",
		"     kubectl irsa-probe --namespace=payments --prove --service-account=billing-api --cluster=prod --context=prod\n",
		"--issuer https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE --subject system:serviceaccount:payments:billing-api\n",
		"--target-role-arn arn:aws:iam::444455556666:role/ledger --disable-session-tags",
	} {
		if !strings.Contains(out, w) && !strings.Contains(normalized(out), w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	for _, a := range f.Argv() {
		if !strings.HasPrefix(a, "get ") {
			t.Errorf("--migrate ran kubectl %s: it is read-only", a)
		}
	}
	if !strings.Contains(strings.Join(f.Argv(), "\n"), "get --context=prod nodes --output=json") {
		t.Errorf("nodes not listed: %q", f.Argv())
	}
	for _, c := range e.Calls() {
		if !strings.HasPrefix(c, "GET ") {
			t.Errorf("--migrate called EKS %s: it is read-only", c)
		}
	}

	// JSON, narrowed to one service account.
	code, out, errOut = runWith(context.Background(), f, "-n", "payments", "--migrate", "--cluster=prod", "--service-account=billing-api", "--output=json")
	var rep struct {
		ServiceAccounts []struct {
			ServiceAccount, Verdict string
			Steps                   []struct{ Step string }
		} `json:"serviceAccounts"`
		ClusterAccount string `json:"clusterAccount"`
		ExitCode       int    `json:"exitCode"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != verdict.ExitOK {
		t.Fatalf("exit %d, %v\n%s%s", code, err, out, errOut)
	}
	if len(rep.ServiceAccounts) != 1 || rep.ServiceAccounts[0].ServiceAccount != "billing-api" || len(rep.ServiceAccounts[0].Steps) != 7 || rep.ClusterAccount != "111122223333" {
		t.Errorf("JSON %s", out)
	}

	// The node on Fargate: nothing moves.
	f.Set(t, "nodes.json", kubefake.NodesJSON(map[string]string{"kubernetes.io/os": "linux", "eks.amazonaws.com/compute-type": "fargate"}))
	_, out, _ = runWith(context.Background(), f, "-n", "payments", "--migrate", "--cluster=prod", "--service-account=billing-api")
	if !strings.Contains(normalized(out), row("payments", "billing-api", roleBilling, "1", "blocked", "pod-identity-on-fargate")) || !strings.Contains(out, "No plan: this service account stays on IRSA.") {
		t.Errorf("on Fargate:\n%s", out)
	}
}

// TestFleetMigrateUsage: --migrate does not prove (the plan prints the
// --prove to run after the move).
func TestFleetMigrateUsage(t *testing.T) {
	f := newFleetFake(t, migrating())
	code, _, errOut := runWith(context.Background(), f, "-n", "payments", "--migrate", "--prove")
	if code != verdict.ExitUsage || !strings.Contains(errOut, "--migrate is read-only") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}

// TestFleetMigrateWithoutNodes: a user who may not list nodes still gets
// the plan, with what was not checked said.
func TestFleetMigrateWithoutNodes(t *testing.T) {
	f := newFleetFake(t, migrating())
	f.Set(t, "forbidden", "list:nodes")
	code, out, errOut := runWith(context.Background(), f, "-n", "payments", "--migrate", "--service-account=billing-api")
	if code != verdict.ExitOK || !strings.Contains(out, "WARNING nodes-unread: the nodes could not be listed") ||
		!strings.Contains(out, "--cluster-name CLUSTER_NAME") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// TestFleetServiceAccountProve: the plan's verify step, --prove
// --service-account NAME, proves exactly that service account.
func TestFleetServiceAccountProve(t *testing.T) {
	f := newFleetFake(t, drifted())
	code, out, errOut := runWith(context.Background(), f, "-n", "payments", "--prove", "--service-account=billing-api", "--timeout=3s")
	var created []string
	for _, a := range f.Argv() {
		if strings.HasPrefix(a, "create ") {
			created = append(created, a)
		}
	}
	if len(created) != 1 || strings.Contains(normalized(out), row("payments", "ledger")) || !strings.Contains(normalized(out), row("payments", "billing-api")) {
		t.Errorf("exit %d, created %q\n%s%s", code, created, out, errOut)
	}
}
