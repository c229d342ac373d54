package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
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

func (f *fakeKube) CreateJob(_ context.Context, ns string, job []byte) error {
	var j struct {
		Metadata struct{ Name string } `json:"metadata"`
	}
	if err := json.Unmarshal(job, &j); err != nil {
		return err
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
	return nil
}

func (f *fakeKube) CanaryPods(context.Context, string) ([]Pod, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ps []Pod
	for name, age := range f.age {
		if f.done[name] {
			continue
		}
		f.age[name] = age + 1
		p := Pod{Metadata: Meta{Name: name + "-x", Namespace: f.ns[name], Labels: map[string]string{LabelCanary: name}}}
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
	report := `{"ok":false,"identity":null,"mechanism":"irsa","checks":[{"name":"assume-role"}],"findings":[{"code":"sts-throttled","severity":"indeterminate","message":"m","fix":"f"},{"code":"token-expiring","severity":"warning","message":"w","fix":""}]}`
	for _, c := range []struct {
		log           string
		exit          int
		verdict, code string
	}{
		{"time=… level=WARN msg=retry\n" + report + "\n", 3, CanaryUndecided, "sts-throttled"},
		{report, 1, CanaryBroken, "sts-throttled"},
		{`{"not":"a report"}` + "\n\x1b[31mpanic", 2, CanaryError, "canary-no-report"},
		{"", 137, CanaryError, "canary-no-report"},
	} {
		got := ReadCanaryLog([]byte(c.log), c.exit)
		if got.Verdict != c.verdict || got.Code != c.code || *got.ExitCode != c.exit {
			t.Errorf("%q exit %d: %+v", c.log, c.exit, got)
		}
	}
}

// TestJobName: within 52 characters, distinct for long names that share a prefix.
func TestJobName(t *testing.T) {
	long := "payments-reconciliation-worker-for-the-eu-region-"
	a, b := JobName("a1b2c3", long+"one"), JobName("a1b2c3", long+"two")
	if len(a) > 52 || len(b) > 52 || a == b {
		t.Errorf("%q %q", a, b)
	}
	if got := JobName("a1b2c3", "billing.api"); got != "irsa-probe-a1b2c3-billing-api" {
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
// check's fix, which names the canary's own pod (the token's pod claim).
type deniedKube struct{ *fakeKube }

func (d deniedKube) Logs(ctx context.Context, ns, pod, c string) ([]byte, error) {
	if _, err := d.fakeKube.Logs(ctx, ns, pod, c); err != nil {
		return nil, err
	}
	fix := "or pipe the first half into kubectl exec -i -n " + ns + " " + pod + " -c irsa-probe -- irsa-probe trust-policy --explain -"
	return json.Marshal(map[string]any{"ok": false, "mechanism": "irsa", "checks": []any{},
		"findings": []any{map[string]string{"code": "trust-policy-denied", "severity": "error", "message": "m", "fix": fix}}})
}

// TestProveFixForgetsCanaryPod: the canary's pod is deleted with its Job,
// so a fix must not name it (found on the real cluster, test/e2e).
func TestProveFixForgetsCanaryPod(t *testing.T) {
	k := deniedKube{&fakeKube{polls: 1, age: map[string]int{}, ns: map[string]string{}, done: map[string]bool{}}}
	id := &Identity{Namespace: "payments", ServiceAccount: "ledger", RoleARN: roleA}
	o := ProveOptions{CanaryOptions: CanaryOptions{RunID: "abc123", Image: "i", Timeout: time.Minute}, Parallel: 1, Poll: time.Millisecond}
	if err := Prove(context.Background(), k, []*Identity{id}, o); err != nil {
		t.Fatal(err)
	}
	c := id.Canary
	if c == nil || c.Code != "trust-policy-denied" {
		t.Fatalf("canary %+v, want trust-policy-denied", c)
	}
	if strings.Contains(c.Fix, c.Job+"-x") || !strings.Contains(c.Fix, "kubectl exec -i -n payments POD -c irsa-probe") {
		t.Errorf("fix %q names the canary's pod %s-x, which is deleted; want POD", c.Fix, c.Job)
	}
}
