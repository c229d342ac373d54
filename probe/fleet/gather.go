package fleet

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/kube"
)

// Scope is what the fleet view lists.
type Scope struct {
	// Namespace is the one namespace (-n); ignored when All.
	Namespace string
	All       bool
	// Flags are the user's kubectl global flags, on every call and fix.
	Flags kube.Flags
}

// List runs the three listings, each once for the whole scope. What
// cannot be listed is an Unreadable line of the Listing, never an error:
// the rest is still judged.
func List(ctx context.Context, r kube.Runner, s Scope) *Listing {
	l := &Listing{Namespace: s.Namespace, Kubectl: s.Flags.Global()}
	scope := "--all-namespaces"
	if !s.All {
		scope = "--namespace=" + s.Namespace
	} else {
		l.Namespace = ""
	}
	get := func(resource string, args ...string) []byte {
		b, err := r.Run(ctx, kube.Call{Args: s.Flags.Args(append([]string{"get", resource}, args...)...), Max: kube.ListMax})
		if err != nil {
			l.Unreadable = append(l.Unreadable, listFailed(l, resource, l.Namespace, err))
			return nil
		}
		return b
	}
	decodeErr := func(resource string, err error) {
		l.Unreadable = append(l.Unreadable, Unreadable{Resource: resource, Namespace: l.Namespace, Message: finding.Escape(err.Error())})
	}
	var err error
	if b := get("serviceaccounts", scope, "--output=json"); b != nil {
		if l.ServiceAccounts, err = DecodeServiceAccounts(b); err != nil {
			decodeErr("serviceaccounts", err)
		}
	}
	if b := get("pods", scope, "--output=json"); b != nil {
		if l.Pods, err = DecodePods(b); err != nil {
			decodeErr("pods", err)
		}
	}
	if s.All {
		if b := get("namespaces", "--output=json"); b != nil {
			if l.Namespaces, err = DecodeNamespaces(b); err != nil {
				decodeErr("namespaces", err)
			}
		}
		return l
	}
	// One namespace: a Role cannot grant get on it (namespaces are
	// cluster-scoped), so RBAC's refusal is expected and not a gap; only
	// a namespace that does not exist is said.
	b, err := r.Run(ctx, kube.Call{Args: s.Flags.Args("get", "namespaces", s.Namespace, "--output=json")})
	switch {
	case err == nil:
		if l.Namespaces, err = DecodeNamespaces(b); err != nil {
			decodeErr("namespaces", err)
		}
	case kube.IsReason(err, kube.ReasonNotFound):
		l.Unreadable = append(l.Unreadable, Unreadable{Resource: "namespaces", Namespace: s.Namespace, Message: finding.Escape(err.Error()),
			Fix: "List the namespaces:\n" + commandOrWhy(append([]string{"kubectl", "get", "namespaces"}, l.Kubectl...))})
	default:
		l.Namespaces = []Namespace{{Metadata: Meta{Name: s.Namespace}}}
	}
	return l
}

// Issuer is the API server's service account issuer, from its OIDC
// discovery document; "" (and an Unreadable line in l) when it cannot be
// read.
func Issuer(ctx context.Context, r kube.Runner, flags kube.Flags, l *Listing) string {
	args := flags.Args("get", "--raw", "/.well-known/openid-configuration")
	b, err := r.Run(ctx, kube.Call{Args: args})
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
		u := listFailed(l, "issuer", "", err)
		u.Fix = "Pass the issuer with --issuer=ISSUER; EKS prints it with:\n" +
			commandOrWhy([]string{"aws", "eks", "describe-cluster", "--name", cmp.Or(l.Cluster, "CLUSTER"), "--query", "cluster.identity.oidc.issuer", "--output", "text"})
		l.Unreadable = append(l.Unreadable, u)
		return ""
	}
	return d.Issuer
}

// Jobs is the Kube that proving uses, run with kubectl in the listing's
// scope.
type Jobs struct {
	R     kube.Runner
	Flags kube.Flags
	// Namespace is the listed namespace, "" for all.
	Namespace string
}

var _ Kube = (*Jobs)(nil)

// CreateJob creates the Job and reads its uid from the object the API
// server returned (--output=json): the one fact that tells its pods from
// pods labelled like them.
func (j *Jobs) CreateJob(ctx context.Context, namespace string, job []byte) (string, error) {
	b, err := j.R.Run(ctx, kube.Call{Args: j.Flags.Args("create", "--namespace="+namespace, "--filename=-", "--output=json"), Stdin: job})
	if err != nil {
		return "", err
	}
	var created struct {
		Kind     string `json:"kind"`
		Metadata struct {
			UID string `json:"uid"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(b, &created); err != nil || created.Kind != "Job" || created.Metadata.UID == "" {
		return "", fmt.Errorf("kubectl create printed no Job with a uid (%v)", err)
	}
	return created.Metadata.UID, nil
}

func (j *Jobs) CanaryPods(ctx context.Context, run string) ([]Pod, error) {
	scope := "--all-namespaces"
	if j.Namespace != "" {
		scope = "--namespace=" + j.Namespace
	}
	b, err := j.R.Run(ctx, kube.Call{Args: j.Flags.Args("get", "pods", scope, "--selector="+LabelRun+"="+run, "--output=json"), Max: kube.ListMax})
	if err != nil {
		return nil, err
	}
	return DecodePods(b)
}

// maxCanaryLog caps a canary's log: the probe prints one report of a few
// KiB, and anyone who can edit the namespace can make the pod print more.
const maxCanaryLog = 4 << 20

func (j *Jobs) Logs(ctx context.Context, namespace, pod, container string) ([]byte, error) {
	return j.R.Run(ctx, kube.Call{Args: j.Flags.Args("logs", pod, "--namespace="+namespace, "--container="+container), Max: maxCanaryLog})
}

func (j *Jobs) DeleteRun(ctx context.Context, namespace, run string) error {
	_, err := j.R.Run(ctx, kube.Call{Args: j.Flags.Args("delete", "jobs", "--namespace="+namespace, "--selector="+LabelRun+"="+run,
		"--cascade=background", "--ignore-not-found", "--wait=false")})
	return err
}
