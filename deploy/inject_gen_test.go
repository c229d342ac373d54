package deploy_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// The injection policies (policies/kyverno, policies/kyverno-cel,
// policies/mutating-admission-policy and the Helm chart's templates) are
// generated here from the components' own irsa-probe containers, so they
// cannot drift from what the components add:
// go test ./deploy -run TestInjectionPoliciesGenerated -update.

// injectLabel selects the mode on a pod or, for all its pods, a namespace:
// init (the init-container component's container) or sidecar (the
// native-sidecar component's). The pod's label wins, whatever its value, so
// a pod opts out of a labelled namespace with irsa-probe.io/inject: "off".
const injectLabel = "irsa-probe.io/inject"

// The injection modes and the component each copies its container from.
var injectModes = []struct{ name, overlay string }{
	{"init", "testdata/overlays/init-container"},
	{"sidecar", "testdata/overlays/native-sidecar"},
}

// What the EKS pod identity webhook injects, for IRSA and for Pod Identity:
// the policies copy these from the pod's containers into irsa-probe (see
// identityNote).
var (
	identityMarkers = []string{"AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI"}
	identityEnv     = []string{"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_STS_REGIONAL_ENDPOINTS", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"}
	identityMounts  = []string{"aws-iam-token", "eks-pod-identity-token"}
)

// injectSettings are what a platform team chooses once: the Helm chart's
// values. The files under policies/ are defaultInject's.
type injectSettings struct {
	Image       string   // the irsa-probe image, mirror included
	DefaultMode string   // init or sidecar: the mode for Namespaces
	Namespaces  []string // namespaces whose pods get DefaultMode without a label
}

var defaultInject = injectSettings{Image: wantImage, DefaultMode: "init"}

// probeContainers are the components' irsa-probe containers by mode.
func probeContainers(t *testing.T) map[string]corev1.Container {
	t.Helper()
	out := map[string]corev1.Container{}
	for _, m := range injectModes {
		_, c := probeIn(t, render(t, m.overlay), "Deployment/minimal")
		out[m.name] = *c
	}
	return out
}

// Placeholders the Helm form replaces with template actions.
const (
	phImage      = "__IRSA_PROBE_IMAGE__"
	phNamespaces = "__IRSA_PROBE_NAMESPACES__"
	phMode       = "__IRSA_PROBE_DEFAULT_MODE__"
)

// identityNote says, in every generated file, why the policies copy the
// identity and how they get to see it.
const identityNote = `# A labelled pod always gets irsa-probe, identity or not: a pod whose service
# account was never given a role is the fault the label exists to catch, and
# the probe, run without an identity, fails it (init: Init:Error) with
# role-arn-missing and its fix. The identity EKS's pod identity webhook
# injects (AWS_* env, the aws-iam-token or eks-pod-identity-token mount)
# reaches irsa-probe whichever of the two runs first:
#   - the webhook first: the policy copies the AWS_* values and token mount of
#     the first container carrying AWS_ROLE_ARN or
#     AWS_CONTAINER_CREDENTIALS_FULL_URI into irsa-probe (the upstream
#     webhook's configuration does not ask to be reinvoked after it);
#   - the policy first (kube-apiserver runs MutatingAdmissionPolicies before
#     mutating webhooks; Kyverno's webhook sorts before pod-identity-webhook):
#     the webhook then injects the identity into every container, irsa-probe
#     included.
# Values are copied verbatim: CEL substitutes nothing, and the ClusterPolicy
# inserts them with Kyverno's shallow substitution ({{- }}), which does not
# expand a {{ }} found inside a copied value.
`

// celString quotes s as a CEL string literal.
func celString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func celStrings(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = celString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// celObject writes v (a container decoded from JSON) as a CEL object of the
// mutation type typ, e.g. Object.spec.initContainers{name: 'irsa-probe'}.
// Objects under resources.requests/limits are maps (quantities by name).
func celObject(typ string, v any, extra map[string]string) string {
	switch x := v.(type) {
	case map[string]any:
		if strings.HasSuffix(typ, ".resources.requests") || strings.HasSuffix(typ, ".resources.limits") {
			var kv []string
			for _, k := range slices.Sorted(maps.Keys(x)) {
				kv = append(kv, celString(k)+": "+celObject("", x[k], nil))
			}
			return "{" + strings.Join(kv, ", ") + "}"
		}
		var fields []string
		for _, k := range slices.Sorted(maps.Keys(x)) {
			f := celObject(typ+"."+k, x[k], nil)
			if e, ok := extra[k]; ok {
				f += " + " + e
			}
			fields = append(fields, k+": "+f)
		}
		for _, k := range slices.Sorted(maps.Keys(extra)) {
			if _, ok := x[k]; !ok {
				fields = append(fields, k+": "+extra[k])
			}
		}
		if typ == "Object.spec.initContainers" {
			// The container itself: a field a line.
			return typ + "{\n  " + strings.Join(fields, ",\n  ") + "\n}"
		}
		return typ + "{" + strings.Join(fields, ", ") + "}"
	case []any:
		items := make([]string, len(x))
		for i, it := range x {
			items[i] = celObject(typ, it, nil)
		}
		return "[" + strings.Join(items, ", ") + "]"
	case string:
		return celString(x)
	case float64:
		return strconv.FormatInt(int64(x), 10)
	case bool:
		return strconv.FormatBool(x)
	}
	panic(fmt.Sprintf("celObject: %T", v))
}

// asMap is c as its JSON object, image replaced by image.
func asMap(c corev1.Container, image string) map[string]any {
	c.Image = image
	data, _ := json.Marshal(c)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		panic(err)
	}
	return m
}

// kyvernoPolicy is the ClusterPolicy for s; helm writes the chart's
// template (image, namespaces and mode from .Values) instead.
func kyvernoPolicy(containers map[string]corev1.Container, s injectSettings, helm bool) []byte {
	inject := map[string]any{"key": injectLabel, "operator": "DoesNotExist"}
	var rules []any
	for _, m := range injectModes {
		byPod := map[string]any{"resources": map[string]any{
			"kinds": []string{"Pod"}, "operations": []string{"CREATE"},
			"selector": map[string]any{"matchLabels": map[string]string{injectLabel: m.name}},
		}}
		byNamespace := map[string]any{"resources": map[string]any{
			"kinds": []string{"Pod"}, "operations": []string{"CREATE"},
			"namespaceSelector": map[string]any{"matchLabels": map[string]string{injectLabel: m.name}},
			"selector":          map[string]any{"matchExpressions": []any{inject}},
		}}
		matchAny := []any{byPod, byNamespace}
		byDefault := map[string]any{"resources": map[string]any{
			"kinds": []string{"Pod"}, "operations": []string{"CREATE"},
			"namespaces":        s.Namespaces,
			"namespaceSelector": map[string]any{"matchExpressions": []any{inject}},
			"selector":          map[string]any{"matchExpressions": []any{inject}},
		}}
		if helm {
			matchAny = append(matchAny, map[string]any{"__HELM_DEFAULT_" + m.name: true})
		} else if len(s.Namespaces) > 0 && s.DefaultMode == m.name {
			matchAny = append(matchAny, byDefault)
		}
		image := s.Image
		if helm {
			image = phImage
		}
		probe := asMap(containers[m.name], image)
		rules = append(rules, map[string]any{
			"name":    "inject-" + m.name,
			"match":   map[string]any{"any": matchAny},
			"exclude": map[string]any{"any": []any{map[string]any{"resources": map[string]any{"namespaces": []string{"kube-system"}}}}},
			"context": []any{
				ctxVar("identity", "request.object.spec.[initContainers || `[]`, containers][] | [?env[?"+jmesAny(identityMarkers)+"]] | [0]", map[string]any{}),
				ctxVal("probe", probe),
				ctxVar("probeEnv", "[probe.env, identity.env[?("+jmesAny(identityEnv)+") && value] || `[]`][]", []any{}),
				ctxVar("probeMounts", "identity.volumeMounts[?"+jmesAny(identityMounts)+"] || `[]`", []any{}),
				ctxVar("probeWithIdentity", "merge(probe, {env: probeEnv, volumeMounts: probeMounts})", map[string]any{}),
				ctxVar("initContainers", "[[probeWithIdentity], request.object.spec.initContainers || `[]`][]", []any{}),
				// A string, for the shallow substitution below.
				ctxVar("initContainersJSON", "to_string(initContainers)", "[]"),
			},
			"preconditions": map[string]any{"all": []any{
				map[string]any{"key": probeContainer, "operator": "AnyNotIn", "value": "{{ request.object.spec.[initContainers || `[]`, containers][] | [].name }}"},
			}},
			// {{- }} is Kyverno's shallow substitution: {{ }} inside the
			// copied values (any namespace editor writes them) stays text,
			// where {{ }} would expand it.
			"mutate": map[string]any{"patchesJson6902": "- op: add\n  path: /spec/initContainers\n  value: {{- initContainersJSON }}\n"},
		})
	}
	pol := map[string]any{
		"apiVersion": "kyverno.io/v1",
		"kind":       "ClusterPolicy",
		"metadata": map[string]any{
			"name": "irsa-probe-inject",
			"annotations": map[string]string{
				// Pods only: a Deployment's template has no identity yet.
				"pod-policies.kyverno.io/autogen-controllers": "none",
				"policies.kyverno.io/title":                   "irsa-probe injection",
				"policies.kyverno.io/subject":                 "Pod",
				"policies.kyverno.io/description":             kyvernoDescription,
			},
		},
		"spec": map[string]any{"background": false, "rules": rules},
	}
	out, err := yaml.Marshal(pol)
	if err != nil {
		panic(err)
	}
	text := string(out)
	if helm {
		for _, m := range injectModes {
			entry, _ := yaml.Marshal([]any{map[string]any{"resources": map[string]any{
				"kinds": []string{"Pod"}, "operations": []string{"CREATE"},
				"namespaces":        phNamespaces,
				"namespaceSelector": map[string]any{"matchExpressions": []any{inject}},
				"selector":          map[string]any{"matchExpressions": []any{inject}},
			}}})
			marker := "- __HELM_DEFAULT_" + m.name + ": true\n"
			i := strings.Index(text, marker)
			lineStart := strings.LastIndex(text[:i], "\n") + 1
			indent := text[lineStart:i]
			block := indent + `{{- if and .Values.namespaces (eq .Values.defaultMode "` + m.name + `") }}` + "\n"
			for _, l := range strings.SplitAfter(strings.TrimRight(string(entry), "\n")+"\n", "\n") {
				if l != "" {
					block += indent + l
				}
			}
			block += indent + "{{- end }}\n"
			text = text[:lineStart] + block + text[i+len(marker):]
		}
		// Kyverno's own {{ }} must reach the cluster as they are.
		text = strings.ReplaceAll(text, "{{ request", `{{ "{{" }} request`)
		text = strings.ReplaceAll(text, "{{- initContainersJSON", `{{ "{{-" }} initContainersJSON`)
		text = strings.ReplaceAll(text, "'"+phNamespaces+"'", "{{ .Values.namespaces | toJson }}")
		text = strings.ReplaceAll(text, phNamespaces, "{{ .Values.namespaces | toJson }}")
		text = strings.ReplaceAll(text, phImage, `{{ include "irsa-probe.image" . }}`)
	}
	return []byte(text)
}

// kyvernoDescription describes both Kyverno policies.
const kyvernoDescription = "Adds irsa-probe (init container or native sidecar) to pods labelled " + injectLabel + ": init|sidecar or in namespaces so labelled, with the AWS identity EKS's webhook gives them; a pod without one gets it too, and fails with role-arn-missing."

func ctxVar(name, path string, def any) map[string]any {
	return map[string]any{"name": name, "variable": map[string]any{"jmesPath": path, "default": def}}
}

func ctxVal(name string, v any) map[string]any {
	return map[string]any{"name": name, "variable": map[string]any{"value": v}}
}

// jmesAny is a JMESPath filter: name is one of names.
func jmesAny(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "name == '" + n + "'"
	}
	return strings.Join(q, " || ")
}

// admissionPolicy is the MutatingAdmissionPolicy and its binding for s;
// helm writes the chart's template instead.
func admissionPolicy(containers map[string]corev1.Container, s injectSettings, helm bool) []byte {
	if helm {
		s = helmInject
	}
	spec := admissionSpec(containers, s)
	notKubeSystem := spec["matchConstraints"].(map[string]any)["namespaceSelector"]
	policy := map[string]any{
		"apiVersion": "admissionregistration.k8s.io/v1beta1",
		"kind":       "MutatingAdmissionPolicy",
		"metadata":   map[string]any{"name": "irsa-probe-inject"},
		"spec":       spec,
	}
	binding := map[string]any{
		"apiVersion": "admissionregistration.k8s.io/v1beta1",
		"kind":       "MutatingAdmissionPolicyBinding",
		"metadata":   map[string]any{"name": "irsa-probe-inject"},
		"spec": map[string]any{
			"policyName":     "irsa-probe-inject",
			"matchResources": map[string]any{"namespaceSelector": notKubeSystem},
		},
	}
	p, _ := yaml.Marshal(policy)
	b, _ := yaml.Marshal(binding)
	return helmValues(string(p)+"---\n"+string(b), helm)
}

// kyvernoCELPolicy is Kyverno's MutatingPolicy (policies.kyverno.io/v1,
// the CEL type Kyverno deprecates ClusterPolicy for) for s: a superset of a
// MutatingAdmissionPolicy, so the same spec, which Kyverno binds itself.
func kyvernoCELPolicy(containers map[string]corev1.Container, s injectSettings, helm bool) []byte {
	if helm {
		s = helmInject
	}
	spec := admissionSpec(containers, s)
	// Pods only: a Deployment's template is not what the pod is admitted
	// as, and the JSONPatch paths are a pod's.
	spec["autogen"] = map[string]any{"podControllers": map[string]any{"controllers": []string{}}}
	// Admission only, as the ClusterPolicy's background: false.
	spec["evaluation"] = map[string]any{"background": map[string]any{"enabled": false}}
	policy := map[string]any{
		"apiVersion": "policies.kyverno.io/v1",
		"kind":       "MutatingPolicy",
		"metadata": map[string]any{
			"name": "irsa-probe-inject",
			"annotations": map[string]string{
				"policies.kyverno.io/title":       "irsa-probe injection",
				"policies.kyverno.io/subject":     "Pod",
				"policies.kyverno.io/description": kyvernoDescription,
			},
		},
		"spec": spec,
	}
	p, _ := yaml.Marshal(policy)
	return helmValues(string(p), helm)
}

// helmInject stands for the chart's values: admissionSpec writes
// placeholders, helmValues turns them into template actions.
var helmInject = injectSettings{Image: phImage}

// helmValues turns the placeholders of a CEL policy into the chart's
// template actions.
func helmValues(text string, helm bool) []byte {
	if helm {
		text = strings.ReplaceAll(text, phImage, `{{ include "irsa-probe.image" . }}`)
		text = strings.ReplaceAll(text, phNamespaces, "{{ .Values.namespaces | toJson }}")
		text = strings.ReplaceAll(text, phMode, "{{ .Values.defaultMode | squote }}")
	}
	return []byte(text)
}

// admissionSpec is the spec the MutatingAdmissionPolicy and Kyverno's
// MutatingPolicy share; with s's values, or the chart's placeholders when
// s is helmInject.
func admissionSpec(containers map[string]corev1.Container, s injectSettings) map[string]any {
	// Namespaces as JSON, as the chart's toJson writes them: DNS labels,
	// so a valid CEL list too.
	ns, _ := json.Marshal(append([]string{}, s.Namespaces...))
	image, namespaces, defaultMode := s.Image, string(ns), celString(s.DefaultMode)
	if s.Image == phImage {
		namespaces, defaultMode = phNamespaces, phMode
	}
	// The identity's values and mounts, as the mutation's own types: the
	// object's typed lists and Object.* values do not mix in one list.
	const typ = "Object.spec.initContainers"
	// No spec.variables and no cel.bind: Kyverno's CLI, which tests this
	// policy, hands variables to no mutation and has no cel.bind. The
	// expression spells each out instead, on lines of its own (a YAML
	// block, so the chart's values stay out of YAML's quoting).
	label := celString(injectLabel)
	// The first container with an identity, if any ([?0]: none is no
	// error): a pod without one still gets the probe, which then fails it
	// with role-arn-missing; EKS's webhook, when it runs after, gives the
	// probe the identity itself.
	identity := "(object.spec.?initContainers.orValue([]) + object.spec.containers).filter(c, c.?env.orValue([]).exists(e, e.name in " + celStrings(identityMarkers) + "))[?0]"
	mode := "(object.metadata.?labels[?" + label + "].hasValue() ? object.metadata.labels[" + label + "] :\n" +
		"  namespaceObject.metadata.?labels[?" + label + "].hasValue() ? namespaceObject.metadata.labels[" + label + "] :\n" +
		"  namespaceObject.metadata.name in " + namespaces + " ? " + defaultMode + " : '')"
	copiedEnv := identity + ".?env.orValue([]).filter(e, e.name in " + celStrings(identityEnv) + " && has(e.value)).map(e, " + typ + ".env{name: e.name, value: e.value})"
	copiedMounts := identity + ".?volumeMounts.orValue([]).filter(m, m.name in " + celStrings(identityMounts) + ").map(m, " + typ + ".volumeMounts{name: m.name, mountPath: m.mountPath, readOnly: true})"
	expr := ""
	for _, m := range injectModes {
		c := celObject(typ, asMap(containers[m.name], image), map[string]string{"env": "(" + copiedEnv + ")", "volumeMounts": "(" + copiedMounts + ")"})
		expr += mode + " == " + celString(m.name) + " ?\n" +
			"(has(object.spec.initContainers) ? [] : [JSONPatch{op: 'add', path: '/spec/initContainers', value: []}]) +\n" +
			"[JSONPatch{op: 'add', path: '/spec/initContainers/0', value: " + c + "}] :\n"
	}
	expr += "[]\n"
	mutations := []any{map[string]any{"patchType": "JSONPatch", "jsonPatch": map[string]any{"expression": expr}}}
	notKubeSystem := map[string]any{"matchExpressions": []any{map[string]any{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": []string{"kube-system"}}}}
	pods := []any{map[string]any{"apiGroups": []string{""}, "apiVersions": []string{"v1"}, "operations": []string{"CREATE"}, "resources": []string{"pods"}}}
	return map[string]any{
		// A broken expression must not stop every pod of the cluster.
		"failurePolicy":      "Ignore",
		"reinvocationPolicy": "IfNeeded",
		"matchConstraints":   map[string]any{"resourceRules": pods, "namespaceSelector": notKubeSystem},
		// Only what holds on every invocation: a condition that is false
		// now would keep the policy from being reinvoked later.
		"matchConditions": []any{map[string]any{
			"name":       "not-injected",
			"expression": "!(object.spec.?initContainers.orValue([]) + object.spec.containers).exists(c, c.name == " + celString(probeContainer) + ")",
		}},
		"mutations": mutations,
	}
}
