package fleet

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// The service account annotations the EKS pod identity webhook reads
// (amazon-eks-pod-identity-webhook, README "eks.amazonaws.com/…").
const (
	AnnotationRoleARN           = "eks.amazonaws.com/role-arn"
	AnnotationAudience          = "eks.amazonaws.com/audience"
	AnnotationRegionalEndpoints = "eks.amazonaws.com/sts-regional-endpoints"
	AnnotationTokenExpiration   = "eks.amazonaws.com/token-expiration"
)

// The mechanisms, named as irsa-probe check's report names them.
const (
	MechanismIRSA        = "irsa"
	MechanismPodIdentity = "pod-identity"
	MechanismBoth        = "both"
	MechanismNone        = "none"
)

// The env the webhook injects for each mechanism.
const (
	envRoleARN       = "AWS_ROLE_ARN"
	envTokenFile     = "AWS_WEB_IDENTITY_TOKEN_FILE"
	envFullURI       = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
	envAuthTokenFile = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
)

// Association is an EKS Pod Identity association of the cluster.
type Association struct {
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
	RoleARN        string `json:"roleArn"`
	ID             string `json:"associationId"`
}

// Unreadable is a listing that failed: the inventory lacks what it holds.
type Unreadable struct {
	// Resource is serviceaccounts, pods, namespaces or associations.
	Resource  string `json:"resource"`
	Namespace string `json:"namespace,omitempty"`
	Forbidden bool   `json:"forbidden"`
	// Message is kubectl's (or AWS's) error, escaped.
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

// Listing is what the plugin listed: each of the three kinds once, and
// the associations when --cluster was given.
type Listing struct {
	// Namespace is the one namespace listed (-n), "" for all (-A).
	Namespace       string
	ServiceAccounts []ServiceAccount
	Pods            []Pod
	Namespaces      []Namespace
	// Associations are read only with --cluster; AssociationsRead says
	// whether they were, and Cluster names the cluster.
	Associations     []Association
	AssociationsRead bool
	Cluster          string
	Unreadable       []Unreadable
	// Kubectl are the global flags (--context, --kubeconfig) every fix's
	// kubectl command carries, so it acts on the cluster that was listed.
	Kubectl []string
}

// Workload is what owns a pod, as kubectl rollout names it.
type Workload struct {
	Kind string `json:"kind"` // deployment, statefulset, daemonset, replicaset, job or pod (a bare pod); "" when unknown
	Name string `json:"name"`
	// Invalid says why the controller's owner reference was not used
	// (its kind or name is not one the API server could have made),
	// escaped; Kind and Name are then empty.
	Invalid string `json:"invalid,omitempty"`
}

func (w Workload) String() string { return w.Kind + "/" + w.Name }

// PodIdentity is one live pod of a service account and what the webhook
// injected into it when it started.
type PodIdentity struct {
	Name      string   `json:"name"`
	Mechanism string   `json:"mechanism"`
	RoleARN   string   `json:"roleArn,omitempty"` // its AWS_ROLE_ARN
	Workload  Workload `json:"workload"`
}

// Identity is one service account with an AWS identity (an annotation, an
// association, or pods that carry one).
type Identity struct {
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
	// Exists: the service account was listed (an association may name
	// one that does not exist).
	Exists            bool         `json:"exists"`
	RoleARN           string       `json:"roleArn,omitempty"` // the annotation
	Audience          string       `json:"audience,omitempty"`
	RegionalEndpoints string       `json:"stsRegionalEndpoints,omitempty"`
	TokenExpiration   string       `json:"tokenExpiration,omitempty"`
	Association       *Association `json:"association,omitempty"`
	// Mechanism is what a pod started now gets: Pod Identity when there is
	// an association (the webhook then leaves IRSA out), else IRSA when
	// annotated, else none.
	Mechanism string        `json:"mechanism"`
	Pods      []PodIdentity `json:"pods"`
	Findings  []Finding     `json:"findings"`
	Canary    *Canary       `json:"canary,omitempty"`
}

// Key is namespace/name.
func (id *Identity) Key() string { return id.Namespace + "/" + id.ServiceAccount }

// Role is the role a pod started now would get.
func (id *Identity) Role() string {
	if id.Association != nil {
		return id.Association.RoleARN
	}
	return id.RoleARN
}

// Inventory is every identity of the listed scope, sorted by namespace
// and service account, with the drift rules applied.
type Inventory struct {
	Listing    *Listing    `json:"-"`
	Identities []*Identity `json:"identities"`
	// Counts of what was listed.
	Namespaces      int `json:"namespaces"`
	ServiceAccounts int `json:"serviceAccounts"`
	Pods            int `json:"pods"`
}

// Build joins the listing into an inventory and applies the drift rules.
// It is linear in what was listed: one pass over each kind.
func Build(l *Listing) *Inventory {
	inv := &Inventory{Listing: l, Identities: []*Identity{}, Namespaces: len(l.Namespaces), ServiceAccounts: len(l.ServiceAccounts), Pods: len(l.Pods)}
	byKey := map[string]*Identity{}
	get := func(ns, sa string) *Identity {
		k := ns + "/" + sa
		id := byKey[k]
		if id == nil {
			id = &Identity{Namespace: ns, ServiceAccount: sa, Pods: []PodIdentity{}, Findings: []Finding{}}
			byKey[k] = id
		}
		return id
	}
	exists := make(map[string]bool, len(l.ServiceAccounts))
	for i := range l.ServiceAccounts {
		m := &l.ServiceAccounts[i].Metadata
		exists[m.Namespace+"/"+m.Name] = true
		role, ok := m.Annotations[AnnotationRoleARN]
		if !ok {
			continue
		}
		id := get(m.Namespace, m.Name)
		id.RoleARN = role // verbatim, as the webhook injects it: checkRoleARN names surrounding whitespace
		id.Audience = m.Annotations[AnnotationAudience]
		id.RegionalEndpoints = m.Annotations[AnnotationRegionalEndpoints]
		id.TokenExpiration = m.Annotations[AnnotationTokenExpiration]
	}
	for i := range l.Associations {
		a := l.Associations[i]
		get(a.Namespace, a.ServiceAccount).Association = &a
	}
	for i := range l.Pods {
		p := &l.Pods[i]
		if !p.Live() {
			continue
		}
		pi := PodIdentity{Name: p.Metadata.Name, Mechanism: podMechanism(p), Workload: podWorkload(p)}
		pi.RoleARN, _ = p.Env(envRoleARN)
		k := p.Metadata.Namespace + "/" + p.ServiceAccount()
		id := byKey[k]
		if id == nil && pi.Mechanism == MechanismNone {
			continue // no identity, none expected: not the fleet's business
		}
		if id == nil {
			id = get(p.Metadata.Namespace, p.ServiceAccount())
		}
		id.Pods = append(id.Pods, pi)
	}
	for _, id := range byKey {
		id.Exists = exists[id.Key()]
		switch {
		case id.Association != nil:
			id.Mechanism = MechanismPodIdentity
		case id.RoleARN != "":
			id.Mechanism = MechanismIRSA
		default:
			id.Mechanism = MechanismNone
		}
		slices.SortFunc(id.Pods, func(a, b PodIdentity) int { return strings.Compare(a.Name, b.Name) })
		inv.Identities = append(inv.Identities, id)
	}
	slices.SortFunc(inv.Identities, func(a, b *Identity) int {
		return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.ServiceAccount, b.ServiceAccount))
	})
	for _, id := range inv.Identities {
		id.Findings = drift(l, id)
	}
	return inv
}

// podMechanism is what the webhook injected into the pod: either IRSA
// variable means IRSA, either container credentials variable Pod Identity
// (as irsa-probe check decides it inside the pod).
func podMechanism(p *Pod) string {
	_, role := p.Env(envRoleARN)
	_, tok := p.Env(envTokenFile)
	_, uri := p.Env(envFullURI)
	_, auth := p.Env(envAuthTokenFile)
	irsa, pid := role || tok, uri || auth
	switch {
	case irsa && pid:
		return MechanismBoth
	case pid:
		return MechanismPodIdentity
	case irsa:
		return MechanismIRSA
	}
	return MechanismNone
}

// podWorkload is what recreates the pod: a ReplicaSet's Deployment when the
// ReplicaSet's name is the Deployment's plus the pod-template-hash label
// (the Deployment controller's naming), else the controller itself, else
// the bare pod.
func podWorkload(p *Pod) Workload {
	c := p.Metadata.Controller()
	if c == nil {
		return Workload{Kind: "pod", Name: p.Metadata.Name}
	}
	if !kindRE.MatchString(c.Kind) || !validName(c.Name) {
		return Workload{Invalid: fmt.Sprintf("their controller's owner reference (kind %q, name %q) is not one the API server makes", c.Kind, c.Name)}
	}
	kind := strings.ToLower(c.Kind)
	if kind == "replicaset" {
		if h := p.Metadata.Labels["pod-template-hash"]; h != "" {
			if d, ok := strings.CutSuffix(c.Name, "-"+h); ok {
				return Workload{Kind: "deployment", Name: d}
			}
		}
	}
	return Workload{Kind: kind, Name: c.Name}
}
