package plugin

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/eksapi"
	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/fleet"
	"github.com/irsa-probe/irsa-probe/probe/kube"
	"github.com/irsa-probe/irsa-probe/probe/migrate"
)

// agentListing is the Pod Identity agent's pods, and whether they could
// be listed.
type agentListing struct {
	pods   []fleet.Pod
	listed bool
}

// migrateAgentPods are the pods that may be the agent's: with -A the
// listing already holds kube-system's; with -n, one more call lists
// kube-system (a handful of pods; the agent is told apart by its
// DaemonSet, not by a label the add-on may not share).
func migrateAgentPods(ctx context.Context, r kube.Runner, o *options, f *fleetOptions, l *fleet.Listing) agentListing {
	if f.all && !unreadable(l, "pods") {
		var out []fleet.Pod
		for _, p := range l.Pods {
			if p.Metadata.Namespace == migrate.AgentNamespace {
				out = append(out, p)
			}
		}
		return agentListing{out, true}
	}
	b, err := r.Run(ctx, kube.Call{Args: o.flags.Args("get", "pods", "--namespace="+migrate.AgentNamespace, "--output=json"), Max: kube.ListMax})
	if err != nil {
		return agentListing{}
	}
	pods, err := fleet.DecodePods(b)
	return agentListing{pods, err == nil}
}

func unreadable(l *fleet.Listing, resource string) bool {
	for _, u := range l.Unreadable {
		if u.Resource == resource {
			return true
		}
	}
	return false
}

// runMigrate is --migrate: the nodes, the cluster (with --cluster: its
// associations, account and issuer), then package migrate decides. Read
// only: every command it prints is for the user to run.
func (p *Plugin) runMigrate(ctx context.Context, o *options, f *fleetOptions, l *fleet.Listing, agent agentListing, podSpec bool) (int, error) {
	in := &migrate.Input{AgentPods: agent.pods, AgentListed: agent.listed, Policies: f.trustPolicies, Region: f.region,
		Issuer: f.issuer, Plugin: []string{"kubectl", "irsa-probe"}}
	// A namespace's user seldom may list nodes: readiness then says what
	// it could not check, and the listing is not unreadable.
	if b, err := p.Kube.Run(ctx, kube.Call{Args: o.flags.Args("get", "nodes", "--output=json"), Max: kube.ListMax}); err == nil {
		if in.Nodes, err = fleet.DecodeNodes(b); err == nil {
			in.NodesListed = true
		}
	}
	if f.cluster != "" {
		readAssociations(ctx, l, o, f)
		c, err := describeCluster(ctx, o, f)
		if err != nil {
			u := fleet.Unreadable{Resource: "cluster", Message: finding.Escape(err.Error())}
			var ee *eksapi.Error
			if errors.As(err, &ee) {
				u.Forbidden, u.Fix = ee.Kind == eksapi.KindDenied, ee.Fix()
				if ee.Kind == eksapi.KindDenied {
					u.Fix = "allow eks:DescribeCluster on the cluster to the caller named above"
				}
			}
			l.Unreadable = append(l.Unreadable, u)
		}
		in.ClusterAccount = c.Account
		if in.Issuer == "" {
			in.Issuer = c.Issuer
		}
	}
	if in.Issuer == "" && len(f.trustPolicies) > 0 {
		in.Issuer = fleet.Issuer(ctx, p.Kube, o.flags, l)
	}
	if in.Issuer != "" && !strings.Contains(in.Issuer, "://") {
		in.Issuer = "https://" + in.Issuer
	}
	if podSpec {
		in.ProveFlags = append(in.ProveFlags, "--canary-pod-spec="+f.canaryPodSpec)
	}
	if o.image != ImageRepo+":"+p.Version {
		in.ProveFlags = append(in.ProveFlags, "--image="+o.image)
	}
	in.Inventory = fleet.Build(l)
	rep := migrate.NewReport(in)
	if f.output == "json" {
		return rep.Exit, rep.JSON(p.Stdout)
	}
	return rep.Exit, rep.Text(p.Stdout)
}

// describeCluster reads the cluster's account and issuer.
func describeCluster(ctx context.Context, o *options, f *fleetOptions) (eksapi.ClusterInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, min(o.timeout, time.Minute))
	defer cancel()
	cfg, err := eksapi.Load(ctx, f.region)
	if err != nil {
		return eksapi.ClusterInfo{}, err
	}
	return eksapi.Cluster(ctx, cfg, f.cluster)
}
