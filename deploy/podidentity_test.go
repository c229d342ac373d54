package deploy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/ststest/ekswebhook"
	corev1 "k8s.io/api/core/v1"
)

// What the EKS pod identity webhook injects for a service account with a
// Pod Identity association, from ekswebhook.EKSWebhook: container credentials
// take precedence over an IRSA annotation, init and regular containers are
// mutated alike, minus eks.amazonaws.com/skip-containers. The values are
// EKS's.
const (
	podIdentityFullURI = ekswebhook.PodIdentityAgentURI
	podIdentityLabel   = ekswebhook.EKSPodIdentityLabel
)

// podIdentityWebhook is EKS's webhook in a region where every service
// account has a Pod Identity association.
func podIdentityWebhook(region string) *ekswebhook.EKSWebhook {
	return &ekswebhook.EKSWebhook{Region: region, PodIdentityAssociation: func(string, string) (string, bool) {
		return "arn:aws:iam::111122223333:role/pod-identity", true
	}}
}

// TestPodIdentityWebhookGivesProbeEverything: the components and examples
// work unchanged for a Pod Identity pod: once the webhook has mutated it,
// the probe container has the agent's URI, and a token of audience
// pods.eks.amazonaws.com it can read, and nothing of IRSA.
func TestPodIdentityWebhookGivesProbeEverything(t *testing.T) {
	for _, tg := range targets {
		objs := render(t, tg.dir)
		for _, ref := range tg.workloads {
			t.Run(tg.dir+"/"+ref, func(t *testing.T) {
				tpl, _ := probeIn(t, objs, ref)
				tpl = tpl.DeepCopy()
				var sa *corev1.ServiceAccount
				if o, ok := find(objs, "ServiceAccount", tpl.Spec.ServiceAccountName); ok {
					sa = o.Obj.(*corev1.ServiceAccount)
				}
				webhookMutate(podIdentityWebhook(testRegion), tpl, sa)
				if tpl.Labels[podIdentityLabel] != "enabled" {
					t.Error("pod not labelled")
				}
				var c *corev1.Container
				for _, cs := range [][]corev1.Container{tpl.Spec.InitContainers, tpl.Spec.Containers} {
					if i := slices.IndexFunc(cs, func(c corev1.Container) bool { return c.Name == probeContainer }); i >= 0 {
						c = &cs[i]
					}
				}
				env := map[string]string{}
				for _, e := range c.Env {
					env[e.Name] = e.Value
				}
				if env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] != podIdentityFullURI || env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] != iam.PodIdentityTokenFile {
					t.Errorf("probe env after the webhook: %v", env)
				}
				if env["AWS_ROLE_ARN"] != "" || env["AWS_WEB_IDENTITY_TOKEN_FILE"] != "" {
					t.Errorf("IRSA variables beside Pod Identity: the probe would report both")
				}
				i := slices.IndexFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
					return strings.HasPrefix(iam.PodIdentityTokenFile, m.MountPath+"/")
				})
				if i < 0 || c.VolumeMounts[i].Name != iam.PodIdentityVolume {
					t.Fatalf("no mount of %s covers %s", iam.PodIdentityVolume, iam.PodIdentityTokenFile)
				}
				v := tpl.Spec.Volumes[slices.IndexFunc(tpl.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == iam.PodIdentityVolume })]
				if err := canRead(&tpl.Spec, c, projectedTokenFile(&tpl.Spec, v.Projected)); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

// TestPodIdentityMutationFollowsUpstream pins the simulation to upstream's
// cases (pkg/handler/testdata/containercredentials: rawPodWithoutVolumes,
// rawPodSkip, rawPodWithConflictingVolumeMount).
func TestPodIdentityMutationFollowsUpstream(t *testing.T) {
	tpl := &corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "init"}},
		Containers:     []corev1.Container{{Name: "sidecar"}, {Name: "app", VolumeMounts: []corev1.VolumeMount{{Name: iam.PodIdentityVolume, MountPath: "/some/other/path"}}}},
	}}
	tpl.Annotations = map[string]string{skipContainersAnnotation: "sidecar"}
	webhookMutate(podIdentityWebhook("us-west-2"), tpl, nil)
	spec := tpl.Spec
	has := func(c corev1.Container) bool {
		return slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "AWS_CONTAINER_CREDENTIALS_FULL_URI" })
	}
	if !has(spec.InitContainers[0]) || has(spec.Containers[0]) || !has(spec.Containers[1]) {
		t.Errorf("init containers are mutated, skipped ones are not: %+v", spec)
	}
	if m := spec.Containers[1].VolumeMounts; len(m) != 1 || m[0].MountPath != "/some/other/path" {
		t.Errorf("an existing mount of the volume is kept: %+v", m)
	}
}
