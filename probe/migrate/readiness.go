package migrate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/fleet"
	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/policy"
)

// Readiness codes: stable, for scripts (--output json). Never rename one,
// only add.
const (
	// CodeFargate: pods run on Fargate, where there is no Pod Identity
	// agent; they can only keep IRSA.
	CodeFargate = "pod-identity-on-fargate"
	// CodeWindows: pods run on Windows nodes, where the agent does not run.
	CodeWindows = "pod-identity-on-windows"
	// CodeAgentMissing: pods run on nodes without the agent's pod.
	CodeAgentMissing = "pod-identity-agent-missing"
	// CodeNodesUnread: the nodes or the agent's pods could not be
	// listed, so the three rules above were not applied.
	CodeNodesUnread = "nodes-unread"
	// CodeHostNetwork: pods on the node's network. Pod Identity works for
	// them; a port the agent holds on every node cannot be theirs too.
	CodeHostNetwork = "host-network"
	// CodeCrossAccount: the role is in another account than the
	// cluster's: an association names a role of the cluster's account and
	// chains to this one (targetRoleArn).
	CodeCrossAccount = "cross-account-role"
	// CodeSessionTagBudget: a chained role receives Pod Identity's session
	// tags, which use most of STS's packed size on their own.
	CodeSessionTagBudget = "session-tag-budget"
	// CodeTrustPolicyLacks: the role's trust policy does not let
	// pods.eks.amazonaws.com AssumeRole and TagSession (step 1 adds it).
	CodeTrustPolicyLacks = "trust-policy-lacks-pod-identity"
	// CodeTrustPolicyUnread: the trust policy was not given (--trust-policy).
	CodeTrustPolicyUnread = "trust-policy-unread"
	// CodeAssociationExists: an association already exists while the
	// annotation stays.
	CodeAssociationExists = "association-exists"
	// CodeSDKUnknown: the applications' AWS SDK versions are unknown.
	CodeSDKUnknown = "app-sdk-unknown"
	// CodeRoleARNInvalid: the annotation is not a role ARN.
	CodeRoleARNInvalid = fleet.CodeRoleARNInvalid
)

// Codes lists the readiness codes.
func Codes() []string {
	return []string{CodeFargate, CodeWindows, CodeAgentMissing, CodeNodesUnread, CodeHostNetwork, CodeCrossAccount,
		CodeSessionTagBudget, CodeTrustPolicyLacks, CodeTrustPolicyUnread, CodeAssociationExists, CodeSDKUnknown, CodeRoleARNInvalid}
}

// Severity of a readiness finding.
type Severity string

const (
	// Blocker: the service account cannot move as planned.
	Blocker Severity = "blocker"
	// Warning: it can move; read this first.
	Warning Severity = "warning"
	// Info: what is not known, and how to learn it.
	Info Severity = "info"
)

// Finding is one readiness finding: what, the values seen, what to do.
type Finding struct {
	Code     string            `json:"code"`
	Severity Severity          `json:"severity"`
	Message  string            `json:"message"`
	Evidence map[string]string `json:"evidence"`
	// Fix is prose; Commands the commands it names, one per line.
	Fix      string        `json:"fix,omitempty"`
	Commands []PlanCommand `json:"commands,omitempty"`
}

// The ports the agent holds in every node's network namespace
// (eks-pod-identity-agent, cmd/server.go: --port 80 on 169.254.170.23
// and fd00:ec2::23, --probe-port 2703 on localhost, --metrics-port 2705
// on 0.0.0.0).
var agentPorts = map[int]string{80: "the credentials endpoint", 2703: "the health probes", 2705: "the metrics"}

// Pod Identity's session tags measured against STS's packed-size budget
// (containers-roadmap#2413, CloudTrail's packedPolicySize): the six tags
// alone took 74 %, the application's own tags 37 % without Pod Identity
// and 112 % with it (PackedPolicyTooLargeException). Tag values scale
// the share; the estimate never goes below what was measured.
const (
	measuredTagShare = 74
	// measuredTagBytes is a short reading of that report's six keys and
	// values (it does not give them): a cluster ARN in us-east-1 with a
	// 10-character name, short namespace and service account, a
	// Deployment's pod name, a pod UID. Short, so longer values here
	// scale the estimate up early.
	measuredTagBytes   = 240
	packedLimitPercent = 100
)

// context is what the rules read about one service account.
type ruleContext struct {
	in      *Input
	id      *fleet.Identity
	role    iam.RoleARN
	roleErr error
	pods    []*fleet.Pod
	nodes   map[string]*fleet.Node
	agent   map[string]bool
	// policy is the trust policy given for the role, nil without one.
	policy *fleet.PolicyChange
}

// readiness applies every rule to one service account on IRSA.
func readiness(c *ruleContext) []Finding {
	var fs []Finding
	id := c.id
	subject := finding.Escape(id.Key())
	if c.roleErr != nil {
		fs = append(fs, Finding{Code: CodeRoleARNInvalid, Severity: Blocker,
			Message:  fmt.Sprintf("service account %s: annotation %s=%q is not a role ARN: %v", subject, fleet.AnnotationRoleARN, finding.Escape(id.RoleARN), c.roleErr),
			Evidence: map[string]string{"annotation": finding.Escape(id.RoleARN)},
			Fix:      "fix the annotation first: there is no role to associate"})
		return fs
	}
	fs = append(fs, nodeRules(c)...)
	fs = append(fs, hostNetworkRule(c)...)
	fs = append(fs, accountRules(c)...)
	fs = append(fs, trustPolicyRule(c)...)
	if id.Association != nil {
		a := id.Association
		same := "the same role"
		if a.RoleARN != id.RoleARN {
			same = "another role than the annotation's"
		}
		fs = append(fs, Finding{Code: CodeAssociationExists, Severity: Warning,
			Message: fmt.Sprintf("service account %s already has Pod Identity association %s (%s, %s) while its annotation names %s: pods created now get Pod Identity (the EKS pod identity webhook then leaves IRSA out), pods started before it keep IRSA until recreated, and a container that carries both sets of variables uses IRSA: %s",
				subject, finding.Escape(a.ID), finding.Escape(a.RoleARN), same, finding.Escape(id.RoleARN), finding.SDKOrder),
			Evidence: map[string]string{"association": finding.Escape(a.ID), "association_role": finding.Escape(a.RoleARN), "annotation_role": finding.Escape(id.RoleARN)},
			Fix:      "the plan skips the association step; it removes the annotation and restarts the workloads"})
	}
	if len(c.pods) > 0 {
		f := Finding{Code: CodeSDKUnknown, Severity: Info,
			Message:  fmt.Sprintf("the AWS SDK versions of %s's applications are unknown: SDKs older than Pod Identity's support ignore AWS_CONTAINER_CREDENTIALS_FULL_URI or refuse the agent's address (\"invalid endpoint host 169.254.170.23, only loopback hosts are allowed\")", subject),
			Evidence: map[string]string{"workloads": strings.Join(workloadNames(c.pods), ", ")},
			Fix:      "learn each workload's SDK and version from one of its pods (an ephemeral container reads the application's files; it is not attached unless you run this):"}
		for _, p := range onePodPerWorkload(c.pods) {
			argv := slices.Concat(c.in.Plugin, []string{"--namespace=" + id.Namespace, p.Metadata.Name}, kubectlFlags(c.in))
			f.Commands = append(f.Commands, planCommand(Cmd(argv...)))
		}
		fs = append(fs, f)
	}
	return fs
}

// nodeRules: where the pods run. Pods not scheduled yet are not judged.
func nodeRules(c *ruleContext) []Finding {
	if len(c.pods) == 0 {
		return nil
	}
	if !c.in.NodesListed || !c.in.AgentListed {
		what := "the nodes"
		if c.in.NodesListed {
			what = "the Pod Identity agent's pods (kube-system)"
		}
		return []Finding{{Code: CodeNodesUnread, Severity: Warning,
			Message:  fmt.Sprintf("%s could not be listed: whether %s's pods run on Fargate, on Windows or on nodes without the Pod Identity agent was not checked", what, finding.Escape(c.id.Key())),
			Evidence: map[string]string{"nodes_listed": strconv.FormatBool(c.in.NodesListed), "agent_listed": strconv.FormatBool(c.in.AgentListed)},
			Fix:      "ask for list on nodes, and on pods in kube-system, then run this again"}}
	}
	var fargate, windows, noAgent []string
	nodesOf := map[string][]string{}
	for _, p := range c.pods {
		n := p.Spec.NodeName
		if n == "" {
			continue
		}
		node := c.nodes[n]
		var labels map[string]string
		if node != nil {
			labels = node.Metadata.Labels
		}
		pn := finding.Escape(p.Metadata.Name)
		switch {
		case labels[LabelComputeType] == computeFargate:
			fargate = append(fargate, pn)
			nodesOf[CodeFargate] = appendOnce(nodesOf[CodeFargate], finding.Escape(n))
		case labels[LabelOS] == osWindows:
			windows = append(windows, pn)
			nodesOf[CodeWindows] = appendOnce(nodesOf[CodeWindows], finding.Escape(n))
		case labels[LabelComputeType] == computeAuto:
			// EKS Auto Mode nodes carry the agent built in.
		case !c.agent[n]:
			noAgent = append(noAgent, pn)
			nodesOf[CodeAgentMissing] = appendOnce(nodesOf[CodeAgentMissing], finding.Escape(n))
		}
	}
	var fs []Finding
	subject := finding.Escape(c.id.Key())
	if len(fargate) > 0 {
		fs = append(fs, Finding{Code: CodeFargate, Severity: Blocker,
			Message:  fmt.Sprintf("%s of %s %s on Fargate (node label %s=%s): EKS Pod Identity is not available on Fargate, so these pods can only keep IRSA", podsWord(fargate), subject, runs(fargate), LabelComputeType, computeFargate),
			Evidence: map[string]string{"pods": strings.Join(fargate, ", "), "nodes": strings.Join(nodesOf[CodeFargate], ", ")},
			Fix:      "keep this service account on IRSA, or move its pods to EC2 nodes (a Fargate profile's selector decides)"})
	}
	if len(windows) > 0 {
		fs = append(fs, Finding{Code: CodeWindows, Severity: Blocker,
			Message:  fmt.Sprintf("%s of %s %s on Windows nodes (%s=%s): the Pod Identity agent runs on Linux nodes only, so these pods can only keep IRSA", podsWord(windows), subject, runs(windows), LabelOS, osWindows),
			Evidence: map[string]string{"pods": strings.Join(windows, ", "), "nodes": strings.Join(nodesOf[CodeWindows], ", ")},
			Fix:      "keep this service account on IRSA"})
	}
	if len(noAgent) > 0 {
		f := Finding{Code: CodeAgentMissing, Severity: Blocker,
			Message:  fmt.Sprintf("%s of %s %s on nodes without a running %s pod: their SDKs would get no answer from 169.254.170.23", podsWord(noAgent), subject, runs(noAgent), AgentDaemonSet),
			Evidence: map[string]string{"pods": strings.Join(noAgent, ", "), "nodes": strings.Join(nodesOf[CodeAgentMissing], ", ")},
			Fix:      "install the agent (the EKS add-on), wait until its pod runs on every node, then run this again:"}
		cluster := c.in.Inventory.Listing.Cluster
		if cluster == "" {
			cluster = "CLUSTER_NAME"
		}
		f.Commands = []PlanCommand{
			planCommand(Cmd(withRegion(c.in, "aws", "eks", "create-addon", "--cluster-name", cluster, "--addon-name", AgentDaemonSet)...)),
			planCommand(Cmd(slices.Concat([]string{"kubectl", "rollout", "status", "daemonset/" + AgentDaemonSet, "--namespace=" + AgentNamespace, "--timeout=5m"}, kubectlFlags(c.in))...)),
		}
		fs = append(fs, f)
	}
	return fs
}

// hostNetworkRule: the agent serves on the node's network namespace
// (its DaemonSet has hostNetwork: true; cmd/server.go binds
// 169.254.170.23:80 and [fd00:ec2::23]:80) and checks only the request's
// Host header and the token, never the caller's address
// (internal/validation/request.go, validateRequestTargetHost): a
// host-network pod reaches it like any other. What it cannot do is
// listen on a port the agent holds.
func hostNetworkRule(c *ruleContext) []Finding {
	var pods, conflicts []string
	for _, p := range c.pods {
		if !p.Spec.HostNetwork {
			continue
		}
		pods = append(pods, finding.Escape(p.Metadata.Name))
		for _, ct := range slices.Concat(p.Spec.InitContainers, p.Spec.Containers) {
			for _, port := range ct.Ports {
				for _, n := range []int{port.ContainerPort, port.HostPort} {
					if what, ok := agentPorts[n]; ok {
						conflicts = appendOnce(conflicts, fmt.Sprintf("%s/%s port %d (the agent's %s)", finding.Escape(p.Metadata.Name), finding.Escape(ct.Name), n, what))
					}
				}
			}
		}
	}
	if len(pods) == 0 {
		return nil
	}
	f := Finding{Code: CodeHostNetwork, Severity: Info,
		Message:  fmt.Sprintf("%s of %s %s on the node's network (hostNetwork): Pod Identity works for them, as the agent listens on 169.254.170.23:80 in the node's network namespace and checks the Host header and the token, not the caller's address", podsWord(pods), finding.Escape(c.id.Key()), runs(pods)),
		Evidence: map[string]string{"pods": strings.Join(pods, ", ")},
	}
	if len(conflicts) > 0 {
		f.Severity = Warning
		f.Message += fmt.Sprintf("; they declare ports the agent holds on every node: %s, so the agent or the application cannot bind on the same node", strings.Join(conflicts, "; "))
		f.Evidence["ports"] = strings.Join(conflicts, "; ")
		f.Fix = "move the application off ports 80, 2703 and 2705 of the node before it moves"
	}
	return []Finding{f}
}

// accountRules: a role of another account than the cluster's.
func accountRules(c *ruleContext) []Finding {
	acct := c.in.ClusterAccount
	if acct == "" || c.role.Account == acct {
		return nil
	}
	subject := finding.Escape(c.id.Key())
	role := c.role.String()
	share := tagShare(c)
	return []Finding{
		{Code: CodeCrossAccount, Severity: Blocker,
			Message:  fmt.Sprintf("role %s of %s is in account %s, the cluster in %s: an association names a role of the cluster's account and EKS chains from it to this one (targetRoleArn); that first role does not exist yet", finding.Escape(role), subject, c.role.Account, acct),
			Evidence: map[string]string{"role": finding.Escape(role), "role_account": c.role.Account, "cluster_account": acct},
			Fix:      fmt.Sprintf("create a role in account %s that trusts pods.eks.amazonaws.com (irsa-probe trust-policy --pod-identity prints it) and may sts:AssumeRole and sts:TagSession on %s; let %s trust that role with the association's external id; then name it in step 2 instead of ROLE_IN_CLUSTER_ACCOUNT", acct, finding.Escape(role), finding.Escape(role))},
		{Code: CodeSessionTagBudget, Severity: Warning,
			Message: fmt.Sprintf("the chained session to %s carries Pod Identity's six session tags (transitive), which on their own took %d%% of STS's packed-size budget in containers-roadmap#2413; estimated for this service account's values: %d%%, leaving %d%% for any tags the application adds when it assumes further roles (over 100%% is PackedPolicyTooLarge)",
				finding.Escape(role), measuredTagShare, share, max(0, packedLimitPercent-share)),
			Evidence: map[string]string{"estimated_percent": strconv.Itoa(share), "measured_percent": strconv.Itoa(measuredTagShare)},
			Fix:      "step 2 passes --disable-session-tags: the session then carries no tags (policies that read aws:PrincipalTag/kubernetes-namespace and the like stop matching); drop it if they do and the budget allows"},
	}
}

// tagShare estimates the packed share of the six tags: the measured 74 %
// scaled up by this service account's longer values, never down.
func tagShare(c *ruleContext) int {
	cluster := c.in.Inventory.Listing.Cluster
	longestPod := 0
	for _, p := range c.pods {
		longestPod = max(longestPod, len(p.Metadata.Name))
	}
	longestPod = max(longestPod, len(c.id.ServiceAccount)+17) // a Deployment's pod: name-hash-suffix
	// eks-cluster-arn (arn:aws:eks:REGION:ACCOUNT:cluster/NAME), eks-cluster-name,
	// kubernetes-namespace, kubernetes-service-account, kubernetes-pod-name,
	// kubernetes-pod-uid (36), and the six keys.
	bytes := (len("arn:aws:eks:ap-southeast-2:111122223333:cluster/") + len(cluster)) + len(cluster) +
		len(c.id.Namespace) + len(c.id.ServiceAccount) + longestPod + 36 +
		len("eks-cluster-arneks-cluster-namekubernetes-namespacekubernetes-service-accountkubernetes-pod-namekubernetes-pod-uid")
	share := measuredTagShare * bytes / measuredTagBytes
	return max(share, measuredTagShare)
}

// trustPolicyRule evaluates the role's trust policy, when given, for Pod
// Identity.
func trustPolicyRule(c *ruleContext) []Finding {
	subject := finding.Escape(c.id.Key())
	doc := c.policy
	if c.crossAccount() {
		return nil // the role that needs Pod Identity's trust is not this one
	}
	if doc == nil {
		return []Finding{{Code: CodeTrustPolicyUnread, Severity: Info,
			Message:  fmt.Sprintf("the trust policy of %s (%s's role) was not given: step 1 shows the minimal edit from the policy itself; with --trust-policy %s=FILE this plan carries it", finding.Escape(c.role.String()), subject, c.role.Name),
			Evidence: map[string]string{"role": finding.Escape(c.role.String())}}}
	}
	e, refused := podIdentityEdit(doc.Doc, podIdentityRequest(c.role, c.id))
	if e.Verdict == policy.Allows {
		return nil
	}
	f := Finding{Code: CodeTrustPolicyLacks, Severity: Warning,
		Message:  fmt.Sprintf("the trust policy of %s (%s) does not let %s assume it with sts:AssumeRole and sts:TagSession: Pod Identity would be refused", finding.Escape(c.role.String()), finding.Escape(doc.File), policy.PodIdentityService),
		Evidence: map[string]string{"role": finding.Escape(c.role.String()), "file": finding.Escape(doc.File), "reasons": strings.Join(e.Codes(), ", ")},
		Fix:      "step 1 applies the minimal edit"}
	if refused != "" {
		f.Severity = Blocker
		f.Fix = refused
	}
	return []Finding{f}
}

// podIdentityEdit is the explanation of doc for Pod Identity, and why its
// minimal edit is not for a migration plan: none was found, or it would
// change a Deny statement (a Deny is someone's decision, not a mistake).
func podIdentityEdit(doc *policy.Document, req policy.Request) (*policy.Explanation, string) {
	e := policy.Explain(doc, req)
	if e.Verdict == policy.Allows {
		return e, ""
	}
	if e.Edit == nil {
		return e, "no edit of this policy lets Pod Identity in: edit it by hand"
	}
	for _, i := range e.Edit.Changed {
		if i >= 0 && i < len(doc.Statements) && doc.Statements[i].Deny {
			return e, fmt.Sprintf("statement %d denies Pod Identity: the only edit that lets it in changes that Deny, which is a decision to take, not a mistake: edit it by hand", i+1)
		}
	}
	return e, ""
}

// policyIndex finds the policy given for a role by its name (IAM role
// names are unique case-insensitively within an account), then its
// account when given as an ARN: one map lookup per service account.
type policyIndex map[string][]policyEntry

type policyEntry struct {
	arn *iam.RoleARN // nil when given by name
	pc  *fleet.PolicyChange
}

func indexPolicies(ps []fleet.PolicyChange) policyIndex {
	idx := policyIndex{}
	for i := range ps {
		e := policyEntry{pc: &ps[i]}
		name := ps[i].Role
		if strings.HasPrefix(name, "arn:") {
			r, err := iam.ParseRoleARN(name)
			if err != nil {
				continue
			}
			e.arn, name = &r, r.Name
		}
		k := strings.ToLower(name)
		idx[k] = append(idx[k], e)
	}
	return idx
}

// lookup is the first policy given for r, nil for none.
func (idx policyIndex) lookup(r iam.RoleARN) *fleet.PolicyChange {
	for _, e := range idx[strings.ToLower(r.Name)] {
		if e.arn == nil || (e.arn.Account == r.Account && e.arn.Partition == r.Partition) {
			return e.pc
		}
	}
	return nil
}

func podIdentityRequest(r iam.RoleARN, id *fleet.Identity) policy.Request {
	return policy.Request{Partition: r.Partition, Account: r.Account, PodIdentity: true,
		Subject: "system:serviceaccount:" + id.Namespace + ":" + id.ServiceAccount}
}

func irsaRequest(r iam.RoleARN, id *fleet.Identity, issuer string) policy.Request {
	aud := id.Audience
	if aud == "" {
		aud = iam.DefaultAudience
	}
	return policy.Request{Partition: r.Partition, Account: r.Account, Issuer: issuer, Audience: aud,
		Subject: "system:serviceaccount:" + id.Namespace + ":" + id.ServiceAccount}
}

func appendOnce(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func podsWord(names []string) string {
	if len(names) == 1 {
		return "pod " + names[0]
	}
	shown := names[:min(3, len(names))]
	more := ""
	if len(names) > 3 {
		more = fmt.Sprintf(" and %d more", len(names)-3)
	}
	return fmt.Sprintf("%d pods (%s%s)", len(names), strings.Join(shown, ", "), more)
}

func runs(names []string) string {
	if len(names) == 1 {
		return "runs"
	}
	return "run"
}

func workloadNames(pods []*fleet.Pod) []string {
	var out []string
	for _, p := range pods {
		out = appendOnce(out, finding.Escape(fleet.WorkloadOf(p).String()))
	}
	return out
}

func onePodPerWorkload(pods []*fleet.Pod) []*fleet.Pod {
	seen := map[fleet.Workload]bool{}
	var out []*fleet.Pod
	for _, p := range pods {
		w := fleet.WorkloadOf(p)
		if !seen[w] {
			seen[w] = true
			out = append(out, p)
		}
	}
	return out
}

func kubectlFlags(in *Input) []string { return in.Inventory.Listing.Kubectl }

func withRegion(in *Input, argv ...string) []string {
	if in.Region != "" {
		return append(argv, "--region", in.Region)
	}
	return argv
}
