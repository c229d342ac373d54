//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/irsa-probe/irsa-probe/test/e2e/framework"
)

const app = "app.kubernetes.io/name=billing-api"

// noRoleAnnotation removes the example service account's role: the pods of
// a service account nobody gave a role.
const noRoleAnnotation = `patches:
  - target: {kind: ServiceAccount, name: billing-api}
    patch: |
      - op: remove
        path: /metadata/annotations/eks.amazonaws.com~1role-arn
`

// 1. examples/init-container as kustomize renders it: the init container
// passes with the token the kubelet projected and the app starts.
func TestInitContainerPasses(t *testing.T) {
	ns := env.Namespace(t, framework.NamespaceOptions{})
	env.TrustRole(t, env.RoleARN("billing-api"), ns.Name, "billing-api", false)
	ns.Apply(ns.Render(framework.Kustomization{Dir: "examples/init-container", Replicas: []string{"billing-api"}}))

	pod := ns.WaitPod(app, 3*time.Minute, framework.PodReady)
	st := framework.Status(&pod, "irsa-probe")
	if st == nil || st.State.Terminated == nil || st.State.Terminated.ExitCode != 0 {
		t.Fatalf("init container: %s", framework.PodSummary(&pod))
	}
	logs := ns.Kubectl("logs", "deploy/billing-api", "-c", "irsa-probe")
	lines := assertReportOnly(t, logs, "OK")
	want := "identity arn:aws:sts::" + env.Account + ":assumed-role/billing-api/"
	if !strings.Contains(lines[0], want) || !strings.Contains(logs, "mechanism irsa") {
		t.Errorf("headline %q lacks %q", lines[0], want)
	}
	// The signature step verified the kubelet's token against the issuer.
	if !strings.Contains(logs, "[pass]    signature") || !strings.Contains(logs, "sub system:serviceaccount:"+ns.Name+":billing-api") {
		t.Errorf("report:\n%s", logs)
	}
}

// 2. The same with a service account that has no role: the init container
// fails, the pod stays in Init:Error/Init:CrashLoopBackOff, and both the
// logs and the termination message name the finding and its fix.
func TestInitContainerNoRole(t *testing.T) {
	ns := env.Namespace(t, framework.NamespaceOptions{})
	ns.Apply(ns.Render(framework.Kustomization{Dir: "examples/init-container", Replicas: []string{"billing-api"}, Extra: noRoleAnnotation}))

	pod := ns.WaitPod(app, 3*time.Minute, func(p *corev1.Pod) string {
		st := framework.Status(p, "irsa-probe")
		if st == nil || st.LastTerminationState.Terminated == nil && st.State.Terminated == nil {
			return "init container not failed yet " + framework.PodSummary(p)
		}
		return ""
	})
	if pod.Status.Phase != corev1.PodPending {
		t.Errorf("phase %s, want Pending (app never started)", pod.Status.Phase)
	}
	for _, s := range pod.Status.ContainerStatuses {
		if s.State.Running != nil {
			t.Errorf("app container %s runs: %s", s.Name, framework.PodSummary(&pod))
		}
	}
	st := framework.Status(&pod, "irsa-probe")
	term := st.State.Terminated
	if term == nil {
		term = st.LastTerminationState.Terminated
	}
	if term.ExitCode != 1 {
		t.Errorf("init container exit %d, want 1", term.ExitCode)
	}
	fix := "kubectl annotate serviceaccount --namespace=" + ns.Name + " billing-api eks.amazonaws.com/role-arn="
	if !strings.Contains(term.Message, "role-arn-missing") || !strings.Contains(term.Message, fix) {
		t.Errorf("termination message does not name role-arn-missing and %q:\n%s", fix, term.Message)
	}
	logs := ns.Kubectl("logs", pod.Name, "-c", "irsa-probe")
	if st.State.Terminated == nil {
		// Restarting: the last run's logs.
		logs = ns.Kubectl("logs", pod.Name, "-c", "irsa-probe", "--previous")
	}
	assertReportOnly(t, logs, "FAIL")
	if !strings.Contains(logs, "ERROR role-arn-missing") || !strings.Contains(logs, fix) {
		t.Errorf("logs do not name role-arn-missing and %q:\n%s", fix, logs)
	}
	ns.WaitFor("Init:Error or Init:CrashLoopBackOff", time.Minute, func() string {
		out := ns.Kubectl("get", "pod", pod.Name, "--no-headers")
		if !strings.Contains(out, "Init:Error") && !strings.Contains(out, "Init:CrashLoopBackOff") {
			return out
		}
		return ""
	})
}
