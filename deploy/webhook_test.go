package deploy_test

import (
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/ststest/ekswebhook"
	corev1 "k8s.io/api/core/v1"
)

// What the EKS pod identity webhook injects, from its one description in
// ekswebhook.EKSWebhook (amazon-eks-pod-identity-webhook's pkg/handler).
const (
	webhookVolume            = ekswebhook.IRSAVolume
	webhookMountPath         = ekswebhook.IRSAMountPath
	webhookTokenFile         = ekswebhook.IRSATokenFile
	roleARNAnnotation        = ekswebhook.EKSRoleARNAnnotation
	skipContainersAnnotation = ekswebhook.EKSSkipContainersAnnotation
	skipPodLabel             = ekswebhook.EKSSkipPodLabel
)

// containersToSkip is the webhook's reading of skip-containers.
var containersToSkip = ekswebhook.SkippedContainers

// webhookMutate mutates the pod of tpl as EKS's webhook does when it is
// created in testRegion with service account sa (nil: not found): tpl's
// labels and annotations are the pod's.
func webhookMutate(w *ekswebhook.EKSWebhook, tpl *corev1.PodTemplateSpec, sa *corev1.ServiceAccount) {
	if w == nil {
		w = &ekswebhook.EKSWebhook{Region: testRegion}
	}
	pod := &corev1.Pod{ObjectMeta: tpl.ObjectMeta, Spec: tpl.Spec}
	w.Mutate(pod, sa)
	tpl.ObjectMeta, tpl.Spec = pod.ObjectMeta, pod.Spec
}

// saWithRole is a service account annotated with role (none for "") and
// the extra annotations.
func saWithRole(role string, annotations map[string]string) *corev1.ServiceAccount {
	sa := &corev1.ServiceAccount{}
	sa.Annotations = map[string]string{}
	if role != "" {
		sa.Annotations[roleARNAnnotation] = role
	}
	for k, v := range annotations {
		sa.Annotations[k] = v
	}
	return sa
}

// TestWebhookMutation pins the webhook double to upstream's behaviour
// (cases modelled on pkg/handler/testdata: rawPodWithInitContainer,
// rawPodSkip, rawPodRegionPresent, rawPodHasVolumeMount), so the manifest
// checks below test against the real webhook, not a friendlier one.
func TestWebhookMutation(t *testing.T) {
	w := saWithRole("arn:aws:iam::111122223333:role/s3-reader", nil)
	full := "AWS_STS_REGIONAL_ENDPOINTS=regional AWS_DEFAULT_REGION=us-west-2 AWS_REGION=us-west-2 AWS_ROLE_ARN=arn:aws:iam::111122223333:role/s3-reader AWS_WEB_IDENTITY_TOKEN_FILE=" + webhookTokenFile
	for _, tc := range []struct {
		name        string
		w           *corev1.ServiceAccount
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
			w:         saWithRole("", nil),
			spec:      corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}},
			wantEnv:   map[string]string{"app": ""},
			wantMount: map[string]bool{"app": false},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpl := &corev1.PodTemplateSpec{Spec: *tc.spec.DeepCopy()}
			tpl.Labels, tpl.Annotations = tc.labels, tc.annotations
			webhookMutate(&ekswebhook.EKSWebhook{Region: "us-west-2"}, tpl, tc.w)
			spec := &tpl.Spec
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
