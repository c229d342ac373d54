package plugin

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/fleet"
	"github.com/irsa-probe/irsa-probe/probe/kube/kubefake"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

const (
	roleBilling   = "arn:aws:iam::111122223333:role/billing-api"
	roleBillingV2 = "arn:aws:iam::111122223333:role/billing-api-v2"
	roleLedger    = "arn:aws:iam::111122223333:role/ledger"
	roleCart      = "arn:aws:iam::111122223333:role/cart"
)

// drifted is a small cluster with one case of each drift rule.
func drifted() *kubefake.Cluster {
	c := &kubefake.Cluster{}
	for _, ns := range []string{"payments", "shop", "kube-system"} {
		c.Namespace(ns)
	}
	c.SA("payments", "billing-api", roleBillingV2) // re-annotated after its pods started
	c.Pod("payments", "billing-api", "billing-api", "irsa", roleBilling)
	c.SA("payments", "ledger", roleLedger) // annotated after its pod started
	c.Pod("payments", "ledger", "ledger", "none", "")
	c.SA("shop", "cart", roleCart) // consistent
	c.Pod("shop", "cart", "cart", "irsa", roleCart)
	c.Pod("shop", "cart", "cart", "irsa", roleCart)
	c.SA("shop", "web", "") // annotation removed
	c.Pod("shop", "web", "web", "irsa", roleCart)
	c.SA("kube-system", "default", "")
	c.Pod("kube-system", "coredns", "default", "none", "")
	return c
}

// row is a table row as the output's fields, cells apart by two spaces
// or more (tabwriter's padding), so the test does not depend on widths.
func row(cells ...string) string { return "\x00" + strings.Join(cells, "\x00") }

// normalized is out with every run of two spaces or more a NUL and each
// line starting with one, so row()s are found in it with strings.Contains.
func normalized(out string) string {
	var b strings.Builder
	for _, line := range strings.Split(out, "\n") {
		b.WriteString("\x00" + regexp.MustCompile(`  +`).ReplaceAllString(line, "\x00") + "\n")
	}
	return b.String()
}

// TestFleetDrift: -A finds each drift from three listings and prints the
// restarts that fix it, which run when pasted.
func TestFleetDrift(t *testing.T) {
	f := newFleetFake(t, drifted())
	code, out, errOut := runWith(context.Background(), f, "-A", "--context=prod")
	if code != verdict.ExitBroken {
		t.Fatalf("exit %d, want %d\n%s%s", code, verdict.ExitBroken, out, errOut)
	}
	for _, w := range []string{
		"all namespaces: 3 namespaces, 5 service accounts, 6 pods listed; 4 with an AWS identity; EKS Pod Identity associations not read (pass --cluster NAME",
		row("payments", "billing-api", "irsa", roleBillingV2, "1", "broken", "role-drift"),
		row("payments", "ledger", "irsa", roleLedger, "1", "broken", "identity-not-injected"),
		row("shop", "cart", "irsa", roleCart, "2", "ok", "-"),
		row("shop", "web", "none", "(none)", "1", "broken", "role-drift"),
		"ERROR identity-not-injected payments/ledger: pod ledger-7d9f8b6c5-00001 of service account payments/ledger carries no AWS_ROLE_ARN",
		"    kubectl rollout restart deployment/ledger --namespace=payments --context=prod\n",
		"    kubectl rollout restart deployment/billing-api --namespace=payments --context=prod\n",
	} {
		if !strings.Contains(out, w) && !strings.Contains(normalized(out), w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	argv := f.Argv()
	want := []string{
		"get --context=prod serviceaccounts --all-namespaces --output=json",
		"get --context=prod pods --all-namespaces --output=json",
		"get --context=prod namespaces --output=json",
	}
	if strings.Join(argv, "\n") != strings.Join(want, "\n") {
		t.Errorf("kubectl calls:\n%s\nwant the three listings:\n%s", strings.Join(argv, "\n"), strings.Join(want, "\n"))
	}
	// Paste every fix into a shell whose kubectl checks it.
	f.Set(t, "argv", "")
	for _, line := range strings.Split(out, "\n") {
		if cmd, ok := strings.CutPrefix(line, "    kubectl rollout restart "); ok {
			c := exec.Command("sh", "-c", "kubectl rollout restart "+cmd)
			if b, err := c.CombinedOutput(); err != nil || !strings.Contains(string(b), "restarted") {
				t.Errorf("%s: %v %s", line, err, b)
			}
		}
	}
}

// TestFleetForbidden: a listing RBAC refuses is a line of its own with
// kubectl's text and the permission to ask for; the rest is still shown.
func TestFleetForbidden(t *testing.T) {
	f := newFleetFake(t, drifted())
	f.Set(t, "forbidden", "list:pods list:namespaces")
	code, out, _ := runWith(context.Background(), f, "-n", "payments")
	if code != verdict.ExitError {
		t.Errorf("exit %d, want %d (incomplete)", code, verdict.ExitError)
	}
	for _, w := range []string{
		row("payments", "-", "-", "-", "-", "unreadable", "forbidden: list pods"),
		`UNREADABLE pods in namespace payments: Error from server (Forbidden): pods is forbidden: User "jane@example.com" cannot list resource "pods" in API group "" in the namespace "payments"`,
		"  fix:\n    Ask for list on pods in namespace payments (a Role and RoleBinding), or narrow the scope with --namespace=NAMESPACE; check with:\n      kubectl auth can-i list pods --namespace=payments\n",
		row("payments", "billing-api", "irsa", roleBillingV2, "0", "ok", "-"),
	} {
		if !strings.Contains(out, w) && !strings.Contains(normalized(out), w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// TestFleetJSON: --output json is the same report, one line.
func TestFleetJSON(t *testing.T) {
	f := newFleetFake(t, drifted())
	code, out, _ := runWith(context.Background(), f, "-A", "-o", "json")
	var r struct {
		ExitCode  int `json:"exitCode"`
		Inventory struct {
			Identities []fleet.Identity `json:"identities"`
		} `json:"inventory"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("%v\n%s", err, out)
	}
	if code != 1 || r.ExitCode != 1 || len(r.Inventory.Identities) != 4 || r.Inventory.Identities[0].Findings[0].Code != fleet.CodeRoleDrift {
		t.Errorf("exit %d, report %+v", code, r)
	}
}

const narrowedPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"},
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {"StringEquals": {
        "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud": "sts.amazonaws.com",
        "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub": "system:serviceaccount:payments:billing-api"
      }}
    }
  ]
}
`

// TestFleetTrustPolicy: a narrowed policy names who it locks out, with
// the issuer from the API server's discovery document (one more call).
func TestFleetTrustPolicy(t *testing.T) {
	c := drifted()
	c.SA("payments", "billing-worker", roleBillingV2)
	f := newFleetFake(t, c)
	file := filepath.Join(t.TempDir(), "narrowed.json")
	if err := os.WriteFile(file, []byte(narrowedPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runWith(context.Background(), f, "-n", "payments", "--trust-policy", "billing-api-v2="+file)
	if code != verdict.ExitBroken {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	for _, w := range []string{
		row("billing-api-v2="+file, "payments", "billing-api", "irsa", "1", "keeps", "-"),
		row("billing-api-v2="+file, "payments", "billing-worker", "irsa", "0", "loses", `line 10: the token's sub is "system:serviceaccount:payments:billing-worker"`),
	} {
		if !strings.Contains(out, w) && !strings.Contains(normalized(out), w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if argv := f.Argv(); len(argv) != 4 || argv[3] != "get --raw /.well-known/openid-configuration" {
		t.Errorf("kubectl calls: %q", argv)
	}
	f.Set(t, "argv", "")
	runWith(context.Background(), f, "-n", "payments", "--trust-policy", "billing-api-v2="+file, "--issuer", "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE")
	if argv := f.Argv(); len(argv) != 3 {
		t.Errorf("with --issuer, kubectl calls: %q", argv)
	}
	if code, _, errOut := runWith(context.Background(), f, "-A", "--trust-policy", "billing-api"); code != verdict.ExitUsage || !strings.Contains(errOut, "want ROLE=FILE") {
		t.Errorf("bad --trust-policy: exit %d %s", code, errOut)
	}
}

// TestFleetAssociations: --cluster reads the associations with the
// workstation's credentials (the SDK's default chain, here static keys
// and the EKS emulator), which adds Pod Identity identities and an
// orphaned association.
func TestFleetAssociations(t *testing.T) {
	e := ststest.NewEKS()
	defer e.Close()
	e.Associate("prod", "shop", "cart", roleCart)
	e.Associate("prod", "shop", "ghost", roleCart)
	awsEnv(t, e.URL)
	f := newFleetFake(t, drifted())
	code, out, errOut := runWith(context.Background(), f, "-A", "--cluster=prod")
	if code != verdict.ExitBroken {
		t.Errorf("exit %d\n%s", code, errOut)
	}
	for _, w := range []string{
		"EKS Pod Identity associations read from cluster prod",
		row("shop", "cart", "pod-identity", roleCart, "2", "warning", "mechanism-drift"),
		row("shop", "ghost (missing)", "pod-identity", roleCart, "0", "warning", "association-orphaned"),
		"aws eks delete-pod-identity-association --cluster-name prod --association-id a-",
	} {
		if !strings.Contains(out, w) && !strings.Contains(normalized(out), w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	e.Deny("arn:aws:iam::111122223333:user/jane")
	code, out, _ = runWith(context.Background(), f, "-A", "--cluster=prod")
	if code != verdict.ExitBroken || !strings.Contains(out, "UNREADABLE associations: ListPodIdentityAssociations: operation error EKS: ListPodIdentityAssociations") ||
		!strings.Contains(out, "fix:\n    allow eks:ListPodIdentityAssociations and eks:DescribePodIdentityAssociation on arn:aws:eks:us-west-2:ACCOUNT_ID:cluster/prod") {
		t.Errorf("denied: exit %d\n%s", code, out)
	}
}

func awsEnv(t *testing.T, url string) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_EKS": url, "AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "us-west-2",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_PROFILE": "", "AWS_SESSION_TOKEN": "", "AWS_ENDPOINT_URL": "", "AWS_ROLE_ARN": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
	} {
		t.Setenv(k, v)
	}
}

// TestFleetProve: a canary per identity, each outcome a clear line:
// working, trust policy denied, image not pullable, never scheduled, no
// pod (quota), creation forbidden; never past --timeout, no Job left.
func TestFleetProve(t *testing.T) {
	c := drifted()
	c.Namespace("batch")
	c.SA("batch", "report", roleCart)
	c.Namespace("ops")
	c.SA("ops", "backup", roleCart)
	c.SA("shop", "search", roleCart)
	f := newFleetFake(t, c)
	// ledger's canary is denied, and a namespace editor's pod labelled like
	// it says all is well: the verdict is the canary's own pod's.
	f.Set(t, "canaries.json", `{"payments/billing-api": "ok", "payments/ledger": "forged", "shop/cart": "imagepull", "shop/search": "unschedulable", "batch/report": "nopod", "ops/backup": "garbage"}`)
	start := time.Now()
	code, out, errOut := runWith(context.Background(), f, "-A", "--prove", "--timeout=3s", "--parallel=2", "--context=prod")
	if took := time.Since(start); took > 12*time.Second && !raceEnabled {
		t.Errorf("took %s", took)
	}
	if code != verdict.ExitBroken {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	for _, w := range []string{
		row("payments", "billing-api", "irsa", roleBillingV2, "1", "broken", "role-drift"),
		row("payments", "ledger", "irsa", roleLedger, "1", "broken", "trust-policy-denied (+1)"),
		"FAIL trust-policy-denied payments/ledger (canary Job irsa-probe-",
		"    aws iam update-assume-role-policy --role-name ledger --policy-document file://trust-policy.json",
		"ERROR canary-image-pull shop/cart", "Use a copy the nodes can pull: --image=REGISTRY/irsa-probe:" + testVersion, `cannot be pulled: ImagePullBackOff: Back-off pulling image "ghcr.io/irsa-probe/irsa-probe:v0.1.0"`,
		"ERROR canary-unschedulable shop/search", "the canary did not run within 3s: its pod was never scheduled: Unschedulable: 0/3 nodes are available: 3 Insufficient cpu.",
		"kubectl get events --namespace=shop --field-selector=involvedObject.name=irsa-probe-",
		"ERROR canary-no-pod batch/report", "created no pod within 3s (a ResourceQuota, a LimitRange or admission refused it)",
		"ERROR canary-no-report ops/backup", `its log begins "exec /irsa-probe: exec format error"`,
	} {
		if !strings.Contains(out, w) && !strings.Contains(normalized(out), w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "evil.example") || strings.Contains(out, "token-expiring-soon") || strings.Contains(out, "all good") {
		t.Errorf("the forged pod's report was believed:\n%s", out)
	}
	if strings.Contains(out, "canary-") && strings.Contains(out, "shop/web (canary") {
		t.Errorf("web has no identity now: no canary\n%s", out)
	}
	if left := f.JobsLeft(); len(left) != 0 {
		t.Errorf("Jobs left behind: %v", left)
	}
	var created int
	for _, a := range f.Argv() {
		if strings.HasPrefix(a, "create ") {
			created++
		}
		if strings.HasPrefix(a, "delete ") && !strings.Contains(a, "--selector=irsa-probe.io/run=") {
			t.Errorf("deleted not by the run's label: %s", a)
		}
	}
	if created != 6 {
		t.Errorf("%d Jobs created, want one per identity that has one now (6: not shop/web)", created)
	}
}

// TestFleetProveForbiddenAndCanceled: a refused Job is its own line; on
// Ctrl-C (ctx canceled) every created Job is deleted and nothing hangs.
func TestFleetProveForbiddenAndCanceled(t *testing.T) {
	f := newFleetFake(t, drifted())
	f.Set(t, "canaries.json", `{"payments/billing-api": "unschedulable", "payments/ledger": "unschedulable", "shop/cart": "unschedulable"}`)
	f.Set(t, "forbidden", "create:jobs/payments")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var canceled time.Time
	go func() { // Ctrl-C once the canaries wait to be scheduled
		for end := time.Now().Add(time.Minute); len(f.JobsLeft()) < 1 && time.Now().Before(end); {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond)
		canceled = time.Now()
		cancel()
	}()
	code, out, errOut := runWith(ctx, f, "-A", "--prove", "--timeout=5m")
	if took := time.Since(canceled); took > 6*time.Second && !raceEnabled {
		t.Errorf("cancel took %s", took)
	}
	if code != verdict.ExitBroken { // the drift is still there
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	for _, w := range []string{
		`ERROR canary-forbidden payments/ledger (canary Job irsa-probe-`,
		`creating the canary Job was refused: Error from server (Forbidden): error when creating "STDIN": jobs.batch is forbidden: User "jane@example.com" cannot create resource "jobs" in API group "batch" in the namespace "payments"`,
		"kubectl auth can-i create jobs --namespace=payments",
		"ERROR canary-canceled shop/cart",
	} {
		if !strings.Contains(out, w) && !strings.Contains(normalized(out), w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if left := f.JobsLeft(); len(left) != 0 {
		t.Errorf("Jobs left behind after cancel: %v", left)
	}
}

// TestCanaryPodSpecFlag: --canary-pod-spec refuses a field a canary may
// not set, as a usage error.
func TestCanaryPodSpecFlag(t *testing.T) {
	f := newFleetFake(t, drifted())
	file := filepath.Join(t.TempDir(), "spec.json")
	if err := os.WriteFile(file, []byte(`{"containers": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runWith(context.Background(), f, "-A", "--prove", "--canary-pod-spec", file); code != verdict.ExitUsage || !strings.Contains(errOut, `field "containers" is not one a canary may set`) {
		t.Errorf("exit %d %s", code, errOut)
	}
}

// TestFleetOneNamespace: with -n, the namespace-scoped user's usual
// refusal to get the namespace itself is no gap (exit 0 when all is
// consistent); a namespace that does not exist is said.
func TestFleetOneNamespace(t *testing.T) {
	c := &kubefake.Cluster{}
	c.Namespace("shop")
	c.SA("shop", "cart", roleCart)
	c.Pod("shop", "cart", "cart", "irsa", roleCart)
	f := newFleetFake(t, c)
	f.Set(t, "forbidden", "list:namespaces")
	code, out, errOut := runWith(context.Background(), f, "-n", "shop")
	if code != verdict.ExitOK || strings.Contains(out, "UNREADABLE") || !strings.Contains(out, "namespace shop: 1 namespace, 1 service account, 1 pod listed") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	f.Set(t, "forbidden", "")
	code, out, _ = runWith(context.Background(), f, "-n", "shopp")
	if code != verdict.ExitError || !strings.Contains(out, `UNREADABLE namespaces in namespace shopp: Error from server (NotFound): namespaces "shopp" not found`) {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// TestFleetProveFixNamesIssuer: with --issuer, or the issuer the API
// server's discovery document gave for --trust-policy, a denied canary's
// fix is rendered with the cluster's issuer (normalized to https://), not
// the ISSUER placeholder.
func TestFleetProveFixNamesIssuer(t *testing.T) {
	file := filepath.Join(t.TempDir(), "narrowed.json")
	if err := os.WriteFile(file, []byte(narrowedPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flag, issuer string
	}{
		{"--issuer=oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789", "https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789"},
		{"--trust-policy=billing-api-v2=" + file, "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"},
	} {
		f := newFleetFake(t, drifted())
		f.Set(t, "canaries.json", `{"payments/billing-api": "ok", "payments/ledger": "denied"}`)
		code, out, errOut := runWith(context.Background(), f, "-A", "--prove", "--timeout=3s", tc.flag)
		if code != verdict.ExitBroken {
			t.Errorf("%s: exit %d\n%s%s", tc.flag, code, out, errOut)
		}
		_, fix, _ := strings.Cut(out, "FAIL trust-policy-denied payments/ledger")
		if fix == "" || strings.Contains(fix, "ISSUER") || !strings.Contains(fix, "--issuer "+tc.issuer+" ") {
			t.Errorf("%s: the canary's fix does not name the issuer %s:\n%s", tc.flag, tc.issuer, out)
		}
	}
}
