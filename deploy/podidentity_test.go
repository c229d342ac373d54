package deploy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/iam"
	corev1 "k8s.io/api/core/v1"
)

// What the EKS pod identity webhook injects for a service account with a
// Pod Identity association (amazon-eks-pod-identity-webhook, pkg/handler:
// buildPodPatchConfig gives container credentials precedence over an IRSA
// annotation; getPodSpecPatch mutates init and regular containers alike,
// minus eks.amazonaws.com/skip-containers; addEnvToContainer adds the two
// variables unless the container sets either). The values are EKS's.
const (
	podIdentityFullURI   = "http://169.254.170.23/v1/credentials"
	podIdentityMountPath = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"
	podIdentityLabel     = "eks.amazonaws.com/pod-identity"
)

// mutatePodIdentity applies the webhook's Pod Identity patch to spec.
func mutatePodIdentity(labels, annotations map[string]string, spec *corev1.PodSpec, region string) map[string]string {
	skip := containersToSkip(annotations)
	add := func(c *corev1.Container) {
		var defined, hasRegion, hasSTS bool
		for _, e := range c.Env {
			switch e.Name {
			case "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE":
				defined = true
			case "AWS_REGION", "AWS_DEFAULT_REGION":
				hasRegion = true
			case "AWS_STS_REGIONAL_ENDPOINTS":
				hasSTS = true
			}
		}
		if !hasSTS {
			c.Env = append(c.Env, corev1.EnvVar{Name: "AWS_STS_REGIONAL_ENDPOINTS", Value: "regional"})
		}
		if !hasRegion {
			c.Env = append(c.Env, corev1.EnvVar{Name: "AWS_DEFAULT_REGION", Value: region}, corev1.EnvVar{Name: "AWS_REGION", Value: region})
		}
		if !defined {
			c.Env = append(c.Env,
				corev1.EnvVar{Name: "AWS_CONTAINER_CREDENTIALS_FULL_URI", Value: podIdentityFullURI},
				corev1.EnvVar{Name: "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", Value: iam.PodIdentityTokenFile})
		}
		if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == iam.PodIdentityVolume }) {
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: iam.PodIdentityVolume, ReadOnly: true, MountPath: podIdentityMountPath})
		}
	}
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range cs {
			if !skip[cs[i].Name] {
				add(&cs[i])
			}
		}
	}
	if !slices.ContainsFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == iam.PodIdentityVolume }) {
		exp := int64(86400)
		spec.Volumes = append([]corev1.Volume{{Name: iam.PodIdentityVolume, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
				Audience: iam.PodIdentityAudience, ExpirationSeconds: &exp, Path: "eks-pod-identity-token"}}},
		}}}}, spec.Volumes...)
	}
	out := map[string]string{podIdentityLabel: "enabled"}
	for k, v := range labels {
		out[k] = v
	}
	return out
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
				labels := mutatePodIdentity(tpl.Labels, tpl.Annotations, &tpl.Spec, testRegion)
				if labels[podIdentityLabel] != "enabled" {
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
	spec := corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "init"}},
		Containers:     []corev1.Container{{Name: "sidecar"}, {Name: "app", VolumeMounts: []corev1.VolumeMount{{Name: iam.PodIdentityVolume, MountPath: "/some/other/path"}}}},
	}
	mutatePodIdentity(nil, map[string]string{skipContainersAnnotation: "sidecar"}, &spec, "us-west-2")
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
