package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/serve"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// TestServeTokenNotRotated: a token kubelet did not replace is named while
// it still works, as a warning (still ready), then as an error before it
// expires (not ready), by the clock alone: the refresh (5m) never comes.
// The file's replacement ends it, counted as a rotation. Short-lived
// tokens issued in the past put the 80% point seconds away: a 120 s token
// issued 100 s ago warns at 108 s and errs at 114 s.
func TestServeTokenNotRotated(t *testing.T) {
	for _, tc := range []struct {
		name, kind string
		opts       ststest.StackOptions
	}{
		{"irsa", "irsa", ststest.StackOptions{}},
		{"pod identity", "pod-identity", podIdentity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := ststest.Start(tc.opts)
			t.Cleanup(st.Close)
			mint := func(age time.Duration) string {
				o := ststest.TokenOptions{Namespace: st.Namespace, ServiceAccount: st.ServiceAccount, Pod: ststest.DefaultPod,
					TTL: 120 * time.Second, IssuedAt: time.Now().Add(-age)}
				if tc.kind == "pod-identity" {
					o.Audiences = []string{ststest.PodIdentityAudience}
				}
				return st.Issuer.ServiceAccountToken(o)
			}
			write := func(tok string) {
				t.Helper()
				var err error
				if tc.kind == "pod-identity" {
					err = st.WritePodIdentityToken(tok)
				} else {
					err = st.WriteToken(tok)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			old := mint(100 * time.Second)
			write(old)
			p := startServe(t, st, "IRSA_PROBE_REFRESH=5m", "IRSA_PROBE_GRACE=5m")
			eventually(t, 10*time.Second, "ready with the young token", func() bool { code, _ := p.get(t, serve.PathReadyz); return code == 200 })
			findingOf := func() (int, *finding.Finding) {
				code, body := p.get(t, serve.PathReadyz+"?verbose=1")
				var rep struct{ Findings []finding.Finding }
				if err := json.Unmarshal([]byte(body), &rep); err != nil {
					t.Fatalf("/readyz json: %v\n%s", err, body)
				}
				for i := range rep.Findings {
					if rep.Findings[i].Code == finding.CodeTokenNotRotated {
						return code, &rep.Findings[i]
					}
				}
				return code, nil
			}
			if _, f := findingOf(); f != nil {
				t.Fatalf("token-not-rotated at 100 s of 120: %s", f.Message)
			}
			var warn *finding.Finding
			eventually(t, 15*time.Second, "the warning", func() bool {
				code, f := findingOf()
				if f != nil && f.Severity == finding.SeverityWarning {
					if code != 200 {
						t.Errorf("not ready (%d) on a warning", code)
					}
					warn = f
				}
				return f != nil
			})
			if warn == nil {
				t.Fatal("the first token-not-rotated was not a warning")
			}
			for _, k := range []string{finding.EvTokenAge, finding.EvTimeLeft, finding.EvTokenChangedAt, finding.EvRotateAt} {
				if warn.Evidence[k] == "" {
					t.Errorf("evidence has no %s: %v", k, warn.Evidence)
				}
			}
			if warn.Evidence[finding.EvTokenKind] != tc.kind {
				t.Errorf("token_kind %q", warn.Evidence[finding.EvTokenKind])
			}
			eventually(t, 10*time.Second, "not ready before exp", func() bool {
				code, f := findingOf()
				return code == 503 && f != nil && f.Severity == finding.SeverityError
			})
			fams := p.metrics(t)
			if v := metric(fams, serve.MetricFinding, "code", string(finding.CodeTokenNotRotated), "severity", "error"); v != 1 {
				t.Errorf("finding metric %v", v)
			}
			if v := metric(fams, serve.MetricTokenAge, "token", tc.kind); v < 114 || v > 125 {
				t.Errorf("%s = %v, want ~115", serve.MetricTokenAge, v)
			}
			if v := metric(fams, serve.MetricTokenRotations, "token", tc.kind); v != 0 {
				t.Errorf("%s = %v before any rotation", serve.MetricTokenRotations, v)
			}
			if left := metric(fams, serve.MetricTokenExpiryTimestamp, "token", tc.kind) - float64(time.Now().Unix()); left <= 0 {
				t.Errorf("readiness failed %v s after exp, not before it", -left)
			}

			fresh := mint(0)
			write(fresh)
			eventually(t, 15*time.Second, "ready with kubelet's new token", func() bool {
				code, f := findingOf()
				return code == 200 && f == nil
			})
			fams = p.metrics(t)
			if v := metric(fams, serve.MetricTokenRotations, "token", tc.kind); v != 1 {
				t.Errorf("%s = %v after one rotation", serve.MetricTokenRotations, v)
			}
			if v := metric(fams, serve.MetricTokenAge, "token", tc.kind); v > 20 {
				t.Errorf("%s = %v after the rotation", serve.MetricTokenAge, v)
			}
			if logs := p.logs(); !strings.Contains(logs, string(finding.CodeTokenNotRotated)) || !strings.Contains(logs, `"msg":"token rotated","token":"`+tc.kind+`"`) {
				t.Errorf("the log never named %s, or the rotation:\n%s", finding.CodeTokenNotRotated, logs)
			}
			noSecretsIn(t, st, []string{old, fresh}, append(p.bodies(), p.logs())...)
			if code := p.stop(t, 5*time.Second); code != 0 {
				t.Errorf("exit %d after SIGTERM", code)
			}
		})
	}
}
