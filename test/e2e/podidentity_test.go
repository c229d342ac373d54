//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/irsa-probe/irsa-probe/test/e2e/framework"
)

// 7. EKS Pod Identity: a pod the webhook gave an association's env and
// token volume passes against the node's agent (ststest's, on 127.0.0.1);
// once EKS Auth no longer knows the association (deleted after the pods
// were mutated, as for a Deployment's pods created before), the check
// fails with pod-identity-association-missing.
func TestPodIdentity(t *testing.T) {
	ns := env.Namespace(t, framework.NamespaceOptions{})
	role := env.RoleARN("billing-api-pod-identity")
	env.TrustRole(t, role, ns.Name, "billing-api", true)
	env.AssociatePodIdentity(ns.Name, "billing-api", role)
	t.Cleanup(func() { env.DisassociatePodIdentity(ns.Name, "billing-api") })
	ns.Apply(ns.Render(framework.Kustomization{Dir: "examples/init-container", Replicas: []string{"billing-api"}, Extra: noRoleAnnotation}))

	pod := ns.WaitPod(app, 3*time.Minute, framework.PodReady)
	logs := ns.Kubectl("logs", pod.Name, "-c", "irsa-probe")
	lines := assertReportOnly(t, logs, "OK")
	if !strings.Contains(lines[0], "assumed-role/billing-api-pod-identity/") || !strings.Contains(lines[0], "mechanism pod-identity") {
		t.Errorf("headline: %s\n%s", lines[0], logs)
	}

	// Deleted at EKS Auth only: the webhook still injects the env, as it
	// did into every pod created before the deletion, and the pod's
	// replacement runs the check again.
	env.Agent.Disassociate(ns.Name, "billing-api")
	ns.Kubectl("delete", "pod", pod.Name, "--wait=false")
	failed := ns.WaitPod(app, 3*time.Minute, func(p *corev1.Pod) string {
		if p.Name == pod.Name {
			return "old pod"
		}
		st := framework.Status(p, "irsa-probe")
		if st == nil || st.LastTerminationState.Terminated == nil && st.State.Terminated == nil {
			return "init container not failed yet " + framework.PodSummary(p)
		}
		return ""
	})
	logs = ns.Kubectl("logs", failed.Name, "-c", "irsa-probe")
	if framework.Status(&failed, "irsa-probe").State.Terminated == nil {
		logs = ns.Kubectl("logs", failed.Name, "-c", "irsa-probe", "--previous")
	}
	assertReportOnly(t, logs, "FAIL")
	if !strings.Contains(logs, "pod-identity-association-missing") {
		t.Errorf("no pod-identity-association-missing:\n%s", logs)
	}
}
