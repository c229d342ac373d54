package fleet

import (
	"slices"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/shellcmd"
)

func sa(ns, name, role string) ServiceAccount {
	s := ServiceAccount{Metadata: Meta{Namespace: ns, Name: name}}
	if role != "" {
		s.Metadata.Annotations = map[string]string{AnnotationRoleARN: role}
	}
	return s
}

// pod is a live pod of a Deployment's ReplicaSet with env.
func pod(ns, name, sa string, env ...string) Pod {
	yes := true
	p := Pod{Metadata: Meta{Namespace: ns, Name: name, Labels: map[string]string{"pod-template-hash": "7d9f8b6c5"},
		OwnerReferences: []OwnerRef{{Kind: "ReplicaSet", Name: sa + "-7d9f8b6c5", Controller: &yes}}}}
	p.Spec.ServiceAccountName = sa
	p.Status.Phase = "Running"
	c := Container{Name: "app"}
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		c.Env = append(c.Env, EnvVar{Name: k, Value: v})
	}
	p.Spec.Containers = []Container{c}
	return p
}

const (
	roleA = "arn:aws:iam::111122223333:role/billing-api"
	roleB = "arn:aws:iam::111122223333:role/billing-api-v2"
	pidA  = "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.23/v1/credentials"
)

func irsaEnv(role string) []string {
	return []string{"AWS_ROLE_ARN=" + role, "AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}
}

// TestDrift: each rule from what was listed alone, with the restart that
// fixes it.
func TestDrift(t *testing.T) {
	for _, c := range []struct {
		name   string
		sas    []ServiceAccount
		pods   []Pod
		assocs []Association
		read   bool
		want   []string // code pods… | fix…
	}{
		{name: "consistent", sas: []ServiceAccount{sa("payments", "billing-api", roleA)},
			pods: []Pod{pod("payments", "billing-api-7d9f8b6c5-aaaaa", "billing-api", irsaEnv(roleA)...)}},
		{name: "role changed since the pod started", sas: []ServiceAccount{sa("payments", "billing-api", roleB)},
			pods: []Pod{pod("payments", "billing-api-7d9f8b6c5-aaaaa", "billing-api", irsaEnv(roleA)...), pod("payments", "billing-api-7d9f8b6c5-bbbbb", "billing-api", irsaEnv(roleB)...)},
			want: []string{"role-drift billing-api-7d9f8b6c5-aaaaa | kubectl rollout restart deployment/billing-api --namespace=payments --context=prod"}},
		{name: "annotation removed", sas: []ServiceAccount{sa("payments", "billing-api", "")},
			pods: []Pod{pod("payments", "billing-api-7d9f8b6c5-aaaaa", "billing-api", irsaEnv(roleA)...)},
			want: []string{"role-drift billing-api-7d9f8b6c5-aaaaa | kubectl rollout restart deployment/billing-api --namespace=payments --context=prod"}},
		{name: "service account deleted", sas: []ServiceAccount{sa("payments", "other", "")},
			pods: []Pod{pod("payments", "billing-api-7d9f8b6c5-aaaaa", "billing-api", irsaEnv(roleA)...)},
			want: []string{"role-drift billing-api-7d9f8b6c5-aaaaa | kubectl rollout restart deployment/billing-api --namespace=payments --context=prod"}},
		{name: "started before the annotation", sas: []ServiceAccount{sa("payments", "billing-api", roleA)},
			pods: []Pod{pod("payments", "billing-api-7d9f8b6c5-aaaaa", "billing-api")},
			want: []string{"identity-not-injected billing-api-7d9f8b6c5-aaaaa | kubectl rollout restart deployment/billing-api --namespace=payments --context=prod"}},
		{name: "started before the association", sas: []ServiceAccount{sa("payments", "billing-api", "")}, read: true,
			assocs: []Association{{Namespace: "payments", ServiceAccount: "billing-api", RoleARN: roleA, ID: "a-1"}},
			pods:   []Pod{pod("payments", "billing-api-7d9f8b6c5-aaaaa", "billing-api")},
			want:   []string{"identity-not-injected billing-api-7d9f8b6c5-aaaaa | kubectl rollout restart deployment/billing-api --namespace=payments --context=prod"}},
		{name: "association deleted", sas: []ServiceAccount{sa("payments", "billing-api", "")}, read: true,
			pods: []Pod{pod("payments", "billing-api-7d9f8b6c5-aaaaa", "billing-api", pidA)},
			want: []string{"association-gone billing-api-7d9f8b6c5-aaaaa | kubectl rollout restart deployment/billing-api --namespace=payments --context=prod"}},
		{name: "associations not read: Pod Identity pods taken as they are", sas: []ServiceAccount{sa("payments", "billing-api", "")},
			pods: []Pod{pod("payments", "billing-api-7d9f8b6c5-aaaaa", "billing-api", pidA)}},
		{name: "still on IRSA after the migration", sas: []ServiceAccount{sa("payments", "billing-api", roleA)}, read: true,
			assocs: []Association{{Namespace: "payments", ServiceAccount: "billing-api", RoleARN: roleA, ID: "a-1"}},
			pods:   []Pod{pod("payments", "billing-api-7d9f8b6c5-aaaaa", "billing-api", irsaEnv(roleA)...)},
			want:   []string{"mechanism-drift billing-api-7d9f8b6c5-aaaaa | kubectl rollout restart deployment/billing-api --namespace=payments --context=prod"}},
		{name: "both mechanisms", sas: []ServiceAccount{sa("payments", "billing-api", roleA)},
			pods: []Pod{pod("payments", "billing-api-7d9f8b6c5-aaaaa", "billing-api", append(irsaEnv(roleA), pidA)...)},
			want: []string{"both-mechanisms billing-api-7d9f8b6c5-aaaaa | kubectl rollout restart deployment/billing-api --namespace=payments --context=prod"}},
		{name: "association of a service account that does not exist", read: true,
			assocs: []Association{{Namespace: "payments", ServiceAccount: "ghost", RoleARN: roleA, ID: "a-0123456789abcdefg"}},
			want:   []string{"association-orphaned | kubectl create serviceaccount ghost --namespace=payments --context=prod | aws eks delete-pod-identity-association --cluster-name prod-eu --association-id a-0123456789abcdefg"}},
		{name: "annotation not an ARN", sas: []ServiceAccount{sa("payments", "billing-api", "billing-api")},
			want: []string{"role-arn-invalid | kubectl annotate serviceaccount billing-api --namespace=payments --overwrite eks.amazonaws.com/role-arn=arn:aws:iam::ACCOUNT_ID:role/ROLE_NAME --context=prod"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := &Listing{ServiceAccounts: c.sas, Pods: c.pods, Associations: c.assocs, AssociationsRead: c.read, Cluster: "prod-eu", Kubectl: []string{"--context=prod"}}
			var got []string
			for _, id := range Build(l).Identities {
				for _, f := range id.Findings {
					got = append(got, strings.TrimSpace(strings.Join(append([]string{f.Code}, f.Pods...), " ")+" | "+strings.Join(f.Fix, " | ")))
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("findings:\n%q\nwant:\n%q", got, c.want)
			}
		})
	}
}

// TestRestartByOwner: the fix recreates pods the way their owner allows.
func TestRestartByOwner(t *testing.T) {
	yes := true
	owned := func(name, kind, owner string) Pod {
		p := pod("payments", name, "billing-api")
		p.Metadata.Labels = nil
		p.Metadata.OwnerReferences = nil
		if kind != "" {
			p.Metadata.OwnerReferences = []OwnerRef{{Kind: kind, Name: owner, Controller: &yes}}
		}
		return p
	}
	l := &Listing{ServiceAccounts: []ServiceAccount{sa("payments", "billing-api", roleA)}, Pods: []Pod{
		owned("ledger-0", "StatefulSet", "ledger"), owned("node-agent-x", "DaemonSet", "node-agent"),
		owned("bare", "", ""), owned("rs-abc", "ReplicaSet", "rs"), owned("export-1-q", "Job", "export-1"),
	}}
	f := Build(l).Identities[0].Findings[0]
	want := []string{ // in the order of the pods' names
		"kubectl delete pod bare --namespace=payments",
		"kubectl delete pod export-1-q --namespace=payments",
		"kubectl rollout restart statefulset/ledger --namespace=payments",
		"kubectl rollout restart daemonset/node-agent --namespace=payments",
		"kubectl delete pod rs-abc --namespace=payments",
	}
	if !slices.Equal(f.Fix, want) {
		t.Errorf("fix:\n%q\nwant:\n%q", f.Fix, want)
	}
	// What recreates them is said on lines of their own: interactive zsh
	// reads a trailing # comment as words, and deletes pods named "a",
	// "bare"…
	notes := []string{
		"pod bare is a bare pod: nothing recreates it once deleted, apply its manifest again",
		"job export-1 recreates export-1-q",
		"replicaset rs recreates rs-abc",
	}
	if !slices.Equal(f.Notes, notes) {
		t.Errorf("notes:\n%q\nwant:\n%q", f.Notes, notes)
	}
}

// TestFinishedPodsIgnored: a Succeeded or Failed pod has nothing to restart.
func TestFinishedPodsIgnored(t *testing.T) {
	p := pod("payments", "export-1-q", "billing-api")
	p.Status.Phase = "Succeeded"
	inv := Build(&Listing{ServiceAccounts: []ServiceAccount{sa("payments", "billing-api", roleA)}, Pods: []Pod{p}})
	if id := inv.Identities[0]; len(id.Pods) != 0 || len(id.Findings) != 0 {
		t.Errorf("pods %v findings %v", id.Pods, id.Findings)
	}
}

// TestDriftSaysWhatChanged: the message names the role the service
// account has now, or that it has none, or that it is gone.
func TestDriftSaysWhatChanged(t *testing.T) {
	p := pod("payments", "billing-api-7d9f8b6c5-aaaaa", "billing-api", irsaEnv(roleA)...)
	for _, c := range []struct {
		sas  []ServiceAccount
		want string
	}{
		{[]ServiceAccount{sa("payments", "billing-api", roleB)}, "now names role " + roleB},
		{[]ServiceAccount{sa("payments", "billing-api", "")}, "now names no role (the annotation was removed)"},
		{nil, "now names nothing: it no longer exists"},
	} {
		fs := Build(&Listing{ServiceAccounts: c.sas, Pods: []Pod{p}}).Identities[0].Findings
		if len(fs) != 1 || !strings.Contains(fs[0].Message, c.want) {
			t.Errorf("want %q in %+v", c.want, fs)
		}
	}
}

// TestHostileOwnerReference: an owner reference's kind and name are
// written by any namespace editor (the API server only checks they are
// not empty); one that is not a kind or a DNS name is not used, is
// named escaped in a note, and reaches no command.
func TestHostileOwnerReference(t *testing.T) {
	yes := true
	for _, ref := range []OwnerRef{
		{Kind: "Job\ntouch /tmp/x ;#", Name: "export-1"},
		{Kind: "ReplicaSet", Name: "web\x1b[2K\r    kubectl delete ns prod"},
		{Kind: "ReplicaSet", Name: "Web_1"},
	} {
		ref.Controller = &yes
		p := pod("payments", "web-1", "billing-api", irsaEnv(roleB)...)
		p.Metadata.OwnerReferences = []OwnerRef{ref}
		f := Build(&Listing{ServiceAccounts: []ServiceAccount{sa("payments", "billing-api", roleA)}, Pods: []Pod{p}}).Identities[0].Findings[0]
		if !slices.Equal(f.Fix, []string{"kubectl delete pod web-1 --namespace=payments"}) {
			t.Errorf("%+v: fix %q", ref, f.Fix)
		}
		if len(f.Notes) != 1 || !strings.Contains(f.Notes[0], "is not one the API server makes") {
			t.Errorf("%+v: notes %q", ref, f.Notes)
		}
		for _, s := range append(f.Notes, f.Message) {
			if shellcmd.Check(s) != nil {
				t.Errorf("%+v: %q holds a control character", ref, s)
			}
		}
	}
}

// TestRoleARNWhitespace: the webhook injects the annotation verbatim, so
// one with surrounding whitespace or a character no ARN holds is
// role-arn-invalid (naming it, escaped), never a role-drift that no
// restart clears.
func TestRoleARNWhitespace(t *testing.T) {
	for _, v := range []string{roleA + "\n", " " + roleA, roleA + "\u202e", "arn:aws:iam::111122223333:role/a b"} {
		p := pod("payments", "web-1", "billing-api", irsaEnv(v)...)
		fs := Build(&Listing{ServiceAccounts: []ServiceAccount{sa("payments", "billing-api", v)}, Pods: []Pod{p}}).Identities[0].Findings
		var codes []string
		for _, f := range fs {
			codes = append(codes, f.Code)
			if shellcmd.Check(f.Message) != nil {
				t.Errorf("%q: message %q holds a control character", v, f.Message)
			}
		}
		if !slices.Equal(codes, []string{CodeRoleARNInvalid}) {
			t.Errorf("%q: codes %v, want only %s", v, codes, CodeRoleARNInvalid)
		}
	}
}
