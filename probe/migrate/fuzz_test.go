package migrate

import (
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/fleet"
	"github.com/irsa-probe/irsa-probe/probe/shellcmd/shelltest"
)

// FuzzPlanCommands: whatever a namespace editor writes into names,
// annotations, owner references and a pod's ports, and whatever the user
// passes as --context, every command the plan prints reads back through
// a real shell parser as exactly its argv, or is not printed (an error
// says why); nothing panics.
func FuzzPlanCommands(f *testing.F) {
	f.Add("payments", "billing-api", testRole, "billing-api-7d9f8b6c5", "ip-10-0-1-1", "prod", "--context=prod", 8080)
	f.Add("a'b", "$(id)", "arn:aws:iam::444455556666:role/x`id`", "r\x1b[2J", "fargate-\u202e", "c!!", "--kubeconfig=/a b/c", 80)
	f.Add("", "", " arn:aws:iam::111122223333:role/x ", "", "", "", "", -1)
	f.Fuzz(func(t *testing.T, ns, sa, role, owner, nodeName, cluster, kubectlFlag string, port int) {
		w := newWorld()
		w.listing.Cluster = cluster
		w.listing.Kubectl = []string{kubectlFlag}
		w.listing.ServiceAccounts = []fleet.ServiceAccount{serviceAccount(ns, sa, role)}
		p := deploymentPod(ns, "x", "y", sa, nodeName, role)
		p.Metadata.OwnerReferences[0].Name = owner
		p.Spec.HostNetwork = true
		p.Spec.Containers[0].Ports = []fleet.ContainerPort{{ContainerPort: port}}
		w.listing.Pods = []fleet.Pod{p}
		w.in.Nodes[0].Metadata.Name = nodeName
		w.in.AgentPods[0].Spec.NodeName = nodeName
		for _, c := range allCommands(w.plans()) {
			if c.Error != "" {
				if c.Line != "" {
					t.Fatalf("a refused command printed %q", c.Line)
				}
				continue
			}
			parsed, err := shelltest.Parse(c.Line)
			if err != nil {
				t.Fatalf("%q: %v", c.Line, err)
			}
			var got Command
			for _, pc := range parsed {
				got = append(got, pc.Argv)
			}
			if !equalCommands([]Command{got}, []Command{c.Argv}) {
				t.Fatalf("%q parses as %q, want %q", c.Line, got, c.Argv)
			}
		}
	})
}
