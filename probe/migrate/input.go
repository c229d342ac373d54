package migrate

import (
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/fleet"
)

// Node labels that say where EKS Pod Identity can run. The agent's own
// DaemonSet stays off Fargate, hybrid and Auto Mode nodes and non-Linux
// ones (eks-pod-identity-agent, charts/…/values.yaml, nodeAffinity):
// Fargate and Windows have no agent at all, Auto Mode nodes carry one
// built in, hybrid nodes run the chart's -hybrid DaemonSet.
const (
	LabelComputeType = "eks.amazonaws.com/compute-type"
	LabelOS          = "kubernetes.io/os"
	computeFargate   = "fargate"
	computeAuto      = "auto"
	osWindows        = "windows"
)

// AgentDaemonSet is the DaemonSet of the EKS add-on and of the chart
// (eks-pod-identity-agent, and eks-pod-identity-agent-hybrid).
const AgentDaemonSet = "eks-pod-identity-agent"

// AgentSelector lists the agent's pods: the chart's selector label, which
// the add-on's DaemonSet carries too.
const AgentSelector = "app.kubernetes.io/name=eks-pod-identity-agent"

// AgentNamespace is where the add-on runs its agent.
const AgentNamespace = "kube-system"

// Input is what the plugin listed for --migrate.
type Input struct {
	// Inventory is the fleet view's, built from its listings (and the
	// associations with --cluster: Inventory.Listing.AssociationsRead).
	Inventory *fleet.Inventory
	// Nodes are the cluster's nodes, when NodesListed (a namespace
	// editor without list on nodes gets readiness without them).
	Nodes       []fleet.Node
	NodesListed bool
	// AgentPods are the pods in kube-system (or those the agent's
	// selector lists), when AgentListed.
	AgentPods   []fleet.Pod
	AgentListed bool
	// Policies are the trust policies given with --trust-policy ROLE=FILE.
	Policies []fleet.PolicyChange
	// Issuer is the cluster's OIDC issuer (the API server's discovery, or
	// --issuer), for the IRSA statement; "" when unknown.
	Issuer string
	// ClusterAccount is the account the cluster is in, "" when unknown:
	// a role of another account needs a role of this one to chain from.
	ClusterAccount string
	// Region is --region, carried into the aws commands when set.
	Region string
	// Plugin is the argv that runs this plugin ("kubectl irsa-probe"),
	// for the verify step; ProveFlags are the --prove flags to carry
	// (--canary-pod-spec=FILE, --image=…).
	Plugin     []string
	ProveFlags []string
}

// agentNodes are the nodes where an agent pod runs.
func agentNodes(pods []fleet.Pod) map[string]bool {
	out := map[string]bool{}
	for i := range pods {
		p := &pods[i]
		w := fleet.WorkloadOf(p)
		if w.Kind != "daemonset" || !strings.HasPrefix(w.Name, AgentDaemonSet) || p.Status.Phase != "Running" || p.Spec.NodeName == "" {
			continue
		}
		out[p.Spec.NodeName] = true
	}
	return out
}

// podsOf are the live pods of each service account, by namespace/name.
func podsOf(l *fleet.Listing) map[string][]*fleet.Pod {
	out := map[string][]*fleet.Pod{}
	for i := range l.Pods {
		p := &l.Pods[i]
		if !p.Live() {
			continue
		}
		k := p.Metadata.Namespace + "/" + p.ServiceAccount()
		out[k] = append(out[k], p)
	}
	return out
}
