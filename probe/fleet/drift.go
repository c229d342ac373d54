package fleet

import (
	"fmt"
	"slices"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/shellcmd"
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
	// Notes explain the fix, one sentence each, printed on lines of their
	// own: never as a comment on a command line (interactive zsh has no
	// comments), and never pasted. A command a value could not be printed
	// in (shellcmd refused it) is a note saying why, instead of a command.
	Notes []string `json:"notes,omitempty"`
	// Fix are commands, one per element, each one line rendered by
	// package shellcmd: pasted, each runs as exactly the words it was
	// built from.
	Fix []string `json:"fix"`
}

// fix collects a finding's commands and the notes beside them.
type fix struct {
	cmds, notes []string
}

// cmd adds argv as a command, or, when a value in it cannot be printed,
// a note saying which command is missing and why.
func (f *fix) cmd(what string, argv ...string) {
	line, err := shellcmd.Line(argv...)
	if err != nil {
		f.notes = append(f.notes, "the command to "+what+" is not printed: "+err.Error())
		return
	}
	f.cmds = append(f.cmds, line)
	if commandHook != nil {
		commandHook(line, argv)
	}
}

// commandHook, set by tests, sees every command line the fleet view
// prints with the words it was built from: the oracle a shell parser's
// reading of the printed line is compared with.
var commandHook func(line string, argv []string)

func (f *fix) note(s string) { f.notes = append(f.notes, s) }

// finding is a Finding with f's commands and notes.
func (f *fix) finding(code string, sev finding.Severity, msg string) Finding {
	return Finding{Code: code, Severity: sev, Message: msg, Notes: f.notes, Fix: append([]string{}, f.cmds...)}
}

// drift applies every rule to one identity. Only what was listed is
// judged: without associations, Pod Identity pods are taken as they are.
func drift(l *Listing, id *Identity) []Finding {
	fs := []Finding{}
	ns, sa := id.Namespace, id.ServiceAccount
	subject := finding.Escape(ns + "/" + sa)
	invalidRole := false
	if id.RoleARN != "" {
		if err := checkRoleARN(id.RoleARN); err != nil {
			invalidRole = true
			var f fix
			f.cmd("annotate the service account", kubectlArgv(l, "annotate", "serviceaccount", sa, "--namespace="+ns, "--overwrite", AnnotationRoleARN+"=arn:aws:iam::ACCOUNT_ID:role/ROLE_NAME")...)
			fs = append(fs, f.finding(CodeRoleARNInvalid, finding.SeverityError,
				fmt.Sprintf("service account %s: annotation %s=%q is not a role ARN: %v; the webhook injects it verbatim and STS refuses it", subject, AnnotationRoleARN, id.RoleARN, err)))
		}
	}
	if id.Association != nil && !id.Exists && serviceAccountsListed(l) {
		a := id.Association
		var f fix
		f.cmd("create the service account", kubectlArgv(l, "create", "serviceaccount", sa, "--namespace="+ns)...)
		f.cmd("delete the association", "aws", "eks", "delete-pod-identity-association", "--cluster-name", l.Cluster, "--association-id", a.ID)
		fs = append(fs, f.finding(CodeAssociationOrphaned, finding.SeverityWarning,
			fmt.Sprintf("association %s gives role %s to service account %s, which does not exist: no pod can use it", finding.Escape(a.ID), finding.Escape(a.RoleARN), subject)))
	}
	var drifted, missing, gone, stale, both []PodIdentity
	for _, p := range id.Pods {
		if p.Mechanism == MechanismBoth {
			both = append(both, p)
		}
		switch {
		case id.Association != nil:
			switch p.Mechanism {
			case MechanismNone:
				missing = append(missing, p)
			case MechanismIRSA:
				stale = append(stale, p)
			}
		case id.RoleARN != "":
			switch {
			case p.Mechanism == MechanismNone:
				missing = append(missing, p)
			case p.Mechanism == MechanismPodIdentity && l.AssociationsRead:
				gone = append(gone, p)
			case p.Mechanism != MechanismPodIdentity && p.RoleARN != id.RoleARN && !invalidRole:
				drifted = append(drifted, p)
			}
		default:
			if p.Mechanism == MechanismIRSA || p.Mechanism == MechanismBoth {
				drifted = append(drifted, p)
			} else if p.Mechanism == MechanismPodIdentity && l.AssociationsRead {
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
	var order []Workload
	byWorkload := map[Workload][]string{}
	var names []string
	for _, p := range pods {
		names = append(names, p.Name)
		if _, ok := byWorkload[p.Workload]; !ok {
			order = append(order, p.Workload)
		}
		byWorkload[p.Workload] = append(byWorkload[p.Workload], p.Name)
	}
	var f fix
	for _, w := range order {
		restart(&f, l, id.Namespace, w, byWorkload[w])
	}
	out := f.finding(code, sev, msg)
	for _, n := range names {
		out.Pods = append(out.Pods, finding.Escape(n))
	}
	return out
}

// restart adds the command that recreates a workload's pods: a rollout
// restart where kubectl has one, else deleting the pods, which their Job
// or ReplicaSet recreates (a bare pod must be applied again). What
// recreates them is said in a note, on a line of its own.
func restart(f *fix, l *Listing, ns string, w Workload, pods []string) {
	switch w.Kind {
	case "deployment", "statefulset", "daemonset":
		f.cmd("restart "+w.Kind+" "+w.Name, kubectlArgv(l, "rollout", "restart", w.Kind+"/"+w.Name, "--namespace="+ns)...)
		return
	case "pod":
		f.note("pod " + finding.Escape(w.Name) + " is a bare pod: nothing recreates it once deleted, apply its manifest again")
	case "":
		f.note(finding.Escape(strings.Join(pods, ", ")) + ": " + w.Invalid + "; find what recreates them before deleting them")
	default:
		f.note(w.Kind + " " + w.Name + " recreates " + finding.Escape(strings.Join(pods, ", ")))
	}
	f.cmd("delete the pods", kubectlArgv(l, append(append([]string{"delete", "pod"}, pods...), "--namespace="+ns)...)...)
}

// kubectlArgv is a kubectl command's words with the listing's global
// flags last.
func kubectlArgv(l *Listing, args ...string) []string {
	return slices.Concat([]string{"kubectl"}, args, l.Kubectl)
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
