package fleet

import (
	"slices"
	"testing"
)

// TestSelect keeps the named service accounts, their pods (a pod without
// serviceAccountName runs as default) and their associations.
func TestSelect(t *testing.T) {
	sa := func(n string) ServiceAccount { return ServiceAccount{Metadata: Meta{Name: n, Namespace: "ns"}} }
	pod := func(n, s string) Pod {
		p := Pod{Metadata: Meta{Name: n, Namespace: "ns"}}
		p.Spec.ServiceAccountName = s
		return p
	}
	l := &Listing{
		ServiceAccounts: []ServiceAccount{sa("a"), sa("b"), sa("default")},
		Pods:            []Pod{pod("pa", "a"), pod("pb", "b"), pod("pd", "")},
		Associations:    []Association{{Namespace: "ns", ServiceAccount: "b"}, {Namespace: "ns", ServiceAccount: "default"}},
	}
	Select(l, []string{"b", "default"})
	var got []string
	for _, s := range l.ServiceAccounts {
		got = append(got, s.Metadata.Name)
	}
	for _, p := range l.Pods {
		got = append(got, p.Metadata.Name)
	}
	for _, a := range l.Associations {
		got = append(got, "assoc:"+a.ServiceAccount)
	}
	if want := []string{"b", "default", "pb", "pd", "assoc:b", "assoc:default"}; !slices.Equal(got, want) {
		t.Errorf("kept %v, want %v", got, want)
	}
	Select(l, nil)
	if len(l.ServiceAccounts) != 2 {
		t.Errorf("no names must keep everything: %d", len(l.ServiceAccounts))
	}
}
