package deploy_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"testing"

	admissionv1beta1 "k8s.io/api/admissionregistration/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// object is one rendered manifest, decoded into its Kubernetes API type.
type object struct {
	Kind, Name, Namespace string
	Obj                   any // *corev1.ServiceAccount, *appsv1.Deployment, ...
}

func (o object) ref() string { return o.Kind + "/" + o.Name }

// apiTypes are the kinds the manifests may contain. A kind missing here is an
// error rather than skipped, so nothing rendered escapes strict decoding.
var apiTypes = map[string]func() any{
	"v1/Namespace":        func() any { return new(corev1.Namespace) },
	"v1/ServiceAccount":   func() any { return new(corev1.ServiceAccount) },
	"v1/Service":          func() any { return new(corev1.Service) },
	"apps/v1/Deployment":  func() any { return new(appsv1.Deployment) },
	"apps/v1/StatefulSet": func() any { return new(appsv1.StatefulSet) },
	"apps/v1/DaemonSet":   func() any { return new(appsv1.DaemonSet) },
	"batch/v1/Job":        func() any { return new(batchv1.Job) },
	"batch/v1/CronJob":    func() any { return new(batchv1.CronJob) },
	"v1/Pod":              func() any { return new(corev1.Pod) },
	"admissionregistration.k8s.io/v1beta1/MutatingAdmissionPolicy":        func() any { return new(admissionv1beta1.MutatingAdmissionPolicy) },
	"admissionregistration.k8s.io/v1beta1/MutatingAdmissionPolicyBinding": func() any { return new(admissionv1beta1.MutatingAdmissionPolicyBinding) },
}

var (
	renderMu    sync.Mutex
	renderCache = map[string][]object{}
)

// requireKubectl skips the test when kubectl is not installed: kustomize is
// only reachable through it here. Every other failure is a test failure.
func requireKubectl(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs kubectl: the -short tier starts no other program")
	}
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("kubectl not found in PATH: these tests render the manifests with `kubectl kustomize`; install kubectl (1.21+, kustomize built in) to run them")
	}
}

// render runs `kubectl kustomize dir` once per directory and decodes every
// object strictly.
func render(t *testing.T, dir string) []object {
	t.Helper()
	requireKubectl(t)
	renderMu.Lock()
	defer renderMu.Unlock()
	if objs, ok := renderCache[dir]; ok {
		return objs
	}
	var stderr bytes.Buffer
	cmd := exec.Command("kubectl", "kustomize", dir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, stderr.String())
	}
	objs, err := decodeAll(out)
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v", dir, err)
	}
	if len(objs) == 0 {
		t.Fatalf("kubectl kustomize %s rendered nothing", dir)
	}
	renderCache[dir] = objs
	return objs
}

// decodeAll splits a multi-document YAML stream and decodes each document.
func decodeAll(stream []byte) ([]object, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	var objs []object
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		o, err := decodeStrict(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		objs = append(objs, o)
	}
}

// decodeStrict decodes like the API server's strict field validation
// (kubectl apply --validate=strict): duplicate keys, unknown fields and
// fields matched only case-insensitively are errors, so a misspelt or
// misplaced field cannot be silently dropped.
func decodeStrict(doc []byte) (object, error) {
	data, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return object{}, err
	}
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(data, &meta); err != nil {
		return object{}, err
	}
	newObj, ok := apiTypes[meta.APIVersion+"/"+meta.Kind]
	if !ok {
		return object{}, fmt.Errorf("%s %s/%s: no API type registered in apiTypes", meta.APIVersion, meta.Kind, meta.Metadata.Name)
	}
	obj := newObj()
	strict, err := kjson.UnmarshalStrict(data, obj)
	if err != nil {
		return object{}, fmt.Errorf("%s/%s: %w", meta.Kind, meta.Metadata.Name, err)
	}
	if len(strict) > 0 {
		return object{}, fmt.Errorf("%s/%s: %w", meta.Kind, meta.Metadata.Name, errors.Join(strict...))
	}
	return object{Kind: meta.Kind, Name: meta.Metadata.Name, Namespace: meta.Metadata.Namespace, Obj: obj}, nil
}

// podTemplate is the pod template of a workload object.
func podTemplate(o object) (*corev1.PodTemplateSpec, bool) {
	switch w := o.Obj.(type) {
	case *appsv1.Deployment:
		return &w.Spec.Template, true
	case *appsv1.StatefulSet:
		return &w.Spec.Template, true
	case *appsv1.DaemonSet:
		return &w.Spec.Template, true
	case *batchv1.Job:
		return &w.Spec.Template, true
	case *batchv1.CronJob:
		return &w.Spec.JobTemplate.Spec.Template, true
	}
	return nil, false
}

// find returns the rendered object kind/name.
func find(objs []object, kind, name string) (object, bool) {
	for _, o := range objs {
		if o.Kind == kind && o.Name == name {
			return o, true
		}
	}
	return object{}, false
}

// TestDecodeStrictRejects shows the decoder is strict: these are the
// mistakes a lenient decode would let through to a silently different pod.
func TestDecodeStrictRejects(t *testing.T) {
	for _, tc := range []struct{ name, doc string }{
		{"unknown field", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\nautomount: false\n"},
		{"misplaced field", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  template:\n    spec:\n      restartPolicy: Always\n      containers: [{name: a, image: b, runAsUser: 1}]\n"},
		{"wrong case", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {Name: a}\n"},
		{"duplicate key", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\nmetadata: {name: b}\n"},
		{"unregistered kind", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := decodeStrict([]byte(tc.doc)); err == nil {
				t.Errorf("decoded without error:\n%s", tc.doc)
			}
		})
	}
}
