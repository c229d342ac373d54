//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/test/e2e/framework"
)

// 10. The Helm chart (deploy/helm/irsa-probe) installed, upgraded and
// uninstalled on the real API server, as a platform team runs it:
//   - the defaults on a cluster without Kyverno's or the Prometheus
//     operator's APIs install the dashboard ConfigMap and nothing else, and
//     the notes helm prints name each skipped object, its API and the value
//     to change;
//   - an upgrade to engine mutatingAdmissionPolicy, with a minimal
//     PrometheusRule CRD the test writes (no operator runs), creates the
//     policy, its binding, the PrometheusRule and the ConfigMap; a labelled
//     pod is injected and runs, as TestMutatingAdmissionPolicy proves for
//     kustomize;
//   - helm uninstall leaves nothing of the chart behind, and pods are no
//     longer injected.
func TestHelmChart(t *testing.T) {
	helm := helmBinary(t)
	chart := filepath.Join(env.Art.Root, "deploy/helm/irsa-probe")
	release := "irsa-probe-" + env.RunID
	if len(release) > 53 {
		release = release[:53]
	}
	ns := env.Namespace(t, framework.NamespaceOptions{AdmissionOnly: true})
	run := func(t *testing.T, args ...string) string {
		t.Helper()
		out, err := helmRun(helm, append(args, "--namespace", ns.Name)...)
		if err != nil {
			t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	uninstalled := false
	t.Cleanup(func() {
		// Pass or fail: the release, then what a failed uninstall could
		// leave (the cluster-scoped policy outlives the namespace).
		if !uninstalled {
			if out, err := helmRun(helm, "uninstall", release, "--namespace", ns.Name, "--wait", "--timeout=1m"); err != nil && !strings.Contains(out, "not found") {
				t.Errorf("helm uninstall: %v\n%s", err, out)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, obj := range []string{"mutatingadmissionpolicybinding/irsa-probe-inject", "mutatingadmissionpolicy/irsa-probe-inject"} {
			if out, err := env.Kubectl.Run(ctx, "delete", obj, "--ignore-not-found", "--wait=true"); err != nil {
				t.Errorf("delete %s: %v\n%s", obj, err, out)
			}
		}
	})

	t.Run("defaults-without-crds", func(t *testing.T) {
		out := run(t, "install", release, chart, "--wait", "--timeout=2m")
		for _, want := range []string{
			"- SKIPPED injection: this cluster serves no policies.kyverno.io/v1/MutatingPolicy, which injection.engine=kyverno-cel needs",
			"or set injection.engine to an engine it serves",
			"- SKIPPED PrometheusRule: this cluster serves no monitoring.coreos.com/v1/PrometheusRule",
			"- ConfigMap irsa-probe-grafana-dashboard",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("helm install's notes lack %q:\n%s", want, out)
			}
		}
		if got := releaseObjects(t, release); got != "ConfigMap/"+ns.Name+"/irsa-probe-grafana-dashboard" {
			t.Errorf("objects of the release: %s, want the dashboard ConfigMap only", got)
		}
		t.Logf("helm install with the defaults and no CRDs:\n%s", notes(out))
	})

	t.Run("upgrade-admission-policy-and-prometheusrule", func(t *testing.T) {
		createPrometheusRuleCRD(t)
		out := run(t, "upgrade", release, chart, "--set", "injection.engine=mutatingAdmissionPolicy", "--wait", "--timeout=2m")
		if strings.Contains(out, "SKIPPED") {
			t.Errorf("helm upgrade skipped something:\n%s", out)
		}
		want := strings.Join([]string{
			"ConfigMap/" + ns.Name + "/irsa-probe-grafana-dashboard",
			"MutatingAdmissionPolicy//irsa-probe-inject",
			"MutatingAdmissionPolicyBinding//irsa-probe-inject",
			"PrometheusRule/" + ns.Name + "/irsa-probe",
		}, " ")
		if got := releaseObjects(t, release); got != want {
			t.Errorf("objects of the release:\n got %s\nwant %s", got, want)
		}
		t.Logf("helm upgrade --set injection.engine=mutatingAdmissionPolicy with the PrometheusRule CRD:\n%s", notes(out))
		// Its own namespace, named for this subtest: the policy enforced.
		waitInjecting(t, true)
	})

	t.Run("labelled-pod-injected-and-runs", func(t *testing.T) {
		apps := env.Namespace(t, framework.NamespaceOptions{PodSecurity: "restricted"})
		labelNamespace(t, apps, "init")
		env.TrustRole(t, env.RoleARN("billing-api"), apps.Name, "billing-api", false)
		applyHardened(t, apps, "")
		pod := apps.WaitPod(app, 3*time.Minute, framework.PodReady)
		assertInjected(t, &pod, expectedProbe(t, "pod-init"))
		st := framework.Status(&pod, "irsa-probe")
		if st == nil || st.State.Terminated == nil || st.State.Terminated.ExitCode != 0 {
			t.Fatalf("init container: %s", framework.PodSummary(&pod))
		}
		lines := assertReportOnly(t, apps.Kubectl("logs", pod.Name, "-c", "irsa-probe"), "OK")
		t.Logf("the chart's policy injected irsa-probe, which exited 0: %s", lines[0])
	})

	t.Run("uninstall-leaves-nothing", func(t *testing.T) {
		out := run(t, "uninstall", release, "--wait", "--timeout=1m")
		uninstalled = true
		ns.WaitFor("nothing of the chart left", time.Minute, func() string {
			return releaseObjects(t, release)
		})
		if secrets := ns.Kubectl("get", "secrets", "-l", "owner=helm,name="+release, "-o", "name"); strings.TrimSpace(secrets) != "" {
			t.Errorf("helm's release records remain: %s", secrets)
		}
		waitInjecting(t, false)
		t.Logf("helm uninstall: %s", strings.TrimSpace(out))
	})
}

// helmBinary is the helm make release-tools installs: on PATH or in
// $(go env GOPATH)/bin. A local binary, run inside the suite's network
// namespace. Missing, the test fails in CI and is skipped elsewhere.
func helmBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("helm"); err == nil {
		return p
	}
	gobin := os.Getenv("GOBIN")
	if gobin == "" {
		out, _ := exec.Command("go", "env", "GOPATH").Output()
		gobin = filepath.Join(strings.TrimSpace(string(out)), "bin")
	}
	if p := filepath.Join(gobin, "helm"); fileExists(p) {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("helm not found (PATH, %s): run make release-tools", gobin)
	}
	t.Skipf("helm not found (PATH, %s): run make release-tools", gobin)
	return ""
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// helmRun runs helm against the suite's cluster, with no repositories,
// plugins or caches of the machine's, bounded by three minutes.
func helmRun(helm string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	home, err := os.MkdirTemp("", "irsa-probe-e2e-helm-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(home)
	cmd := exec.CommandContext(ctx, helm, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+env.Kubectl.Kubeconfig,
		"HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// notes is the NOTES part of helm's output.
func notes(out string) string {
	if _, after, ok := strings.Cut(out, "NOTES:\n"); ok {
		return after
	}
	return out
}

// releaseObjects lists, sorted, the objects of the kinds the chart can
// create that carry the release's annotation (helm writes
// meta.helm.sh/release-name on every object it creates) as
// Kind/namespace/name, or "" for none.
func releaseObjects(t *testing.T, release string) string {
	t.Helper()
	kinds := "configmaps,mutatingadmissionpolicies.admissionregistration.k8s.io,mutatingadmissionpolicybindings.admissionregistration.k8s.io"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if r, err := env.Kubectl.Exec(ctx, "", "get", "crd", "prometheusrules.monitoring.coreos.com"); err == nil && r.ExitCode == 0 {
		kinds += ",prometheusrules.monitoring.coreos.com"
	}
	tmpl := `{{range .items}}{{$o := .}}{{with .metadata.annotations}}{{with index . "meta.helm.sh/release-name"}}{{if eq . "` + release + `"}}` +
		`{{$o.kind}}/{{with $o.metadata.namespace}}{{.}}{{end}}/{{$o.metadata.name}}{{"\n"}}{{end}}{{end}}{{end}}{{end}}`
	out, err := env.Kubectl.Run(ctx, "get", kinds, "--all-namespaces", "-o", "go-template="+tmpl)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(out)
	slices.Sort(lines)
	return strings.Join(lines, " ")
}

// createPrometheusRuleCRD writes the Prometheus operator's PrometheusRule
// CRD at its smallest (any spec), labelled with the run, and deletes it
// when the test ends.
func createPrometheusRuleCRD(t *testing.T) {
	t.Helper()
	const name = "prometheusrules.monitoring.coreos.com"
	crd := fmt.Sprintf(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: %s
  labels: {%s: %q}
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {kind: PrometheusRule, listKind: PrometheusRuleList, plural: prometheusrules, singular: prometheusrule}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`, name, framework.LabelRun, env.RunID)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if out, err := env.Kubectl.RunStdin(ctx, crd, "create", "-f", "-"); err != nil {
		t.Fatalf("create the PrometheusRule CRD: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		if out, err := env.Kubectl.Run(ctx, "delete", "crd", "-l", framework.LabelRun+"="+env.RunID, "--wait=true", "--timeout=80s"); err != nil {
			t.Errorf("delete the PrometheusRule CRD: %v\n%s", err, out)
		}
	})
	if out, err := env.Kubectl.Run(ctx, "wait", "--for=condition=Established", "crd/"+name, "--timeout=60s"); err != nil {
		t.Fatalf("the PrometheusRule CRD: %v\n%s", err, out)
	}
	// Served in discovery, where helm reads .Capabilities.APIVersions.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := env.Kubectl.Run(ctx, "get", "--raw", "/apis/monitoring.coreos.com/v1")
		if err == nil && strings.Contains(out, `"kind":"PrometheusRule"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the PrometheusRule CRD is not in discovery after 30s: %v %s", err, out)
		}
		time.Sleep(time.Second)
	}
}

// 11. What a user sees applying a Kyverno policy to a cluster without
// Kyverno: kubectl's refusal naming the missing kind, as docs/install.md
// quotes it (the test checks the quote).
func TestInstallWithoutKyverno(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(env.Art.Root, "docs/install.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ dir, want string }{
		{"deploy/policies/kyverno-cel", `no matches for kind "MutatingPolicy" in version "policies.kyverno.io/v1"`},
		{"deploy/policies/kyverno", `no matches for kind "ClusterPolicy" in version "kyverno.io/v1"`},
	} {
		r, err := env.Kubectl.Exec(context.Background(), "", "apply", "-k", filepath.Join(env.Art.Root, c.dir))
		if err != nil {
			t.Fatal(err)
		}
		if r.ExitCode == 0 {
			t.Errorf("kubectl apply -k %s succeeded without Kyverno:\n%s", c.dir, r.Stdout)
			continue
		}
		for _, want := range []string{c.want, "ensure CRDs are installed first"} {
			if !strings.Contains(r.Stderr, want) {
				t.Errorf("kubectl apply -k %s: stderr lacks %q:\n%s", c.dir, want, r.Stderr)
			}
			if !strings.Contains(string(doc), want) {
				t.Errorf("docs/install.md does not quote %q", want)
			}
		}
		t.Logf("kubectl apply -k %s: exit %d\n%s", c.dir, r.ExitCode, r.Stderr)
	}
}
