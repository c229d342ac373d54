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

// appDeployment is a Deployment of the stand-in application under the
// role's service account, as user uid ("": the image's, 101:101 as
// nginx-unprivileged's), dropping every capability (dropAll).
func appDeployment(uid string, dropAll bool) string {
	var sc, podSC string
	if dropAll {
		sc = `
          securityContext:
            allowPrivilegeEscalation: false
            capabilities: {drop: ["ALL"]}`
	}
	if uid != "" {
		podSC = `
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}`
		sc += "\n            runAsUser: " + uid
	}
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
      serviceAccountName: billing-api%s
      containers:
        - name: app
          image: %s
          args: ["serve", ":8080"]%s
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: billing-api
  annotations:
    eks.amazonaws.com/role-arn: %s
`, podSC, framework.AppImage, sc, env.RoleARN("billing-api"))
}

// plugin runs kubectl irsa-probe (the plugin from bin/, on PATH) and
// returns its result.
func plugin(t *testing.T, args ...string) framework.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	r, err := env.Kubectl.Exec(ctx, "", append([]string{"irsa-probe"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// 6. kubectl irsa-probe POD against a running pod in a restricted
// namespace: the ephemeral container is admitted, runs as the
// application's uid, the report streams and the exit code is the probe's;
// then in a baseline namespace with an application that has no runAsUser.
func TestPluginRestricted(t *testing.T) {
	ns := env.Namespace(t, framework.NamespaceOptions{PodSecurity: "restricted"})
	role := env.RoleARN("billing-api")
	env.TrustRole(t, role, ns.Name, "billing-api", false)
	ns.Apply(appDeployment("1000", true))
	pod := ns.WaitPod(app, 3*time.Minute, framework.PodReady)

	r := plugin(t, pod.Name, "-n", ns.Name)
	if r.ExitCode != 0 {
		t.Fatalf("kubectl irsa-probe: exit %d\nstdout:\n%s\nstderr:\n%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	if !strings.Contains(r.Stdout, "irsa-probe: OK — identity arn:aws:sts::"+env.Account+":assumed-role/billing-api/") {
		t.Errorf("report:\n%s\nstderr:\n%s", r.Stdout, r.Stderr)
	}
	uids := ns.Get(`{range .spec.ephemeralContainers[*]}{.securityContext.runAsUser}{" "}{end}`, "pod", pod.Name)
	if strings.TrimSpace(uids) != "1000" {
		t.Errorf("ephemeral containers run as %q, want the app's 1000", uids)
	}

	env.STS.DeleteRole(role)
	r = plugin(t, pod.Name, "-n", ns.Name)
	if r.ExitCode != 1 || !strings.Contains(r.Stdout, "irsa-probe: FAIL") {
		t.Errorf("with the role deleted: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	names := strings.Fields(ns.Get(`{.spec.ephemeralContainers[*].name}`, "pod", pod.Name))
	if len(names) != 2 || names[0] == names[1] {
		t.Errorf("ephemeral containers %v: want two, distinct", names)
	}
}

// The application's image decides its user (nginx-unprivileged's 101:101)
// and the pod spec does not say: the plugin asks for --uid instead of
// guessing, and with it the probe runs as that user.
func TestPluginBaselineNoRunAsUser(t *testing.T) {
	t.Run("capabilities-dropped", func(t *testing.T) { pluginNoRunAsUser(t, true) })
	t.Run("default-capabilities", func(t *testing.T) { pluginNoRunAsUser(t, false) })
}

func pluginNoRunAsUser(t *testing.T, dropAll bool) {
	ns := env.Namespace(t, framework.NamespaceOptions{PodSecurity: "baseline"})
	env.TrustRole(t, env.RoleARN("billing-api"), ns.Name, "billing-api", false)
	ns.Apply(appDeployment("", dropAll))
	pod := ns.WaitPod(app, 3*time.Minute, framework.PodReady)
	r := plugin(t, pod.Name, "-n", ns.Name)
	if r.ExitCode != 2 || !strings.Contains(r.Stderr, "--uid=UID") {
		t.Errorf("without --uid: exit %d, want 2 and the hint to pass --uid\nstdout:\n%s\nstderr:\n%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	r = plugin(t, pod.Name, "-n", ns.Name, "--uid=101", "--gid=101")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "irsa-probe: OK") {
		t.Errorf("--uid=101 --gid=101: exit %d, want 0 with the report\nstdout:\n%s\nstderr:\n%s\napp: %s", r.ExitCode, r.Stdout, r.Stderr,
			env.Cluster.ProcStatus(framework.Status(&pod, "app").ContainerID))
	}
}
