package migrate

import (
	"slices"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/fleet"
)

// TestReadiness is one case per readiness rule: the codes found on
// payments/billing-api (with their severities), the verdict, and what
// the message and evidence must say.
func TestReadiness(t *testing.T) {
	type want struct {
		codes    []string // code:severity, in order
		verdict  string
		contains []string // in the findings' messages, evidence and fixes
	}
	cases := []struct {
		name  string
		setup func(w *world)
		want  want
	}{
		{"ready: linux node with the agent", func(w *world) {},
			want{[]string{"trust-policy-unread:info", "app-sdk-unknown:info"}, VerdictReady,
				[]string{"kubectl irsa-probe --namespace=payments billing-api-7d9f8b6c5-x2k4q --context=prod", "deployment/billing-api"}}},
		{"fargate", func(w *world) {
			w.in.Nodes[0].Metadata.Labels["eks.amazonaws.com/compute-type"] = "fargate"
		}, want{[]string{"pod-identity-on-fargate:blocker", "trust-policy-unread:info", "app-sdk-unknown:info"}, VerdictBlocked,
			[]string{"on Fargate (node label eks.amazonaws.com/compute-type=fargate)", "nodes=ip-10-0-1-1", "pods=billing-api-7d9f8b6c5-x2k4q"}}},
		{"windows", func(w *world) {
			w.in.Nodes[0].Metadata.Labels["kubernetes.io/os"] = "windows"
		}, want{[]string{"pod-identity-on-windows:blocker", "trust-policy-unread:info", "app-sdk-unknown:info"}, VerdictBlocked,
			[]string{"Windows nodes (kubernetes.io/os=windows)"}}},
		{"no agent on the pod's node", func(w *world) {
			w.in.AgentPods[0].Spec.NodeName = "ip-10-0-9-9"
		}, want{[]string{"pod-identity-agent-missing:blocker", "trust-policy-unread:info", "app-sdk-unknown:info"}, VerdictBlocked,
			[]string{"without a running eks-pod-identity-agent pod", "aws eks create-addon --cluster-name prod --addon-name eks-pod-identity-agent --region us-west-2",
				"kubectl rollout status daemonset/eks-pod-identity-agent --namespace=kube-system --timeout=5m --context=prod"}}},
		{"agent pod not running", func(w *world) {
			w.in.AgentPods[0].Status.Phase = "Pending"
		}, want{[]string{"pod-identity-agent-missing:blocker", "trust-policy-unread:info", "app-sdk-unknown:info"}, VerdictBlocked, nil}},
		{"auto mode node: agent built in", func(w *world) {
			w.in.Nodes[0].Metadata.Labels["eks.amazonaws.com/compute-type"] = "auto"
			w.in.AgentPods = nil
		}, want{[]string{"trust-policy-unread:info", "app-sdk-unknown:info"}, VerdictReady, nil}},
		{"hybrid node with the -hybrid DaemonSet", func(w *world) {
			w.in.AgentPods[0].Metadata.OwnerReferences[0].Name = "eks-pod-identity-agent-hybrid"
		}, want{[]string{"trust-policy-unread:info", "app-sdk-unknown:info"}, VerdictReady, nil}},
		{"nodes not listed", func(w *world) {
			w.in.NodesListed = false
		}, want{[]string{"nodes-unread:warning", "trust-policy-unread:info", "app-sdk-unknown:info"}, VerdictReady,
			[]string{"the nodes could not be listed"}}},
		{"agent not listed", func(w *world) {
			w.in.AgentListed = false
		}, want{[]string{"nodes-unread:warning", "trust-policy-unread:info", "app-sdk-unknown:info"}, VerdictReady,
			[]string{"the Pod Identity agent's pods (kube-system) could not be listed"}}},
		{"host network", func(w *world) {
			w.listing.Pods[0].Spec.HostNetwork = true
		}, want{[]string{"host-network:info", "trust-policy-unread:info", "app-sdk-unknown:info"}, VerdictReady,
			[]string{"Pod Identity works for them", "checks the Host header and the token"}}},
		{"host network on the agent's port", func(w *world) {
			w.listing.Pods[0].Spec.HostNetwork = true
			w.listing.Pods[0].Spec.Containers[0].Ports = []fleet.ContainerPort{{ContainerPort: 8080}, {ContainerPort: 2705}}
		}, want{[]string{"host-network:warning", "trust-policy-unread:info", "app-sdk-unknown:info"}, VerdictReady,
			[]string{"billing-api-7d9f8b6c5-x2k4q/app port 2705 (the agent's the metrics)"}}},
		{"cross-account role", func(w *world) {
			role := "arn:aws:iam::444455556666:role/billing-api"
			w.listing.ServiceAccounts[0].Metadata.Annotations[fleet.AnnotationRoleARN] = role
		}, want{[]string{"cross-account-role:blocker", "session-tag-budget:warning", "app-sdk-unknown:info"}, VerdictBlocked,
			[]string{"role_account=444455556666", "cluster_account=111122223333", "targetRoleArn", "took 74% of STS's packed-size budget in containers-roadmap#2413", "--disable-session-tags"}}},
		{"cluster account unknown: no cross-account verdict", func(w *world) {
			w.listing.ServiceAccounts[0].Metadata.Annotations[fleet.AnnotationRoleARN] = "arn:aws:iam::444455556666:role/billing-api"
			w.in.ClusterAccount = ""
		}, want{[]string{"trust-policy-unread:info", "app-sdk-unknown:info"}, VerdictReady, nil}},
		{"trust policy without Pod Identity", func(w *world) {
			w.in.Policies = []fleet.PolicyChange{{Role: "billing-api", File: "billing-api.json", Doc: mustPolicy(irsaOnlyPolicy)}}
		}, want{[]string{"trust-policy-lacks-pod-identity:warning", "app-sdk-unknown:info"}, VerdictReady,
			[]string{"does not let pods.eks.amazonaws.com assume it with sts:AssumeRole and sts:TagSession", "file=billing-api.json"}}},
		{"trust policy with Pod Identity", func(w *world) {
			w.in.Policies = []fleet.PolicyChange{{Role: testRole, File: "both.json", Doc: mustPolicy(bothPolicy)}}
		}, want{[]string{"app-sdk-unknown:info"}, VerdictReady, nil}},
		{"trust policy that denies Pod Identity", func(w *world) {
			w.in.Policies = []fleet.PolicyChange{{Role: "billing-api", File: "deny.json", Doc: mustPolicy(denyPolicy)}}
		}, want{[]string{"trust-policy-lacks-pod-identity:blocker", "app-sdk-unknown:info"}, VerdictBlocked, []string{"statement 1 denies Pod Identity", "edit it by hand"}}},
		{"association exists, annotation stays", func(w *world) {
			w.listing.AssociationsRead = true
			w.listing.Associations = []fleet.Association{{Namespace: "payments", ServiceAccount: "billing-api", RoleARN: testRole, ID: "a-0123456789abcdef0"}}
		}, want{[]string{"trust-policy-unread:info", "association-exists:warning", "app-sdk-unknown:info"}, VerdictReady,
			[]string{"association=a-0123456789abcdef0", finding.SDKOrder, "pods started before it keep IRSA until recreated"}}},
		{"annotation not a role ARN", func(w *world) {
			w.listing.ServiceAccounts[0].Metadata.Annotations[fleet.AnnotationRoleARN] = "billing-api"
		}, want{[]string{"role-arn-invalid:blocker"}, VerdictBlocked, nil}},
		{"no pods: nothing about nodes or SDKs", func(w *world) {
			w.listing.Pods = nil
			w.in.NodesListed = false
		}, want{[]string{"trust-policy-unread:info"}, VerdictReady, nil}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			tc.setup(w)
			ps := w.plans()
			if len(ps) != 1 || ps[0].Key() != "payments/billing-api" {
				t.Fatalf("plans for %v, want payments/billing-api only", keys(ps))
			}
			p := ps[0]
			var got []string
			var text strings.Builder
			for _, f := range p.Findings {
				got = append(got, f.Code+":"+string(f.Severity))
				text.WriteString(f.Message + "\n" + f.Fix + "\n")
				for _, k := range sortedKeys(f.Evidence) {
					text.WriteString(k + "=" + f.Evidence[k] + "\n")
				}
				for _, c := range f.Commands {
					text.WriteString(c.Line + "\n")
				}
			}
			if !slices.Equal(got, tc.want.codes) {
				t.Errorf("codes %v, want %v", got, tc.want.codes)
			}
			if p.Verdict != tc.want.verdict {
				t.Errorf("verdict %s, want %s", p.Verdict, tc.want.verdict)
			}
			for _, s := range tc.want.contains {
				if !strings.Contains(text.String(), s) {
					t.Errorf("findings lack %q:\n%s", s, text.String())
				}
			}
		})
	}
}

// TestTagShareNeverBelowMeasured: longer names raise the estimate, short
// ones never lower it under what containers-roadmap#2413 measured.
func TestTagShareNeverBelowMeasured(t *testing.T) {
	w := newWorld()
	w.in.Inventory = fleet.Build(&w.listing)
	id := w.in.Inventory.Identities[0]
	short := tagShare(&ruleContext{in: &w.in, id: id})
	if short < measuredTagShare {
		t.Errorf("short names: %d%%, want at least the measured %d%%", short, measuredTagShare)
	}
	w.listing.Cluster = strings.Repeat("c", 100)
	long := tagShare(&ruleContext{in: &w.in, id: id})
	if long <= short+10 {
		t.Errorf("a 100-character cluster name: %d%%, want well over the short names' %d%%", long, short)
	}
}

// TestOnlyIRSAServiceAccountsArePlanned: a service account without the
// annotation (on Pod Identity already, or none) has no plan.
func TestOnlyIRSAServiceAccountsArePlanned(t *testing.T) {
	w := newWorld()
	w.listing.ServiceAccounts = append(w.listing.ServiceAccounts, serviceAccount("payments", "ledger", ""))
	w.listing.AssociationsRead = true
	w.listing.Associations = []fleet.Association{{Namespace: "payments", ServiceAccount: "ledger", RoleARN: testRole, ID: "a-1"}}
	if got := keys(w.plans()); !slices.Equal(got, []string{"payments/billing-api"}) {
		t.Errorf("planned %v, want payments/billing-api", got)
	}
}

func keys(ps []*Plan) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Key())
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// bothPolicy trusts billing-api both ways.
const bothPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"},
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {"StringEquals": {"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub": "system:serviceaccount:payments:billing-api"}}
    },
    {
      "Effect": "Allow",
      "Principal": {"Service": "pods.eks.amazonaws.com"},
      "Action": ["sts:AssumeRole", "sts:TagSession"]
    }
  ]
}`

// denyPolicy denies Pod Identity outright.
const denyPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Deny",
      "Principal": {"Service": "pods.eks.amazonaws.com"},
      "Action": "sts:AssumeRole"
    }
  ]
}`

// TestPolicyLookup: a policy given by name matches the role in any
// account, case-insensitively; given by ARN, only that account's.
func TestPolicyLookup(t *testing.T) {
	idx := indexPolicies([]fleet.PolicyChange{
		{Role: "arn:aws:iam::444455556666:role/Billing-API", File: "other.json"},
		{Role: "BILLING-API", File: "name.json"},
		{Role: "arn:aws:iam::111122223333:role/ledger", File: "ledger.json"},
		{Role: "arn:aws:iam::bad", File: "bad.json"},
	})
	for role, want := range map[string]string{
		"arn:aws:iam::444455556666:role/billing-api": "other.json",
		"arn:aws:iam::111122223333:role/billing-api": "name.json",
		"arn:aws:iam::111122223333:role/ledger":      "ledger.json",
		"arn:aws:iam::444455556666:role/ledger":      "",
	} {
		got := ""
		if pc := idx.lookup(mustRole(role)); pc != nil {
			got = pc.File
		}
		if got != want {
			t.Errorf("%s: %q, want %q", role, got, want)
		}
	}
}
