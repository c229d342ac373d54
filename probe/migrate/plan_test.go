package migrate

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/fleet"
	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/policy"
)

// planOf is payments/billing-api's plan in w.
func planOf(t *testing.T, w *world) *Plan {
	t.Helper()
	ps := w.plans()
	if len(ps) != 1 {
		t.Fatalf("plans for %v", keys(ps))
	}
	return ps[0]
}

func stepOf(t *testing.T, p *Plan, name string) Step {
	t.Helper()
	for _, s := range p.Steps {
		if s.Step == name {
			return s
		}
	}
	t.Fatalf("no step %s in %v", name, p.Steps)
	return Step{}
}

func argvs(s Step) []Command {
	var out []Command
	for _, c := range s.Commands {
		out = append(out, c.Argv)
	}
	return out
}

// TestPlanSteps checks every step's commands, word for word, for a
// service account whose trust policy was given.
func TestPlanSteps(t *testing.T) {
	w := newWorld()
	w.in.Policies = []fleet.PolicyChange{{Role: "billing-api", File: "billing-api.json", Doc: mustPolicy(irsaOnlyPolicy)}}
	w.in.ProveFlags = []string{"--canary-pod-spec=canary.json"}
	p := planOf(t, w)
	var names []string
	for _, s := range p.Steps {
		names = append(names, s.Step)
	}
	if want := []string{StepTrustPolicy, StepAssociate, StepUnannotate, StepRestart, StepVerify, StepRemoveIRSATrust, StepRollback}; !slices.Equal(names, want) {
		t.Fatalf("steps %v, want %v", names, want)
	}

	// 1. Both trusts: the original IRSA statement byte for byte, plus Pod Identity's.
	tr := argvs(stepOf(t, p, StepTrustPolicy))
	if len(tr) != 1 || len(tr[0]) != 1 {
		t.Fatalf("trust-policy commands %v", tr)
	}
	argv := tr[0][0]
	if !slices.Equal(argv[:6], []string{"aws", "iam", "update-assume-role-policy", "--role-name", "billing-api", "--policy-document"}) || !slices.Equal(argv[7:], []string{"--region", "us-west-2"}) {
		t.Fatalf("trust-policy argv %q", argv)
	}
	both := mustPolicy(argv[6])
	irsa := irsaRequest(mustRole(testRole), w.in.Inventory.Identities[0], testIssuer)
	pid := podIdentityRequest(mustRole(testRole), w.in.Inventory.Identities[0])
	if policy.Explain(both, irsa).Verdict != policy.Allows || policy.Explain(both, pid).Verdict != policy.Allows {
		t.Errorf("the new policy must allow IRSA and Pod Identity: %s", argv[6])
	}
	if !strings.Contains(strings.Join(stepOf(t, p, StepTrustPolicy).Prose, "\n"), "+      \"Sid\": \"AllowEksAuthToAssumeRoleForPodIdentity\",") {
		t.Errorf("the prose lacks the diff: %q", stepOf(t, p, StepTrustPolicy).Prose)
	}

	checks := []struct {
		step string
		want []Command
	}{
		{StepAssociate, []Command{Cmd("aws", "eks", "create-pod-identity-association", "--cluster-name", "prod", "--namespace", "payments",
			"--service-account", "billing-api", "--role-arn", testRole, "--region", "us-west-2")}},
		{StepUnannotate, []Command{Cmd("kubectl", "annotate", "serviceaccount", "billing-api", "--namespace=payments", "eks.amazonaws.com/role-arn-", "--context=prod")}},
		{StepRestart, []Command{Cmd("kubectl", "rollout", "restart", "deployment/billing-api", "--namespace=payments", "--context=prod"),
			Cmd("kubectl", "rollout", "status", "deployment/billing-api", "--namespace=payments", "--timeout=5m", "--context=prod")}},
		{StepVerify, []Command{Cmd("kubectl", "irsa-probe", "--namespace=payments", "--prove", "--service-account=billing-api", "--cluster=prod",
			"--region=us-west-2", "--canary-pod-spec=canary.json", "--context=prod")}},
		{StepRollback, []Command{
			Cmd("kubectl", "annotate", "serviceaccount", "billing-api", "--namespace=payments", "--overwrite", "eks.amazonaws.com/role-arn="+testRole, "--context=prod"),
			Pipe([]string{"aws", "eks", "list-pod-identity-associations", "--cluster-name", "prod", "--namespace", "payments", "--service-account", "billing-api",
				"--query", "associations[].associationId", "--output", "text", "--region", "us-west-2"},
				[]string{"xargs", "-r", "-n", "1", "aws", "eks", "delete-pod-identity-association", "--cluster-name", "prod", "--region", "us-west-2", "--association-id"}),
			Cmd("kubectl", "rollout", "restart", "deployment/billing-api", "--namespace=payments", "--context=prod"),
			Cmd("kubectl", "rollout", "status", "deployment/billing-api", "--namespace=payments", "--timeout=5m", "--context=prod"),
		}},
	}
	for _, c := range checks {
		if got := argvs(stepOf(t, p, c.step)); !equalCommands(got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.step, got, c.want)
		}
	}

	// 6. The IRSA statement removed, Pod Identity's kept.
	rm := argvs(stepOf(t, p, StepRemoveIRSATrust))
	if len(rm) != 1 || !slices.Equal(rm[0][0][:6], []string{"aws", "iam", "update-assume-role-policy", "--role-name", "billing-api", "--policy-document"}) {
		t.Fatalf("remove-irsa-trust %q", rm)
	}
	later := mustPolicy(rm[0][0][6])
	if policy.Explain(later, irsa).Verdict != policy.Denies || policy.Explain(later, pid).Verdict != policy.Allows {
		t.Errorf("after step 6 the policy must deny IRSA and allow Pod Identity: %s", rm[0][0][6])
	}
}

// TestPlanSharedIRSAStatementStays: a statement that admits the whole
// namespace is not removed in step 6; the prose says so.
func TestPlanSharedIRSAStatementStays(t *testing.T) {
	w := newWorld()
	wide := strings.Replace(irsaOnlyPolicy, `"StringEquals": {
          "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud": "sts.amazonaws.com",
          "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub": "system:serviceaccount:payments:billing-api"
        }`, `"StringLike": {
          "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub": "system:serviceaccount:payments:*"
        }`, 1)
	if wide == irsaOnlyPolicy {
		t.Fatal("the test's policy did not change")
	}
	w.in.Policies = []fleet.PolicyChange{{Role: "billing-api", File: "wide.json", Doc: mustPolicy(wide)}}
	s := stepOf(t, planOf(t, w), StepRemoveIRSATrust)
	if len(s.Commands) != 0 || !strings.Contains(strings.Join(s.Prose, " "), "Statement 1 also admits other service accounts: it stays") {
		t.Errorf("step 6 for a namespace-wide statement: %q %q", s.Prose, argvs(s))
	}
}

// TestPlanWithoutPolicyOrCluster: without --trust-policy the first step
// prints the explain pipeline; without --cluster the name is a
// placeholder and the prose says so; an existing association is not
// created again and the rollback deletes it by id.
func TestPlanWithoutPolicyOrCluster(t *testing.T) {
	w := newWorld()
	w.listing.Cluster = ""
	w.in.Region = ""
	p := planOf(t, w)
	if got, want := argvs(stepOf(t, p, StepTrustPolicy)), []Command{Pipe(
		[]string{"aws", "iam", "get-role", "--role-name", "billing-api", "--output", "json"},
		[]string{"irsa-probe", "trust-policy", "--explain", "-", "--pod-identity", "--subject", "system:serviceaccount:payments:billing-api"})}; !equalCommands(got, want) {
		t.Errorf("trust-policy %q, want %q", got, want)
	}
	a := stepOf(t, p, StepAssociate)
	if a.Commands[0].Argv[0][4] != "CLUSTER_NAME" || !strings.Contains(strings.Join(a.Prose, " "), "--cluster NAME") {
		t.Errorf("associate without --cluster: %q %q", a.Prose, argvs(a))
	}
	if got, want := argvs(stepOf(t, p, StepRemoveIRSATrust)), []Command{Pipe(
		[]string{"aws", "iam", "get-role", "--role-name", "billing-api", "--output", "json"},
		[]string{"irsa-probe", "trust-policy", "--explain", "-", "--issuer", testIssuer, "--subject", "system:serviceaccount:payments:billing-api"})}; !equalCommands(got, want) {
		t.Errorf("remove-irsa-trust %q, want %q", got, want)
	}

	w = newWorld()
	w.listing.AssociationsRead = true
	w.listing.Associations = []fleet.Association{{Namespace: "payments", ServiceAccount: "billing-api", RoleARN: testRole, ID: "a-0123456789abcdef0"}}
	p = planOf(t, w)
	if s := stepOf(t, p, StepAssociate); len(s.Commands) != 0 {
		t.Errorf("an existing association is created again: %q", argvs(s))
	}
	rb := argvs(stepOf(t, p, StepRollback))
	if want := Cmd("aws", "eks", "delete-pod-identity-association", "--cluster-name", "prod", "--association-id", "a-0123456789abcdef0", "--region", "us-west-2"); !equalCommands(rb[1:2], []Command{want}) {
		t.Errorf("rollback's delete %q, want %q", rb[1], want)
	}
}

// TestPlanCrossAccount: the association names a role of the cluster's
// account and chains to the other account's, without session tags.
func TestPlanCrossAccount(t *testing.T) {
	w := newWorld()
	other := "arn:aws:iam::444455556666:role/billing-api"
	w.listing.ServiceAccounts[0].Metadata.Annotations[fleet.AnnotationRoleARN] = other
	p := planOf(t, w)
	want := Cmd("aws", "eks", "create-pod-identity-association", "--cluster-name", "prod", "--namespace", "payments", "--service-account", "billing-api",
		"--role-arn", "arn:aws:iam::111122223333:role/ROLE_IN_CLUSTER_ACCOUNT", "--target-role-arn", other, "--disable-session-tags", "--region", "us-west-2")
	if got := argvs(stepOf(t, p, StepAssociate)); !equalCommands(got, []Command{want}) {
		t.Errorf("cross-account association %q, want %q", got, want)
	}
	if p.Verdict != VerdictBlocked {
		t.Errorf("verdict %s", p.Verdict)
	}
}

// TestPlanRestartKinds: one command per workload; a Job's pods are
// deleted by name, a bare pod is prose.
func TestPlanRestartKinds(t *testing.T) {
	w := newWorld()
	job := deploymentPod("payments", "x", "a", "billing-api", "ip-10-0-1-1", testRole)
	job.Metadata.Name, job.Metadata.Labels = "nightly-abcde", nil
	job.Metadata.OwnerReferences = []fleet.OwnerRef{{Kind: "Job", Name: "nightly", Controller: yes()}}
	bare := deploymentPod("payments", "x", "b", "billing-api", "ip-10-0-1-1", testRole)
	bare.Metadata.Name, bare.Metadata.Labels, bare.Metadata.OwnerReferences = "debug", nil, nil
	w.listing.Pods = append(w.listing.Pods, job, bare)
	s := stepOf(t, planOf(t, w), StepRestart)
	want := []Command{
		Cmd("kubectl", "rollout", "restart", "deployment/billing-api", "--namespace=payments", "--context=prod"),
		Cmd("kubectl", "delete", "pod", "nightly-abcde", "--namespace=payments", "--context=prod"),
		Cmd("kubectl", "rollout", "status", "deployment/billing-api", "--namespace=payments", "--timeout=5m", "--context=prod"),
	}
	if got := argvs(s); !equalCommands(got, want) {
		t.Errorf("restart %q, want %q", got, want)
	}
	if !strings.Contains(strings.Join(s.Prose, " "), "Pod debug is bare") {
		t.Errorf("prose %q", s.Prose)
	}
}

// TestPlanRefusesUnprintable: a value the renderer refuses leaves the
// command out, with the reason, never a line with the rune in it.
func TestPlanRefusesUnprintable(t *testing.T) {
	w := newWorld()
	w.in.ProveFlags = []string{"--canary-pod-spec=a\x1b[2Jb.json"}
	c := stepOf(t, planOf(t, w), StepVerify).Commands[0]
	if c.Line != "" || !strings.Contains(c.Error, `\x1b`) {
		t.Errorf("verify command %+v", c)
	}
}

// TestReportJSON: the documented fields, on one line.
func TestReportJSON(t *testing.T) {
	w := newWorld()
	w.in.Inventory = fleet.Build(&w.listing)
	r := NewReport(&w.in)
	var b strings.Builder
	if err := r.JSON(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Count(b.String(), "\n") != 1 {
		t.Errorf("not one line: %q", b.String())
	}
	var got struct {
		Scope           string `json:"scope"`
		ServiceAccounts []struct {
			Namespace, ServiceAccount, RoleArn, Verdict string
			Findings                                    []struct{ Code, Severity string }
			Steps                                       []struct {
				Step     string
				Commands []struct {
					Argv [][]string
					Line string
				}
			}
		} `json:"serviceAccounts"`
		ExitCode int `json:"exitCode"`
	}
	if err := json.Unmarshal([]byte(b.String()), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.ServiceAccounts) != 1 || got.ServiceAccounts[0].Verdict != "ready" || got.ServiceAccounts[0].Steps[2].Commands[0].Line !=
		"kubectl annotate serviceaccount billing-api --namespace=payments eks.amazonaws.com/role-arn- --context=prod" || got.ExitCode != 0 {
		t.Errorf("JSON %s", b.String())
	}
}

func equalCommands(a, b []Command) bool {
	return slices.EqualFunc(a, b, func(x, y Command) bool {
		return slices.EqualFunc(x, y, func(p, q []string) bool { return slices.Equal(p, q) })
	})
}

func mustRole(s string) iam.RoleARN {
	r, err := iam.ParseRoleARN(s)
	if err != nil {
		panic(err)
	}
	return r
}

// TestPlanNoneWhereIRSAStays: pods on Fargate or Windows keep IRSA, so
// there is no plan; a missing agent's plan is printed for after it.
func TestPlanNoneWhereIRSAStays(t *testing.T) {
	for label, value := range map[string]string{"eks.amazonaws.com/compute-type": "fargate", "kubernetes.io/os": "windows"} {
		w := newWorld()
		w.in.Nodes[0].Metadata.Labels[label] = value
		if p := planOf(t, w); len(p.Steps) != 0 {
			t.Errorf("%s=%s: %d steps, want none", label, value, len(p.Steps))
		}
	}
	w := newWorld()
	w.in.AgentPods = nil
	if p := planOf(t, w); len(p.Steps) != 7 || p.Verdict != VerdictBlocked {
		t.Errorf("no agent: %d steps, verdict %s", len(p.Steps), p.Verdict)
	}
}
