package fleet

import (
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/policy"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

const issuer = "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"

// narrowed trusts billing-api only; before, billing-* were trusted.
const narrowed = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"},
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {"StringEquals": {
        "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud": "sts.amazonaws.com",
        "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub": "system:serviceaccount:payments:billing-api"
      }}
    },
    {
      "Effect": "Allow",
      "Principal": {"Service": "pods.eks.amazonaws.com"},
      "Action": "sts:AssumeRole"
    }
  ]
}`

// TestImpact: who keeps access and who loses it, by which line, for
// every identity that uses the role by annotation or association.
func TestImpact(t *testing.T) {
	doc, err := policy.Load([]byte(narrowed))
	if err != nil {
		t.Fatal(err)
	}
	l := &Listing{
		ServiceAccounts:  []ServiceAccount{sa("payments", "billing-api", roleA), sa("payments", "billing-worker", roleA), sa("shop", "cart", "arn:aws:iam::111122223333:role/cart")},
		Associations:     []Association{{Namespace: "payments", ServiceAccount: "billing-batch", RoleARN: roleA, ID: "a-1"}},
		AssociationsRead: true,
	}
	inv := Build(l)
	got := map[string]ImpactResult{}
	for _, r := range Impact(inv, []PolicyChange{{Role: "billing-api", File: "narrowed.json", Doc: doc}}, issuer) {
		got[r.Namespace+"/"+r.ServiceAccount+" "+r.Mechanism] = r
	}
	if len(got) != 3 {
		t.Fatalf("%d results, want billing-api, billing-worker and billing-batch's association: %v", len(got), got)
	}
	if r := got["payments/billing-api irsa"]; r.Verdict != ImpactKeeps {
		t.Errorf("billing-api: %+v", r)
	}
	if r := got["payments/billing-worker irsa"]; r.Verdict != ImpactLoses || r.Code != policy.CodeSubjectMismatch || r.Line != 10 || !strings.HasPrefix(r.Why, "line 10: ") {
		t.Errorf("billing-worker: %+v", r)
	}
	if r := got["payments/billing-batch pod-identity"]; r.Verdict != ImpactLoses || r.Code != policy.CodeActionMismatch {
		t.Errorf("billing-batch (Pod Identity needs sts:TagSession too): %+v", r)
	}
	if rep := NewReport(inv, Impact(inv, []PolicyChange{{Role: roleA, File: "narrowed.json", Doc: doc}}, issuer), issuer); rep.Exit != verdict.ExitBroken {
		t.Errorf("exit %d, want %d: someone loses access", rep.Exit, verdict.ExitBroken)
	}
	if r := Impact(inv, []PolicyChange{{Role: "billing-api", Doc: doc}}, ""); r[0].Verdict != ImpactUnknown {
		t.Errorf("no issuer: %+v", r[0])
	}
	if r := Impact(inv, []PolicyChange{{Role: "nobody", Doc: doc}}, issuer); len(r) != 1 || r[0].ServiceAccount != "" || r[0].Verdict != ImpactKeeps {
		t.Errorf("unused role: %+v", r)
	}
}
