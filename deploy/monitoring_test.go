package deploy_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/serve"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite monitoring/prometheusrule.yaml from monitoring/rules.yaml")

const (
	rulesFile          = "monitoring/rules.yaml"
	rulesTestFile      = "monitoring/rules_test.yaml"
	prometheusRuleFile = "monitoring/prometheusrule.yaml"
)

// prometheusRule wraps the plain rules file into the prometheus-operator
// resource: one source, two forms.
func prometheusRule(rules []byte) []byte {
	_, body, _ := bytes.Cut(rules, []byte("\ngroups:\n"))
	var b bytes.Buffer
	b.WriteString(`# Generated from rules.yaml, which says what each alert means: edit that file,
# then run go test ./deploy -run TestPrometheusRuleIsGenerated -update.
# Put it where your Prometheus selects rules (its ruleSelector /
# ruleNamespaceSelector, often a label such as release: <helm release>).
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: irsa-probe
  labels:
    app.kubernetes.io/name: irsa-probe
spec:
  groups:
`)
	for _, line := range strings.SplitAfter(string(body), "\n") {
		if strings.TrimSpace(line) != "" {
			b.WriteString("  ")
		}
		b.WriteString(line)
	}
	return b.Bytes()
}

// TestPrometheusRuleIsGenerated: prometheusrule.yaml is rules.yaml wrapped,
// and both parse to the same groups.
func TestPrometheusRuleIsGenerated(t *testing.T) {
	rules, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	want := prometheusRule(rules)
	if *update {
		if err := os.WriteFile(prometheusRuleFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(prometheusRuleFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale; run: go test ./deploy -run TestPrometheusRuleIsGenerated -update", prometheusRuleFile)
	}
	var plain struct {
		Groups []any `json:"groups"`
	}
	var cr struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name   string            `json:"name"`
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Spec struct {
			Groups []any `json:"groups"`
		} `json:"spec"`
	}
	if err := yaml.UnmarshalStrict(rules, &plain); err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(got, &cr); err != nil {
		t.Fatal(err)
	}
	a, _ := yaml.Marshal(plain.Groups)
	b, _ := yaml.Marshal(cr.Spec.Groups)
	if len(plain.Groups) == 0 || !bytes.Equal(a, b) {
		t.Errorf("the PrometheusRule's groups differ from rules.yaml's")
	}
}

// requirePromtool fails in CI (which installs it: .ci/run) and skips
// elsewhere when promtool is missing.
func requirePromtool(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("promtool"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool not found in PATH: CI must run the alert tests (apt-get install prometheus)")
		}
		t.Skip("promtool not found in PATH: install it (Debian: apt-get install prometheus) to test the alerts")
	}
}

// TestAlertRulesWithPromtool: Prometheus's own tool checks the rules and
// runs their unit tests (series that fire, series that must not).
func TestAlertRulesWithPromtool(t *testing.T) {
	requirePromtool(t)
	for _, args := range [][]string{{"check", "rules", rulesFile}, {"test", "rules", rulesTestFile}} {
		out, err := exec.Command("promtool", args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestAlertRulesUseServedMetrics: every metric the rules name is one serve
// exposes (a misspelt name would never fire), and the five the alerts are
// about are all used.
func TestAlertRulesUseServedMetrics(t *testing.T) {
	rules, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	served := []string{serve.MetricReady, serve.MetricCheckSuccess, serve.MetricCheckTimestamp, serve.MetricChecks,
		serve.MetricSTSDuration, serve.MetricSTSErrors, serve.MetricTokenExpiry, serve.MetricCredentialsExpiry,
		serve.MetricFinding, serve.MetricBuildInfo, serve.MetricTokenExpiryTimestamp, serve.MetricTokenIssuedTimestamp,
		serve.MetricTokenAge, serve.MetricTokenChanged, serve.MetricTokenRotations}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`irsa_probe_[a-z_]+`).FindAllString(string(rules), -1) {
		used[m] = true
		if !slices.Contains(served, m) {
			t.Errorf("%s names %s, which serve does not expose", rulesFile, m)
		}
	}
	for _, m := range []string{serve.MetricReady, serve.MetricFinding, serve.MetricCheckTimestamp, serve.MetricTokenAge, serve.MetricCredentialsExpiry} {
		if !used[m] {
			t.Errorf("no alert on %s", m)
		}
	}
}

// TestEveryAlertIsTestedBothWays: each alert of rules.yaml has a promtool
// case where it fires and one where it must not.
func TestEveryAlertIsTestedBothWays(t *testing.T) {
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `json:"alert"`
			} `json:"rules"`
		} `json:"groups"`
	}
	var tests struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `json:"alertname"`
				ExpAlerts []any  `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}
	for file, into := range map[string]any{rulesFile: &rules, rulesTestFile: &tests} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, into); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				silent[a.Alertname] = true
			}
		}
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			if !fires[r.Alert] || !silent[r.Alert] {
				t.Errorf("alert %s: tested firing %v, tested silent %v; want both", r.Alert, fires[r.Alert], silent[r.Alert])
			}
		}
	}
	if n < 4 {
		t.Errorf("%d alerts in %s, want at least broken, undecided, expiry and stopped checks", n, rulesFile)
	}
}

const dashboardFile = "monitoring/grafana-dashboard.json"

// TestDashboard: the Grafana dashboard is JSON Grafana can import, every
// query names only metrics serve exposes, and (with promtool) every query
// is valid PromQL: each is checked as a recording rule.
func TestDashboard(t *testing.T) {
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			ID      int    `json:"id"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&dash); err != nil || dash.UID == "" || len(dash.Panels) == 0 {
		t.Fatalf("%s: %v (uid %q, %d panels)", dashboardFile, err, dash.UID, len(dash.Panels))
	}
	served := []string{serve.MetricReady, serve.MetricCheckSuccess, serve.MetricCheckTimestamp, serve.MetricChecks,
		serve.MetricSTSDuration + "_bucket", serve.MetricSTSErrors, serve.MetricTokenExpiry, serve.MetricCredentialsExpiry,
		serve.MetricFinding, serve.MetricBuildInfo}
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	ids := map[int]bool{}
	for _, p := range dash.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		for i, q := range p.Targets {
			for _, m := range regexp.MustCompile(`irsa_probe_[a-z_]+`).FindAllString(q.Expr, -1) {
				if !slices.Contains(served, m) {
					t.Errorf("panel %q names %s, which serve does not expose", p.Title, m)
				}
			}
			// Grafana's variables, as a value PromQL accepts.
			expr := strings.ReplaceAll(q.Expr, "$namespace", ".*")
			fmt.Fprintf(&rules, "      - record: dashboard:panel%d:%d\n        expr: %q\n", p.ID, i, expr)
		}
	}
	if _, err := exec.LookPath("promtool"); err != nil {
		requirePromtool(t)
		return
	}
	path := filepath.Join(t.TempDir(), "dashboard-rules.yaml")
	if err := os.WriteFile(path, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("promtool", "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("a dashboard query is not valid PromQL: %v\n%s", err, out)
	}
}
