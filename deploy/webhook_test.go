package deploy_test

import (
	"encoding/csv"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// What the EKS pod identity webhook injects (amazon-eks-pod-identity-webhook,
// pkg/handler/handler.go and its defaults).
const (
	webhookVolume     = "aws-iam-token"
	webhookMountPath  = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
	webhookTokenFile  = webhookMountPath + "/token"
	roleARNAnnotation = "eks.amazonaws.com/role-arn"
	// Pod annotation: comma-separated containers the webhook leaves alone.
	skipContainersAnnotation = "eks.amazonaws.com/skip-containers"
	// Pod label excluded by the webhook's objectSelector: no mutation at all.
	skipPodLabel = "eks.amazonaws.com/skip-pod-identity-webhook"
)

// podIdentityWebhook mutates a pod the way amazon-eks-pod-identity-webhook
// does at pod creation when the pod's service account is annotated
// eks.amazonaws.com/role-arn (pkg/handler: getPodSpecPatch,
// addEnvToContainer, getContainersToSkip). Windows path rewriting is left
// out: irsa-probe is a Linux image.
type podIdentityWebhook struct {
	RoleARN     string
	Audience    string // eks.amazonaws.com/audience, default sts.amazonaws.com
	Region      string // the cluster's region (--aws-default-region on EKS)
	RegionalSTS bool   // eks.amazonaws.com/sts-regional-endpoints; true on EKS
	Expiration  int64  // eks.amazonaws.com/token-expiration, default 86400
}

// webhookFor configures the webhook from a service account's annotations,
// with EKS's defaults.
func webhookFor(sa *corev1.ServiceAccount, region string) podIdentityWebhook {
	w := podIdentityWebhook{
		RoleARN:     sa.Annotations[roleARNAnnotation],
		Audience:    "sts.amazonaws.com",
		Region:      region,
		RegionalSTS: true,
		Expiration:  86400,
	}
	if v, ok := sa.Annotations["eks.amazonaws.com/audience"]; ok {
		w.Audience = v
	}
	if v, ok := sa.Annotations["eks.amazonaws.com/sts-regional-endpoints"]; ok {
		w.RegionalSTS = v == "true"
	}
	if v, err := strconv.ParseInt(sa.Annotations["eks.amazonaws.com/token-expiration"], 10, 64); err == nil {
		w.Expiration = v
	}
	return w
}

// mutate applies the webhook's patch to spec. labels and annotations are the
// pod's (a workload's pod template metadata).
func (w podIdentityWebhook) mutate(labels, annotations map[string]string, spec *corev1.PodSpec) {
	if w.RoleARN == "" {
		return // service account not annotated: the webhook allows the pod unchanged
	}
	if _, ok := labels[skipPodLabel]; ok {
		return // excluded by the MutatingWebhookConfiguration's objectSelector
	}
	skip := containersToSkip(annotations)
	for i := range spec.InitContainers {
		if !skip[spec.InitContainers[i].Name] {
			w.addEnvToContainer(&spec.InitContainers[i])
		}
	}
	for i := range spec.Containers {
		if !skip[spec.Containers[i].Name] {
			w.addEnvToContainer(&spec.Containers[i])
		}
	}
	for _, v := range spec.Volumes {
		if v.Name == webhookVolume {
			return // already there: not replaced
		}
	}
	exp := w.Expiration
	vol := corev1.Volume{
		Name: webhookVolume,
		VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
				Audience: w.Audience, ExpirationSeconds: &exp, Path: "token",
			}}},
		}},
	}
	// The patch adds at /spec/volumes/0.
	spec.Volumes = append([]corev1.Volume{vol}, spec.Volumes...)
}

// containersToSkip parses the skip-containers annotation as one CSV record;
// a parse error skips nothing, as upstream.
func containersToSkip(annotations map[string]string) map[string]bool {
	skip := map[string]bool{}
	v, ok := annotations[skipContainersAnnotation]
	if !ok {
		return skip
	}
	names, err := csv.NewReader(strings.NewReader(v)).Read()
	if err != nil {
		return skip
	}
	for _, n := range names {
		skip[n] = true
	}
	return skip
}

// addEnvToContainer follows upstream: each group of variables is added only
// when the container sets none of it (so a manifest that sets AWS_ROLE_ARN
// loses the token file too), and the mount is added unless a mount of the
// volume exists.
func (w podIdentityWebhook) addEnvToContainer(c *corev1.Container) {
	var reserved, region, sts bool
	for _, e := range c.Env {
		switch e.Name {
		case "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE":
			reserved = true
		case "AWS_REGION", "AWS_DEFAULT_REGION":
			region = true
		case "AWS_STS_REGIONAL_ENDPOINTS":
			sts = true
		}
	}
	if reserved && region && sts {
		return
	}
	if !sts && w.RegionalSTS {
		c.Env = append(c.Env, corev1.EnvVar{Name: "AWS_STS_REGIONAL_ENDPOINTS", Value: "regional"})
	}
	if !region && w.Region != "" {
		c.Env = append(c.Env,
			corev1.EnvVar{Name: "AWS_DEFAULT_REGION", Value: w.Region},
			corev1.EnvVar{Name: "AWS_REGION", Value: w.Region})
	}
	if !reserved {
		c.Env = append(c.Env,
			corev1.EnvVar{Name: "AWS_ROLE_ARN", Value: w.RoleARN},
			corev1.EnvVar{Name: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: webhookTokenFile})
	}
	for _, m := range c.VolumeMounts {
		if m.Name == webhookVolume {
			return
		}
	}
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: webhookVolume, ReadOnly: true, MountPath: webhookMountPath})
}

// TestWebhookMutation pins the simulation to upstream's behaviour (cases
// modelled on pkg/handler/testdata: rawPodWithInitContainer, rawPodSkip,
// rawPodRegionPresent, rawPodHasVolumeMount), so the manifest checks below
// test against the real webhook, not a friendlier one.
func TestWebhookMutation(t *testing.T) {
	w := podIdentityWebhook{RoleARN: "arn:aws:iam::111122223333:role/s3-reader", Audience: "sts.amazonaws.com", Region: "us-west-2", RegionalSTS: true, Expiration: 86400}
	full := "AWS_STS_REGIONAL_ENDPOINTS=regional AWS_DEFAULT_REGION=us-west-2 AWS_REGION=us-west-2 AWS_ROLE_ARN=arn:aws:iam::111122223333:role/s3-reader AWS_WEB_IDENTITY_TOKEN_FILE=" + webhookTokenFile
	for _, tc := range []struct {
		name        string
		w           podIdentityWebhook
		labels      map[string]string
		annotations map[string]string
		spec        corev1.PodSpec
		// container name -> "NAME=value ..." after mutation, and whether mounted
		wantEnv   map[string]string
		wantMount map[string]bool
		wantVols  int
	}{
		{
			name: "containers and init containers, native sidecar included",
			w:    w,
			spec: corev1.PodSpec{
				InitContainers: []corev1.Container{{Name: "init"}, {Name: "sidecar", RestartPolicy: ptr(corev1.ContainerRestartPolicyAlways)}},
				Containers:     []corev1.Container{{Name: "app"}},
			},
			wantEnv:   map[string]string{"init": full, "sidecar": full, "app": full},
			wantMount: map[string]bool{"init": true, "sidecar": true, "app": true},
			wantVols:  1,
		},
		{
			name:        "skip-containers annotation",
			w:           w,
			annotations: map[string]string{skipContainersAnnotation: "sidecar,other"},
			spec:        corev1.PodSpec{Containers: []corev1.Container{{Name: "sidecar"}, {Name: "app"}}},
			wantEnv:     map[string]string{"sidecar": "", "app": full},
			wantMount:   map[string]bool{"sidecar": false, "app": true},
			wantVols:    1,
		},
		{
			name: "a set AWS_ROLE_ARN suppresses the token file too",
			w:    w,
			spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Env: []corev1.EnvVar{{Name: "AWS_ROLE_ARN", Value: "mine"}}}}},
			wantEnv: map[string]string{"app": "AWS_ROLE_ARN=mine AWS_STS_REGIONAL_ENDPOINTS=regional " +
				"AWS_DEFAULT_REGION=us-west-2 AWS_REGION=us-west-2"},
			wantMount: map[string]bool{"app": true},
			wantVols:  1,
		},
		{
			name:      "a set region is kept",
			w:         w,
			spec:      corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Env: []corev1.EnvVar{{Name: "AWS_DEFAULT_REGION", Value: "eu-west-1"}}}}},
			wantEnv:   map[string]string{"app": "AWS_DEFAULT_REGION=eu-west-1 AWS_STS_REGIONAL_ENDPOINTS=regional AWS_ROLE_ARN=arn:aws:iam::111122223333:role/s3-reader AWS_WEB_IDENTITY_TOKEN_FILE=" + webhookTokenFile},
			wantMount: map[string]bool{"app": true},
			wantVols:  1,
		},
		{
			name:      "existing volume is not added again",
			w:         w,
			spec:      corev1.PodSpec{Volumes: []corev1.Volume{{Name: webhookVolume}}, Containers: []corev1.Container{{Name: "app"}}},
			wantEnv:   map[string]string{"app": full},
			wantMount: map[string]bool{"app": true},
			wantVols:  1,
		},
		{
			name:      "skip label: no mutation",
			w:         w,
			labels:    map[string]string{skipPodLabel: "true"},
			spec:      corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}},
			wantEnv:   map[string]string{"app": ""},
			wantMount: map[string]bool{"app": false},
		},
		{
			name:      "service account without role: no mutation",
			w:         podIdentityWebhook{},
			spec:      corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}},
			wantEnv:   map[string]string{"app": ""},
			wantMount: map[string]bool{"app": false},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := tc.spec.DeepCopy()
			tc.w.mutate(tc.labels, tc.annotations, spec)
			for _, c := range append(spec.InitContainers, spec.Containers...) {
				var env []string
				for _, e := range c.Env {
					env = append(env, e.Name+"="+e.Value)
				}
				if got := strings.Join(env, " "); got != tc.wantEnv[c.Name] {
					t.Errorf("%s env:\n got %s\nwant %s", c.Name, got, tc.wantEnv[c.Name])
				}
				mounted := len(c.VolumeMounts) == 1 && c.VolumeMounts[0] == corev1.VolumeMount{Name: webhookVolume, ReadOnly: true, MountPath: webhookMountPath}
				if mounted != tc.wantMount[c.Name] {
					t.Errorf("%s mounts = %+v, want the token mount: %v", c.Name, c.VolumeMounts, tc.wantMount[c.Name])
				}
			}
			if len(spec.Volumes) != tc.wantVols {
				t.Errorf("volumes = %+v, want %d", spec.Volumes, tc.wantVols)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
