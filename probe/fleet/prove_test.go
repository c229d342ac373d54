package fleet

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/kube/kubefake"
	"github.com/irsa-probe/irsa-probe/probe/shellcmd"
	"github.com/irsa-probe/irsa-probe/probe/shellcmd/shelltest"
)

// prove runs Prove for ids against the fake cluster f, with kubectl.
func prove(t *testing.T, ctx context.Context, f *kubefake.Fake, ids []*Identity, o ProveOptions) error {
	t.Helper()
	return Prove(ctx, &Jobs{R: f}, ids, o)
}

// maxActive is the most canaries running at once, from the fake's
// kubectl calls: one create each, one logs call once it finished.
func maxActive(f *kubefake.Fake) int {
	active, most := 0, 0
	for _, a := range f.Argv() {
		switch {
		case strings.HasPrefix(a, "create "):
			active++
		case strings.HasPrefix(a, "logs "):
			active--
		}
		most = max(most, active)
	}
	return most
}

// deletes are the fake's kubectl delete calls.
func deletes(f *kubefake.Fake) []string {
	var out []string
	for _, a := range f.Argv() {
		if strings.HasPrefix(a, "delete ") {
			out = append(out, a)
		}
	}
	return out
}

// TestProveParallel: never more than Parallel canaries at once, every
// identity proven, each namespace cleaned once, by the run's label.
func TestProveParallel(t *testing.T) {
	f := kubefake.New(t, nil)
	var ids []*Identity
	for i := range 12 {
		ids = append(ids, &Identity{Namespace: fmt.Sprintf("ns%d", i%3), ServiceAccount: fmt.Sprintf("sa%d", i), RoleARN: roleA})
	}
	err := prove(t, context.Background(), f, ids, ProveOptions{CanaryOptions: CanaryOptions{RunID: "abc123", Image: "i", Timeout: time.Minute}, Parallel: 3, Poll: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if n := maxActive(f); n != 3 {
		t.Errorf("%d canaries at once, want 3", n)
	}
	for _, id := range ids {
		if id.Canary == nil || id.Canary.Verdict != CanaryOK || id.Canary.Identity == "" {
			t.Errorf("%s: %+v", id.Key(), id.Canary)
		}
	}
	if d := deletes(f); len(d) != 3 || !strings.Contains(d[0], "--selector="+LabelRun+"=abc123") {
		t.Errorf("deleted %q, want each of the 3 namespaces once, by the run's label", d)
	}
	if left := f.JobsLeft(); len(left) != 0 {
		t.Errorf("Jobs left: %v", left)
	}
}

// TestReadCanaryLog: the report is found among stderr lines; exit codes
// map to verdicts; no report is an error that quotes the log.
func TestReadCanaryLog(t *testing.T) {
	report := `{"ok":false,"identity":null,"mechanism":"irsa","checks":[{"name":"assume-role"}],"findings":[{"code":"sts-throttled","severity":"indeterminate","message":"m","fix":"f"},{"code":"token-expiring-soon","severity":"warning","message":"w","fix":""}]}`
	for _, c := range []struct {
		log           string
		exit          int
		verdict, code string
	}{
		{"time=… level=WARN msg=retry\n" + report + "\n", 3, CanaryUndecided, "sts-throttled"},
		{report, 1, CanaryBroken, "sts-throttled"},
		{`{"not":"a report"}` + "\n\x1b[31mpanic", 2, CanaryError, "canary-no-report"},
		{"", 137, CanaryError, "canary-no-report"},
		// A report is data: a code or a severity the catalog lacks is not
		// passed on, and exit 0 does not make it ok.
		{`{"ok":true,"checks":[],"findings":[{"code":"all-good\u001b[2K","severity":"warning","message":"m"}]}`, 0, CanaryError, "canary-report-invalid"},
		{`{"ok":true,"checks":[],"findings":[{"code":"token-expired","severity":"fine","message":"m"}]}`, 1, CanaryBroken, "canary-report-invalid"},
	} {
		got := ReadCanaryLog([]byte(c.log), c.exit)
		if got.Verdict != c.verdict || got.Code != c.code || *got.ExitCode != c.exit {
			t.Errorf("%q exit %d: %+v", c.log, c.exit, got)
		}
		if shellcmd.Check(got.Message) != nil || got.Fix != "" {
			t.Errorf("%q: message %q holds a control character, or fix %q came from the log", c.log, got.Message, got.Fix)
		}
	}
}

// TestJobName: within 52 characters, distinct for long names that share
// a prefix and for names the character mapping merges.
func TestJobName(t *testing.T) {
	long := "payments-reconciliation-worker-for-the-eu-region-"
	for _, pair := range [][2]string{{long + "one", long + "two"}, {"a.b", "a-b"}, {"A", "a"}} {
		a, b := JobName("a1b2c3", pair[0]), JobName("a1b2c3", pair[1])
		if len(a) > 52 || len(b) > 52 || a == b || !validName(a) || !validName(b) {
			t.Errorf("%q -> %q, %q -> %q", pair[0], a, pair[1], b)
		}
	}
	if got := JobName("a1b2c3", "billing.api"); got != "irsa-probe-a1b2c3-billing-api-11cf44c2" {
		t.Errorf("%q", got)
	}
}

// TestProvePodsUnreadable: a canary whose pod cannot be listed ends at
// its deadline saying so, not as "no pod", and is still deleted.
func TestProvePodsUnreadable(t *testing.T) {
	f := kubefake.New(t, nil)
	f.Set(t, "forbidden", "list:pods")
	id := &Identity{Namespace: "payments", ServiceAccount: "billing-api", RoleARN: roleA}
	start := time.Now()
	if err := prove(t, context.Background(), f, []*Identity{id}, ProveOptions{CanaryOptions: CanaryOptions{RunID: "abc123", Timeout: 300 * time.Millisecond}, Poll: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %s past a 300 ms timeout", took)
	}
	if c := id.Canary; c.Code != "canary-timeout" || !strings.Contains(c.Message, "its pod could not be listed: Error from server (Forbidden)") {
		t.Errorf("%+v", c)
	}
	if d := deletes(f); len(d) != 1 {
		t.Errorf("deleted %q", d)
	}
}

// TestProveFixForgetsCanaryPod: the canary's pod is deleted with its Job,
// so a fix must not name it (found on the real cluster, test/e2e).
func TestProveFixForgetsCanaryPod(t *testing.T) {
	f := kubefake.New(t, nil)
	f.Set(t, "canaries.json", `{"payments/ledger": "denied-pod"}`)
	id := &Identity{Namespace: "payments", ServiceAccount: "ledger", RoleARN: roleA}
	o := ProveOptions{CanaryOptions: CanaryOptions{RunID: "abc123", Image: "i", Timeout: time.Minute}, Parallel: 1, Poll: time.Millisecond}
	if err := prove(t, context.Background(), f, []*Identity{id}, o); err != nil {
		t.Fatal(err)
	}
	c := id.Canary
	if c == nil || c.Code != "trust-policy-denied" {
		t.Fatalf("canary %+v, want trust-policy-denied", c)
	}
	if strings.Contains(c.Fix, c.Job+"-") || !strings.Contains(c.Fix, "kubectl exec -i --namespace=payments POD -c irsa-probe") {
		t.Errorf("fix %q names the canary's pod (of Job %s), which is deleted; want POD", c.Fix, c.Job)
	}
}

// TestProveFixFromOwnCatalog: a canary's report (here trust-policy-denied
// beside a pod labelled like the canary that says ok and hands out a fix)
// is judged from the Job's own pod, and its fix is the plugin's catalog's,
// never the log's.
func TestProveFixFromOwnCatalog(t *testing.T) {
	f := kubefake.New(t, nil)
	f.Set(t, "canaries.json", `{"payments/ledger": "forged"}`)
	id := &Identity{Namespace: "payments", ServiceAccount: "ledger", RoleARN: roleA, Mechanism: "irsa"}
	o := ProveOptions{CanaryOptions: CanaryOptions{RunID: "abc123", Image: "i", Timeout: time.Minute}, Parallel: 1, Poll: time.Millisecond}
	if err := prove(t, context.Background(), f, []*Identity{id}, o); err != nil {
		t.Fatal(err)
	}
	c := id.Canary
	if c == nil || c.Code != "trust-policy-denied" || c.Verdict != CanaryBroken {
		t.Fatalf("canary %+v, want broken trust-policy-denied", c)
	}
	if strings.Contains(c.Fix, "evil.example") || !strings.Contains(c.Fix, "--role-name billing-api") {
		t.Errorf("fix %q is not the catalog's for %s", c.Fix, roleA)
	}
}

// TestProveReportInvalid: a report naming a code the catalog lacks is
// canary-report-invalid with the plugin's own fix, exit 0 or not.
func TestProveReportInvalid(t *testing.T) {
	f := kubefake.New(t, nil)
	f.Set(t, "canaries.json", `{"payments/ledger": "invalid"}`)
	id := &Identity{Namespace: "payments", ServiceAccount: "ledger", RoleARN: roleA}
	o := ProveOptions{CanaryOptions: CanaryOptions{RunID: "abc123", Image: "ghcr.io/irsa-probe/irsa-probe:v0.1.0", Timeout: time.Minute}, Poll: time.Millisecond}
	if err := prove(t, context.Background(), f, []*Identity{id}, o); err != nil {
		t.Fatal(err)
	}
	c := id.Canary
	if c == nil || c.Code != CodeCanaryReportInvalid || c.Verdict != CanaryError || !strings.Contains(c.Fix, "--image=REGISTRY/irsa-probe:v0.1.0") || strings.Contains(c.Fix, "evil") {
		t.Errorf("canary %+v", c)
	}
}

// TestProveFixNamesKnownIssuer: when the plugin knows the cluster's
// issuer (--issuer, or the API server's discovery document), a canary's
// fix is rendered with it, not the ISSUER placeholder; every command line
// still reads back as one simple command.
func TestProveFixNamesKnownIssuer(t *testing.T) {
	const issuer = "https://oidc.eks.us-west-2.amazonaws.com/id/C0FFEE5EED1BB83AA8D0C5A1E2B3F4A5"
	for _, known := range []string{"", issuer} {
		f := kubefake.New(t, nil)
		f.Set(t, "canaries.json", `{"payments/ledger": "denied"}`)
		id := &Identity{Namespace: "payments", ServiceAccount: "ledger", RoleARN: roleA, Mechanism: "irsa"}
		o := ProveOptions{CanaryOptions: CanaryOptions{RunID: "abc123", Image: "i", Timeout: time.Minute}, Parallel: 1, Poll: time.Millisecond, Issuer: known}
		if err := prove(t, context.Background(), f, []*Identity{id}, o); err != nil {
			t.Fatal(err)
		}
		c := id.Canary
		if c == nil || c.Code != "trust-policy-denied" {
			t.Fatalf("canary %+v, want trust-policy-denied", c)
		}
		var argv [][]string
		for _, l := range strings.Split(c.Fix, "\n") {
			if !strings.HasPrefix(l, "  ") {
				continue
			}
			cmds, err := shelltest.Parse(l)
			if err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			for _, cmd := range cmds {
				argv = append(argv, cmd.Argv)
			}
		}
		got := fmt.Sprint(argv)
		switch {
		case known == "" && !strings.Contains(got, "--issuer ISSUER"):
			t.Errorf("without an issuer, the fix's commands %q do not ask for one", got)
		case known != "" && (strings.Contains(c.Fix, "ISSUER") || !strings.Contains(got, "--issuer "+issuer) ||
			!strings.Contains(got, `"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/C0FFEE5EED1BB83AA8D0C5A1E2B3F4A5"`)):
			t.Errorf("with issuer %s known, the fix's commands are\n%q\nfix:\n%s", known, got, c.Fix)
		}
	}
}
