package serve

import (
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/check"
	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/iam"
)

// Reports of each verdict, as a check would finalize them.
func okReport() *check.Report {
	return finalized(&check.Report{Mechanism: iam.MechanismPodIdentity, Identity: &check.Identity{ARN: "arn:aws:sts::111122223333:assumed-role/billing-api/s"}})
}
func brokenReport() *check.Report {
	return finalized(&check.Report{Findings: []finding.Finding{finding.New(finding.CodeTrustPolicyDenied, nil)}})
}
func throttledReport() *check.Report {
	return finalized(&check.Report{Findings: []finding.Finding{finding.New(finding.CodeSTSThrottled, nil)}})
}
func unreachableReport() *check.Report {
	return finalized(&check.Report{Findings: []finding.Finding{finding.New(finding.CodeSTSUnreachable, nil)}})
}
func warningReport() *check.Report {
	return finalized(&check.Report{Findings: []finding.Finding{finding.New(finding.CodeTokenExpiringSoon, nil)}})
}

func finalized(r *check.Report) *check.Report {
	r.Decide()
	return r
}

func TestReadinessTransitions(t *testing.T) {
	const grace = 10 * time.Minute
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	type step struct {
		rep  *check.Report // nil: no check, only the clock moves
		min  int           // minutes after t0: when the check completed, or the clock
		want serveState
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"starting until the first check", []step{{nil, 0, stateStarting}, {nil, 60, stateStarting}}},
		{"first check works", []step{{okReport(), 0, stateReady}}},
		{"warnings do not make it broken", []step{{warningReport(), 0, stateReady}}},
		{"first check broken", []step{{brokenReport(), 0, stateBroken}}},
		{"first check undecided: nothing to lean on", []step{{throttledReport(), 0, stateUndecided}}},
		{"one throttled refresh after a success keeps it ready", []step{
			{okReport(), 0, stateReady}, {throttledReport(), 5, stateGrace}, {okReport(), 10, stateReady},
		}},
		{"a permanent finding flips at once, grace or not", []step{
			{okReport(), 0, stateReady}, {brokenReport(), 5, stateBroken},
		}},
		{"a permanent finding during grace flips at once", []step{
			{okReport(), 0, stateReady}, {unreachableReport(), 5, stateGrace}, {brokenReport(), 10, stateBroken},
		}},
		{"transient failures longer than grace flip it", []step{
			{okReport(), 0, stateReady}, {throttledReport(), 5, stateGrace}, {unreachableReport(), 10, stateGrace},
			{throttledReport(), 15, stateGrace}, {nil, 15 + 1, stateUndecided},
		}},
		{"grace runs out with the clock, between checks", []step{
			{okReport(), 0, stateReady}, {throttledReport(), 5, stateGrace}, {nil, 15, stateGrace}, {nil, 16, stateUndecided},
		}},
		{"grace counts from the first failure, not the last", []step{
			{okReport(), 0, stateReady}, {throttledReport(), 5, stateGrace}, {throttledReport(), 14, stateGrace}, {nil, 16, stateUndecided},
		}},
		{"recovery after grace ran out", []step{
			{okReport(), 0, stateReady}, {throttledReport(), 5, stateGrace}, {nil, 20, stateUndecided}, {okReport(), 25, stateReady},
		}},
		{"a success restarts the grace clock", []step{
			{okReport(), 0, stateReady}, {throttledReport(), 5, stateGrace}, {okReport(), 10, stateReady},
			{throttledReport(), 20, stateGrace}, {nil, 29, stateGrace},
		}},
		{"no grace after a broken verdict", []step{
			{okReport(), 0, stateReady}, {brokenReport(), 5, stateBroken}, {throttledReport(), 10, stateUndecided},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := readiness{grace: grace}
			for i, s := range tt.steps {
				if s.rep != nil {
					r.record(s.rep, at(s.min))
				}
				if got := r.state(at(s.min)); got != s.want {
					t.Fatalf("step %d (minute %d): state %s, want %s", i, s.min, got, s.want)
				}
				inGrace := !r.graceUntil(at(s.min)).IsZero()
				if inGrace != (s.want == stateGrace) {
					t.Errorf("step %d: graceUntil set = %v in state %s", i, inGrace, s.want)
				}
			}
		})
	}
}

func TestServeStateReady(t *testing.T) {
	want := map[serveState]bool{stateStarting: false, stateReady: true, stateGrace: true, stateBroken: false, stateUndecided: false}
	for st, ready := range want {
		if st.ready() != ready {
			t.Errorf("%s.ready() = %v, want %v", st, st.ready(), ready)
		}
	}
}

func TestSnapshotBodies(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	grace := readiness{grace: 10 * time.Minute}
	grace.record(okReport(), t0)
	grace.record(throttledReport(), t0.Add(5*time.Minute))
	broken := readiness{grace: time.Minute}
	broken.record(brokenReport(), t0)
	tests := []struct {
		name     string
		r        *readiness
		now      time.Time
		ready    bool
		text     []string
		jsonPart string
	}{
		{"starting", &readiness{}, t0, false, []string{"STARTING"}, `"state":"starting"`},
		{"grace", &grace, t0.Add(6 * time.Minute), true, []string{"READY (grace)", "2025-03-01T12:15:00Z", "sts-throttled"}, `"ok":false`},
		{"grace over", &grace, t0.Add(16 * time.Minute), false, []string{"NOT READY", "IRSA_PROBE_GRACE (10m0s)", "sts-throttled"}, `"code":"sts-throttled"`},
		{"broken", &broken, t0, false, []string{"irsa-probe: FAIL", "trust-policy-denied", "fix:"}, `"code":"trust-policy-denied"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSnapshot(tt.r, tt.now, tt.now)
			if s.ready != tt.ready {
				t.Errorf("ready = %v, want %v", s.ready, tt.ready)
			}
			for _, w := range tt.text {
				if !strings.Contains(string(s.text), w) {
					t.Errorf("text body lacks %q:\n%s", w, s.text)
				}
			}
			if !strings.Contains(string(s.json), tt.jsonPart) {
				t.Errorf("JSON body lacks %q:\n%s", tt.jsonPart, s.json)
			}
		})
	}
}

func TestSnapshotLogKey(t *testing.T) {
	t0 := time.Now()
	key := func(reps ...*check.Report) string {
		r := readiness{grace: time.Hour}
		for _, rep := range reps {
			r.record(rep, t0)
		}
		return newSnapshot(&r, t0, t0).logKey()
	}
	// The same verdict every refresh is one state; a new cause is another.
	if a, b := key(okReport()), key(okReport(), okReport()); a != b {
		t.Errorf("ok then ok: %q != %q", a, b)
	}
	if a, b := key(brokenReport()), key(finalized(&check.Report{Findings: []finding.Finding{finding.New(finding.CodeOIDCProviderMissing, nil)}})); a == b {
		t.Errorf("different causes of broken share the key %q", a)
	}
	if a, b := key(okReport(), throttledReport()), key(okReport(), unreachableReport()); a != b {
		t.Errorf("grace keys differ by cause: %q != %q", a, b)
	}
}
