package plugin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/eksapi"
	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/fleet"
	"github.com/irsa-probe/irsa-probe/probe/hint"
	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/policy"
	"github.com/irsa-probe/irsa-probe/probe/safefile"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// fleetOptions are the flags of the fleet view (no POD: -A or -n NS).
type fleetOptions struct {
	all           bool
	cluster       string
	region        string
	prove         bool
	parallel      int
	trustPolicies trustPolicyFlag
	issuer        string
	output        string
	canaryPodSpec string
	// migrate plans the move from IRSA to EKS Pod Identity (read-only);
	// serviceAccounts narrows every mode to those (repeatable).
	migrate         bool
	serviceAccounts stringsFlag
}

func (f *fleetOptions) bind(fs *flag.FlagSet) {
	fs.BoolVar(&f.all, "A", false, "without POD: every namespace's identities")
	fs.BoolVar(&f.all, "all-namespaces", false, "same as -A")
	fs.StringVar(&f.cluster, "cluster", "", "without POD: the EKS cluster's name, to read its Pod Identity associations with this workstation's AWS credentials")
	fs.StringVar(&f.region, "region", "", "the cluster's region (default: the AWS SDK's, AWS_REGION or the profile's)")
	fs.BoolVar(&f.prove, "prove", false, "without POD: prove each identity with a canary Job that runs irsa-probe check as its service account")
	fs.IntVar(&f.parallel, "parallel", 5, "--prove: canary Jobs at once")
	fs.Var(&f.trustPolicies, "trust-policy", "without POD: ROLE=FILE, a proposed trust policy for ROLE (name or ARN): who keeps access, who loses it (repeatable)")
	fs.StringVar(&f.issuer, "issuer", "", "--trust-policy: the cluster's OIDC issuer (default: the API server's /.well-known/openid-configuration)")
	fs.StringVar(&f.canaryPodSpec, "canary-pod-spec", "", "--prove: a JSON file of pod spec fields for the canaries (nodeSelector, tolerations, affinity, imagePullSecrets, priorityClassName, runtimeClassName, hostNetwork, dnsPolicy, dnsConfig)")
	fs.BoolVar(&f.migrate, "migrate", false, "without POD: per service account on IRSA, whether it can move to EKS Pod Identity and the plan that moves it (commands to paste, the proof, the rollback); read-only")
	fs.Var(&f.serviceAccounts, "service-account", "without POD: only this service account (repeatable), for the view, --prove and --migrate")
	fs.StringVar(&f.output, "output", "table", "without POD: table or json")
	fs.StringVar(&f.output, "o", "table", "same as --output")
}

// stringsFlag is a repeatable string flag.
type stringsFlag []string

func (s *stringsFlag) String() string { return strings.Join(*s, ",") }

func (s *stringsFlag) Set(v string) error {
	if v == "" {
		return errors.New("empty")
	}
	*s = append(*s, v)
	return nil
}

// trustPolicyFlag is --trust-policy ROLE=FILE, repeatable.
type trustPolicyFlag []fleet.PolicyChange

func (t *trustPolicyFlag) String() string { return "" }

func (t *trustPolicyFlag) Set(v string) error {
	role, file, ok := strings.Cut(v, "=")
	if !ok || role == "" || file == "" {
		return fmt.Errorf("want ROLE=FILE (the role's name or ARN, and its proposed trust policy), got %q", v)
	}
	raw, err := policy.ReadFile(file)
	if err != nil {
		return fmt.Errorf("reading %s: %w", file, err)
	}
	doc, err := policy.Load(raw)
	if err != nil {
		var me *policy.MalformedError
		if errors.As(err, &me) {
			return fmt.Errorf("%s: not a trust policy: line %d, column %d: %s", file, me.Line, me.Column, me.Msg)
		}
		return fmt.Errorf("%s: not a trust policy: %w", file, err)
	}
	*t = append(*t, fleet.PolicyChange{Role: role, File: file, Doc: doc})
	return nil
}

// runFleet is the fleet view: list, join, judge, prove, render.
func (p *Plugin) runFleet(ctx context.Context, o *options, f *fleetOptions) (int, error) {
	if f.output != "table" && f.output != "json" {
		return verdict.ExitUsage, hint.Errorf(verdict.ExitUsage, "--output=json", "--output=%q: table or json", f.output)
	}
	if f.parallel < 1 {
		return verdict.ExitUsage, hint.Errorf(verdict.ExitUsage, "--parallel=5", "--parallel=%d: at least 1", f.parallel)
	}
	// Every kubectl call is bounded by --timeout (p.Kube is kube.Bounded):
	// an API server that does not answer stops the run, not hangs it.
	rctx := ctx
	var podSpec map[string]json.RawMessage
	if f.canaryPodSpec != "" {
		b, err := safefile.Read(f.canaryPodSpec, 64<<10)
		if err == nil {
			podSpec, err = fleet.ParsePodSpec(b)
		}
		if err != nil {
			return verdict.ExitUsage, hint.Errorf(verdict.ExitUsage, `--canary-pod-spec=FILE with e.g. {"nodeSelector": {"pool": "apps"}}`, "--canary-pod-spec %s: %v", f.canaryPodSpec, err)
		}
	}
	if f.migrate && f.prove {
		return verdict.ExitUsage, hint.Errorf(verdict.ExitUsage, "kubectl irsa-probe -n NAMESPACE --migrate, then the plan's own --prove", "--migrate is read-only: it prints the --prove that verifies each move; run that after the move")
	}
	scope := fleet.Scope{Namespace: o.namespace, All: f.all, Flags: o.flags}
	l := fleet.List(rctx, p.Kube, scope)
	l.Cluster = f.cluster
	if f.migrate {
		// The agent's pods are read from the whole listing, before it is
		// narrowed to --service-account.
		agent := migrateAgentPods(rctx, p.Kube, o, f, l)
		fleet.Select(l, f.serviceAccounts)
		return p.runMigrate(rctx, o, f, l, agent, podSpec != nil)
	}
	fleet.Select(l, f.serviceAccounts)
	if f.cluster != "" {
		readAssociations(rctx, l, o, f)
	}
	inv := fleet.Build(l)
	issuer := f.issuer
	if len(f.trustPolicies) > 0 && issuer == "" {
		issuer = fleet.Issuer(rctx, p.Kube, o.flags, l)
	}
	issuer = iam.NormalizeIssuer(issuer)
	impact := fleet.Impact(inv, f.trustPolicies, issuer)
	var proveErr error
	if f.prove {
		var ids []*fleet.Identity
		for _, id := range inv.Identities {
			if id.Exists && id.Mechanism != iam.MechanismNone {
				ids = append(ids, id)
			}
		}
		po := fleet.ProveOptions{CanaryOptions: fleet.CanaryOptions{RunID: runID(), Image: o.image, Timeout: o.timeout, TTL: 10 * time.Minute, PodSpec: podSpec},
			Parallel: f.parallel, Kubectl: o.flags.Global(), Issuer: issuer, Cluster: f.cluster}
		fmt.Fprintf(p.Stderr, "kubectl-irsa_probe: proving %d identities with canary Jobs labelled %s=%s, %d at once, each within %s\n", len(ids), fleet.LabelRun, po.RunID, po.Parallel, o.timeout)
		if proveErr = fleet.Prove(ctx, &fleet.Jobs{R: p.Kube, Flags: o.flags, Namespace: l.Namespace}, ids, po); proveErr != nil {
			// Prose lines carry the prefix; a command (two spaces in) is
			// printed as it pastes, on a line of its own.
			for _, line := range strings.Split(proveErr.Error(), "\n") {
				if strings.HasPrefix(line, "  ") {
					fmt.Fprintln(p.Stderr, line)
					continue
				}
				hint.Printer{Prog: "kubectl-irsa_probe", W: p.Stderr}.Lines("error", line)
			}
		}
	}
	rep := fleet.NewReport(inv, impact, issuer)
	if proveErr != nil && rep.Exit != verdict.ExitBroken {
		// A canary Job left behind (its delete command printed above)
		// fails the run: it runs on in the cluster until its TTL.
		rep.Exit = verdict.ExitError
	}
	if f.output == "json" {
		_, _ = p.Stdout.Write(rep.JSON())
	} else {
		rep.WriteTable(p.Stdout)
	}
	return rep.Exit, nil
}

// readAssociations adds the cluster's associations, or says why not.
func readAssociations(ctx context.Context, l *fleet.Listing, o *options, f *fleetOptions) {
	ctx, cancel := context.WithTimeout(ctx, min(o.timeout, time.Minute))
	defer cancel()
	cfg, err := eksapi.Load(ctx, f.region)
	if err == nil {
		l.Associations, err = eksapi.Associations(ctx, cfg, f.cluster, l.Namespace)
	}
	if err != nil {
		u := fleet.Unreadable{Resource: "associations", Namespace: l.Namespace, Message: finding.Escape(err.Error())}
		var ee *eksapi.Error
		if errors.As(err, &ee) {
			u.Forbidden, u.Fix = ee.Kind == eksapi.KindDenied, ee.Fix()
		}
		l.Unreadable = append(l.Unreadable, u)
		return
	}
	l.AssociationsRead = true
}

// runID is a canary run's id: 6 hex digits, a valid label value.
func runID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// withFleetUsage is the plugin's usage with the fleet view's: its
// synopsis under the POD one, its description before the flags.
func withFleetUsage(u string) string {
	first, rest, _ := strings.Cut(u, "\n")
	rest = strings.Replace(rest, "\nFlags:\n", "\n"+fleetUsage+"\nFlags:\n", 1)
	return first + "\n   or: kubectl irsa-probe -A | -n NAMESPACE [--service-account NAME] [--cluster NAME] [--prove] [--trust-policy ROLE=FILE]\n   or: kubectl irsa-probe -A | -n NAMESPACE --migrate [--cluster NAME] [--trust-policy ROLE=FILE]\n" + rest
}

const fleetUsage = `Without POD: every AWS identity of the cluster (-A) or of one namespace,
from one listing each of service accounts, pods and namespaces: each
service account's role and mechanism, its pods, and drift (pods whose role
differs from their service account's today, pods without the identity
their service account now has, both mechanisms at once, associations of
service accounts that do not exist) with the restarts that fix it.
--cluster adds the EKS Pod Identity associations (read with this
workstation's AWS credentials); --prove runs a canary Job per identity as
its service account; --trust-policy says who a proposed trust policy would
lock out. --migrate plans, per service account on IRSA, its move to EKS
Pod Identity: blockers (Fargate, Windows, nodes without the agent, a role
of another account), then the commands to paste, the proof and the
rollback (read-only; exit 1 when one is blocked). Exit 0 all consistent, 1 something broken (or locked out), 3 a
canary undecided, 4 something could not be read or proven.
`
