package deploy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/serve"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// goodContainer is a container that passes checkContainer for m, built
// independently of the manifests so the negative cases below test the checks.
func goodContainer(m mode) corev1.Container {
	c := corev1.Container{
		Name: probeContainer, Image: wantImage, Args: []string{m.command()},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Mi")},
		},
		SecurityContext: &corev1.SecurityContext{
			RunAsNonRoot: ptr(true), RunAsUser: ptr(int64(65532)), RunAsGroup: ptr(int64(65532)),
			ReadOnlyRootFilesystem: ptr(true), AllowPrivilegeEscalation: ptr(false),
			Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
	for name, path := range downwardEnv {
		c.Env = append(c.Env, corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}})
	}
	if m.serves() {
		get := func(path string) *corev1.Probe {
			return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString("irsa-probe")}}}
		}
		c.Ports = []corev1.ContainerPort{{Name: "irsa-probe", ContainerPort: 8086}}
		c.ReadinessProbe, c.LivenessProbe = get(serve.PathHealthz), get(serve.PathLivez)
		if m == nativeSidecar {
			c.StartupProbe = get(serve.PathHealthz)
			c.RestartPolicy = ptr(corev1.ContainerRestartPolicyAlways)
		}
	}
	return c
}

// TestChecksCatchMistakes: each mistake a hand edit could make is reported,
// so a green manifest test means something.
func TestChecksCatchMistakes(t *testing.T) {
	for _, m := range []mode{initCheck, nativeSidecar, classicSidecar, jobCheck} {
		c := goodContainer(m)
		if errs := checkContainer(&c, m); len(errs) > 0 {
			t.Fatalf("mode %d: good container reported: %v", m, errs)
		}
	}
	for _, tc := range []struct {
		name  string
		m     mode
		spoil func(c *corev1.Container)
		want  string
	}{
		{"unknown command", initCheck, func(c *corev1.Container) { c.Args = []string{"chek"} }, "not a command"},
		{"serve as init container", initCheck, func(c *corev1.Container) { c.Args = []string{"serve"} }, "want [check]"},
		{"AWS_REGION set", initCheck, func(c *corev1.Container) { c.Env = append(c.Env, corev1.EnvVar{Name: "AWS_REGION", Value: "x"}) }, "webhook"},
		{"variable the binary ignores", jobCheck, func(c *corev1.Container) {
			c.Env = append(c.Env, corev1.EnvVar{Name: "IRSA_PROBE_VERBOSE", Value: "1"})
		}, "not read"},
		{"namespace hard-coded", jobCheck, func(c *corev1.Container) { c.Env[0] = corev1.EnvVar{Name: c.Env[0].Name, Value: "payments"} }, "downward API"},
		{"root", initCheck, func(c *corev1.Container) { c.SecurityContext.RunAsNonRoot = ptr(false) }, "runAsNonRoot"},
		{"writable root", nativeSidecar, func(c *corev1.Container) { c.SecurityContext.ReadOnlyRootFilesystem = nil }, "readOnlyRootFilesystem"},
		{"capability kept", classicSidecar, func(c *corev1.Container) { c.SecurityContext.Capabilities.Add = []corev1.Capability{"NET_RAW"} }, "capabilities"},
		{"no seccomp", initCheck, func(c *corev1.Container) { c.SecurityContext.SeccompProfile = nil }, "seccomp"},
		{"cpu limit", initCheck, func(c *corev1.Container) { c.Resources.Limits[corev1.ResourceCPU] = resource.MustParse("10m") }, "limits memory only"},
		{"memory request", initCheck, func(c *corev1.Container) { c.Resources.Requests[corev1.ResourceMemory] = resource.MustParse("64Mi") }, "16Mi"},
		{"termination message", jobCheck, func(c *corev1.Container) { c.TerminationMessagePolicy = "" }, "FallbackToLogsOnError"},
		{"wrong port", classicSidecar, func(c *corev1.Container) { c.Ports[0].ContainerPort = 8080 }, "want one TCP port 8086"},
		{"listen moved, port not", classicSidecar, func(c *corev1.Container) {
			c.Env = append(c.Env, corev1.EnvVar{Name: "IRSA_PROBE_LISTEN", Value: ":9000"})
		}, "9000"},
		{"unknown path", nativeSidecar, func(c *corev1.Container) { c.ReadinessProbe.HTTPGet.Path = "/ready" }, "serve answers only"},
		{"liveness on IAM", classicSidecar, func(c *corev1.Container) { c.LivenessProbe.HTTPGet.Path = serve.PathHealthz }, "want one of [/livez]"},
		{"unresolvable port name", nativeSidecar, func(c *corev1.Container) { c.LivenessProbe.HTTPGet.Port = intstr.FromString("http") }, "not serve's"},
		{"native without startupProbe", nativeSidecar, func(c *corev1.Container) { c.StartupProbe = nil }, "startupProbe missing"},
		{"native without restartPolicy", nativeSidecar, func(c *corev1.Container) { c.RestartPolicy = nil }, "restartPolicy"},
		{"probe on check", initCheck, func(c *corev1.Container) { c.ReadinessProbe = &corev1.Probe{} }, "no ports or probes"},
		{"own token mount", jobCheck, func(c *corev1.Container) {
			c.VolumeMounts = []corev1.VolumeMount{{Name: "t", MountPath: webhookMountPath}}
		}, "needs none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := goodContainer(tc.m)
			tc.spoil(&c)
			errs := checkContainer(&c, tc.m)
			if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, tc.want) }) {
				t.Errorf("want a problem mentioning %q, got %q", tc.want, errs)
			}
		})
	}
}

// TestPodChecksCatchMistakes: the same for where the container sits in its
// pod, starting from a good classic-sidecar pod.
func TestPodChecksCatchMistakes(t *testing.T) {
	good := func() *corev1.PodTemplateSpec {
		app := corev1.Container{Name: "app", ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
			HTTPGet: &corev1.HTTPGetAction{Path: serve.PathHealthz, Port: intstr.FromInt32(8086)},
		}}}
		return &corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			ServiceAccountName: "billing-api",
			Containers:         []corev1.Container{app, goodContainer(classicSidecar)},
		}}
	}
	if errs := checkPod(good(), classicSidecar); len(errs) > 0 {
		t.Fatalf("good pod reported: %q", errs)
	}
	for _, tc := range []struct {
		name  string
		m     mode
		spoil func(tpl *corev1.PodTemplateSpec)
		want  string
	}{
		{"two components", classicSidecar, func(tpl *corev1.PodTemplateSpec) {
			tpl.Spec.InitContainers = []corev1.Container{goodContainer(initCheck)}
		}, "used twice"},
		{"sidecar first", classicSidecar, func(tpl *corev1.PodTemplateSpec) {
			slices.Reverse(tpl.Spec.Containers)
		}, "after the app"},
		{"app probe by port name", classicSidecar, func(tpl *corev1.PodTemplateSpec) {
			tpl.Spec.Containers[0].ReadinessProbe.HTTPGet.Port = intstr.FromString("irsa-probe")
		}, "use the number"},
		{"app probe on liveness path", classicSidecar, func(tpl *corev1.PodTemplateSpec) {
			tpl.Spec.Containers[0].ReadinessProbe.HTTPGet.Path = serve.PathLivez
		}, "want one of"},
		{"check after another init container", initCheck, func(tpl *corev1.PodTemplateSpec) {
			tpl.Spec.Containers = tpl.Spec.Containers[:1]
			tpl.Spec.InitContainers = []corev1.Container{{Name: "migrate"}, goodContainer(initCheck)}
		}, "not the first"},
		{"skipped by the webhook", classicSidecar, func(tpl *corev1.PodTemplateSpec) {
			tpl.Annotations = map[string]string{skipContainersAnnotation: "irsa-probe"}
		}, "lists irsa-probe"},
		{"default service account", classicSidecar, func(tpl *corev1.PodTemplateSpec) {
			tpl.Spec.ServiceAccountName = ""
		}, "serviceAccountName"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpl := good()
			tc.spoil(tpl)
			errs := checkPod(tpl, tc.m)
			if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, tc.want) }) {
				t.Errorf("want a problem mentioning %q, got %q", tc.want, errs)
			}
		})
	}
}
