package deploy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/iam"
	corev1 "k8s.io/api/core/v1"
)

// checkSeesIdentity checks a mutated pod from container c's point of view.
func checkSeesIdentity(spec *corev1.PodSpec, c *corev1.Container, roleARN string) []string {
	var errs []string
	env := map[string]string{}
	for _, e := range c.Env {
		if _, dup := env[e.Name]; dup {
			errs = append(errs, "env "+e.Name+" set twice after the webhook")
		}
		env[e.Name] = e.Value
	}
	for name, want := range map[string]string{
		"AWS_ROLE_ARN":                roleARN,
		"AWS_WEB_IDENTITY_TOKEN_FILE": webhookTokenFile,
		"AWS_STS_REGIONAL_ENDPOINTS":  "regional",
	} {
		if env[name] != want {
			errs = append(errs, name+"="+env[name]+", want "+want)
		}
	}
	if env["AWS_REGION"] == "" && env["AWS_DEFAULT_REGION"] == "" {
		errs = append(errs, "no region: AWS_REGION and AWS_DEFAULT_REGION unset")
	}
	// The token file must be under one of c's mounts; the deepest mount
	// containing it is the one the file is read from.
	file := env["AWS_WEB_IDENTITY_TOKEN_FILE"]
	if file == "" {
		return errs
	}
	var mount *corev1.VolumeMount
	paths := map[string]bool{}
	for i, m := range c.VolumeMounts {
		if paths[m.MountPath] {
			errs = append(errs, "two mounts at "+m.MountPath)
		}
		paths[m.MountPath] = true
		dir := strings.TrimSuffix(m.MountPath, "/")
		covers := file == dir || strings.HasPrefix(file, dir+"/")
		if covers && (mount == nil || len(dir) > len(strings.TrimSuffix(mount.MountPath, "/"))) {
			mount = &c.VolumeMounts[i]
		}
	}
	if mount == nil {
		return append(errs, "token file "+file+" is under no volumeMount of "+c.Name)
	}
	if mount.SubPath != "" || mount.SubPathExpr != "" {
		errs = append(errs, "token mount uses subPath: the kubelet's token refreshes would not reach it")
	}
	var vol *corev1.Volume
	for i := range spec.Volumes {
		if spec.Volumes[i].Name == mount.Name {
			if vol != nil {
				errs = append(errs, "two volumes named "+mount.Name)
			}
			vol = &spec.Volumes[i]
		}
	}
	if vol == nil || vol.Projected == nil {
		return append(errs, "token mount "+mount.Name+" is not a projected volume")
	}
	rel := strings.TrimPrefix(file, strings.TrimSuffix(mount.MountPath, "/")+"/")
	audience := iam.DefaultAudience
	if v, ok := env["IRSA_PROBE_AUDIENCE"]; ok {
		audience = v
	}
	i := slices.IndexFunc(vol.Projected.Sources, func(s corev1.VolumeProjection) bool {
		return s.ServiceAccountToken != nil && s.ServiceAccountToken.Path == rel
	})
	if i < 0 {
		return append(errs, "volume "+vol.Name+" projects no service account token at "+rel)
	}
	if got := vol.Projected.Sources[i].ServiceAccountToken.Audience; got != audience {
		errs = append(errs, "token audience "+got+", the probe expects "+audience)
	}
	if err := canRead(spec, c, projectedTokenFile(spec, vol.Projected)); err != nil {
		errs = append(errs, err.Error())
	}
	return errs
}

// TestSeesIdentityCatchesConflicts: what a manifest could do to keep the
// webhook's identity from the probe is reported.
func TestSeesIdentityCatchesConflicts(t *testing.T) {
	sa := &corev1.ServiceAccount{}
	sa.Annotations = map[string]string{roleARNAnnotation: "arn:aws:iam::111122223333:role/billing-api"}
	for _, tc := range []struct {
		name  string
		sa    map[string]string // extra service account annotations
		spoil func(tpl *corev1.PodTemplateSpec)
		want  string
	}{
		{"skipped by annotation", nil, func(tpl *corev1.PodTemplateSpec) {
			tpl.Annotations = map[string]string{skipContainersAnnotation: "app,irsa-probe"}
		}, "AWS_ROLE_ARN="},
		{"role set by the manifest", nil, func(tpl *corev1.PodTemplateSpec) {
			tpl.Spec.Containers[1].Env = append(tpl.Spec.Containers[1].Env, corev1.EnvVar{Name: "AWS_ROLE_ARN", Value: "arn:aws:iam::111122223333:role/other"})
		}, "AWS_WEB_IDENTITY_TOKEN_FILE="},
		{"own mount at the token path", nil, func(tpl *corev1.PodTemplateSpec) {
			tpl.Spec.Volumes = []corev1.Volume{{Name: "mine", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
			tpl.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{{Name: "mine", MountPath: webhookMountPath}}
		}, "two mounts"},
		{"deeper mount shadows the token", nil, func(tpl *corev1.PodTemplateSpec) {
			tpl.Spec.Volumes = []corev1.Volume{{Name: "mine", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
			tpl.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{{Name: "mine", MountPath: webhookTokenFile}}
		}, "not a projected volume"},
		{"audience the probe does not expect", map[string]string{"eks.amazonaws.com/audience": "sts.example.com"}, nil, "audience"},
		{"webhook switched off for the pod", nil, func(tpl *corev1.PodTemplateSpec) {
			tpl.Labels = map[string]string{skipPodLabel: "true"}
		}, "AWS_ROLE_ARN="},
		{"token made private", nil, func(tpl *corev1.PodTemplateSpec) {
			tpl.Spec.Volumes = []corev1.Volume{{Name: webhookVolume, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
				DefaultMode: ptr(int32(0o600)),
				Sources:     []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Audience: "sts.amazonaws.com", Path: "token"}}},
			}}}}
		}, "cannot read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpl := &corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "app"}, goodContainer(classicSidecar)},
			}}
			if tc.spoil != nil {
				tc.spoil(tpl)
			}
			s := sa.DeepCopy()
			for k, v := range tc.sa {
				s.Annotations[k] = v
			}
			webhookMutate(nil, tpl, s)
			errs := checkSeesIdentity(&tpl.Spec, &tpl.Spec.Containers[1], s.Annotations[roleARNAnnotation])
			if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, tc.want) }) {
				t.Errorf("want a problem mentioning %q, got %q", tc.want, errs)
			}
		})
	}
	// And the unspoilt pod passes, so the cases above fail for their reason.
	tpl := &corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}, goodContainer(classicSidecar)}}}
	webhookMutate(nil, tpl, sa)
	if errs := checkSeesIdentity(&tpl.Spec, &tpl.Spec.Containers[1], sa.Annotations[roleARNAnnotation]); len(errs) > 0 {
		t.Errorf("clean pod reported: %q", errs)
	}
}
