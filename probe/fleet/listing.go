package fleet

import (
	"slices"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/finding"
)

// ListFailed is the Unreadable line of a listing kubectl refused or
// failed: resource in namespace ("" for all), with kubectl's error text.
// RBAC's refusal (kubectl's "Error from server (Forbidden): pods is
// forbidden: User … cannot list resource …") says which permission to ask
// for and how to check it.
func ListFailed(l *Listing, resource, namespace, errText string) Unreadable {
	u := Unreadable{Resource: resource, Namespace: namespace, Message: finding.Escape(strings.TrimSpace(errText))}
	u.Forbidden = strings.Contains(errText, "(Forbidden)") || strings.Contains(errText, " is forbidden: ")
	scope := "--all-namespaces"
	if namespace != "" {
		scope = "--namespace=" + namespace
	}
	if resource == "namespaces" {
		scope = ""
	}
	can := slices.Concat([]string{"kubectl", "auth", "can-i", "list", resource}, nonEmpty(scope), l.Kubectl)
	if u.Forbidden {
		where := "at the cluster scope (a ClusterRole and ClusterRoleBinding)"
		if namespace != "" {
			where = "in namespace " + finding.Escape(namespace) + " (a Role and RoleBinding)"
		}
		u.Fix = "Ask for list on " + finding.Escape(resource) + " " + where + ", or narrow the scope with --namespace=NAMESPACE; check with:\n" + commandOrWhy(can)
	} else {
		u.Fix = "Check kubectl's access to the cluster:\n" + commandOrWhy(can)
	}
	return u
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
