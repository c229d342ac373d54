package plugin

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// readmeRBAC is the README's ClusterRoles for the fleet view, each
// decoded strictly as rbac/v1.
func readmeRBAC(t *testing.T) []rbacv1.ClusterRole {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := bytes.Cut(b, []byte("### Exit codes and RBAC"))
	_, rest, ok2 := bytes.Cut(rest, []byte("```yaml\n"))
	doc, _, ok3 := bytes.Cut(rest, []byte("```"))
	if !ok || !ok2 || !ok3 {
		t.Fatal("README has no RBAC block under \"### Exit codes and RBAC\"")
	}
	var roles []rbacv1.ClusterRole
	for _, part := range strings.Split(string(doc), "\n---\n") {
		var r rbacv1.ClusterRole
		if err := yaml.UnmarshalStrict([]byte(part), &r); err != nil {
			t.Fatalf("not a ClusterRole: %v\n%s", err, part)
		}
		roles = append(roles, r)
	}
	return roles
}

// allows reports whether roles allow verb on resource ("" group) or on
// a non-resource URL (resource starting with /).
func allows(roles []rbacv1.ClusterRole, verb, group, resource string) bool {
	for _, r := range roles {
		for _, rule := range r.Rules {
			if !slices.Contains(rule.Verbs, verb) {
				continue
			}
			if strings.HasPrefix(resource, "/") {
				if slices.Contains(rule.NonResourceURLs, resource) {
					return true
				}
				continue
			}
			if slices.Contains(rule.APIGroups, group) && slices.Contains(rule.Resources, resource) {
				return true
			}
		}
	}
	return false
}

// TestREADMERBACCoversEveryCall: every kubectl call of -A --prove
// --trust-policy is allowed by the README's roles, so they are enough.
func TestREADMERBACCoversEveryCall(t *testing.T) {
	roles := readmeRBAC(t)
	f := newFleetFake(t, drifted())
	file := t.TempDir() + "/p.json"
	if err := os.WriteFile(file, []byte(narrowedPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	runWith(ctx, f, "-A", "--prove", "--trust-policy", "billing-api="+file)
	argv := f.Argv()
	for _, verb := range []string{"get", "create", "logs", "delete"} {
		if !slices.ContainsFunc(argv, func(a string) bool { return strings.HasPrefix(a, verb+" ") }) {
			t.Errorf("no kubectl %s in %q", verb, argv)
		}
	}
	for _, a := range argv {
		w := strings.Fields(a)
		var need [][3]string // verb, group, resource
		switch {
		case w[0] == "get" && w[1] == "--raw":
			need = [][3]string{{"get", "", w[2]}}
		case w[0] == "get":
			need = [][3]string{{"list", "", w[1]}}
		case w[0] == "create":
			need = [][3]string{{"create", "batch", "jobs"}}
		case w[0] == "logs":
			need = [][3]string{{"get", "", "pods/log"}}
		case w[0] == "delete":
			need = [][3]string{{"list", "batch", "jobs"}, {"delete", "batch", "jobs"}}
		default:
			t.Errorf("kubectl %s: not mapped to RBAC", a)
		}
		for _, n := range need {
			if !allows(roles, n[0], n[1], n[2]) {
				t.Errorf("kubectl %s needs %s on %s/%s, which the README's roles do not grant", a, n[0], n[1], n[2])
			}
		}
	}
}
