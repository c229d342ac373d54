package fleet

import (
	"fmt"
	"slices"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/iam"
)

// Drift codes: stable, for scripts (--output json). Never rename one,
// only add.
const (
	// CodeRoleDrift: pods run with an AWS_ROLE_ARN their service account
	// no longer names (changed or removed since they started).
	CodeRoleDrift = "role-drift"
	// CodeNotInjected: pods of a service account with a role or an
	// association that carry no identity env (they started before it, or
	// the webhook missed them).
	CodeNotInjected = "identity-not-injected"
	// CodeAssociationGone: pods run with Pod Identity's env but the
	// service account has no association any more.
	CodeAssociationGone = "association-gone"
	// CodeMechanismDrift: pods still on IRSA although the service
	// account now has an association (recreated pods get Pod Identity).
	CodeMechanismDrift = "mechanism-drift"
	// CodeBothMechanisms: pods with both mechanisms' env.
	CodeBothMechanisms = "both-mechanisms"
	// CodeAssociationOrphaned: an association for a service account that
	// does not exist.
	CodeAssociationOrphaned = "association-orphaned"
	// CodeRoleARNInvalid: the annotation is not a role ARN.
	CodeRoleARNInvalid = "role-arn-invalid"
)

// DriftCodes lists the drift codes.
func DriftCodes() []string {
	return []string{CodeRoleDrift, CodeNotInjected, CodeAssociationGone, CodeMechanismDrift, CodeBothMechanisms,
		CodeAssociationOrphaned, CodeRoleARNInvalid}
}

// Finding is one thing wrong with an identity: what, which pods, and the
// commands that fix it, ready to paste.
type Finding struct {
	Code     string           `json:"code"`
	Severity finding.Severity `json:"severity"`
	Message  string           `json:"message"`
	Pods     []string         `json:"pods,omitempty"`
	Fix      []string         `json:"fix"`
}

// drift applies every rule to one identity. Only what was listed is
// judged: without associations, Pod Identity pods are taken as they are.
func drift(l *Listing, id *Identity) []Finding {
	fs := []Finding{}
	ns, sa := id.Namespace, id.ServiceAccount
	subject := finding.Escape(ns + "/" + sa)
	if id.RoleARN != "" {
		if _, err := iam.ParseRoleARN(id.RoleARN); err != nil {
			fs = append(fs, Finding{Code: CodeRoleARNInvalid, Severity: finding.SeverityError,
				Message: fmt.Sprintf("service account %s: annotation %s=%q is not a role ARN: %v; the webhook injects it anyway and STS refuses it", subject, AnnotationRoleARN, finding.Escape(id.RoleARN), err),
				Fix:     []string{kubectl(l, "annotate", "serviceaccount", sa, "--namespace="+ns, "--overwrite", AnnotationRoleARN+"=arn:aws:iam::ACCOUNT_ID:role/ROLE_NAME")}})
		}
	}
	if id.Association != nil && !id.Exists && serviceAccountsListed(l) {
		a := id.Association
		fs = append(fs, Finding{Code: CodeAssociationOrphaned, Severity: finding.SeverityWarning,
			Message: fmt.Sprintf("association %s gives role %s to service account %s, which does not exist: no pod can use it", finding.Escape(a.ID), finding.Escape(a.RoleARN), subject),
			Fix: []string{
				kubectl(l, "create", "serviceaccount", sa, "--namespace="+ns),
				"aws eks delete-pod-identity-association --cluster-name " + shellWord(l.Cluster) + " --association-id " + shellWord(a.ID),
			}})
	}
	var drifted, missing, gone, stale, both []PodIdentity
	for _, p := range id.Pods {
		if p.Mechanism == iam.MechanismBoth {
			both = append(both, p)
		}
		switch {
		case id.Association != nil:
			switch p.Mechanism {
			case iam.MechanismNone:
				missing = append(missing, p)
			case iam.MechanismIRSA:
				stale = append(stale, p)
			}
		case id.RoleARN != "":
			switch {
			case p.Mechanism == iam.MechanismNone:
				missing = append(missing, p)
			case p.Mechanism == iam.MechanismPodIdentity && l.AssociationsRead:
				gone = append(gone, p)
			case p.Mechanism != iam.MechanismPodIdentity && p.RoleARN != id.RoleARN:
				drifted = append(drifted, p)
			}
		default:
			if p.Mechanism == iam.MechanismIRSA || p.Mechanism == iam.MechanismBoth {
				drifted = append(drifted, p)
			} else if p.Mechanism == iam.MechanismPodIdentity && l.AssociationsRead {
				gone = append(gone, p)
			}
		}
	}
	if len(drifted) > 0 {
		want := "no role (the annotation was removed): recreated pods get no AWS identity"
		if !id.Exists && serviceAccountsListed(l) {
			want = "nothing: it no longer exists, and recreated pods are refused until it does"
		}
		if id.RoleARN != "" {
			want = "role " + finding.Escape(id.RoleARN)
		}
		fs = append(fs, podFinding(l, id, CodeRoleDrift, finding.SeverityError, drifted,
			fmt.Sprintf("%s %s with AWS_ROLE_ARN %s, but service account %s now names %s; the old role stays until recreated", podsWord(drifted), verb(drifted, "runs", "run"), rolesOf(drifted), subject, want)))
	}
	if len(missing) > 0 {
		what := "annotation " + AnnotationRoleARN + "=" + finding.Escape(id.RoleARN)
		env := "AWS_ROLE_ARN"
		if id.Association != nil {
			what = "Pod Identity association " + finding.Escape(id.Association.ID) + " (role " + finding.Escape(id.Association.RoleARN) + ")"
			env = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
		}
		fs = append(fs, podFinding(l, id, CodeNotInjected, finding.SeverityError, missing,
			fmt.Sprintf("%s of service account %s %s no %s although the service account has %s: started before that, or missed by the webhook; the SDK falls back to the node's role or fails", podsWord(missing), subject, verb(missing, "carries", "carry"), env, what)))
	}
	if len(gone) > 0 {
		fs = append(fs, podFinding(l, id, CodeAssociationGone, finding.SeverityError, gone,
			fmt.Sprintf("%s %s with EKS Pod Identity's env, but cluster %s has no association for service account %s any more: the agent refuses their next credentials", podsWord(gone), verb(gone, "runs", "run"), finding.Escape(l.Cluster), subject)))
	}
	if len(stale) > 0 {
		fs = append(fs, podFinding(l, id, CodeMechanismDrift, finding.SeverityWarning, stale,
			fmt.Sprintf("%s still %s with IRSA (AWS_ROLE_ARN %s), but service account %s now has Pod Identity association %s (role %s): recreated pods get Pod Identity instead", podsWord(stale), verb(stale, "runs", "run"), rolesOf(stale), subject, finding.Escape(id.Association.ID), finding.Escape(id.Association.RoleARN))))
	}
	if len(both) > 0 {
		fs = append(fs, podFinding(l, id, CodeBothMechanisms, finding.SeverityWarning, both,
			fmt.Sprintf("%s %s both IRSA's AWS_ROLE_ARN and Pod Identity's AWS_CONTAINER_CREDENTIALS_FULL_URI: aws-sdk-go-v2 and botocore try web identity (IRSA) first; the webhook never injects both, so the IRSA variables were written into the pod spec by hand (remove them, then recreate)", podsWord(both), verb(both, "carries", "carry"))))
	}
	return fs
}

// podFinding is a finding about pods, fixed by recreating them: one
// command per workload, in the order the pods were listed.
func podFinding(l *Listing, id *Identity, code string, sev finding.Severity, pods []PodIdentity, msg string) Finding {
	f := Finding{Code: code, Severity: sev, Message: msg}
	var order []Workload
	byWorkload := map[Workload][]string{}
	for _, p := range pods {
		f.Pods = append(f.Pods, p.Name)
		if _, ok := byWorkload[p.Workload]; !ok {
			order = append(order, p.Workload)
		}
		byWorkload[p.Workload] = append(byWorkload[p.Workload], p.Name)
	}
	for _, w := range order {
		f.Fix = append(f.Fix, restart(l, id.Namespace, w, byWorkload[w]))
	}
	return f
}

// restart is the command that recreates a workload's pods: a rollout
// restart where kubectl has one, else deleting the pods, which their Job
// or ReplicaSet recreates (a bare pod must be applied again).
func restart(l *Listing, ns string, w Workload, pods []string) string {
	switch w.Kind {
	case "deployment", "statefulset", "daemonset":
		return kubectl(l, "rollout", "restart", w.Kind+"/"+w.Name, "--namespace="+ns)
	case "pod":
		return kubectl(l, "delete", "pod", w.Name, "--namespace="+ns) + "  # a bare pod: nothing recreates it, apply its manifest again"
	}
	return kubectl(l, append(append([]string{"delete", "pod"}, pods...), "--namespace="+ns)...) + "  # " + w.Kind + " " + finding.Escape(w.Name) + " recreates them"
}

// kubectl is a kubectl command line with the listing's global flags
// last, quoted for a shell.
func kubectl(l *Listing, args ...string) string {
	return shellJoin(slices.Concat([]string{"kubectl"}, args, l.Kubectl))
}

func podsWord(ps []PodIdentity) string {
	if len(ps) == 1 {
		return "pod " + finding.Escape(ps[0].Name)
	}
	names := make([]string, 0, 3)
	for _, p := range ps[:min(3, len(ps))] {
		names = append(names, finding.Escape(p.Name))
	}
	more := ""
	if len(ps) > 3 {
		more = fmt.Sprintf(" and %d more", len(ps)-3)
	}
	return fmt.Sprintf("%d pods (%s%s)", len(ps), strings.Join(names, ", "), more)
}

// verb is one or many's form of a verb.
func verb(ps []PodIdentity, one, many string) string {
	if len(ps) == 1 {
		return one
	}
	return many
}

// rolesOf lists the distinct roles pods carry.
func rolesOf(ps []PodIdentity) string {
	var rs []string
	for _, p := range ps {
		r := finding.Escape(p.RoleARN)
		if !slices.Contains(rs, r) {
			rs = append(rs, r)
		}
	}
	return strings.Join(rs, ", ")
}

// serviceAccountsListed: the service account listing succeeded, so a
// missing one really is missing.
func serviceAccountsListed(l *Listing) bool {
	for _, u := range l.Unreadable {
		if u.Resource == "serviceaccounts" {
			return false
		}
	}
	return true
}

// shellWord is s as one shell word; shellJoin joins such words.
func shellWord(s string) string { return finding.ShellWord(s) }

func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = shellWord(a)
	}
	return strings.Join(out, " ")
}
