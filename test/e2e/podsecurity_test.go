//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/test/e2e/framework"
)

// hardenedWorkload is a Deployment whose own container meets the
// restricted level, for the components to patch.
const hardenedWorkload = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: billing-api
spec:
  replicas: 1
  selector:
    matchLabels: {app.kubernetes.io/name: billing-api}
  template:
    metadata:
      labels: {app.kubernetes.io/name: billing-api}
    spec:
      serviceAccountName: billing-api
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: app
          image: %s
          args: ["serve", ":8080"]
          securityContext:
            runAsUser: 1000
            allowPrivilegeEscalation: false
            capabilities: {drop: ["ALL"]}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: billing-api
`

// 8. Pod Security: every shipped component, applied to a workload whose
// own containers are hardened, is admitted in a restricted namespace by the
// real API server (no warning at apply, the ReplicaSet creates its pod);
// so are the examples' own workloads. These pods get the real verdict: the
// namespace is not the harness's host-network one.
func TestPodSecurityRestricted(t *testing.T) {
	type target struct{ name, manifest string }
	var targets []target
	for _, component := range []string{"init-container", "native-sidecar", "sidecar", "sidecar-keep-readiness"} {
		targets = append(targets, target{"component " + component, ""})
	}
	for _, example := range []string{"init-container", "native-sidecar", "sidecar", "job"} {
		targets = append(targets, target{"example " + example, ""})
	}
	for _, tg := range targets {
		t.Run(strings.ReplaceAll(tg.name, " ", "-"), func(t *testing.T) {
			ns := env.Namespace(t, framework.NamespaceOptions{PodSecurity: "restricted", AdmissionOnly: true})
			kind, name, _ := strings.Cut(tg.name, " ")
			var manifest string
			if kind == "component" {
				dir := t.TempDir()
				manifest = ns.RenderFiles(dir, map[string]string{
					"workload.yaml":      fmt.Sprintf(hardenedWorkload, framework.AppImage),
					"kustomization.yaml": "resources: [workload.yaml]\ncomponents:\n  - " + ns.RepoPath(dir, "deploy/components/"+name) + "\n",
				})
			} else {
				manifest = ns.Render(framework.Kustomization{Dir: "examples/" + name})
			}
			r, err := env.Kubectl.Exec(context.Background(), manifest, "apply", "-n", ns.Name, "-f", "-")
			if err != nil || r.ExitCode != 0 {
				t.Fatalf("apply: exit %d %v\n%s", r.ExitCode, err, r.Stderr)
			}
			if strings.Contains(r.Stderr, "violate PodSecurity") {
				t.Errorf("the API server warns at apply:\n%s", r.Stderr)
			}
			// Pods are admitted (or refused) when the controllers create
			// them: a refusal is a FailedCreate event naming PodSecurity.
			ns.WaitFor("a pod created", time.Minute, func() string {
				ev := ns.Get(`{range .items[?(@.reason=="FailedCreate")]}{.message}{"\n"}{end}`, "events")
				if strings.Contains(ev, "PodSecurity") {
					t.Fatalf("pod refused by Pod Security:\n%s", ev)
				}
				if out := ns.Get("{.items[*].metadata.name}", "pods"); out == "" {
					return "no pod; events: " + ev
				}
				return ""
			})
		})
	}
}
