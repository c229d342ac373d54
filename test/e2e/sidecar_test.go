//go:build e2e

package e2e

import (
	"fmt"
	"path"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/irsa-probe/irsa-probe/test/e2e/framework"
)

// Refresh and grace of serve in these tests (the shipped 5m and 10m would
// make a test of half an hour); readiness then follows within refresh,
// grace and the readinessProbe's 3 × 10 s.
const (
	refresh = 5 * time.Second
	grace   = 10 * time.Second
)

// refreshPatch sets serve's refresh and grace in the example's irsa-probe
// container, found under list (initContainers or containers).
func refreshPatch(list string) string {
	return fmt.Sprintf(`patches:
  - target: {kind: Deployment, name: billing-api}
    patch: |
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: billing-api}
      spec:
        template:
          spec:
            %s:
              - name: irsa-probe
                env:
                  - {name: IRSA_PROBE_REFRESH, value: %s}
                  - {name: IRSA_PROBE_GRACE, value: %s}
`, list, refresh, grace)
}

// 3. examples/native-sidecar and examples/sidecar: the pod is Ready only
// while the identity works; with the role gone from STS it goes NotReady
// within refresh + grace (+ the probe's period), then Ready again once the
// role is back; liveness never restarts the sidecar.
func TestSidecarsGateReadiness(t *testing.T) {
	for _, c := range []struct{ dir, list string }{
		{"examples/native-sidecar", "initContainers"},
		{"examples/sidecar", "containers"},
	} {
		t.Run(path.Base(c.dir), func(t *testing.T) {
			ns := env.Namespace(t, framework.NamespaceOptions{})
			role := env.RoleARN("billing-api")
			env.TrustRole(t, role, ns.Name, "billing-api", false)
			ns.Apply(ns.Render(framework.Kustomization{Dir: c.dir, Replicas: []string{"billing-api"}, Extra: refreshPatch(c.list)}))
			pod := ns.WaitPod(app, 3*time.Minute, framework.PodReady)
			only := "metadata.name=" + pod.Name

			env.STS.DeleteRole(role)
			broken := time.Now()
			bound := refresh*11/10 + grace + 3*10*time.Second + 15*time.Second
			ns.WaitFor("pod NotReady after the role was deleted", bound, func() string {
				return podBy(ns, only, framework.PodNotReady)
			})
			t.Logf("NotReady %s after the role was deleted (bound %s)", time.Since(broken).Round(time.Second), bound)

			env.TrustRole(t, role, ns.Name, "billing-api", false)
			ns.WaitFor("pod Ready again after the role was restored", refresh*11/10+10*time.Second+15*time.Second, func() string {
				return podBy(ns, only, framework.PodReady)
			})
			for _, p := range ns.Pods(app) {
				if st := framework.Status(&p, "irsa-probe"); st == nil || st.RestartCount != 0 {
					t.Errorf("irsa-probe restarted (liveness must not follow IAM): %s", framework.PodSummary(&p))
				}
			}
		})
	}
}

// podBy applies cond to the pod of ns whose field selector is sel.
func podBy(ns *framework.NS, sel string, cond func(*corev1.Pod) string) string {
	pods := ns.PodsByField(sel)
	if len(pods) != 1 {
		return fmt.Sprintf("%d pods", len(pods))
	}
	return cond(&pods[0])
}
