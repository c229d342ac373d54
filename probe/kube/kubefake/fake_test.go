package kubefake

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestFakeObjectsAreTheAPIs: the fixtures are real API objects, so what
// the plugin decodes is what a cluster prints.
func TestFakeObjectsAreTheAPIs(t *testing.T) {
	c := &Cluster{}
	c.NamespaceLabeled("payments", map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	c.SA("payments", "billing-api", "arn:aws:iam::111122223333:role/billing-api")
	for _, mech := range []string{"irsa", "pod-identity", "both", "none"} {
		c.Pod("payments", "billing-api", "billing-api", mech, "arn:aws:iam::111122223333:role/billing-api")
	}
	nss, sas, pods := c.Objects()
	for _, s := range pods {
		Strict(t, []byte(s), &corev1.Pod{})
	}
	for _, s := range sas {
		Strict(t, []byte(s), &corev1.ServiceAccount{})
	}
	for _, s := range nss {
		Strict(t, []byte(s), &corev1.Namespace{})
	}
	var l corev1.PodList
	Strict(t, []byte(strings.Replace(ListJSON(pods), `"kind":"List"`, `"kind":"PodList"`, 1)), &l)
	if len(l.Items) != 4 {
		t.Errorf("%d pods in the list, want 4", len(l.Items))
	}
}
