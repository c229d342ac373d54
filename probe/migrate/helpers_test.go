package migrate

import (
	"github.com/irsa-probe/irsa-probe/probe/fleet"
	"github.com/irsa-probe/irsa-probe/probe/policy"
)

// The cluster of the tests: account 111122223333, cluster prod in
// us-west-2, issuer of an EKS cluster.
const (
	testAccount = "111122223333"
	testIssuer  = "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	testRole    = "arn:aws:iam::111122223333:role/billing-api"
)

func yes() *bool { b := true; return &b }

func serviceAccount(ns, name, role string) fleet.ServiceAccount {
	sa := fleet.ServiceAccount{Metadata: fleet.Meta{Name: name, Namespace: ns}}
	if role != "" {
		sa.Metadata.Annotations = map[string]string{fleet.AnnotationRoleARN: role}
	}
	return sa
}

// deploymentPod is a running pod of Deployment deploy, on node, with
// IRSA's env when role is set.
func deploymentPod(ns, deploy, suffix, sa, node, role string) fleet.Pod {
	p := fleet.Pod{Metadata: fleet.Meta{Name: deploy + "-7d9f8b6c5-" + suffix, Namespace: ns,
		Labels:          map[string]string{"pod-template-hash": "7d9f8b6c5"},
		OwnerReferences: []fleet.OwnerRef{{Kind: "ReplicaSet", Name: deploy + "-7d9f8b6c5", Controller: yes()}}}}
	p.Spec.ServiceAccountName = sa
	p.Spec.NodeName = node
	c := fleet.Container{Name: "app"}
	if role != "" {
		c.Env = []fleet.EnvVar{{Name: "AWS_ROLE_ARN", Value: role}, {Name: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}}
	}
	p.Spec.Containers = []fleet.Container{c}
	p.Status.Phase = "Running"
	return p
}

func node(name string, labels map[string]string) fleet.Node {
	return fleet.Node{Metadata: fleet.Meta{Name: name, Labels: labels}}
}

// agentPod is the add-on's agent pod on node.
func agentPod(nodeName string) fleet.Pod {
	p := fleet.Pod{Metadata: fleet.Meta{Name: "eks-pod-identity-agent-" + nodeName, Namespace: "kube-system",
		Labels:          map[string]string{"app.kubernetes.io/name": "eks-pod-identity-agent"},
		OwnerReferences: []fleet.OwnerRef{{Kind: "DaemonSet", Name: "eks-pod-identity-agent", Controller: yes()}}}}
	p.Spec.NodeName = nodeName
	p.Status.Phase = "Running"
	return p
}

// world is a cluster: payments/billing-api on IRSA with one Deployment
// pod on node ip-10-0-1-1, which runs the agent.
type world struct {
	listing fleet.Listing
	in      Input
}

func newWorld() *world {
	w := &world{}
	w.listing = fleet.Listing{
		Cluster:         "prod",
		ServiceAccounts: []fleet.ServiceAccount{serviceAccount("payments", "billing-api", testRole), serviceAccount("payments", "default", "")},
		Pods:            []fleet.Pod{deploymentPod("payments", "billing-api", "x2k4q", "billing-api", "ip-10-0-1-1", testRole)},
		Namespaces:      []fleet.Namespace{{Metadata: fleet.Meta{Name: "payments"}}},
		Kubectl:         []string{"--context=prod"},
	}
	w.in = Input{
		Nodes:       []fleet.Node{node("ip-10-0-1-1", map[string]string{"kubernetes.io/os": "linux"})},
		NodesListed: true,
		AgentPods:   []fleet.Pod{agentPod("ip-10-0-1-1")},
		AgentListed: true,
		Issuer:      testIssuer, ClusterAccount: testAccount, Region: "us-west-2",
		Plugin: []string{"kubectl", "irsa-probe"},
	}
	return w
}

func (w *world) plans() []*Plan {
	w.in.Inventory = fleet.Build(&w.listing)
	return Plans(&w.in)
}

// irsaOnlyPolicy is billing-api's trust policy today: IRSA for
// payments/billing-api only.
const irsaOnlyPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
      },
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {
        "StringEquals": {
          "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud": "sts.amazonaws.com",
          "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub": "system:serviceaccount:payments:billing-api"
        }
      }
    }
  ]
}`

func mustPolicy(text string) *policy.Document {
	d, err := policy.Load([]byte(text))
	if err != nil {
		panic(err)
	}
	return d
}
