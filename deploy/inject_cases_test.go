package deploy_test

import (
	"github.com/irsa-probe/irsa-probe/probe/ststest/ekswebhook"
	"math/rand/v2"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The namespaces of the injection table, with their labels as the API
// server sets them (kubernetes.io/metadata.name on every namespace).
var injectNamespaces = map[string]map[string]string{
	"payments":     {},
	"team-init":    {injectLabel: "init"},
	"team-sidecar": {injectLabel: "sidecar"},
	"kube-system":  {injectLabel: "init"},
}

func namespaceLabels(ns string) map[string]string {
	l := map[string]string{"kubernetes.io/metadata.name": ns}
	for k, v := range injectNamespaces[ns] {
		l[k] = v
	}
	return l
}

// identity is what EKS's webhook gave the pod before the policy sees it.
type identity int

const (
	noIdentity identity = iota
	irsaIdentity
	podIdentity
)

// injectCase is one pod the policies see at admission, after EKS's webhook,
// and the mode it must get ("" for none).
type injectCase struct {
	name, namespace string
	labels          map[string]string
	identity        identity
	job             bool // created by a Job: restartPolicy Never, an init container of its own
	injected        bool // already carries irsa-probe (a component, by hand)
	// webhookAfter: the policy sees the pod before EKS's webhook does
	// (the MutatingAdmissionPolicy always, Kyverno when its webhook sorts
	// first): identity is what the webhook gives the pod afterwards.
	webhookAfter bool
	appEnv       []corev1.EnvVar // the app container's own env
	want         string
}

// bracesEnv are values Kyverno would expand if it substituted what it
// copies: the probe must get them as the app has them.
var bracesEnv = []corev1.EnvVar{
	{Name: "AWS_REGION", Value: "{{request.object.metadata.name}}"},
	{Name: "AWS_DEFAULT_REGION", Value: `\{{ request.namespace }}{{-request.object.metadata.name}}`},
}

var injectCases = []injectCase{
	{name: "pod-init", namespace: "payments", labels: map[string]string{injectLabel: "init"}, identity: irsaIdentity, want: "init"},
	{name: "pod-sidecar", namespace: "payments", labels: map[string]string{injectLabel: "sidecar"}, identity: irsaIdentity, want: "sidecar"},
	{name: "unlabelled", namespace: "payments", identity: irsaIdentity},
	{name: "namespace-init", namespace: "team-init", identity: irsaIdentity, want: "init"},
	{name: "namespace-sidecar", namespace: "team-sidecar", identity: irsaIdentity, want: "sidecar"},
	{name: "pod-label-wins", namespace: "team-init", labels: map[string]string{injectLabel: "sidecar"}, identity: irsaIdentity, want: "sidecar"},
	{name: "pod-opts-out", namespace: "team-init", labels: map[string]string{injectLabel: "off"}, identity: irsaIdentity},
	{name: "already-injected", namespace: "team-init", identity: irsaIdentity, injected: true},
	// A labelled pod without an identity gets the probe, which fails it
	// with role-arn-missing: the fault the label exists to catch.
	{name: "no-identity", namespace: "team-init", want: "init"},
	{name: "no-identity-sidecar", namespace: "payments", labels: map[string]string{injectLabel: "sidecar"}, want: "sidecar"},
	{name: "before-webhook", namespace: "team-init", identity: irsaIdentity, webhookAfter: true, want: "init"},
	{name: "before-webhook-pod-identity", namespace: "payments", labels: map[string]string{injectLabel: "sidecar"}, identity: podIdentity, webhookAfter: true, want: "sidecar"},
	{name: "braces-verbatim", namespace: "team-init", identity: irsaIdentity, job: true, appEnv: bracesEnv, want: "init"},
	{name: "braces-region", namespace: "team-init", identity: irsaIdentity, appEnv: bracesEnv[:1], want: "init"},
	{name: "kube-system", namespace: "kube-system", labels: map[string]string{injectLabel: "init"}, identity: irsaIdentity},
	{name: "job-init", namespace: "payments", labels: map[string]string{injectLabel: "init"}, identity: irsaIdentity, job: true, want: "init"},
	{name: "job-sidecar", namespace: "team-sidecar", identity: irsaIdentity, job: true, want: "sidecar"},
	{name: "pod-identity", namespace: "team-init", identity: podIdentity, want: "init"},
	{name: "pod-identity-sidecar", namespace: "payments", labels: map[string]string{injectLabel: "sidecar"}, identity: podIdentity, want: "sidecar"},
}

// injectRoleARN is the IRSA role of the cases' service account.
const injectRoleARN = "arn:aws:iam::111122223333:role/billing-api"

// serviceAccount is the cases' service account, annotated with roleARN
// unless empty.
func (c injectCase) serviceAccount(roleARN string) *corev1.ServiceAccount {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "billing-api", Namespace: c.namespace}}
	if roleARN != "" {
		sa.Annotations = map[string]string{ekswebhook.EKSRoleARNAnnotation: roleARN}
	}
	return sa
}

// admitted is c's pod as the policies receive it: hardened for the
// restricted Pod Security level, then mutated by EKS's webhook.
func (c injectCase) admitted(probes map[string]corev1.Container) corev1.Pod {
	app := corev1.Container{
		Name:  "app",
		Image: "registry.example/billing-api:1.4.2",
		SecurityContext: &corev1.SecurityContext{
			RunAsNonRoot:             ptr(true),
			RunAsUser:                ptr(int64(10001)),
			AllowPrivilegeEscalation: ptr(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
		Env: slices.Clone(c.appEnv),
	}
	pod := corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: c.name, Namespace: c.namespace, Labels: map[string]string{"app.kubernetes.io/name": c.name}},
		Spec: corev1.PodSpec{
			ServiceAccountName: "billing-api",
			SecurityContext:    &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Containers:         []corev1.Container{app},
		},
	}
	for k, v := range c.labels {
		pod.Labels[k] = v
	}
	if c.job {
		pod.Labels["batch.kubernetes.io/job-name"] = "migrate"
		pod.OwnerReferences = []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: "migrate", UID: "6d1c1b8e-0b4e-4f57-9f0c-2b0d3c1f6a11", Controller: ptr(true), BlockOwnerDeletion: ptr(true)}}
		pod.Spec.RestartPolicy = corev1.RestartPolicyNever
		schema := app
		schema.Name, schema.Args = "schema", []string{"migrate"}
		pod.Spec.InitContainers = []corev1.Container{schema}
	}
	if c.injected {
		pod.Spec.InitContainers = append([]corev1.Container{probes["init"]}, pod.Spec.InitContainers...)
	}
	if !c.webhookAfter {
		c.eksWebhook(&pod)
	}
	return pod
}

// eksWebhook applies EKS's webhook to pod, as it does for c's service
// account.
func (c injectCase) eksWebhook(pod *corev1.Pod) {
	switch c.identity {
	case irsaIdentity:
		(&ekswebhook.EKSWebhook{Region: testRegion}).Mutate(pod, c.serviceAccount(injectRoleARN))
	case podIdentity:
		// EKS's jitter of the token's lifetime, drawn from a fixed seed so
		// the generated files stay put.
		w := podIdentityWebhook(testRegion)
		w.Rand = rand.New(rand.NewPCG(1, 2))
		w.Mutate(pod, c.serviceAccount(""))
	}
}

// expected is c's pod after the policy: the component's container for the
// mode, first among the init containers, with the identity the webhook gave
// the pod's containers copied in. Written without the policies' code, so the
// engines are checked against it, not against themselves.
func (c injectCase) expected(probes map[string]corev1.Container) corev1.Pod {
	return c.expectedFor(probes, c.want)
}

// wantFor is the mode c's pod gets under s: the namespaces s lists give
// their unlabelled pods s.DefaultMode, if the pod qualifies at all.
func (c injectCase) wantFor(s injectSettings) string {
	_, podLabel := c.labels[injectLabel]
	_, nsLabel := injectNamespaces[c.namespace][injectLabel]
	if c.want == "" && !podLabel && !nsLabel && !c.injected &&
		c.namespace != "kube-system" && slices.Contains(s.Namespaces, c.namespace) {
		return s.DefaultMode
	}
	return c.want
}

func (c injectCase) expectedFor(probes map[string]corev1.Container, want string) corev1.Pod {
	pod := c.admitted(probes)
	if want == "" {
		return pod
	}
	p := probes[want]
	probe := *p.DeepCopy()
	all := slices.Concat(pod.Spec.InitContainers, pod.Spec.Containers)
	var src corev1.Container // none: nothing to copy
	if i := slices.IndexFunc(all, func(c corev1.Container) bool {
		return slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return slices.Contains(identityMarkers, e.Name) })
	}); i >= 0 {
		src = all[i]
	}
	for _, e := range src.Env {
		if slices.Contains(identityEnv, e.Name) && e.Value != "" {
			probe.Env = append(probe.Env, corev1.EnvVar{Name: e.Name, Value: e.Value})
		}
	}
	for _, m := range src.VolumeMounts {
		if slices.Contains(identityMounts, m.Name) {
			probe.VolumeMounts = append(probe.VolumeMounts, corev1.VolumeMount{Name: m.Name, MountPath: m.MountPath, ReadOnly: true})
		}
	}
	pod.Spec.InitContainers = append([]corev1.Container{probe}, pod.Spec.InitContainers...)
	return pod
}
