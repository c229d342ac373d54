package deploy_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// helmCase is one set of values and the settings the generator gets for it.
type helmCase struct {
	name   string
	set    []string // helm --set
	engine string
	inject injectSettings
}

var helmCases = []helmCase{
	{name: "defaults", engine: "kyverno", inject: defaultInject},
	{name: "admission-policy", engine: "mutatingAdmissionPolicy", set: []string{"injection.engine=mutatingAdmissionPolicy"}, inject: defaultInject},
	{
		name: "kyverno-mirror-namespaces", engine: "kyverno",
		set:    []string{"image.registry=111122223333.dkr.ecr.eu-west-1.amazonaws.com/ghcr", "defaultMode=sidecar", "namespaces={payments,billing}"},
		inject: injectSettings{Image: "111122223333.dkr.ecr.eu-west-1.amazonaws.com/ghcr/irsa-probe/irsa-probe:" + version, DefaultMode: "sidecar", Namespaces: []string{"payments", "billing"}},
	},
	{
		name: "admission-policy-mirror-namespaces", engine: "mutatingAdmissionPolicy",
		set:    []string{"injection.engine=mutatingAdmissionPolicy", "image.registry=mirror.example:5000", "image.tag=v9.9.9", "namespaces={payments}"},
		inject: injectSettings{Image: "mirror.example:5000/irsa-probe/irsa-probe:v9.9.9", DefaultMode: "init", Namespaces: []string{"payments"}},
	},
	{name: "monitoring-only", engine: "none", set: []string{"injection.engine=none", "monitoring.prometheusRule.labels.release=kube-prometheus-stack"}},
}

// helmCommand is helm with no repositories, plugins or caches of the
// user's: the chart only.
func helmCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(requireTool(t, "helm"), args...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	return cmd
}

func helmRun(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := helmCommand(t, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return out
}

// TestHelmLint: helm lint --strict passes on every case's values and fails
// on values the schema refuses (a mode, a namespace that is no DNS label).
func TestHelmLint(t *testing.T) {
	for _, c := range helmCases {
		args := []string{"lint", "--strict", chartDir}
		for _, s := range c.set {
			args = append(args, "--set", s)
		}
		helmRun(t, args...)
	}
	for _, bad := range []string{"defaultMode=always", "namespaces={Payments}", "injection.engine=webhook", "image.registry=a\"b"} {
		if out, err := helmCommand(t, "lint", "--strict", chartDir, "--set", bad).CombinedOutput(); err == nil {
			t.Errorf("helm lint accepted --set %s:\n%s", bad, out)
		}
	}
}

// TestHelmTemplateEqualsPolicies: what the chart renders is, object for
// object, what the generator makes for the same settings (the files under
// policies/ for the defaults), plus the monitoring of deploy/monitoring.
func TestHelmTemplateEqualsPolicies(t *testing.T) {
	requireKubectl(t)
	probes := probeContainers(t)
	for _, c := range helmCases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"template", "irsa-probe", chartDir, "--namespace", "monitoring"}
			for _, s := range c.set {
				args = append(args, "--set", s)
			}
			docs := splitDocs(t, helmRun(t, args...))
			byKind := map[string][]byte{}
			for _, d := range docs {
				var meta struct{ Kind string }
				if err := yaml.Unmarshal(d, &meta); err != nil {
					t.Fatal(err)
				}
				if _, dup := byKind[meta.Kind]; dup {
					t.Fatalf("two %s", meta.Kind)
				}
				byKind[meta.Kind] = d
			}
			var want [][]byte
			switch c.engine {
			case "kyverno":
				want = splitDocs(t, kyvernoPolicy(probes, c.inject, false))
				if c.name == "defaults" {
					file, _ := os.ReadFile(kyvernoPolicyFile)
					want = splitDocs(t, file)
				}
			case "mutatingAdmissionPolicy":
				want = splitDocs(t, admissionPolicy(probes, c.inject, false))
				if reflect.DeepEqual(c.inject, defaultInject) {
					file, _ := os.ReadFile(admissionPolicyFile)
					want = splitDocs(t, file)
				}
				for _, d := range want {
					if _, err := decodeStrict(d); err != nil {
						t.Error(err)
					}
				}
			}
			for _, w := range want {
				var meta struct{ Kind string }
				_ = yaml.Unmarshal(w, &meta)
				got, ok := byKind[meta.Kind]
				if !ok {
					t.Errorf("chart renders no %s", meta.Kind)
					continue
				}
				if meta.Kind != "ClusterPolicy" {
					if _, err := decodeStrict(got); err != nil {
						t.Error(err)
					}
				}
				if g, w := canonical(t, got), canonical(t, w); g != w {
					t.Errorf("%s differs from the generator's:\n got %s\nwant %s", meta.Kind, g, w)
				}
				delete(byKind, meta.Kind)
			}
			checkMonitoring(t, c, byKind)
		})
	}
}

// checkMonitoring: the PrometheusRule is deploy/monitoring's with the
// values' labels added, the dashboard ConfigMap holds the dashboard as is,
// and nothing else is rendered.
func checkMonitoring(t *testing.T, c helmCase, byKind map[string][]byte) {
	t.Helper()
	rule, ok := byKind["PrometheusRule"]
	if !ok {
		t.Fatal("no PrometheusRule")
	}
	var got, want map[string]any
	if err := yaml.UnmarshalStrict(rule, &got); err != nil {
		t.Fatal(err)
	}
	file, _ := os.ReadFile(prometheusRuleFile)
	if err := yaml.UnmarshalStrict(file, &want); err != nil {
		t.Fatal(err)
	}
	meta := want["metadata"].(map[string]any)
	meta["namespace"] = "monitoring"
	for _, s := range c.set {
		if label, ok := strings.CutPrefix(s, "monitoring.prometheusRule.labels."); ok {
			k, v, _ := strings.Cut(label, "=")
			meta["labels"].(map[string]any)[k] = v
		}
	}
	if g, w := mustJSON(got), mustJSON(want); !bytes.Equal(g, w) {
		t.Errorf("PrometheusRule differs from %s:\n got %s\nwant %s", prometheusRuleFile, g, w)
	}
	cmData, ok := byKind["ConfigMap"]
	if !ok {
		t.Fatal("no dashboard ConfigMap")
	}
	data, err := yaml.YAMLToJSONStrict(cmData)
	if err != nil {
		t.Fatal(err)
	}
	var cm corev1.ConfigMap
	if strict, err := kjson.UnmarshalStrict(data, &cm); err != nil || len(strict) > 0 {
		t.Fatalf("dashboard ConfigMap: %v %v", err, errors.Join(strict...))
	}
	dashboard, _ := os.ReadFile(dashboardFile)
	if cm.Data["irsa-probe.json"] != string(dashboard) || cm.Labels["grafana_dashboard"] != "1" {
		t.Errorf("dashboard ConfigMap differs from %s (%d bytes, want %d; labels %v)", dashboardFile, len(cm.Data["irsa-probe.json"]), len(dashboard), cm.Labels)
	}
	delete(byKind, "PrometheusRule")
	delete(byKind, "ConfigMap")
	for kind := range byKind {
		t.Errorf("chart renders an unexpected %s", kind)
	}
}

// splitDocs splits a YAML stream into its non-empty documents.
func splitDocs(t *testing.T, stream []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for _, d := range bytes.Split(append([]byte("\n"), stream...), []byte("\n---")) {
		// A block scalar at the end keeps its final newline.
		d = append(bytes.TrimSpace(d), '\n')
		var v any
		if err := yaml.Unmarshal(d, &v); err != nil {
			t.Fatalf("%v\n%s", err, d)
		}
		if v != nil {
			out = append(out, d)
		}
	}
	return out
}

// canonical is a YAML document as sorted JSON, duplicate keys refused.
func canonical(t *testing.T, doc []byte) string {
	t.Helper()
	data, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return string(mustJSON(v))
}

// TestChartVersion: the chart is the release's.
func TestChartVersion(t *testing.T) {
	data, err := os.ReadFile(chartDir + "/Chart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var chart struct {
		Version    string `json:"version"`
		AppVersion string `json:"appVersion"`
	}
	if err := yaml.Unmarshal(data, &chart); err != nil {
		t.Fatal(err)
	}
	if chart.AppVersion != version || "v"+chart.Version != version {
		t.Errorf("Chart.yaml version %s, appVersion %s; want %s and %s (VERSION)", chart.Version, chart.AppVersion, strings.TrimPrefix(version, "v"), version)
	}
}

// TestDistChart: the packaged chart make dist leaves lints as the source.
func TestDistChart(t *testing.T) {
	dist := distDir(t)
	helmRun(t, "lint", "--strict", dist+"/irsa-probe-"+version+"-helm-chart.tgz")
}
