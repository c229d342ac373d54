package serve

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/check"
	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// Metric names `serve` exposes on /metrics. They are a contract with
// dashboards and alerts, like the finding codes: keep them stable.
const (
	MetricReady             = "irsa_probe_ready"
	MetricCheckSuccess      = "irsa_probe_check_success"
	MetricCheckTimestamp    = "irsa_probe_check_timestamp_seconds"
	MetricChecks            = "irsa_probe_checks_total"
	MetricSTSDuration       = "irsa_probe_sts_request_duration_seconds"
	MetricSTSErrors         = "irsa_probe_sts_errors_total"
	MetricTokenExpiry       = "irsa_probe_token_expiry_seconds"
	MetricCredentialsExpiry = "irsa_probe_credentials_expiry_seconds"
	MetricFinding           = "irsa_probe_finding"
	// The token files' lives, by token (irsa, pod-identity): what
	// token-not-rotated judges, for an alert that needs no finding.
	MetricTokenExpiryTimestamp = "irsa_probe_token_expiry_timestamp_seconds"
	MetricTokenIssuedTimestamp = "irsa_probe_token_issued_timestamp_seconds"
	MetricTokenAge             = "irsa_probe_token_age_seconds"
	MetricTokenChanged         = "irsa_probe_token_file_changed_timestamp_seconds"
	MetricTokenRotations       = "irsa_probe_token_rotations_total"
	MetricBuildInfo            = "irsa_probe_build_info"
)

const (
	metricsContentType = "text/plain; version=0.0.4; charset=utf-8"
	// maxMetricLabelValueBytes bounds label values taken from the network.
	maxMetricLabelValueBytes = 64
)

// stsBuckets are the STS latency buckets, in seconds: a healthy regional
// STS answers in tens of milliseconds, and one attempt is cut at 10s.
var stsBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// serveMetrics is what /metrics shows. Counters and the latency histogram
// are kept between scrapes (promtext.go). Gauges that describe the latest
// check are written from the published snapshot at scrape time, so they
// carry HELP text and are absent while unknown, rather than a made-up 0.
type serveMetrics struct {
	checks    *counterVec
	stsErrors *counterVec
	stsDur    *histogramVec
	version   string
	// snap is the latest published state (never nil once serving).
	snap func() *snapshot
	now  func() time.Time
}

func newServeMetrics(version string, snap func() *snapshot, now func() time.Time) *serveMetrics {
	m := &serveMetrics{
		checks:    newCounterVec(MetricChecks, "Completed checks, by result (ok, broken, indeterminate)."),
		stsErrors: newCounterVec(MetricSTSErrors, "STS calls that failed, by call and AWS error code."),
		stsDur:    newHistogramVec(MetricSTSDuration, "Latency of STS calls, by call, in seconds.", stsBuckets),
		version:   version, snap: snap, now: now,
	}
	// Every result exists from the start, so rate() works from the first scrape.
	for _, r := range verdict.Labels() {
		m.checks.add(resultLabel(r), 0)
	}
	return m
}

func resultLabel(result string) string { return fmt.Sprintf(`result=%q`, result) }

// checkDone counts a completed check by result.
func (m *serveMetrics) checkDone(rep *check.Report) {
	m.checks.add(resultLabel(rep.Verdict().Label()), 1)
}

// observeSTS is the Checker's observer: one STS call's latency, and its
// AWS error code when it failed.
func (m *serveMetrics) observeSTS(call string, d time.Duration, errCode string) {
	call = labelValue(call)
	m.stsDur.observe(fmt.Sprintf(`call=%q`, call), d.Seconds())
	if errCode != "" {
		m.stsErrors.add(fmt.Sprintf(`call=%q,code=%q`, call, labelValue(errCode)), 1)
	}
}

// labelValue keeps a label value to a short, quote-free alphabet: error
// codes come from the network and must neither break the exposition
// format nor grow without bound.
func labelValue(s string) string {
	if len(s) > maxMetricLabelValueBytes {
		s = s[:maxMetricLabelValueBytes]
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.', r == ':':
			return r
		}
		return '_'
	}, s)
}

// write renders every family in the Prometheus text format. There are no
// go_* or process_* families: kubelet's cAdvisor already reports every
// container's CPU and memory, and about 130 runtime series per pod would
// be most of a 10,000-pod fleet's series for nothing the probe knows.
func (m *serveMetrics) write(w io.Writer) {
	m.checks.write(w)
	m.stsDur.write(w)
	m.stsErrors.write(w)
	m.writeState(w)
}

// writeState writes the gauges of the latest snapshot.
func (m *serveMetrics) writeState(w io.Writer) {
	s := m.snap()
	now := m.now()
	gauge := func(name, help string, samples ...string) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
		for _, s := range samples {
			fmt.Fprintf(w, "%s%s\n", name, s)
		}
	}
	gauge(MetricBuildInfo, "Version of the running irsa-probe, as a label.", fmt.Sprintf(`{version=%q} 1`, labelValue(m.version)))
	m.writeTokens(w, s.tokens, now)
	gauge(MetricReady, "1 while /readyz answers 200: the last check found a working identity, or transient failures have lasted less than IRSA_PROBE_GRACE.",
		" "+boolGauge(s.ready))
	rep := s.rep
	if rep == nil {
		return // no check yet: nothing below is known
	}
	gauge(MetricCheckSuccess, "1 if the last completed check found a working identity, else 0; mechanism is irsa, pod-identity, both or none.",
		fmt.Sprintf(`{mechanism=%q} %s`, labelValue(rep.Mechanism), boolGauge(rep.OK)))
	gauge(MetricCheckTimestamp, "When the last check completed, in seconds since the Unix epoch.", fmt.Sprintf(" %.3f", float64(s.checkedAt.UnixMilli())/1e3))
	if rep.Token != nil && !rep.Token.Expiry.IsZero() {
		gauge(MetricTokenExpiry, "Seconds until the projected service-account token the last check read expires (negative once expired).",
			fmt.Sprintf(" %.0f", rep.Token.Expiry.Sub(now).Seconds()))
	}
	if !rep.CredentialsExpiry.IsZero() {
		gauge(MetricCredentialsExpiry, "Seconds until the credentials the last check assumed expire.",
			fmt.Sprintf(" %.0f", rep.CredentialsExpiry.Sub(now).Seconds()))
	}
	// Only active codes are exposed: one series per problem, not one per
	// catalog entry per pod, keeps a 10,000-pod fleet's cardinality small.
	var samples []string
	seen := map[finding.Code]bool{}
	for _, f := range rep.Findings {
		if !seen[f.Code] {
			seen[f.Code] = true
			samples = append(samples, fmt.Sprintf(`{code=%q,severity=%q} 1`, labelValue(string(f.Code)), labelValue(string(f.Severity))))
		}
	}
	if len(samples) > 0 {
		gauge(MetricFinding, "Findings of the last check: 1 per active finding code (absent when inactive).", samples...)
	}
}

// writeTokens writes the token files' lives: known once a file has been
// read, the claims' times only while it holds a token.
func (m *serveMetrics) writeTokens(w io.Writer, lives []tokenLife, now time.Time) {
	family := func(name, typ, help string, value func(l *tokenLife) (float64, bool)) {
		var lines []string
		for i := range lives {
			if v, ok := value(&lives[i]); ok && lives[i].observed {
				lines = append(lines, fmt.Sprintf("%s{token=%q} %.0f\n", name, lives[i].kind, v))
			}
		}
		if len(lines) == 0 {
			return
		}
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s", name, help, name, typ, strings.Join(lines, ""))
	}
	claims := func(f func(l *tokenLife) float64) func(l *tokenLife) (float64, bool) {
		return func(l *tokenLife) (float64, bool) { return f(l), !l.iat.IsZero() }
	}
	family(MetricTokenExpiryTimestamp, "gauge", "The exp claim of the token in the file now, in seconds since the Unix epoch.",
		claims(func(l *tokenLife) float64 { return float64(l.exp.Unix()) }))
	family(MetricTokenIssuedTimestamp, "gauge", "The iat claim of the token in the file now, in seconds since the Unix epoch.",
		claims(func(l *tokenLife) float64 { return float64(l.iat.Unix()) }))
	family(MetricTokenAge, "gauge", "Seconds since the token in the file now was issued; kubelet replaces it at 80% of its lifetime or 24 h.",
		claims(func(l *tokenLife) float64 { return now.Sub(l.iat).Seconds() }))
	family(MetricTokenChanged, "gauge", "When the token file's content last changed (its mtime when serve started), in seconds since the Unix epoch.",
		func(l *tokenLife) (float64, bool) { return float64(l.changedAt.Unix()), true })
	family(MetricTokenRotations, "counter", "Times the token file changed from one token to another since serve started.",
		func(l *tokenLife) (float64, bool) { return float64(l.rotations), true })
}

func boolGauge(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
