//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/irsa-probe/irsa-probe/test/e2e/framework"
)

const injectLabel = "irsa-probe.io/inject"

// 9. deploy/policies/mutating-admission-policy on the real API server
// (MutatingAdmissionPolicy enabled in the harness): it is accepted as
// written; a hardened Deployment in a namespace labelled for injection gets
// the irsa-probe container the policy tests expect, carrying the identity
// EKS's webhook injected, and runs; the injected pods are admitted by the
// restricted level; a pod label picks the native sidecar; the probe has
// the identity though EKS's webhook is never reinvoked (the API server runs
// the policy first, and the webhook then fills the probe in itself); a pod
// whose service account has no role still gets the probe, which fails it
// (Init:Error) naming role-arn-missing; an unlabelled namespace's pods are
// left alone.
func TestMutatingAdmissionPolicy(t *testing.T) {
	applyInjectionPolicy(t)
	wantInit := expectedProbe(t, "pod-init")
	wantSidecar := expectedProbe(t, "pod-sidecar")

	t.Run("init-runs", func(t *testing.T) {
		// The harness puts these pods on the host network under the
		// RuntimeClass Pod Security exempts: restricted is proven below.
		ns := env.Namespace(t, framework.NamespaceOptions{PodSecurity: "restricted"})
		labelNamespace(t, ns, "init")
		env.TrustRole(t, env.RoleARN("billing-api"), ns.Name, "billing-api", false)
		applyHardened(t, ns, "")

		pod := ns.WaitPod(app, 3*time.Minute, framework.PodReady)
		assertInjected(t, &pod, wantInit)
		st := framework.Status(&pod, "irsa-probe")
		if st == nil || st.State.Terminated == nil || st.State.Terminated.ExitCode != 0 {
			t.Fatalf("init container: %s", framework.PodSummary(&pod))
		}
		logs := ns.Kubectl("logs", pod.Name, "-c", "irsa-probe")
		lines := assertReportOnly(t, logs, "OK")
		if want := "identity arn:aws:sts::" + env.Account + ":assumed-role/billing-api/"; !strings.Contains(lines[0], want) {
			t.Errorf("headline %q lacks %q", lines[0], want)
		}
		t.Logf("injected init container exited 0: %s", lines[0])
	})

	t.Run("restricted-admits", func(t *testing.T) {
		// The real verdict: no host network, no exempt RuntimeClass.
		ns := env.Namespace(t, framework.NamespaceOptions{PodSecurity: "restricted", AdmissionOnly: true})
		labelNamespace(t, ns, "init")
		// The control: restricted is enforced here.
		bare := "apiVersion: v1\nkind: Pod\nmetadata: {name: bare}\nspec:\n  containers: [{name: app, image: " + framework.AppImage + "}]\n"
		if r, err := env.Kubectl.Exec(context.Background(), bare, "apply", "-n", ns.Name, "-f", "-"); err == nil && r.ExitCode == 0 || !strings.Contains(r.Stderr, "violates PodSecurity") {
			t.Fatalf("a pod without securityContext was not refused by restricted: exit %d %v\n%s", r.ExitCode, err, r.Stderr)
		}
		applyHardened(t, ns, "")
		pod := waitAdmitted(t, ns)
		assertInjected(t, &pod, wantInit)
	})

	t.Run("sidecar-label", func(t *testing.T) {
		// The pod's label wins over the namespace's.
		ns := env.Namespace(t, framework.NamespaceOptions{PodSecurity: "restricted", AdmissionOnly: true})
		labelNamespace(t, ns, "init")
		applyHardened(t, ns, "sidecar")
		pod := waitAdmitted(t, ns)
		assertInjected(t, &pod, wantSidecar)
	})

	t.Run("identity-without-webhook-reinvocation", func(t *testing.T) {
		// The ordering question: the API server runs the policy before
		// any webhook, so irsa-probe is in the pod when EKS's webhook
		// first sees it, and the webhook injects the identity into it as
		// into every container. With the webhook registered with
		// reinvocationPolicy Never it is called once, and the probe must
		// still carry the identity.
		ns := env.Namespace(t, framework.NamespaceOptions{AdmissionOnly: true})
		labelNamespace(t, ns, "init")
		ns.Kubectl("create", "serviceaccount", "billing-api")
		ns.Kubectl("annotate", "serviceaccount", "billing-api", "eks.amazonaws.com/role-arn="+env.RoleARN("billing-api"))
		setEKSReinvocation(t, "Never")
		t.Cleanup(func() { setEKSReinvocation(t, "IfNeeded") })
		ns.WaitFor("the API server no longer reinvokes EKS's webhook", 30*time.Second, func() string {
			if calls := dryRunCalls(t, ns); calls != 1 {
				return fmt.Sprintf("%d requests for one pod", calls)
			}
			return ""
		})
		before := env.EKSWebhookCalls()
		applyHardened(t, ns, "")
		pod := waitAdmitted(t, ns)
		if calls := env.EKSWebhookCalls() - before; calls != 1 {
			t.Fatalf("EKS's webhook double answered %d requests for the pod, want 1", calls)
		}
		assertInjected(t, &pod, wantInit)
		t.Logf("reinvocationPolicy Never: 1 request for the pod; irsa-probe's identity env %v", identityEnv(pod.Spec.InitContainers[0]))
	})

	t.Run("unannotated-init-error", func(t *testing.T) {
		assertNoRoleFails(t)
	})

	t.Run("unlabelled-untouched", func(t *testing.T) {
		ns := env.Namespace(t, framework.NamespaceOptions{AdmissionOnly: true})
		applyHardened(t, ns, "")
		pod := waitAdmitted(t, ns)
		// EKS's webhook gave it the identity the policy waits for.
		if id := identityEnv(pod.Spec.Containers[0]); id["AWS_ROLE_ARN"] == "" {
			t.Fatalf("EKS's webhook did not inject the identity: %s", framework.PodSummary(&pod))
		}
		for _, c := range append(pod.Spec.InitContainers, pod.Spec.Containers...) {
			if c.Name == "irsa-probe" {
				t.Errorf("a pod of an unlabelled namespace got irsa-probe: %s", framework.PodSummary(&pod))
			}
		}
	})
}

// assertNoRoleFails: in a namespace labelled init, a pod of a service
// account nobody gave a role (EKS's webhook injects nothing) still gets
// irsa-probe, which runs without an identity and fails the pod: Init:Error,
// the termination message and the log naming role-arn-missing and the
// annotate command that fixes it.
func assertNoRoleFails(t *testing.T) {
	t.Helper()
	ns := env.Namespace(t, framework.NamespaceOptions{})
	labelNamespace(t, ns, "init")
	ns.Kubectl("create", "serviceaccount", "billing-api")
	// A bare pod that is never restarted: Init:Error stays.
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: no-role\n  labels: {app.kubernetes.io/name: billing-api}\nspec:\n  serviceAccountName: billing-api\n  restartPolicy: Never\n  containers: [{name: app, image: " + framework.AppImage + ", args: [serve, ':8080']}]\n"
	ns.Apply(pod)
	got := ns.WaitPod(app, 3*time.Minute, func(p *corev1.Pod) string {
		if st := framework.Status(p, "irsa-probe"); st == nil || st.State.Terminated == nil {
			return "irsa-probe not terminated yet: " + framework.PodSummary(p)
		}
		return ""
	})
	if i := slices.IndexFunc(got.Spec.InitContainers, func(c corev1.Container) bool { return c.Name == "irsa-probe" }); i != 0 {
		t.Fatalf("irsa-probe at init container %d, want first: %s", i, framework.PodSummary(&got))
	}
	if id := identityEnv(got.Spec.InitContainers[0]); len(id) > 0 {
		t.Errorf("irsa-probe has identity env %v though the service account has no role", id)
	}
	term := framework.Status(&got, "irsa-probe").State.Terminated
	if term.ExitCode != 1 {
		t.Errorf("irsa-probe exit %d, want 1", term.ExitCode)
	}
	if s := framework.Status(&got, "app"); s != nil && s.State.Running != nil {
		t.Errorf("the app runs: %s", framework.PodSummary(&got))
	}
	// The fix names this service account and namespace; the renderer's
	// exact quoting is the catalog tests'.
	for _, want := range []string{"role-arn-missing", "kubectl annotate serviceaccount", ns.Name, "billing-api", "eks.amazonaws.com/role-arn="} {
		if !strings.Contains(term.Message, want) {
			t.Errorf("termination message lacks %q:\n%s", want, term.Message)
		}
	}
	logs := ns.Kubectl("logs", got.Name, "-c", "irsa-probe")
	if !strings.Contains(logs, "ERROR role-arn-missing") {
		t.Errorf("logs do not name role-arn-missing:\n%s", logs)
	}
	ns.WaitFor("kubectl get pod says Init:Error", time.Minute, func() string {
		if out := ns.Kubectl("get", "pod", got.Name, "--no-headers"); !strings.Contains(out, "Init:Error") {
			return out
		}
		return ""
	})
	t.Logf("a labelled pod without a role: irsa-probe exit %d, Init:Error, %s", term.ExitCode, firstLine(term.Message))
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// applyInjectionPolicy applies the policy as the README's Install says (kubectl
// apply -k), removed when the test ends, and waits until the API server
// enforces it: a server-side dry run of a labelled pod gets the probe.
func applyInjectionPolicy(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(env.Art.Root, "deploy/policies/mutating-admission-policy")
	if out, err := env.Kubectl.Run(ctx, "apply", "-k", dir); err != nil {
		t.Fatalf("the API server refuses the policy: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := env.Kubectl.Run(context.Background(), "delete", "-k", dir, "--wait=true"); err != nil {
			t.Errorf("delete the policy: %v\n%s", err, out)
		}
	})
	waitInjecting(t, true)
}

// waitInjecting waits until a server-side dry run of a pod in a namespace
// labelled init gets irsa-probe (want) or no longer does.
func waitInjecting(t *testing.T, want bool) {
	t.Helper()
	ctx := context.Background()
	ns := env.Namespace(t, framework.NamespaceOptions{AdmissionOnly: true})
	labelNamespace(t, ns, "init")
	probe := `apiVersion: v1
kind: Pod
metadata: {name: dry-run}
spec:
  containers:
    - name: app
      image: ` + framework.AppImage + `
      env: [{name: AWS_ROLE_ARN, value: "arn:aws:iam::111122223333:role/dry-run"}]
`
	ns.WaitFor(fmt.Sprintf("the policy enforced: %v", want), time.Minute, func() string {
		r, err := env.Kubectl.Exec(ctx, probe, "create", "--dry-run=server", "-o", "jsonpath={.spec.initContainers[*].name}", "-n", ns.Name, "-f", "-")
		if err != nil || r.ExitCode != 0 {
			return fmt.Sprintf("exit %d %v %s", r.ExitCode, err, r.Stderr)
		}
		if strings.Contains(r.Stdout, "irsa-probe") != want {
			return "init containers: " + r.Stdout
		}
		return ""
	})
}

// dryRunCalls creates a pod of billing-api server-side, dry run (webhooks
// with no side effects are called), checks it got irsa-probe, and returns
// how many requests EKS's webhook double answered meanwhile.
func dryRunCalls(t *testing.T, ns *framework.NS) int64 {
	t.Helper()
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: dry-run}\nspec:\n  serviceAccountName: billing-api\n  containers: [{name: app, image: " + framework.AppImage + "}]\n"
	before := env.EKSWebhookCalls()
	r, err := env.Kubectl.Exec(context.Background(), pod, "create", "--dry-run=server", "-o", "jsonpath={.spec.initContainers[*].name}", "-n", ns.Name, "-f", "-")
	if err != nil || r.ExitCode != 0 || r.Stdout != "irsa-probe" {
		t.Fatalf("dry run: exit %d %v, init containers %q\n%s", r.ExitCode, err, r.Stdout, r.Stderr)
	}
	return env.EKSWebhookCalls() - before
}

// setEKSReinvocation sets the reinvocationPolicy of EKS's webhook double.
func setEKSReinvocation(t *testing.T, policy string) {
	t.Helper()
	patch := `[{"op": "replace", "path": "/webhooks/0/reinvocationPolicy", "value": "` + policy + `"}]`
	if out, err := env.Kubectl.Run(context.Background(), "patch", "mutatingwebhookconfiguration", framework.EKSWebhookConfiguration, "--type=json", "-p", patch); err != nil {
		t.Fatalf("patch %s: %v\n%s", framework.EKSWebhookConfiguration, err, out)
	}
}

func labelNamespace(t *testing.T, ns *framework.NS, mode string) {
	t.Helper()
	if out, err := env.Kubectl.Run(context.Background(), "label", "namespace", ns.Name, injectLabel+"="+mode); err != nil {
		t.Fatalf("label namespace: %v\n%s", err, out)
	}
}

// applyHardened applies hardenedWorkload with its service account given
// the role, and the pod label podMode when not "".
func applyHardened(t *testing.T, ns *framework.NS, podMode string) {
	t.Helper()
	manifest := fmt.Sprintf(hardenedWorkload, framework.AppImage)
	manifest += "  annotations: {eks.amazonaws.com/role-arn: \"" + env.RoleARN("billing-api") + "\"}\n"
	if podMode != "" {
		manifest = strings.Replace(manifest, "labels: {app.kubernetes.io/name: billing-api}\n    spec:",
			"labels: {app.kubernetes.io/name: billing-api, "+injectLabel+": "+podMode+"}\n    spec:", 1)
		if !strings.Contains(manifest, injectLabel) {
			t.Fatal("the pod template's labels moved: update applyHardened")
		}
	}
	r, err := env.Kubectl.Exec(context.Background(), manifest, "apply", "-n", ns.Name, "-f", "-")
	if err != nil || r.ExitCode != 0 {
		t.Fatalf("apply: exit %d %v\n%s", r.ExitCode, err, r.Stderr)
	}
}

// waitAdmitted waits for the ReplicaSet's pod: a refusal by Pod Security
// is a FailedCreate event, and fails the test.
func waitAdmitted(t *testing.T, ns *framework.NS) corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	ns.WaitFor("a pod created", time.Minute, func() string {
		ev := ns.Get(`{range .items[?(@.reason=="FailedCreate")]}{.message}{"\n"}{end}`, "events")
		if strings.Contains(ev, "PodSecurity") {
			t.Fatalf("pod refused by Pod Security:\n%s", ev)
		}
		if pods = ns.Pods(app); len(pods) == 0 {
			return "no pod; events: " + ev
		}
		return ""
	})
	return pods[0]
}

// expectedProbe is the irsa-probe container of the named pod in the
// policies' expected output (deploy/policies/test/expected.yaml), which the
// Kyverno CLI tests check both policies against.
func expectedProbe(t *testing.T, name string) corev1.Container {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(env.Art.Root, "deploy/policies/test/expected.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(b), "\n---\n") {
		var pod corev1.Pod
		if err := yaml.UnmarshalStrict([]byte(doc), &pod); err != nil || pod.Name != name {
			continue
		}
		for _, c := range pod.Spec.InitContainers {
			if c.Name == "irsa-probe" {
				return c
			}
		}
	}
	t.Fatalf("no irsa-probe container for pod %s in expected.yaml", name)
	return corev1.Container{}
}

// assertInjected checks the pod's irsa-probe init container is want, the
// expected one, with the identity this pod's app container got from EKS's
// webhook (the fixture's is another account's), once the harness's own
// additions and the API server's defaults are set aside. It must come
// first, so it runs before any other init container.
func assertInjected(t *testing.T, pod *corev1.Pod, want corev1.Container) {
	t.Helper()
	if len(pod.Spec.InitContainers) == 0 || pod.Spec.InitContainers[0].Name != "irsa-probe" {
		t.Fatalf("irsa-probe is not the first init container: %s", framework.PodSummary(pod))
	}
	got := harnessless(pod.Spec.InitContainers[0])
	app := harnessless(pod.Spec.Containers[0])
	identity := identityEnv(app)
	if identity["AWS_ROLE_ARN"] != env.RoleARN("billing-api") || identity["AWS_WEB_IDENTITY_TOKEN_FILE"] == "" {
		t.Fatalf("the app container lacks the webhook's identity: %v", identity)
	}
	// The policy copies the app's identity env and token mount, in order.
	var wantEnv []corev1.EnvVar
	for _, e := range want.Env {
		if !strings.HasPrefix(e.Name, "AWS_") {
			wantEnv = append(wantEnv, e)
		}
	}
	for _, e := range app.Env {
		if _, ok := identity[e.Name]; ok {
			wantEnv = append(wantEnv, e)
		}
	}
	want.Env = wantEnv
	want.VolumeMounts = nil
	for _, m := range app.VolumeMounts {
		if m.Name == "aws-iam-token" {
			want.VolumeMounts = append(want.VolumeMounts, corev1.VolumeMount{Name: m.Name, MountPath: m.MountPath, ReadOnly: true})
		}
	}
	if g, w := jsonOf(t, got), jsonOf(t, want); g != w {
		t.Errorf("injected container differs from the policy tests' expected one\n got: %s\nwant: %s", g, w)
	}
	// The webhook ordering question, answered on the real API server.
	if probeID := identityEnv(got); probeID["AWS_ROLE_ARN"] != identity["AWS_ROLE_ARN"] || probeID["AWS_WEB_IDENTITY_TOKEN_FILE"] != identity["AWS_WEB_IDENTITY_TOKEN_FILE"] {
		t.Errorf("irsa-probe's identity env %v, want the app's %v", probeID, identity)
	}
}

// identityEnv is a container's env among the names the policy copies.
func identityEnv(c corev1.Container) map[string]string {
	names := []string{"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_STS_REGIONAL_ENDPOINTS", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"}
	out := map[string]string{}
	for _, e := range c.Env {
		if slices.Contains(names, e.Name) && e.ValueFrom == nil {
			out[e.Name] = e.Value
		}
	}
	return out
}

// harnessless is c without what the harness's mutation adds (the
// emulators' env and CA mount) and the API server's defaults.
func harnessless(c corev1.Container) corev1.Container {
	injected := map[string]bool{framework.CAConfigMap: true}
	for _, e := range env.InjectedEnv() {
		injected[e.Name] = true
	}
	c.Env = slices.DeleteFunc(slices.Clone(c.Env), func(e corev1.EnvVar) bool { return injected[e.Name] })
	// The ServiceAccount admission plugin's API token mount: irsa-probe
	// gets it like every container (as the components' does) once the
	// policy adds it before that plugin runs again after the webhooks.
	c.VolumeMounts = slices.DeleteFunc(slices.Clone(c.VolumeMounts), func(m corev1.VolumeMount) bool {
		return injected[m.Name] || strings.HasPrefix(m.Name, "kube-api-access-")
	})
	c.ImagePullPolicy, c.TerminationMessagePath = "", ""
	for i, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			ref := *e.ValueFrom.FieldRef
			ref.APIVersion = ""
			c.Env[i].ValueFrom = &corev1.EnvVarSource{FieldRef: &ref}
		}
	}
	for _, p := range []**corev1.Probe{&c.LivenessProbe, &c.ReadinessProbe, &c.StartupProbe} {
		if *p != nil && (*p).HTTPGet != nil {
			q := **p
			get := *q.HTTPGet
			get.Scheme = ""
			q.HTTPGet, q.SuccessThreshold = &get, 0
			*p = &q
		}
	}
	return c
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
