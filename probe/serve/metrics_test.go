package serve

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/satoken"
)

func TestMetricsExposition(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := testServer(t)
	s.now = func() time.Time { return now }
	rep := okReport()
	rep.Token = &satoken.Token{Expiry: now.Add(24 * time.Hour)}
	rep.CredentialsExpiry = now.Add(time.Hour)
	rep.Findings = []finding.Finding{finding.New(finding.CodeTokenExpiringSoon, nil)}
	s.metrics.checkDone(rep)
	s.metrics.checkDone(rep)
	s.metrics.checkDone(throttledReport())
	s.metrics.observeSTS("AssumeRoleWithWebIdentity", 30*time.Millisecond, "")
	s.metrics.observeSTS("AssumeRoleWithWebIdentity", 2*time.Second, "Throttling")
	s.metrics.observeSTS("GetCallerIdentity", 20*time.Millisecond, "")
	s.metrics.observeSTS("GetCallerIdentity", time.Second, `evil"code{with}=junk\n`)
	s.publishForTest(rep)

	var b bytes.Buffer
	s.metrics.write(&b)
	fams := parseMetrics(t, b.String())
	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{MetricReady, nil, 1},
		{MetricCheckSuccess, nil, 1},
		{MetricCheckTimestamp, nil, float64(now.Unix())},
		{MetricChecks, map[string]string{"result": "ok"}, 2},
		{MetricChecks, map[string]string{"result": "indeterminate"}, 1},
		{MetricChecks, map[string]string{"result": "broken"}, 0},
		{MetricSTSDuration, map[string]string{"call": "AssumeRoleWithWebIdentity"}, 2},
		{MetricSTSDuration, map[string]string{"call": "GetCallerIdentity"}, 2},
		{MetricSTSErrors, map[string]string{"call": "AssumeRoleWithWebIdentity", "code": "Throttling"}, 1},
		{MetricSTSErrors, map[string]string{"call": "GetCallerIdentity", "code": "evil_code_with__junk_n"}, 1},
		{MetricTokenExpiry, nil, 86400},
		{MetricCredentialsExpiry, nil, 3600},
		{MetricFinding, map[string]string{"code": string(finding.CodeTokenExpiringSoon), "severity": "warning"}, 1},
		{MetricBuildInfo, map[string]string{"version": "v0.0.0-test"}, 1},
	}
	for _, tt := range tests {
		got, ok := metricValue(fams, tt.name, tt.labels)
		switch {
		case !ok:
			t.Errorf("%s%v missing", tt.name, tt.labels)
		case math.Abs(got-tt.want) > 1e-9:
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
	for name := range fams {
		if !strings.HasPrefix(name, "irsa_probe_") {
			t.Errorf("unexpected family %s: the probe exposes only its own", name)
		}
	}
	if h := fams[MetricSTSDuration]; h == nil || h.GetType().String() != "HISTOGRAM" {
		t.Fatalf("%s is not a histogram: %v", MetricSTSDuration, h)
	}
	for _, m := range fams[MetricSTSDuration].GetMetric() {
		if len(m.GetHistogram().GetBucket()) != len(stsBuckets)+1 { // +Inf
			t.Errorf("%d buckets, want %d (le, not vmrange)", len(m.GetHistogram().GetBucket()), len(stsBuckets)+1)
		}
	}
}

func TestMetricsBeforeFirstCheck(t *testing.T) {
	s := testServer(t)
	var b bytes.Buffer
	s.metrics.write(&b)
	fams := parseMetrics(t, b.String())
	if v, ok := metricValue(fams, MetricReady, nil); !ok || v != 0 {
		t.Errorf("%s = %v (present %v), want 0", MetricReady, v, ok)
	}
	// Unknown is absent, not a made-up 0 an alert would fire on.
	for _, name := range []string{MetricCheckSuccess, MetricCheckTimestamp, MetricTokenExpiry, MetricCredentialsExpiry, MetricFinding} {
		if _, ok := fams[name]; ok {
			t.Errorf("%s present before the first check", name)
		}
	}
}

func TestMetricsFindingsOnlyActive(t *testing.T) {
	s := testServer(t)
	s.publishForTest(okReport(), brokenReport())
	var b bytes.Buffer
	s.metrics.write(&b)
	fams := parseMetrics(t, b.String())
	f := fams[MetricFinding]
	if f == nil || len(f.GetMetric()) != 1 {
		t.Fatalf("want exactly one %s series, got %v", MetricFinding, f)
	}
	if v, _ := metricValue(fams, MetricFinding, map[string]string{"code": string(finding.CodeTrustPolicyDenied), "severity": "error"}); v != 1 {
		t.Errorf("trust-policy-denied = %v, want 1", v)
	}
	if v, _ := metricValue(fams, MetricCheckSuccess, nil); v != 0 {
		t.Errorf("%s = %v, want 0", MetricCheckSuccess, v)
	}
}

func TestLabelValue(t *testing.T) {
	for in, want := range map[string]string{
		"Throttling":                "Throttling",
		"sts-unreachable":           "sts-unreachable",
		`a"b\c` + "\n":              "a_b_c_",
		strings.Repeat("x", 200):    strings.Repeat("x", maxMetricLabelValueBytes),
		"RegionDisabledException:é": "RegionDisabledException:_",
	} {
		if got := labelValue(in); got != want {
			t.Errorf("labelValue(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzLabelValue: AWS error codes come from the network; whatever they
// hold, the label stays short and needs no escaping.
func FuzzLabelValue(f *testing.F) {
	for _, s := range []string{"Throttling", `a"b\c`, "\n", "é", strings.Repeat("x", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := labelValue(s)
		if len(v) > maxMetricLabelValueBytes {
			t.Fatalf("%q: %d bytes", v, len(v))
		}
		if strings.ContainsAny(v, "\"\\\n{}=, ") {
			t.Fatalf("%q needs escaping", v)
		}
	})
}

// TestHistogramBuckets: le is inclusive and cumulative, +Inf counts all.
func TestHistogramBuckets(t *testing.T) {
	h := newHistogramVec("h", "help", []float64{0.1, 1})
	for _, v := range []float64{0.05, 0.1, 0.5, 1, 3} {
		h.observe(`call="x"`, v)
	}
	var b bytes.Buffer
	h.write(&b)
	for _, want := range []string{
		`h_bucket{call="x",le="0.1"} 2`, `h_bucket{call="x",le="1"} 4`, `h_bucket{call="x",le="+Inf"} 5`,
		`h_sum{call="x"} 4.65`, `h_count{call="x"} 5`, "# TYPE h histogram",
	} {
		if !strings.Contains(b.String(), want+"\n") {
			t.Errorf("no %q in:\n%s", want, b.String())
		}
	}
}
