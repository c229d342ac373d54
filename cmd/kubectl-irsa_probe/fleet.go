package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/eksapi"
	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/fleet"
	"github.com/irsa-probe/irsa-probe/probe/policy"
	"github.com/irsa-probe/irsa-probe/probe/safefile"
)

// listTimeout is the least time the listings get.
const listTimeout = 30 * time.Second

// maxListOutput caps one listing: 5,000 pods are some 25 MiB of JSON.
const maxListOutput = 512 << 20

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
	fs.StringVar(&f.output, "output", "table", "without POD: table or json")
	fs.StringVar(&f.output, "o", "table", "same as --output")
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
func runFleet(ctx context.Context, k *kubectl, o *options, f *fleetOptions, stdout io.Writer) (int, error) {
	if f.output != "table" && f.output != "json" {
		return exitUsage, &hintError{msg: fmt.Sprintf("--output=%q: table or json", f.output), hint: "--output=json"}
	}
	if f.parallel < 1 {
		return exitUsage, &hintError{msg: fmt.Sprintf("--parallel=%d: at least 1", f.parallel), hint: "--parallel=5"}
	}
	// Reading is bounded by --timeout (at least listTimeout, which a big
	// cluster's listing may need even when canaries are given less): an
	// API server that does not answer is an unreadable line, not a hang.
	rctx, cancel := context.WithTimeout(ctx, max(o.timeout, listTimeout))
	defer cancel()
	var podSpec map[string]json.RawMessage
	if f.canaryPodSpec != "" {
		b, err := safefile.Read(f.canaryPodSpec, 64<<10)
		if err == nil {
			podSpec, err = fleet.ParsePodSpec(b)
		}
		if err != nil {
			return exitUsage, &hintError{msg: fmt.Sprintf("--canary-pod-spec %s: %v", f.canaryPodSpec, err), hint: `--canary-pod-spec=FILE with e.g. {"nodeSelector": {"pool": "apps"}}`}
		}
	}
	l := list(rctx, k, o, f)
	if f.cluster != "" {
		readAssociations(rctx, l, o, f)
	}
	inv := fleet.Build(l)
	issuer := f.issuer
	if len(f.trustPolicies) > 0 && issuer == "" {
		issuer = clusterIssuer(rctx, k, l)
	}
	if issuer != "" && !strings.Contains(issuer, "://") {
		issuer = "https://" + issuer
	}
	impact := fleet.Impact(inv, f.trustPolicies, issuer)
	if f.prove {
		var ids []*fleet.Identity
		for _, id := range inv.Identities {
			if id.Exists && id.Mechanism != fleet.MechanismNone {
				ids = append(ids, id)
			}
		}
		po := fleet.ProveOptions{CanaryOptions: fleet.CanaryOptions{RunID: runID(), Image: o.image, Timeout: o.timeout, TTL: 10 * time.Minute, PodSpec: podSpec},
			Parallel: f.parallel, Kubectl: k.global([]string{"x"})[1:]}
		fmt.Fprintf(k.stderr, "kubectl-irsa_probe: proving %d identities with canary Jobs labelled %s=%s, %d at once, each within %s\n", len(ids), fleet.LabelRun, po.RunID, po.Parallel, o.timeout)
		if err := fleet.Prove(ctx, &jobs{k: k, namespace: l.Namespace}, ids, po); err != nil {
			fmt.Fprintln(k.stderr, "kubectl-irsa_probe: error: "+err.Error())
		}
	}
	rep := fleet.NewReport(inv, impact, issuer)
	if f.output == "json" {
		_, _ = stdout.Write(rep.JSON())
	} else {
		rep.WriteTable(stdout)
	}
	return rep.Exit, nil
}

// list runs the three listings, each once for the whole scope.
func list(ctx context.Context, k *kubectl, o *options, f *fleetOptions) *fleet.Listing {
	l := &fleet.Listing{Namespace: o.namespace, Cluster: f.cluster, Kubectl: k.global([]string{"x"})[1:]}
	scope := "--all-namespaces"
	if !f.all {
		scope = "--namespace=" + o.namespace
	} else {
		l.Namespace = ""
	}
	get := func(resource string, args ...string) []byte {
		b, err := k.list(ctx, k.global(append([]string{"get", resource}, args...))...)
		if err != nil {
			l.Unreadable = append(l.Unreadable, fleet.ListFailed(l, resource, l.Namespace, err.Error()))
			return nil
		}
		return b
	}
	decodeErr := func(resource string, err error) {
		l.Unreadable = append(l.Unreadable, fleet.Unreadable{Resource: resource, Namespace: l.Namespace, Message: finding.Escape(err.Error())})
	}
	var err error
	if b := get("serviceaccounts", scope, "--output=json"); b != nil {
		if l.ServiceAccounts, err = fleet.DecodeServiceAccounts(b); err != nil {
			decodeErr("serviceaccounts", err)
		}
	}
	if b := get("pods", scope, "--output=json"); b != nil {
		if l.Pods, err = fleet.DecodePods(b); err != nil {
			decodeErr("pods", err)
		}
	}
	if f.all {
		if b := get("namespaces", "--output=json"); b != nil {
			if l.Namespaces, err = fleet.DecodeNamespaces(b); err != nil {
				decodeErr("namespaces", err)
			}
		}
		return l
	}
	// One namespace: a Role cannot grant get on it (namespaces are
	// cluster-scoped), so RBAC's refusal is expected and not a gap; only
	// a namespace that does not exist is said.
	b, err := k.list(ctx, k.global([]string{"get", "namespaces", o.namespace, "--output=json"})...)
	switch {
	case err == nil:
		if l.Namespaces, err = fleet.DecodeNamespaces(b); err != nil {
			decodeErr("namespaces", err)
		}
	case strings.Contains(err.Error(), "(NotFound)"):
		l.Unreadable = append(l.Unreadable, fleet.Unreadable{Resource: "namespaces", Namespace: o.namespace, Message: finding.Escape(err.Error()),
			Fix: "list the namespaces: " + shellJoin(append([]string{"kubectl", "get", "namespaces"}, l.Kubectl...))})
	default:
		l.Namespaces = []fleet.Namespace{{Metadata: fleet.Meta{Name: o.namespace}}}
	}
	return l
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

// clusterIssuer is the API server's service account issuer, from its
// OIDC discovery document; "" (and an Unreadable line) when it cannot be read.
func clusterIssuer(ctx context.Context, k *kubectl, l *fleet.Listing) string {
	b, err := k.output(ctx, k.global([]string{"get", "--raw", "/.well-known/openid-configuration"})...)
	var d struct {
		Issuer string `json:"issuer"`
	}
	if err == nil {
		err = json.Unmarshal(b, &d)
	}
	if err == nil && d.Issuer == "" {
		err = errors.New("the discovery document has no issuer")
	}
	if err != nil {
		u := fleet.ListFailed(l, "issuer", "", err.Error())
		u.Fix = "pass the issuer: --issuer=$(aws eks describe-cluster --name CLUSTER --query cluster.identity.oidc.issuer --output text)"
		l.Unreadable = append(l.Unreadable, u)
		return ""
	}
	return d.Issuer
}

// runID is a canary run's id: 6 hex digits, a valid label value.
func runID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// list is kubectl get's stdout, up to maxListOutput (more is an error, not
// a truncated list).
func (k *kubectl) list(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "kubectl", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &limited{w: &stdout, n: maxListOutput + 1}, &limited{w: &stderr, n: 64 << 10}
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s", strings.TrimSpace(orDefault(stderr.String(), err.Error())))
	}
	if stdout.Len() > maxListOutput {
		return nil, fmt.Errorf("kubectl %s printed more than %d MiB", strings.Join(args[:min(2, len(args))], " "), maxListOutput>>20)
	}
	return stdout.Bytes(), nil
}

// jobs is fleet.Kube with kubectl, in the listing's scope.
type jobs struct {
	k         *kubectl
	namespace string // "" for all namespaces
}

func (j *jobs) CreateJob(ctx context.Context, namespace string, job []byte) error {
	cmd := exec.CommandContext(ctx, "kubectl", j.k.global([]string{"create", "--namespace=" + namespace, "--filename=-", "--output=name"})...)
	cmd.Stdin = bytes.NewReader(job)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &limited{w: &stderr, n: 64 << 10}
	if err := cmd.Run(); err != nil {
		return errors.New(strings.TrimSpace(orDefault(stderr.String(), err.Error())))
	}
	return nil
}

func (j *jobs) CanaryPods(ctx context.Context, run string) ([]fleet.Pod, error) {
	scope := "--all-namespaces"
	if j.namespace != "" {
		scope = "--namespace=" + j.namespace
	}
	b, err := j.k.list(ctx, j.k.global([]string{"get", "pods", scope, "--selector=" + fleet.LabelRun + "=" + run, "--output=json"})...)
	if err != nil {
		return nil, err
	}
	return fleet.DecodePods(b)
}

func (j *jobs) Logs(ctx context.Context, namespace, pod, container string) ([]byte, error) {
	return j.k.list(ctx, j.k.global([]string{"logs", pod, "--namespace=" + namespace, "--container=" + container})...)
}

func (j *jobs) DeleteRun(ctx context.Context, namespace, run string) error {
	_, err := j.k.list(ctx, j.k.global([]string{"delete", "jobs", "--namespace=" + namespace, "--selector=" + fleet.LabelRun + "=" + run,
		"--cascade=background", "--ignore-not-found", "--wait=false"})...)
	return err
}

// withFleetUsage is the plugin's usage with the fleet view's: its
// synopsis under the POD one, its description before the flags.
func withFleetUsage(u string) string {
	first, rest, _ := strings.Cut(u, "\n")
	rest = strings.Replace(rest, "\nFlags:\n", "\n"+fleetUsage+"\nFlags:\n", 1)
	return first + "\n   or: kubectl irsa-probe -A | -n NAMESPACE [--cluster NAME] [--prove] [--trust-policy ROLE=FILE]\n" + rest
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
lock out. Exit 0 all consistent, 1 something broken (or locked out), 3 a
canary undecided, 4 something could not be read or proven.
`
