//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/irsa-probe/irsa-probe/test/e2e/framework"
)

// permsPod is a Deployment with the init-container component's probe
// (uid 65532 in its own securityContext) and an app container, with the
// given pod and app securityContext lines.
func permsPod(podSC, appSC string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
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
      securityContext: {%s}
      containers:
        - name: app
          image: %s
          args: ["serve", ":8080"]
          securityContext: {%s}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: billing-api
  annotations:
    eks.amazonaws.com/role-arn: %s
`, podSC, framework.AppImage, appSC, env.RoleARN("billing-api"))
}

// 5. Token file permissions under the real kubelet, the probe as uid 65532
// (the init-container component) and the application as another uid or
// the same, with and without fsGroup, runAsUser on the pod or the
// container: the probe reads the token in every layout the components
// allow. docs/end-to-end.md's matrix is this table.
func TestTokenPermissions(t *testing.T) {
	for _, c := range []struct {
		name, podSC, appSC string
		mode               os.FileMode
		uid, gid           uint32
	}{
		{"fsGroup", "fsGroup: 65532", "runAsUser: 1000", 0o640, 0, 65532},
		{"no-fsGroup-app-1000-container", "", "runAsUser: 1000", 0o644, 0, 0},
		{"no-fsGroup-app-1000-pod", "runAsUser: 1000", "", 0o644, 0, 0},
		{"no-fsGroup-all-65532-pod", "runAsUser: 65532", "", 0o600, 65532, 0},
		{"fsGroup-all-65532-pod", "runAsUser: 65532, fsGroup: 65532", "", 0o640, 65532, 65532},
	} {
		t.Run(c.name, func(t *testing.T) {
			ns := env.Namespace(t, framework.NamespaceOptions{})
			env.TrustRole(t, env.RoleARN("billing-api"), ns.Name, "billing-api", false)
			dir := t.TempDir()
			manifest := ns.RenderFiles(dir, map[string]string{
				"app.yaml":           permsPod(c.podSC, c.appSC),
				"kustomization.yaml": "resources: [app.yaml]\ncomponents:\n  - " + ns.RepoPath(dir, "deploy/components/init-container") + "\n",
			})
			ns.Apply(manifest)
			pod := ns.WaitPod(app, 3*time.Minute, func(p *corev1.Pod) string {
				st := framework.Status(p, "irsa-probe")
				if st == nil || st.State.Terminated == nil && st.LastTerminationState.Terminated == nil {
					return "init container not finished " + framework.PodSummary(p)
				}
				return ""
			})
			info, err := os.Stat(env.Cluster.TokenFile(string(pod.UID), "aws-iam-token", "token"))
			if err != nil {
				t.Fatal(err)
			}
			st := info.Sys().(*syscall.Stat_t)
			t.Logf("token %v %d:%d", info.Mode().Perm(), st.Uid, st.Gid)
			if info.Mode().Perm() != c.mode || st.Uid != c.uid || st.Gid != c.gid {
				t.Errorf("token %v %d:%d, want %v %d:%d", info.Mode().Perm(), st.Uid, st.Gid, c.mode, c.uid, c.gid)
			}
			logs := ns.Kubectl("logs", pod.Name, "-c", "irsa-probe")
			if !strings.HasPrefix(logs, "irsa-probe: OK") {
				t.Errorf("the probe did not pass:\n%s", logs)
			}
		})
	}
}
