package kube

import (
	"strings"
	"testing"
)

// TestStaleTokenMounts: the pod spec's view of a token that never rotates,
// on the webhook's own layout and the three ways around it.
func TestStaleTokenMounts(t *testing.T) {
	base := func() *Pod {
		exp := int64(86400)
		return &Pod{Spec: PodSpec{
			Volumes: []Volume{
				{Name: "aws-iam-token", Projected: &Projected{Sources: []Projection{{ServiceAccountToken: &TokenProjection{Audience: "sts.amazonaws.com", ExpirationSeconds: &exp, Path: "token"}}}}},
				{Name: "cache"},
			},
			Containers: []Container{{Name: "app",
				Env:          []EnvVar{{Name: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}},
				VolumeMounts: []VolumeMount{{Name: "aws-iam-token", MountPath: "/var/run/secrets/eks.amazonaws.com/serviceaccount"}, {Name: "cache", MountPath: "/cache", SubPath: "x"}},
			}},
		}}
	}
	for _, tc := range []struct {
		name   string
		change func(p *Pod)
		want   []string // container: why (substring)
	}{
		{"the webhook's mount", func(p *Pod) {}, nil},
		{"subPath in a second container", func(p *Pod) {
			p.Spec.Containers = append(p.Spec.Containers, Container{Name: "legacy",
				Env:          []EnvVar{{Name: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: "/token"}},
				VolumeMounts: []VolumeMount{{Name: "aws-iam-token", MountPath: "/token", SubPath: "token"}}})
		}, []string{"legacy: mounts volume aws-iam-token with subPath token at /token"}},
		{"subPathExpr", func(p *Pod) {
			p.Spec.Containers[0].VolumeMounts[0].SubPathExpr = "$(POD)"
		}, []string{"app: mounts volume aws-iam-token with subPath $(POD)"}},
		{"a copy", func(p *Pod) {
			p.Spec.Containers[0].Env[0].Value = "/cache/token"
		}, []string{"app: AWS_WEB_IDENTITY_TOKEN_FILE=/cache/token is on no mount of a projected token volume"}},
		{"a non-token subPath only", func(p *Pod) { p.Spec.Volumes = p.Spec.Volumes[1:] }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := base()
			tc.change(p)
			got := StaleTokenMounts(p)
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %v", got, tc.want)
			}
			for i, w := range tc.want {
				c, why, _ := strings.Cut(w, ": ")
				if got[i].Container != c || !strings.Contains(got[i].Why, why) {
					t.Errorf("got %+v, want %s", got[i], w)
				}
			}
		})
	}
}
