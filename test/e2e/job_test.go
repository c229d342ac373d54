//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/test/e2e/framework"
)

// jobDone waits for the Job's Complete or Failed condition and returns it.
func jobDone(ns *framework.NS, job string, timeout time.Duration) (cond, reason string) {
	ns.WaitFor("job "+job+" finished", timeout, func() string {
		c := ns.Get(`{range .status.conditions[?(@.status=="True")]}{.type} {.reason};{end}`, "job", job)
		for _, part := range strings.Split(c, ";") {
			typ, r, _ := strings.Cut(part, " ")
			if typ == "Complete" || typ == "Failed" {
				cond, reason = typ, r
				return ""
			}
		}
		return "conditions " + c
	})
	return cond, reason
}

// 4. examples/job: the Job completes while the identity works and fails at
// once (podFailurePolicy on exit 1) when it does not.
func TestJob(t *testing.T) {
	ns := env.Namespace(t, framework.NamespaceOptions{})
	role := env.RoleARN("billing-api")
	env.TrustRole(t, role, ns.Name, "billing-api", false)
	manifest := ns.Render(framework.Kustomization{Dir: "examples/job"})
	ns.Apply(manifest)
	if cond, reason := jobDone(ns, "irsa-probe", 3*time.Minute); cond != "Complete" {
		t.Fatalf("job with a working identity: %s %s", cond, reason)
	}
	logs := ns.Kubectl("logs", "job/irsa-probe")
	assertReportOnly(t, logs, "OK")

	ns.Kubectl("delete", "job", "irsa-probe", "--wait=true")
	env.STS.DeleteRole(role)
	ns.Apply(manifest)
	cond, reason := jobDone(ns, "irsa-probe", 3*time.Minute)
	if cond != "Failed" || reason != "PodFailurePolicy" {
		t.Fatalf("job with the role deleted: %s %s, want Failed PodFailurePolicy", cond, reason)
	}
	logs = ns.Kubectl("logs", "job/irsa-probe")
	assertReportOnly(t, logs, "FAIL")
}

// cronJob is a CronJob whose app exits 0 after a moment (the image's
// version command), for the components to patch.
const cronJob = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      backoffLimit: 0
      activeDeadlineSeconds: 240
      template:
        spec:
          serviceAccountName: billing-api
          restartPolicy: Never
          securityContext:
            fsGroup: 65532
          containers:
            - name: app
              image: %s
              args: ["version"]
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: billing-api
  annotations:
    eks.amazonaws.com/role-arn: %s
`

// 4. The components on a CronJob: a Job created from it completes with the
// init container and with the native sidecar (which stops with the app);
// the classic sidecar component leaves Jobs alone, so it never keeps one
// alive.
func TestCronJobComponents(t *testing.T) {
	for _, component := range []string{"init-container", "native-sidecar", "sidecar"} {
		t.Run(component, func(t *testing.T) {
			ns := env.Namespace(t, framework.NamespaceOptions{})
			role := env.RoleARN("billing-api")
			env.TrustRole(t, role, ns.Name, "billing-api", false)
			dir := t.TempDir()
			manifest := ns.RenderFiles(dir, map[string]string{
				"cronjob.yaml":       fmt.Sprintf(cronJob, env.ImageName, role),
				"kustomization.yaml": "resources: [cronjob.yaml]\ncomponents:\n  - " + ns.RepoPath(dir, "deploy/components/"+component) + "\n",
			})
			patched := strings.Contains(manifest, "name: irsa-probe")
			if patched != (component != "sidecar") {
				t.Fatalf("component %s patched the CronJob: %v\n%s", component, patched, manifest)
			}
			ns.Apply(manifest)
			ns.Kubectl("create", "job", "--from=cronjob/nightly", "nightly-manual")
			if cond, reason := jobDone(ns, "nightly-manual", 3*time.Minute); cond != "Complete" {
				t.Fatalf("job: %s %s", cond, reason)
			}
			if patched {
				logs := ns.Kubectl("logs", "job/nightly-manual", "-c", "irsa-probe")
				if !strings.Contains(logs, "irsa-probe: OK") {
					t.Errorf("irsa-probe in the job:\n%s", logs)
				}
			}
		})
	}
}
