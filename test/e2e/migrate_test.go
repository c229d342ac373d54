//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
	"github.com/irsa-probe/irsa-probe/test/e2e/framework"
)

// migrateCluster is the EKS cluster's name the doubles answer for.
const migrateCluster = "e2e"

// migrateApp is fleetApp's service account on IRSA: annotated with role.
func migrateApp(name, role string) string {
	return strings.Replace(fleetApp(name), "  name: "+name+"\n---", "  name: "+name+"\n  annotations:\n    eks.amazonaws.com/role-arn: "+role+"\n---", 1)
}

// agentDaemonSet stands for the eks-pod-identity-agent add-on's
// DaemonSet, with its node affinity: its pod on the node is what
// --migrate looks for; the agent itself is the harness's double on
// 127.0.0.1.
const agentDaemonSet = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: eks-pod-identity-agent
  namespace: kube-system
  labels: {app.kubernetes.io/name: eks-pod-identity-agent}
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: eks-pod-identity-agent}
  template:
    metadata:
      labels: {app.kubernetes.io/name: eks-pod-identity-agent}
    spec:
      hostNetwork: true
      # The add-on's own: not on Fargate (or hybrid, or Auto Mode) nodes.
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - {key: eks.amazonaws.com/compute-type, operator: NotIn, values: [fargate, hybrid, auto]}
      containers:
        - name: eks-pod-identity-agent
          image: ` + framework.AppImage + `
          args: ["serve", "127.0.0.1:2703"]
`

// fargateNode is a Node object labelled as EKS labels Fargate's; no
// kubelet runs it, so a pod bound to it stays Pending, which is enough:
// --migrate reads where pods are bound.
func fargateNode(name string) string {
	return `apiVersion: v1
kind: Node
metadata:
  name: ` + name + `
  labels:
    eks.amazonaws.com/compute-type: fargate
    kubernetes.io/os: linux
`
}

// The migration on the real cluster: a Deployment on IRSA moves to EKS Pod
// Identity by pasting the plan --migrate prints, its verify step proves
// it on Pod Identity, the rollback block returns it to IRSA and the same
// proof passes again; a pod bound to a Fargate node and a role of another
// account are blockers. The plan's aws commands go to the EKS and IAM
// doubles through the CLI-shaped stand-in; the EKS double's associations
// are the webhook's and the agent's.
func TestFleetMigrate(t *testing.T) {
	ns := env.Namespace(t, framework.NamespaceOptions{})
	role := env.RoleARN("mig-" + ns.Name)
	env.TrustRole(t, role, ns.Name, "ledger", false) // IRSA only, as before a migration

	eks := ststest.NewEKS()
	defer eks.Close()
	eks.Account, eks.Region = env.Account, env.Region
	eks.SetIssuer(migrateCluster, env.Issuer.URL)
	eks.OnAssociate = func(_, namespace, sa, roleARN string) { env.AssociatePodIdentity(namespace, sa, roleARN) }
	eks.OnDisassociate = func(_, namespace, sa string) { env.DisassociatePodIdentity(namespace, sa) }
	iam := ststest.NewIAM(env.STS)
	defer iam.Close()
	t.Cleanup(func() { env.DisassociatePodIdentity(ns.Name, "ledger") })

	// The agent's DaemonSet, a Fargate node with a pod bound to it, a role
	// of another account.
	if _, err := env.Kubectl.RunStdin(context.Background(), agentDaemonSet, "apply", "--filename=-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = env.Kubectl.Run(context.Background(), "delete", "daemonset", "eks-pod-identity-agent", "--namespace=kube-system", "--ignore-not-found", "--wait=true", "--timeout=1m")
	})
	node := "fargate-ip-192-168-7-7." + env.Region + ".compute.internal"
	if _, err := env.Kubectl.RunStdin(context.Background(), fargateNode(node), "apply", "--filename=-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = env.Kubectl.Run(context.Background(), "delete", "node", node, "--ignore-not-found", "--wait=false")
	})
	ns.Apply(strings.ReplaceAll(migrateApp("batch", env.RoleARN("mig-batch")), "    spec:\n      serviceAccountName: batch", "    spec:\n      nodeName: "+node+"\n      serviceAccountName: batch"))
	t.Cleanup(func() {
		// No kubelet confirms the deletion: force it, before the node goes.
		_, _ = env.Kubectl.Run(context.Background(), "delete", "deployment", "batch", "--namespace="+ns.Name, "--ignore-not-found")
		_, _ = env.Kubectl.Run(context.Background(), "delete", "pods", "--namespace="+ns.Name, "--selector=app.kubernetes.io/name=batch", "--grace-period=0", "--force")
	})
	ns.Apply(annotatedServiceAccounts(map[string]string{"partner": "arn:aws:iam::444455556666:role/partner"}))

	ns.Apply(migrateApp("ledger", role))
	const sel = "app.kubernetes.io/name=ledger"
	before := ns.WaitPod(sel, 3*time.Minute, framework.PodReady)
	if got := envOf(&before, "app", "AWS_ROLE_ARN"); got != role {
		t.Fatalf("the app starts on IRSA: AWS_ROLE_ARN=%q, want %s", got, role)
	}
	ns.WaitPod("app.kubernetes.io/name=batch", time.Minute, func(p *corev1.Pod) string {
		if p.Spec.NodeName != node {
			return "not bound to " + node
		}
		return ""
	})
	waitAgentPod(t)

	// A user's shell: kubectl and the plugin, the aws stand-in, the
	// workstation's credentials for --cluster, the role's trust policy as
	// `aws iam get-role` gives it.
	dir := t.TempDir()
	sh := &shell{t: t, dir: dir, env: []string{
		"PATH=" + filepath.Dir(env.Art.Bin["aws"]) + ":" + filepath.Dir(env.Art.Plugin) + ":" + os.Getenv("PATH"),
		"HOME=" + dir, "KUBECONFIG=" + env.Kubectl.Kubeconfig,
		"AWS_ENDPOINT_URL_EKS=" + eks.URL, "AWS_ENDPOINT_URL_IAM=" + iam.URL, "AWS_REGION=" + env.Region, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "aws-config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "aws-credentials"),
	}}
	spec, _ := json.Marshal(map[string]any{"hostNetwork": true, "runtimeClassName": framework.HostNetworkRuntimeClass})
	if err := os.WriteFile(filepath.Join(dir, "canary-pod-spec.json"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	roleName := "mig-" + ns.Name
	sh.run(0, "aws iam get-role --role-name "+roleName+" --output json > "+roleName+".json")

	cmd := "kubectl irsa-probe -n " + ns.Name + " --migrate --cluster=" + migrateCluster + " --trust-policy " + roleName + "=" + roleName + ".json --canary-pod-spec=canary-pod-spec.json"
	out := sh.run(1, cmd)
	for _, w := range []struct{ sa, verdict, codes string }{
		{"ledger", "ready", "trust-policy-lacks-pod-identity"},
		{"batch", "blocked", "pod-identity-on-fargate"},
		{"partner", "blocked", "cross-account-role,session-tag-budget"},
	} {
		if row := migrateRow(out, ns.Name, w.sa); row == nil || row[4] != w.verdict || row[5] != w.codes {
			t.Errorf("%s: row %q, want %s %s", w.sa, row, w.verdict, w.codes)
		}
	}
	// The plan's lines, read from --output json (the text report prints
	// the same lines, each on its own, indented: checked here).
	plan := planOf(t, sh.run(1, cmd+" --output=json"), ns.Name, "ledger")
	for _, lines := range plan {
		for _, l := range lines {
			if !strings.Contains(out, "\n     "+l+"\n") {
				t.Errorf("the text report lacks the line %q", l)
			}
		}
	}

	// Steps 1 to 5, pasted as printed: both trusts, the association, the
	// annotation removed, the restart, the proof on Pod Identity.
	proof := sh.run(0, plan.commands(t, "trust-policy", "associate", "remove-annotation", "restart", "verify"))
	if row := fleetRow(proof, ns.Name, "ledger"); row == nil || row[2] != "pod-identity" || row[5] != "ok" {
		t.Errorf("the verify step on Pod Identity: row %q, want pod-identity ok\n%s", row, proof)
	}
	migrated := rolledOutWith(ns, sel, before.Name, "AWS_CONTAINER_CREDENTIALS_FULL_URI")
	if got := envOf(&migrated, "app", "AWS_ROLE_ARN"); got != "" {
		t.Errorf("the migrated pod still has AWS_ROLE_ARN=%s", got)
	}

	// The rollback block, pasted: back on IRSA, and the same proof passes.
	sh.run(0, plan.commands(t, "rollback"))
	rolledOut(ns, sel, migrated.Name, role)
	proof = sh.run(0, plan.commands(t, "verify"))
	if row := fleetRow(proof, ns.Name, "ledger"); row == nil || row[2] != "irsa" || row[5] != "ok" {
		t.Errorf("the verify step after the rollback: row %q, want irsa ok\n%s", row, proof)
	}
	if calls := eks.Calls(); len(calls) == 0 {
		t.Error("the EKS double saw no call")
	}
}

// waitAgentPod waits for the agent DaemonSet's pod to run.
func waitAgentPod(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		out, err := env.Kubectl.Run(context.Background(), "get", "pods", "--namespace=kube-system", "--selector=app.kubernetes.io/name=eks-pod-identity-agent", "--output=jsonpath={.items[*].status.phase}")
		if err == nil && strings.TrimSpace(out) == "Running" {
			return
		}
	}
	t.Fatal("the agent DaemonSet's pod did not run within 2 minutes")
}

// rolledOutWith waits for the Deployment's one pod to be a new one,
// Ready, with env var name set, and returns it.
func rolledOutWith(ns *framework.NS, selector, before, name string) corev1.Pod {
	var got corev1.Pod
	ns.WaitFor("the restarted pod, Ready with "+name, 3*time.Minute, func() string {
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
		if envOf(p, "app", name) == "" {
			return p.Name + " has no " + name
		}
		got = *p
		return framework.PodReady(p)
	})
	return got
}

// shell runs lines as a user pastes them into bash, in dir.
type shell struct {
	t   *testing.T
	dir string
	env []string
}

// run pastes script into bash (each line stops the paste on failure, as
// a person would stop) and wants exit code want; it returns stdout.
func (s *shell) run(want int, script string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e")
	cmd.Dir, cmd.Env, cmd.Stdin = s.dir, s.env, strings.NewReader(script+"\n")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatal(err)
	}
	s.t.Logf("$ %s\n%s%s(exit %d)", strings.ReplaceAll(strings.TrimSpace(script), "\n", "\n$ "), stderr.String(), stdout.String(), code)
	if code != want {
		s.t.Fatalf("exit %d, want %d", code, want)
	}
	return stdout.String()
}

// migrateRow is the --migrate table's row of namespace/serviceAccount:
// NAMESPACE, SERVICE ACCOUNT, ROLE, PODS, VERDICT, FINDINGS.
func migrateRow(out, namespace, serviceAccount string) []string {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 6 && f[0] == namespace && f[1] == serviceAccount {
			return f
		}
	}
	return nil
}

// printedPlan is one service account's plan: each step's command lines.
type printedPlan map[string][]string

// planOf reads the plan of namespace/serviceAccount out of --output json.
func planOf(t *testing.T, out, namespace, serviceAccount string) printedPlan {
	t.Helper()
	var rep struct {
		ServiceAccounts []struct {
			Namespace, ServiceAccount string
			Steps                     []struct {
				Step     string
				Commands []struct{ Line, Error string }
			}
		} `json:"serviceAccounts"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--output=json: %v\n%s", err, out)
	}
	for _, sa := range rep.ServiceAccounts {
		if sa.Namespace != namespace || sa.ServiceAccount != serviceAccount {
			continue
		}
		p := printedPlan{}
		for _, st := range sa.Steps {
			p[st.Step] = []string{}
			for _, c := range st.Commands {
				if c.Error != "" {
					t.Fatalf("step %s: a command not printed: %s", st.Step, c.Error)
				}
				p[st.Step] = append(p[st.Step], c.Line)
			}
		}
		return p
	}
	t.Fatalf("no plan for %s/%s:\n%s", namespace, serviceAccount, out)
	return nil
}

// commands are the steps' command lines, in order, as one paste.
func (p printedPlan) commands(t *testing.T, steps ...string) string {
	t.Helper()
	var lines []string
	for _, s := range steps {
		cs, ok := p[s]
		if !ok {
			t.Fatalf("the plan has no step %s: %v", s, p)
		}
		lines = append(lines, cs...)
	}
	return strings.Join(lines, "\n")
}
