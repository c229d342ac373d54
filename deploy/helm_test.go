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
	// noAPIs: a cluster serving none of the engines' or the Prometheus
	// operator's APIs; otherwise every one is served (helm template
	// --api-versions, as helm install reads them from the cluster).
	noAPIs bool
}

// optionalAPIs are the APIs the chart's objects need beyond Kubernetes'
// own: each engine's and the PrometheusRule's.
var optionalAPIs = []string{"kyverno.io/v1/ClusterPolicy", "policies.kyverno.io/v1/MutatingPolicy", "admissionregistration.k8s.io/v1beta1/MutatingAdmissionPolicy", "monitoring.coreos.com/v1/PrometheusRule"}

var helmCases = []helmCase{
	{name: "defaults", engine: "kyverno-cel", inject: defaultInject},
	{name: "defaults-no-apis", engine: "kyverno-cel", noAPIs: true},
	{name: "kyverno-clusterpolicy", engine: "kyverno", set: []string{"injection.engine=kyverno"}, inject: defaultInject},
	{name: "admission-policy-no-apis", engine: "mutatingAdmissionPolicy", set: []string{"injection.engine=mutatingAdmissionPolicy"}, noAPIs: true},
	{name: "admission-policy", engine: "mutatingAdmissionPolicy", set: []string{"injection.engine=mutatingAdmissionPolicy"}, inject: defaultInject},
	{
		name: "kyverno-mirror-namespaces", engine: "kyverno",
		set:    []string{"injection.engine=kyverno", "image.registry=111122223333.dkr.ecr.eu-west-1.amazonaws.com/ghcr", "defaultMode=sidecar", "namespaces={payments,billing}"},
		inject: injectSettings{Image: "111122223333.dkr.ecr.eu-west-1.amazonaws.com/ghcr/irsa-probe/irsa-probe:" + version, DefaultMode: "sidecar", Namespaces: []string{"payments", "billing"}},
	},
	{
		name: "kyverno-cel-mirror-namespaces", engine: "kyverno-cel",
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
			if !c.noAPIs {
				for _, api := range optionalAPIs {
					args = append(args, "--api-versions", api)
				}
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
			switch {
			case c.noAPIs:
				// Nothing the cluster cannot take: see TestHelmNotes.
			case c.engine == "kyverno-cel":
				want = splitDocs(t, kyvernoCELPolicy(probes, c.inject, false))
				if reflect.DeepEqual(c.inject, defaultInject) {
					file, _ := os.ReadFile(kyvernoCELFile)
					want = splitDocs(t, file)
				}
			case c.engine == "kyverno":
				want = splitDocs(t, kyvernoPolicy(probes, c.inject, false))
				if c.name == "defaults" {
					file, _ := os.ReadFile(kyvernoPolicyFile)
					want = splitDocs(t, file)
				}
			case c.engine == "mutatingAdmissionPolicy":
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
				if meta.Kind != "ClusterPolicy" && meta.Kind != "MutatingPolicy" {
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
	if c.noAPIs {
		if ok {
			t.Error("a PrometheusRule rendered for a cluster without the Prometheus operator's API")
		}
	} else if !ok {
		t.Fatal("no PrometheusRule")
	} else {
		checkPrometheusRule(t, c, rule)
	}
	checkDashboard(t, byKind)
	delete(byKind, "PrometheusRule")
	delete(byKind, "ConfigMap")
	for kind := range byKind {
		t.Errorf("chart renders an unexpected %s", kind)
	}
}

// checkPrometheusRule: deploy/monitoring's with the values' labels added.
func checkPrometheusRule(t *testing.T, c helmCase, rule []byte) {
	t.Helper()
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
}

// checkDashboard: the ConfigMap holds the dashboard as is.
func checkDashboard(t *testing.T, byKind map[string][]byte) {
	t.Helper()
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

// renderNotes renders the chart's NOTES.txt (which helm template leaves
// out) from a copy of the chart that holds it as a ConfigMap's value.
func renderNotes(t *testing.T, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-r", chartDir, dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	chart := dir + "/irsa-probe"
	notes, err := os.ReadFile(chart + "/templates/NOTES.txt")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(chart+"/files/NOTES.txt", notes, 0o644); err != nil {
		t.Fatal(err)
	}
	wrapper := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes-under-test}\ndata:\n  notes: {{ tpl (.Files.Get \"files/NOTES.txt\") . | toJson }}\n"
	if err := os.WriteFile(chart+"/templates/notes-under-test.yaml", []byte(wrapper), 0o644); err != nil {
		t.Fatal(err)
	}
	out := helmRun(t, append([]string{"template", "irsa-probe", chart, "--namespace", "monitoring", "--show-only", "templates/notes-under-test.yaml"}, args...)...)
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(bytes.TrimPrefix(out, []byte("---\n# Source: irsa-probe/templates/notes-under-test.yaml\n")), &cm); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return cm.Data["notes"]
}

// TestHelmNotes: what helm prints after install says what the chart
// installed and, for each object the cluster has no API for, that it was
// skipped, naming the API and the value to change.
func TestHelmNotes(t *testing.T) {
	apis := func(list ...string) (args []string) {
		for _, a := range list {
			args = append(args, "--api-versions", a)
		}
		return args
	}
	for _, c := range []struct {
		name      string
		args      []string
		want, not []string
	}{
		{"defaults-no-apis", nil,
			[]string{"- SKIPPED injection: this cluster serves no policies.kyverno.io/v1/MutatingPolicy, which injection.engine=kyverno-cel needs, so NO pod gets irsa-probe. Install what serves it (Kyverno 1.17 or later), or set injection.engine",
				"- SKIPPED PrometheusRule: this cluster serves no monitoring.coreos.com/v1/PrometheusRule", "monitoring.prometheusRule.enabled=false",
				"- ConfigMap irsa-probe-grafana-dashboard"},
			[]string{"- injection: kyverno-cel", "- PrometheusRule irsa-probe"}},
		{"defaults", apis(optionalAPIs...),
			[]string{"- injection: kyverno-cel (policies.kyverno.io/v1/MutatingPolicy): pods labelled irsa-probe.io/inject=init|sidecar", "role-arn-missing", "irsa-probe.io/inject=off", "- PrometheusRule irsa-probe"},
			[]string{"SKIPPED"}},
		{"kyverno-old", append(apis("kyverno.io/v1/ClusterPolicy"), "--set", "injection.engine=kyverno"),
			[]string{"- injection: kyverno (kyverno.io/v1/ClusterPolicy)", "- SKIPPED PrometheusRule"},
			[]string{"SKIPPED injection"}},
		{"admission-policy-no-api", append(apis("monitoring.coreos.com/v1/PrometheusRule"), "--set", "injection.engine=mutatingAdmissionPolicy"),
			[]string{"- SKIPPED injection: this cluster serves no admissionregistration.k8s.io/v1beta1/MutatingAdmissionPolicy, which injection.engine=mutatingAdmissionPolicy needs", "- PrometheusRule irsa-probe"},
			[]string{"SKIPPED PrometheusRule"}},
		{"none", []string{"--set", "injection.engine=none", "--set", "monitoring.prometheusRule.enabled=false", "--set", "monitoring.grafanaDashboard.enabled=false"},
			[]string{"- injection: none (injection.engine=none).", "- PrometheusRule: off"},
			[]string{"SKIPPED", "ConfigMap"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			notes := renderNotes(t, c.args...)
			for _, w := range c.want {
				if !strings.Contains(notes, w) {
					t.Errorf("notes lack %q:\n%s", w, notes)
				}
			}
			for _, n := range c.not {
				if strings.Contains(notes, n) {
					t.Errorf("notes say %q:\n%s", n, notes)
				}
			}
		})
	}
}
