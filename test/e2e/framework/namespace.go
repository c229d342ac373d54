//go:build e2e

package framework

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// NamespaceOptions shape a test's namespace.
type NamespaceOptions struct {
	// PodSecurity is the pod-security.kubernetes.io/enforce level, if any.
	PodSecurity string
	// AdmissionOnly: the namespace's pods get the real Pod Security verdict
	// (no hostNetwork, no exempt RuntimeClass) and, admitted, are never
	// scheduled (there is no pod network to run them on).
	AdmissionOnly bool
}

// NS is a namespace a test owns, deleted when the test ends, pass or fail;
// on failure its pods, events and logs are printed first.
type NS struct {
	Name string
	env  *Env
	t    testing.TB
}

var nonDNS = regexp.MustCompile(`[^a-z0-9-]+`)

// Namespace creates a namespace named for the test and the run, labelled
// with the run id, holding the emulators' CA for the harness's mount.
func (e *Env) Namespace(t testing.TB, o NamespaceOptions) *NS {
	t.Helper()
	base := strings.Trim(nonDNS.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(base) > 40 {
		base = base[:40]
	}
	ns := &NS{Name: base + "-" + e.RunID, env: e, t: t}
	labels := map[string]string{LabelRun: e.RunID}
	if o.AdmissionOnly {
		labels[LabelAdmissionOnly] = "true"
	} else {
		labels[LabelHostNetwork] = "true"
	}
	if o.PodSecurity != "" {
		labels["pod-security.kubernetes.io/enforce"] = o.PodSecurity
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels:\n", ns.Name)
	for k, v := range labels {
		fmt.Fprintf(&b, "    %s: %q\n", k, v)
	}
	fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: %s\ndata:\n  %s: |\n", CAConfigMap, ns.Name, caBundleFile)
	for _, line := range strings.Split(strings.TrimSpace(string(e.Issuer.CertPEM())), "\n") {
		fmt.Fprintf(&b, "    %s\n", line)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := e.Kubectl.RunStdin(ctx, b.String(), "apply", "-f", "-"); err != nil {
		t.Fatalf("create namespace %s: %v", ns.Name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if t.Failed() {
			t.Logf("namespace %s at failure:\n%s", ns.Name, ns.Describe(ctx))
		}
		// Waits for the pods to go: the next test's hostNetwork pods may
		// want the same ports.
		if _, err := e.Kubectl.Run(ctx, "delete", "namespace", ns.Name, "--wait=true", "--timeout=100s"); err != nil {
			t.Errorf("delete namespace %s: %v", ns.Name, err)
		}
	})
	return ns
}

// Describe is the namespace's objects, events and pod logs, for a failure.
func (ns *NS) Describe(ctx context.Context) string {
	k := ns.env.Kubectl
	var b strings.Builder
	for _, args := range [][]string{
		{"get", "all,events", "-n", ns.Name, "-o", "wide"},
		{"describe", "pods", "-n", ns.Name},
	} {
		out, err := k.Run(ctx, args...)
		fmt.Fprintf(&b, "$ kubectl %s\n%s%v\n", strings.Join(args, " "), out, errOrEmpty(err))
	}
	pods, _ := k.Run(ctx, "get", "pods", "-n", ns.Name, "-o", "name")
	for _, pod := range strings.Fields(pods) {
		out, err := k.Run(ctx, "logs", "-n", ns.Name, pod, "--all-containers", "--prefix", "--tail=40")
		fmt.Fprintf(&b, "$ kubectl logs %s --all-containers\n%s%v\n", pod, out, errOrEmpty(err))
	}
	return b.String()
}

func errOrEmpty(err error) any {
	if err == nil {
		return ""
	}
	return err
}

// Kubectl runs kubectl in the namespace (-n NAME first) and fails the test
// on a non-zero exit.
func (ns *NS) Kubectl(args ...string) string {
	ns.t.Helper()
	out, err := ns.env.Kubectl.Run(context.Background(), append([]string{"-n", ns.Name}, args...)...)
	if err != nil {
		ns.t.Fatal(err)
	}
	return out
}

// Apply applies YAML in the namespace.
func (ns *NS) Apply(yaml string) {
	ns.t.Helper()
	if _, err := ns.env.Kubectl.RunStdin(context.Background(), yaml, "apply", "-n", ns.Name, "-f", "-"); err != nil {
		ns.t.Fatalf("apply: %v\n%s", err, yaml)
	}
}

// Kustomization is a harness overlay over a shipped directory: the
// namespace set to the test's, one replica (the pods share the host's
// ports), and extra kustomization lines.
type Kustomization struct {
	// Dir is the directory under the repository, e.g. examples/init-container.
	Dir string
	// Extra is appended to the overlay's kustomization.yaml.
	Extra string
	// Replicas names Deployments to run with one replica.
	Replicas []string
}

// Render builds the overlay with kubectl kustomize (as users apply -k) and
// drops Namespace objects: the namespace is the test's.
func (ns *NS) Render(k Kustomization) string {
	ns.t.Helper()
	dir := ns.t.TempDir()
	rel, err := filepath.Rel(dir, filepath.Join(ns.env.Art.Root, k.Dir))
	if err != nil {
		ns.t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: %s\nresources:\n  - %s\n", ns.Name, rel)
	if len(k.Replicas) > 0 {
		b.WriteString("replicas:\n")
		for _, r := range k.Replicas {
			fmt.Fprintf(&b, "  - name: %s\n    count: 1\n", r)
		}
	}
	b.WriteString(k.Extra)
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(b.String()), 0o644); err != nil {
		ns.t.Fatal(err)
	}
	out, err := ns.env.Kubectl.Run(context.Background(), "kustomize", dir)
	if err != nil {
		ns.t.Fatalf("kustomize %s: %v\n%s", k.Dir, err, b.String())
	}
	var docs []string
	for _, doc := range strings.Split(out, "\n---\n") {
		if !regexp.MustCompile(`(?m)^kind: Namespace$`).MatchString(doc) {
			docs = append(docs, doc)
		}
	}
	return strings.Join(docs, "\n---\n")
}

// WaitFor polls cond every second until it returns "" (done) or timeout,
// then fails the test with what cond last said.
func (ns *NS) WaitFor(what string, timeout time.Duration, cond func() string) {
	ns.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		last := cond()
		if last == "" {
			return
		}
		if time.Now().After(deadline) {
			ns.t.Fatalf("%s: not within %s; last: %s", what, timeout, last)
		}
		time.Sleep(time.Second)
	}
}

// Get is kubectl get -o jsonpath=PATH in the namespace; "" when it fails.
func (ns *NS) Get(jsonpath string, args ...string) string {
	out, err := ns.env.Kubectl.Run(context.Background(), append(append([]string{"-n", ns.Name, "get"}, args...), "-o", "jsonpath="+jsonpath)...)
	if err != nil {
		return ""
	}
	return out
}

// RepoPath is the repository's path rel (e.g. deploy/components/sidecar)
// relative to dir, for a kustomization written in dir.
func (ns *NS) RepoPath(dir, rel string) string {
	ns.t.Helper()
	p, err := filepath.Rel(dir, filepath.Join(ns.env.Art.Root, rel))
	if err != nil {
		ns.t.Fatal(err)
	}
	return p
}

// RenderFiles writes files into dir and renders dir with kubectl kustomize,
// setting the namespace to the test's.
func (ns *NS) RenderFiles(dir string, files map[string]string) string {
	ns.t.Helper()
	for name, content := range files {
		if name == "kustomization.yaml" {
			content = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: " + ns.Name + "\n" + content
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			ns.t.Fatal(err)
		}
	}
	out, err := ns.env.Kubectl.Run(context.Background(), "kustomize", dir)
	if err != nil {
		ns.t.Fatalf("kustomize: %v", err)
	}
	return out
}
