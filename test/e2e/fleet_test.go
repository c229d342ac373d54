//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/irsa-probe/irsa-probe/probe/fleet"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
	"github.com/irsa-probe/irsa-probe/test/e2e/framework"
)

// fleetApp is a service account without a role and a Deployment of the
// stand-in under it. Recreate: the pods share the host's port 8080, so a
// rollout's new pod must wait for the old one to go.
func fleetApp(name string) string {
	return strings.ReplaceAll(`apiVersion: v1
kind: ServiceAccount
metadata:
  name: NAME
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: NAME
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector:
    matchLabels: {app.kubernetes.io/name: NAME}
  template:
    metadata:
      labels: {app.kubernetes.io/name: NAME}
    spec:
      serviceAccountName: NAME
      containers:
        - name: app
          image: `+framework.AppImage+`
          args: ["serve", ":8080"]
`, "NAME", name)
}

// annotatedServiceAccounts are service accounts naming roles, without pods.
func annotatedServiceAccounts(roles map[string]string) string {
	var b strings.Builder
	for sa, role := range roles {
		b.WriteString("---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: " + sa +
			"\n  annotations:\n    eks.amazonaws.com/role-arn: " + role + "\n")
	}
	return b.String()
}

// fleetRow is the table row of namespace/serviceAccount: NAMESPACE,
// SERVICE ACCOUNT, MECHANISM, ROLE, PODS, STATE, FINDING (nil if absent).
func fleetRow(out, namespace, serviceAccount string) []string {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 7 && f[0] == namespace && f[1] == serviceAccount {
			return f
		}
	}
	return nil
}

// rolledOut waits for the Deployment's one pod to be a new one (not
// before), Ready, with the webhook's AWS_ROLE_ARN role.
func rolledOut(ns *framework.NS, selector, before, role string) {
	ns.WaitFor("the restarted pod, Ready with "+role, 3*time.Minute, func() string {
		var live []corev1.Pod
		for _, p := range ns.Pods(selector) {
			if p.DeletionTimestamp == nil {
				live = append(live, p)
			}
		}
		if len(live) != 1 {
			return "pods: " + strings.Join(podNames(live), " ")
		}
		p := &live[0]
		if p.Name == before {
			return "still the old pod " + before
		}
		if got := envOf(p, "app", "AWS_ROLE_ARN"); got != role {
			return p.Name + " has AWS_ROLE_ARN=" + got
		}
		return framework.PodReady(p)
	})
}

func podNames(pods []corev1.Pod) []string {
	var names []string
	for _, p := range pods {
		names = append(names, p.Name)
	}
	return names
}

func envOf(p *corev1.Pod, container, name string) string {
	for _, c := range p.Spec.Containers {
		if c.Name != container {
			continue
		}
		for _, e := range c.Env {
			if e.Name == name {
				return e.Value
			}
		}
	}
	return ""
}

// restartFix is the one `kubectl rollout restart` the report prints for
// deployment/name in namespace, as printed.
func restartFix(t *testing.T, out, namespace, name string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\s+(kubectl rollout restart deployment/` + regexp.QuoteMeta(name) + ` --namespace=` + regexp.QuoteMeta(namespace) + `)\s*$`)
	m := re.FindAllStringSubmatch(out, -1)
	if len(m) != 1 {
		t.Fatalf("want one `kubectl rollout restart deployment/%s --namespace=%s` in the report, found %d:\n%s", name, namespace, len(m), out)
	}
	return m[0][1]
}

// paste runs a command the report printed, word for word, with the
// harness's kubectl (its KUBECONFIG, as a user's shell has).
func paste(t *testing.T, command string) string {
	t.Helper()
	words := strings.Fields(command)
	if words[0] != "kubectl" {
		t.Fatalf("not a kubectl command: %q", command)
	}
	out, err := env.Kubectl.Run(context.Background(), words[1:]...)
	if err != nil {
		t.Fatalf("pasting %q: %v", command, err)
	}
	t.Logf("$ %s\n%s", command, out)
	return out
}

// Drift on the real cluster: a pod started before its service account's
// annotation is identity-not-injected, the restart the report prints
// fixes it, and a changed annotation is role-drift.
func TestFleetDrift(t *testing.T) {
	ns := env.Namespace(t, framework.NamespaceOptions{})
	const sel = "app.kubernetes.io/name=ledger"
	role, role2 := env.RoleARN("ledger"), env.RoleARN("ledger-v2")
	ns.Apply(fleetApp("ledger"))
	before := ns.WaitPod(sel, 3*time.Minute, framework.PodReady)
	if got := envOf(&before, "app", "AWS_ROLE_ARN"); got != "" {
		t.Fatalf("the pod started before the annotation has AWS_ROLE_ARN=%s", got)
	}

	ns.Kubectl("annotate", "serviceaccount", "ledger", "eks.amazonaws.com/role-arn="+role)
	r := plugin(t, "-A")
	t.Logf("$ kubectl irsa-probe -A (exit %d)\n%s%s", r.ExitCode, r.Stderr, r.Stdout)
	row := fleetRow(r.Stdout, ns.Name, "ledger")
	if r.ExitCode != 1 || row == nil || row[2] != "irsa" || row[3] != role || row[4] != "1" || row[5] != "broken" || row[6] != "identity-not-injected" {
		t.Fatalf("after annotating: exit %d, row %q; want 1 and irsa %s 1 broken identity-not-injected\n%s%s", r.ExitCode, row, role, r.Stdout, r.Stderr)
	}
	if !strings.Contains(r.Stdout, "ERROR identity-not-injected "+ns.Name+"/ledger: pod "+before.Name+" ") {
		t.Errorf("no identity-not-injected line naming pod %s:\n%s", before.Name, r.Stdout)
	}
	fix := restartFix(t, r.Stdout, ns.Name, "ledger")
	paste(t, fix)
	rolledOut(ns, sel, before.Name, role)

	r = plugin(t, "-A")
	t.Logf("$ kubectl irsa-probe -A (exit %d)\n%s%s", r.ExitCode, r.Stderr, r.Stdout)
	row = fleetRow(r.Stdout, ns.Name, "ledger")
	if r.ExitCode != 0 || row == nil || row[3] != role || row[5] != "ok" || row[6] != "-" || strings.Contains(r.Stdout, ns.Name+"/ledger") {
		t.Fatalf("after %q: exit %d, row %q; want 0 and ok, no finding\n%s%s", fix, r.ExitCode, row, r.Stdout, r.Stderr)
	}

	// The role changes: the running pod keeps the old one until restarted.
	running := ns.WaitPod(sel, time.Minute, framework.PodReady)
	ns.Kubectl("annotate", "--overwrite", "serviceaccount", "ledger", "eks.amazonaws.com/role-arn="+role2)
	r = plugin(t, "-A")
	t.Logf("$ kubectl irsa-probe -A (exit %d)\n%s%s", r.ExitCode, r.Stderr, r.Stdout)
	row = fleetRow(r.Stdout, ns.Name, "ledger")
	if r.ExitCode != 1 || row == nil || row[3] != role2 || row[5] != "broken" || row[6] != "role-drift" {
		t.Fatalf("after changing the role: exit %d, row %q; want 1 and %s broken role-drift\n%s%s", r.ExitCode, row, role2, r.Stdout, r.Stderr)
	}
	if !strings.Contains(r.Stdout, "ERROR role-drift "+ns.Name+"/ledger: pod "+running.Name+" runs with AWS_ROLE_ARN "+role+", ") {
		t.Errorf("no role-drift line naming pod %s and %s:\n%s", running.Name, role, r.Stdout)
	}
	paste(t, restartFix(t, r.Stdout, ns.Name, "ledger"))
	rolledOut(ns, sel, running.Name, role2)
	if r = plugin(t, "-A"); r.ExitCode != 0 {
		t.Errorf("after the second restart: exit %d, want 0\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
}

// --prove on the real cluster: canary Jobs as two service
// accounts of a restricted namespace, one whose role trusts it (ok) and one
// whose role trusts another (trust-policy-denied); no Job left after.
func TestFleetProve(t *testing.T) {
	ns := env.Namespace(t, framework.NamespaceOptions{PodSecurity: "restricted"})
	okRole, deniedRole := env.RoleARN("fleet-billing-api"), env.RoleARN("fleet-ledger")
	env.TrustRole(t, okRole, ns.Name, "billing-api", false)
	env.TrustRole(t, deniedRole, ns.Name, "someone-else", false)
	ns.Apply(annotatedServiceAccounts(map[string]string{"billing-api": okRole, "ledger": deniedRole}))

	// There is no pod network: the canaries go on the host's, under the
	// RuntimeClass Pod Security exempts, as docs/fleet.md says for such clusters.
	spec, err := json.Marshal(map[string]any{"hostNetwork": true, "runtimeClassName": framework.HostNetworkRuntimeClass})
	if err != nil {
		t.Fatal(err)
	}
	specFile := filepath.Join(t.TempDir(), "canary-pod-spec.json")
	if err := os.WriteFile(specFile, spec, 0o644); err != nil {
		t.Fatal(err)
	}
	r := plugin(t, "-n", ns.Name, "--prove", "--canary-pod-spec="+specFile, "--timeout=2m")
	t.Logf("$ kubectl irsa-probe -n %s --prove --canary-pod-spec=%s (exit %d)\n%s%s", ns.Name, filepath.Base(specFile), r.ExitCode, r.Stderr, r.Stdout)
	ok, denied := fleetRow(r.Stdout, ns.Name, "billing-api"), fleetRow(r.Stdout, ns.Name, "ledger")
	if r.ExitCode != 1 || ok == nil || ok[5] != "ok" || ok[6] != "-" || denied == nil || denied[5] != "broken" || denied[6] != "trust-policy-denied" {
		t.Errorf("exit %d, rows %q and %q; want 1, billing-api ok and ledger broken trust-policy-denied\n%s%s", r.ExitCode, ok, denied, r.Stdout, r.Stderr)
	}
	if !strings.Contains(r.Stdout, "FAIL trust-policy-denied "+ns.Name+"/ledger (canary Job ") ||
		!strings.Contains(r.Stdout, "system:serviceaccount:"+ns.Name+":ledger") {
		t.Errorf("no FAIL line for the canary of ledger naming its subject:\n%s", r.Stdout)
	}
	// The fix names no pod of the run (JOB-xxxxx): the canary's is gone
	// with its Job.
	canaryPod := regexp.MustCompile(regexp.QuoteMeta(fleet.JobName(runLabel(t, r.Stderr), "ledger")) + "-[a-z0-9]{5}")
	if canaryPod.MatchString(r.Stdout) || !strings.Contains(r.Stdout, "kubectl exec -i --namespace="+ns.Name+" POD -c irsa-probe") {
		t.Errorf("the fix names the canary's deleted pod, not POD:\n%s", r.Stdout)
	}
	noCanaryJobs(t, runLabel(t, r.Stderr))

	// The verdicts are the canaries' (not the listing's): each ran, as its
	// service account, and STS answered the first with its role.
	r = plugin(t, "-n", ns.Name, "--prove", "--canary-pod-spec="+specFile, "--timeout=2m", "--output=json")
	var rep struct {
		Inventory struct {
			Identities []struct {
				ServiceAccount string `json:"serviceAccount"`
				Canary         *struct {
					Job, Verdict, Code, Identity string
				} `json:"canary"`
			} `json:"identities"`
		} `json:"inventory"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil || r.ExitCode != 1 {
		t.Fatalf("--output=json: exit %d, %v\n%s%s", r.ExitCode, err, r.Stdout, r.Stderr)
	}
	got := map[string]string{}
	for _, id := range rep.Inventory.Identities {
		if c := id.Canary; c != nil {
			got[id.ServiceAccount] = c.Verdict + " " + c.Code + " " + c.Identity
		}
	}
	want := map[string]string{
		"billing-api": "ok  arn:aws:sts::" + env.Account + ":assumed-role/fleet-billing-api/",
		"ledger":      "broken trust-policy-denied ",
	}
	for sa, w := range want {
		if !strings.HasPrefix(got[sa], w) {
			t.Errorf("canary of %s: %q, want %q…", sa, got[sa], w)
		}
	}
	noCanaryJobs(t, runLabel(t, r.Stderr))
}

// runLabel is the run id the plugin's stderr names for its canaries.
func runLabel(t *testing.T, stderr string) string {
	t.Helper()
	m := regexp.MustCompile(`labelled irsa-probe\.io/run=([0-9a-f]+),`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no run label on stderr:\n%s", stderr)
	}
	return m[1]
}

// noCanaryJobs: no Job of the run, nor any canary, is left when the
// plugin exits, and their pods go with them (the garbage collector's
// cascade, within a minute).
func noCanaryJobs(t *testing.T, run string) {
	t.Helper()
	for _, selector := range []string{"irsa-probe.io/run=" + run, "app.kubernetes.io/component=canary"} {
		jobs, err := env.Kubectl.Run(context.Background(), "get", "jobs", "--all-namespaces", "--selector="+selector, "--output=name")
		if err != nil || strings.TrimSpace(jobs) != "" {
			t.Errorf("Jobs labelled %s after the run: %q %v", selector, jobs, err)
		}
	}
	var pods string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		var err error
		if pods, err = env.Kubectl.Run(context.Background(), "get", "pods", "--all-namespaces", "--selector=irsa-probe.io/run="+run, "--output=name"); err == nil && strings.TrimSpace(pods) == "" {
			return
		}
	}
	t.Errorf("canary pods of run %s still there a minute after: %q", run, pods)
}

// --trust-policy on the real cluster: a policy narrowed to one
// of the two service accounts using the role names the other as losing
// access (exit 1), with the issuer read from the real API server's OIDC
// discovery; the policy as it is keeps both (exit 0).
func TestFleetTrustPolicy(t *testing.T) {
	ns := env.Namespace(t, framework.NamespaceOptions{})
	role := env.RoleARN("billing-api-v2")
	ns.Apply(annotatedServiceAccounts(map[string]string{"billing-api": role, "billing-worker": role}))
	// Relative paths, as a user types them (the table prints ROLE=FILE).
	dir := t.TempDir()
	t.Chdir(dir)
	write := func(name string, sas ...string) string {
		var st []ststest.TrustStatement
		for _, sa := range sas {
			st = append(st, ststest.TrustStatementFor("aws", env.Account, env.Issuer.URL, ns.Name, sa))
		}
		if err := os.WriteFile(name, []byte(ststest.TrustPolicy(st...)), 0o644); err != nil {
			t.Fatal(err)
		}
		return name
	}
	current, narrowed := write("current.json", "billing-api", "billing-worker"), write("narrowed.json", "billing-api")

	r := plugin(t, "-n", ns.Name, "--trust-policy", "billing-api-v2="+current)
	if r.ExitCode != 0 || strings.Count(r.Stdout, " keeps ") != 2 {
		t.Errorf("the policy as it is: exit %d, want 0 and both keep\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}

	r = plugin(t, "-n", ns.Name, "--trust-policy", "billing-api-v2="+narrowed)
	t.Logf("$ kubectl irsa-probe -n %s --trust-policy billing-api-v2=narrowed.json (exit %d)\n%s%s", ns.Name, r.ExitCode, r.Stderr, r.Stdout)
	keeps := regexp.MustCompile(`(?m)^billing-api-v2=\S+\s+` + regexp.QuoteMeta(ns.Name) + `\s+billing-api\s+irsa\s+0\s+keeps\s+-\s*$`)
	loses := regexp.MustCompile(`(?m)^billing-api-v2=\S+\s+` + regexp.QuoteMeta(ns.Name) + `\s+billing-worker\s+irsa\s+0\s+loses\s+line \d+: the token's sub is "system:serviceaccount:` +
		regexp.QuoteMeta(ns.Name) + `:billing-worker"`)
	if r.ExitCode != 1 || !keeps.MatchString(r.Stdout) || !loses.MatchString(r.Stdout) {
		t.Errorf("narrowed: exit %d, want 1, billing-api keeps, billing-worker loses by its sub\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	// The verdicts used the issuer the API server's discovery names.
	r = plugin(t, "-n", ns.Name, "--trust-policy", "billing-api-v2="+narrowed, "--output=json")
	var rep struct {
		Issuer   string `json:"issuer"`
		ExitCode int    `json:"exitCode"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil || rep.Issuer != env.Issuer.URL || rep.ExitCode != 1 || r.ExitCode != 1 {
		t.Errorf("--output=json: issuer %q, exitCode %d, exit %d (%v); want %s and 1\n%s%s", rep.Issuer, rep.ExitCode, r.ExitCode, err, env.Issuer.URL, r.Stdout, r.Stderr)
	}
}
