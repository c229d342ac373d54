package ephemeral

import (
	"fmt"
	"slices"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/kube"
)

// identityEnv are the variables the EKS pod identity webhook injects: the
// container that has them is the one with an AWS identity.
var identityEnv = []string{"AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI"}

// AppContainer is the container named name, or else the pod's default
// container (kubectl.kubernetes.io/default-container), the first one the
// webhook gave an identity, the first one.
func AppContainer(p *kube.Pod, name string) (*kube.Container, error) {
	var names []string
	for i := range p.Spec.Containers {
		names = append(names, p.Spec.Containers[i].Name)
	}
	if name == "" {
		name = p.Metadata.Annotations["kubectl.kubernetes.io/default-container"]
	}
	if name == "" {
		for i := range p.Spec.Containers {
			if slices.ContainsFunc(p.Spec.Containers[i].Env, func(e kube.EnvVar) bool {
				return slices.Contains(identityEnv, e.Name)
			}) {
				return &p.Spec.Containers[i], nil
			}
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("pod %s has no containers", p.Metadata.Name)
		}
		return &p.Spec.Containers[0], nil
	}
	for i := range p.Spec.Containers {
		if p.Spec.Containers[i].Name == name {
			return &p.Spec.Containers[i], nil
		}
	}
	return nil, fmt.Errorf("pod %s has no container %q (it has %s)", p.Metadata.Name, name, strings.Join(names, ", "))
}

// runAs is the uid and gid c runs as, when the pod spec says: the
// container's securityContext over the pod's. Unset means the image's USER,
// which the API does not show.
func runAs(p *kube.Pod, c *kube.Container) (uid, gid *int64) {
	for _, sc := range []*kube.SecurityContext{p.Spec.SecurityContext, c.SecurityContext} {
		if sc == nil {
			continue
		}
		if sc.RunAsUser != nil {
			uid = sc.RunAsUser
		}
		if sc.RunAsGroup != nil {
			gid = sc.RunAsGroup
		}
	}
	return uid, gid
}
