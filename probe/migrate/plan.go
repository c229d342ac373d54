package migrate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/fleet"
	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/policy"
)

// Verdicts of a service account.
const (
	// VerdictReady: no blocker; the plan runs as printed.
	VerdictReady = "ready"
	// VerdictBlocked: a blocker; the plan is printed for what it would be.
	VerdictBlocked = "blocked"
)

// The steps, in order. Stable names, for scripts.
const (
	StepTrustPolicy     = "trust-policy"
	StepAssociate       = "associate"
	StepUnannotate      = "remove-annotation"
	StepRestart         = "restart"
	StepVerify          = "verify"
	StepRemoveIRSATrust = "remove-irsa-trust"
	StepRollback        = "rollback"
)

// Steps lists the steps in order.
func Steps() []string {
	return []string{StepTrustPolicy, StepAssociate, StepUnannotate, StepRestart, StepVerify, StepRemoveIRSATrust, StepRollback}
}

// PlanCommand is a command of the plan: its argv words and the line
// printed for it (empty, with Error, when a word cannot be printed).
type PlanCommand struct {
	Argv  Command `json:"argv"`
	Line  string  `json:"line"`
	Error string  `json:"error,omitempty"`
}

func planCommand(c Command) PlanCommand {
	l, err := Line(c)
	pc := PlanCommand{Argv: c, Line: l}
	if err != nil {
		pc.Error = err.Error()
	}
	return pc
}

// Step is one step of the plan: prose lines, then commands.
type Step struct {
	Step     string        `json:"step"`
	Title    string        `json:"title"`
	Prose    []string      `json:"prose"`
	Commands []PlanCommand `json:"commands"`
}

// Plan is one service account's verdict, findings and steps.
type Plan struct {
	Namespace      string    `json:"namespace"`
	ServiceAccount string    `json:"serviceAccount"`
	RoleARN        string    `json:"roleArn"`
	Pods           int       `json:"pods"`
	Workloads      []string  `json:"workloads"`
	Verdict        string    `json:"verdict"`
	Findings       []Finding `json:"findings"`
	Steps          []Step    `json:"steps"`
}

// Key is namespace/name.
func (p *Plan) Key() string { return p.Namespace + "/" + p.ServiceAccount }

// Plans judges and plans every service account on IRSA (annotated) in
// the inventory, in its order.
func Plans(in *Input) []*Plan {
	l := in.Inventory.Listing
	pods := podsOf(l)
	nodes := map[string]*fleet.Node{}
	for i := range in.Nodes {
		nodes[in.Nodes[i].Metadata.Name] = &in.Nodes[i]
	}
	agent := agentNodes(in.AgentPods)
	policies := indexPolicies(in.Policies)
	out := []*Plan{}
	for _, id := range in.Inventory.Identities {
		if id.RoleARN == "" || !id.Exists {
			continue
		}
		c := &ruleContext{in: in, id: id, pods: pods[id.Key()], nodes: nodes, agent: agent}
		c.role, c.roleErr = iam.ParseRoleARN(id.RoleARN)
		if c.roleErr == nil {
			c.policy = policies.lookup(c.role)
		}
		p := &Plan{Namespace: id.Namespace, ServiceAccount: id.ServiceAccount, RoleARN: finding.Escape(id.RoleARN),
			Pods: len(c.pods), Workloads: workloadNames(c.pods), Verdict: VerdictReady}
		if p.Workloads == nil {
			p.Workloads = []string{}
		}
		p.Findings = readiness(c)
		for _, f := range p.Findings {
			if f.Severity == Blocker {
				p.Verdict = VerdictBlocked
			}
		}
		p.Steps = []Step{}
		if c.roleErr == nil && !stays(p.Findings) {
			p.Steps = steps(c)
		}
		out = append(out, p)
	}
	return out
}

// stays: pods on Fargate or Windows can only keep IRSA, so there is no
// plan to print (a missing agent or a cross-account role can be fixed,
// and their plans are printed for after that).
func stays(fs []Finding) bool {
	for _, f := range fs {
		if f.Code == CodeFargate || f.Code == CodeWindows {
			return true
		}
	}
	return false
}

// steps is the plan, in order.
func steps(c *ruleContext) []Step {
	return []Step{trustStep(c), associateStep(c), unannotateStep(c), restartStep(c, StepRestart), verifyStep(c), removeIRSATrustStep(c), rollbackStep(c)}
}

func (c *ruleContext) cluster() string {
	if cl := c.in.Inventory.Listing.Cluster; cl != "" {
		return cl
	}
	return "CLUSTER_NAME"
}

func (c *ruleContext) kubectl(args ...string) Command {
	return Cmd(slices.Concat([]string{"kubectl"}, args, kubectlFlags(c.in))...)
}

func (c *ruleContext) crossAccount() bool {
	return c.in.ClusterAccount != "" && c.role.Account != c.in.ClusterAccount
}

// trustStep: the role's trust policy with both trusts, as the minimal
// edit of the policy given; without one, the command that prints that
// edit from the role's own policy.
func trustStep(c *ruleContext) Step {
	s := Step{Step: StepTrustPolicy, Title: "Let EKS Pod Identity assume the role, keeping IRSA's trust", Prose: []string{}, Commands: []PlanCommand{}}
	role := c.role
	if c.crossAccount() {
		s.Prose = append(s.Prose, fmt.Sprintf("%s is in another account: the role of the cluster's account that step 2 names trusts pods.eks.amazonaws.com (irsa-probe trust-policy --pod-identity); this role trusts that one (see %s).", role.String(), CodeCrossAccount))
		return s
	}
	doc := c.policy
	if doc == nil {
		s.Prose = append(s.Prose, "Evaluate the role's trust policy for Pod Identity; where it denies, this prints the minimal edit (every other statement kept byte for byte). Apply it with aws iam update-assume-role-policy, or pass --trust-policy "+role.Name+"=FILE to have it in this plan.")
		s.Commands = append(s.Commands, planCommand(Pipe(
			withRegion(c.in, "aws", "iam", "get-role", "--role-name", role.Name, "--output", "json"),
			[]string{"irsa-probe", "trust-policy", "--explain", "-", "--pod-identity", "--subject", "system:serviceaccount:" + c.id.Namespace + ":" + c.id.ServiceAccount})))
		return s
	}
	e, refused := podIdentityEdit(doc.Doc, podIdentityRequest(role, c.id))
	switch {
	case e.Verdict == policy.Allows:
		s.Prose = append(s.Prose, fmt.Sprintf("%s already lets pods.eks.amazonaws.com assume the role with sts:AssumeRole and sts:TagSession: nothing to change.", finding.Escape(doc.File)))
	case refused != "":
		s.Prose = append(s.Prose, fmt.Sprintf("%s: %s (%s).", finding.Escape(doc.File), refused, strings.Join(e.Codes(), ", ")))
	default:
		s.Prose = append(s.Prose, fmt.Sprintf("The minimal edit of %s (every other statement kept byte for byte):", finding.Escape(doc.File)))
		for _, l := range strings.Split(strings.TrimRight(e.Edit.Diff, "\n"), "\n") {
			s.Prose = append(s.Prose, finding.Escape(l))
		}
		s.Commands = append(s.Commands, planCommand(Cmd(withRegion(c.in, "aws", "iam", "update-assume-role-policy", "--role-name", role.Name, "--policy-document", compact(e.Edit.Policy))...)))
	}
	return s
}

// compact is a policy on one line: a command of one line pastes the same
// in every shell.
func compact(doc string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(doc)) != nil {
		return doc
	}
	return b.String()
}

func associateStep(c *ruleContext) Step {
	s := Step{Step: StepAssociate, Title: "Associate the service account with the role", Prose: []string{}, Commands: []PlanCommand{}}
	if a := c.id.Association; a != nil {
		s.Prose = append(s.Prose, fmt.Sprintf("Association %s (role %s) exists already: nothing to create.", finding.Escape(a.ID), finding.Escape(a.RoleARN)))
		return s
	}
	argv := []string{"aws", "eks", "create-pod-identity-association", "--cluster-name", c.cluster(),
		"--namespace", c.id.Namespace, "--service-account", c.id.ServiceAccount}
	if c.crossAccount() {
		argv = append(argv, "--role-arn", "arn:"+c.role.Partition+":iam::"+c.in.ClusterAccount+":role/ROLE_IN_CLUSTER_ACCOUNT",
			"--target-role-arn", c.role.String(), "--disable-session-tags")
		s.Prose = append(s.Prose, "Name the role of the cluster's account (see "+CodeCrossAccount+") for ROLE_IN_CLUSTER_ACCOUNT; EKS chains from it to "+c.role.String()+" ("+CodeSessionTagBudget+" says why without session tags).")
	} else {
		argv = append(argv, "--role-arn", c.role.String())
	}
	if c.in.Inventory.Listing.Cluster == "" {
		s.Prose = append(s.Prose, "The cluster's name was not given (--cluster NAME): put it for CLUSTER_NAME.")
	}
	s.Commands = append(s.Commands, planCommand(Cmd(withRegion(c.in, argv...)...)))
	return s
}

func unannotateStep(c *ruleContext) Step {
	return Step{Step: StepUnannotate, Title: "Remove the IRSA annotation",
		Prose:    []string{"Pods created from now on get Pod Identity only; running pods keep IRSA until recreated."},
		Commands: []PlanCommand{planCommand(c.kubectl("annotate", "serviceaccount", c.id.ServiceAccount, "--namespace="+c.id.Namespace, fleet.AnnotationRoleARN+"-"))}}
}

// restartStep recreates the service account's pods, one command per
// workload: a rollout restart where kubectl has one, else deleting the
// pods their Job or ReplicaSet recreates; a bare pod is prose.
func restartStep(c *ruleContext, name string) Step {
	s := Step{Step: name, Title: "Recreate the pods, so the webhook injects the new identity", Prose: []string{}, Commands: []PlanCommand{}}
	var order []fleet.Workload
	byW := map[fleet.Workload][]string{}
	for _, p := range c.pods {
		w := fleet.WorkloadOf(p)
		if _, ok := byW[w]; !ok {
			order = append(order, w)
		}
		byW[w] = append(byW[w], p.Metadata.Name)
	}
	for _, w := range order {
		switch w.Kind {
		case "deployment", "statefulset", "daemonset":
			s.Commands = append(s.Commands, planCommand(c.kubectl("rollout", "restart", w.Kind+"/"+w.Name, "--namespace="+c.id.Namespace)))
		case "pod":
			s.Prose = append(s.Prose, fmt.Sprintf("Pod %s is bare: nothing recreates it; delete it and apply its manifest again.", finding.Escape(w.Name)))
		default:
			s.Prose = append(s.Prose, fmt.Sprintf("%s %s recreates the pods deleted here.", w.Kind, finding.Escape(w.Name)))
			s.Commands = append(s.Commands, planCommand(c.kubectl(slices.Concat([]string{"delete", "pod"}, byW[w], []string{"--namespace=" + c.id.Namespace})...)))
		}
	}
	// Then wait for each rollout, so what comes next (the proof, or the
	// next paste) sees the new pods, not the old ones still terminating.
	for _, w := range order {
		switch w.Kind {
		case "deployment", "statefulset", "daemonset":
			s.Commands = append(s.Commands, planCommand(c.kubectl("rollout", "status", w.Kind+"/"+w.Name, "--namespace="+c.id.Namespace, "--timeout=5m")))
		}
	}
	if len(order) == 0 {
		s.Prose = append(s.Prose, "No pod of this service account runs: nothing to recreate.")
	}
	return s
}

// verifyStep proves exactly this service account with a canary Job, on
// the cluster's associations.
func verifyStep(c *ruleContext) Step {
	argv := slices.Concat(c.in.Plugin, []string{"--namespace=" + c.id.Namespace, "--prove", "--service-account=" + c.id.ServiceAccount})
	if cl := c.in.Inventory.Listing.Cluster; cl != "" {
		argv = append(argv, "--cluster="+cl)
		if c.in.Region != "" {
			argv = append(argv, "--region="+c.in.Region)
		}
	}
	argv = slices.Concat(argv, c.in.ProveFlags, kubectlFlags(c.in))
	return Step{Step: StepVerify, Title: "Prove the identity as a new pod gets it",
		Prose:    []string{"A canary Job runs irsa-probe check as this service account; its row must read pod-identity, ok. Then watch the application's own errors."},
		Commands: []PlanCommand{planCommand(Cmd(argv...))}}
}

// removeIRSATrustStep: once every pod runs on Pod Identity, the IRSA
// statement goes: only statements that admit this service account and
// no other, so a statement shared with other service accounts stays.
func removeIRSATrustStep(c *ruleContext) Step {
	s := Step{Step: StepRemoveIRSATrust, Title: "Later, once no pod uses IRSA: remove the IRSA trust", Prose: []string{}, Commands: []PlanCommand{}}
	doc := c.policy
	if c.crossAccount() {
		s.Prose = append(s.Prose, "Remove the Federated statement for this service account from "+c.role.String()+"'s trust policy, once the rollback is no longer needed.")
		return s
	}
	if doc == nil || c.in.Issuer == "" {
		s.Prose = append(s.Prose, "Once the rollback is no longer needed, remove the statement that trusts the cluster's OIDC provider for this service account; this names it:")
		issuer := c.in.Issuer
		if issuer == "" {
			issuer = "https://oidc.eks.REGION.amazonaws.com/id/ID"
		}
		s.Commands = append(s.Commands, planCommand(Pipe(
			withRegion(c.in, "aws", "iam", "get-role", "--role-name", c.role.Name, "--output", "json"),
			[]string{"irsa-probe", "trust-policy", "--explain", "-", "--issuer", issuer, "--subject", "system:serviceaccount:" + c.id.Namespace + ":" + c.id.ServiceAccount})))
		return s
	}
	// The policy after step 1, then without the statements that admit
	// this service account by web identity and nobody else.
	text := doc.Doc.Text
	if e, refused := podIdentityEdit(doc.Doc, podIdentityRequest(c.role, c.id)); e.Edit != nil && refused == "" {
		text = e.Edit.Policy
	}
	after, err := policy.Load([]byte(text))
	if err != nil {
		s.Prose = append(s.Prose, "The policy after step 1 does not parse: "+finding.Escape(err.Error()))
		return s
	}
	req := irsaRequest(c.role, c.id, c.in.Issuer)
	other := req
	other.Subject = "system:serviceaccount:" + c.id.Namespace + ":" + c.id.ServiceAccount + "-irsa-probe-other"
	var drop []int
	var shared []string
	for _, st := range after.Statements {
		one := onlyStatement(after, st.Index)
		if one == nil || policy.Explain(one, req).Verdict != policy.Allows {
			continue
		}
		if policy.Explain(one, other).Verdict == policy.Allows {
			shared = append(shared, fmt.Sprintf("%d", st.Index+1))
			continue
		}
		drop = append(drop, st.Index)
	}
	if len(shared) > 0 {
		s.Prose = append(s.Prose, "Statement "+strings.Join(shared, ", ")+" also admits other service accounts: it stays; narrow it by hand if none of them needs it.")
	}
	if len(drop) == 0 {
		s.Prose = append(s.Prose, "No statement admits this service account alone: nothing to remove.")
		return s
	}
	out, err := policy.Remove(after, drop...)
	if err != nil {
		s.Prose = append(s.Prose, "The IRSA statement cannot be removed: "+finding.Escape(err.Error())+".")
		return s
	}
	s.Prose = append(s.Prose, "Once the rollback is no longer needed: the policy without the statement that admits this service account by web identity.")
	s.Commands = append(s.Commands, planCommand(Cmd(withRegion(c.in, "aws", "iam", "update-assume-role-policy", "--role-name", c.role.Name, "--policy-document", compact(out))...)))
	return s
}

// onlyStatement is doc with statement i alone, to ask whom it admits.
func onlyStatement(doc *policy.Document, i int) *policy.Document {
	var drop []int
	for _, st := range doc.Statements {
		if st.Index != i {
			drop = append(drop, st.Index)
		}
	}
	text, err := policy.Remove(doc, drop...)
	if err != nil {
		return nil
	}
	d, err := policy.Load([]byte(text))
	if err != nil {
		return nil
	}
	return d
}

// rollbackStep returns the service account to IRSA: the annotation back,
// the pods recreated, the association deleted (found by namespace and
// service account: its id is EKS's, known once created).
func rollbackStep(c *ruleContext) Step {
	s := Step{Step: StepRollback, Title: "Rollback: back to IRSA", Prose: []string{"Paste in this order; the IRSA trust must still be in place (step 6 not done)."}, Commands: []PlanCommand{}}
	s.Commands = append(s.Commands, planCommand(c.kubectl("annotate", "serviceaccount", c.id.ServiceAccount, "--namespace="+c.id.Namespace, "--overwrite", fleet.AnnotationRoleARN+"="+c.role.String())))
	if c.id.Association == nil {
		list := withRegion(c.in, "aws", "eks", "list-pod-identity-associations", "--cluster-name", c.cluster(),
			"--namespace", c.id.Namespace, "--service-account", c.id.ServiceAccount, "--query", "associations[].associationId", "--output", "text")
		del := withRegion(c.in, "xargs", "-r", "-n", "1", "aws", "eks", "delete-pod-identity-association", "--cluster-name", c.cluster())
		// xargs appends the id last: --association-id must come last.
		del = append(del, "--association-id")
		s.Commands = append(s.Commands, planCommand(Pipe(list, del)))
	} else {
		s.Prose = append(s.Prose, fmt.Sprintf("Association %s existed before this plan: delete it only if it was made for this migration.", finding.Escape(c.id.Association.ID)))
		s.Commands = append(s.Commands, planCommand(Cmd(withRegion(c.in, "aws", "eks", "delete-pod-identity-association", "--cluster-name", c.cluster(), "--association-id", c.id.Association.ID)...)))
	}
	r := restartStep(c, StepRestart)
	s.Prose = append(s.Prose, "EKS applies an association's deletion within seconds (it is eventually consistent): a pod recreated sooner may still get Pod Identity; --prove tells.")
	s.Prose = append(s.Prose, r.Prose...)
	s.Commands = append(s.Commands, r.Commands...)
	return s
}
