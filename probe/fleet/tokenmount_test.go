package fleet

import (
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/kube"
)

// TestDriftTokenMountNotRotated: the fleet names pods whose spec mounts the
// token volume with subPath, in any container, with the webhook's mount as
// the fix; a pod with the webhook's own mount is not named.
func TestDriftTokenMountNotRotated(t *testing.T) {
	withVolume := func(p Pod, mounts ...kube.VolumeMount) Pod {
		exp := int64(600)
		p.Spec.Volumes = []kube.Volume{{Name: "aws-iam-token", Projected: &kube.Projected{Sources: []kube.Projection{{ServiceAccountToken: &kube.TokenProjection{Audience: "sts.amazonaws.com", ExpirationSeconds: &exp, Path: "token"}}}}}}
		p.Spec.Containers[0].VolumeMounts = []kube.VolumeMount{{Name: "aws-iam-token", MountPath: "/var/run/secrets/eks.amazonaws.com/serviceaccount"}}
		if len(mounts) > 0 {
			p.Spec.Containers = append(p.Spec.Containers, Container{Name: "legacy", VolumeMounts: mounts})
		}
		return p
	}
	l := &Listing{
		ServiceAccounts: []ServiceAccount{sa("billing", "billing-api", roleA)},
		Pods: []Pod{
			withVolume(pod("billing", "billing-api-7d9f8b6c5-aaaaa", "billing-api", irsaEnv(roleA)...)),
			withVolume(pod("billing", "billing-api-7d9f8b6c5-bbbbb", "billing-api", irsaEnv(roleA)...),
				kube.VolumeMount{Name: "aws-iam-token", MountPath: "/token", SubPath: "token"}),
		},
	}
	inv := Build(l)
	if len(inv.Identities) != 1 {
		t.Fatalf("identities: %+v", inv.Identities)
	}
	var f *Finding
	for i := range inv.Identities[0].Findings {
		if inv.Identities[0].Findings[i].Code == CodeTokenMountNotRotated {
			f = &inv.Identities[0].Findings[i]
		}
	}
	if f == nil {
		t.Fatalf("no %s: %+v", CodeTokenMountNotRotated, inv.Identities[0].Findings)
	}
	if len(f.Pods) != 1 || f.Pods[0] != "billing-api-7d9f8b6c5-bbbbb" {
		t.Errorf("pods %v, want only the one with the subPath", f.Pods)
	}
	if !strings.Contains(f.Message, "legacy: mounts volume aws-iam-token with subPath token at /token") {
		t.Errorf("message %q", f.Message)
	}
	if len(f.Notes) == 0 || !strings.Contains(f.Notes[0], "aws-iam-token on /var/run/secrets/eks.amazonaws.com/serviceaccount") {
		t.Errorf("notes %q", f.Notes)
	}
	if len(f.Fix) != 1 || !strings.Contains(f.Fix[0], "rollout restart deployment/billing-api") {
		t.Errorf("fix %q", f.Fix)
	}
}
