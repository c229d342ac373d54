package migrate

import (
	"fmt"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/fleet"
)

// BenchmarkPlansAtScale: 500 service accounts on IRSA, 5,000 pods on 100
// nodes with the agent, their trust policies given: readiness and plans,
// from the listing (the fleet view's scale).
func BenchmarkPlansAtScale(b *testing.B) {
	w := newWorld()
	w.listing.ServiceAccounts, w.listing.Pods, w.in.Nodes, w.in.AgentPods = nil, nil, nil, nil
	for n := range 100 {
		name := fmt.Sprintf("ip-10-0-%d-%d", n/250, n%250)
		w.in.Nodes = append(w.in.Nodes, node(name, map[string]string{"kubernetes.io/os": "linux"}))
		w.in.AgentPods = append(w.in.AgentPods, agentPod(name))
	}
	for i := range 500 {
		ns, sa := fmt.Sprintf("ns%d", i%100), fmt.Sprintf("sa%d", i)
		role := fmt.Sprintf("arn:aws:iam::111122223333:role/r%d", i)
		w.listing.ServiceAccounts = append(w.listing.ServiceAccounts, serviceAccount(ns, sa, role))
		for j := range 10 {
			w.listing.Pods = append(w.listing.Pods, deploymentPod(ns, sa, fmt.Sprintf("p%d", j), sa, w.in.Nodes[(i+j)%100].Metadata.Name, role))
		}
		w.in.Policies = append(w.in.Policies, fleet.PolicyChange{Role: role, File: "p.json", Doc: mustPolicy(irsaOnlyPolicy)})
	}
	w.in.Inventory = fleet.Build(&w.listing)
	b.ResetTimer()
	for b.Loop() {
		if ps := Plans(&w.in); len(ps) != 500 {
			b.Fatalf("%d plans", len(ps))
		}
	}
}
