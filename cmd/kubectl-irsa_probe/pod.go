package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// The parts of a Pod and a Namespace the plugin reads, as kubectl get -o
// json prints them (field names are the API's).
type pod struct {
	Metadata struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		SecurityContext     *securityContext `json:"securityContext"`
		InitContainers      []container      `json:"initContainers"`
		Containers          []container      `json:"containers"`
		EphemeralContainers []struct {
			Name string `json:"name"`
		} `json:"ephemeralContainers"`
	} `json:"spec"`
	Status struct {
		Phase                      string            `json:"phase"`
		EphemeralContainerStatuses []containerStatus `json:"ephemeralContainerStatuses"`
	} `json:"status"`
}

type container struct {
	Name            string           `json:"name"`
	Image           string           `json:"image"`
	SecurityContext *securityContext `json:"securityContext"`
	Env             []struct {
		Name string `json:"name"`
	} `json:"env"`
}

type securityContext struct {
	RunAsUser  *int64 `json:"runAsUser"`
	RunAsGroup *int64 `json:"runAsGroup"`
}

type containerStatus struct {
	Name  string `json:"name"`
	State struct {
		Waiting *struct {
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"waiting"`
		Running    *struct{} `json:"running"`
		Terminated *struct {
			ExitCode int    `json:"exitCode"`
			Reason   string `json:"reason"`
		} `json:"terminated"`
	} `json:"state"`
}

type namespace struct {
	Metadata struct {
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
}

// enforceLabel is Pod Security admission's level label on a namespace.
const enforceLabel = "pod-security.kubernetes.io/enforce"

// identityEnv are the variables the EKS pod identity webhook injects: the
// container that has them is the one with an AWS identity.
var identityEnv = []string{"AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI"}

func decodePod(b []byte) (*pod, error) {
	var p pod
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("kubectl get pod printed no pod: %w", err)
	}
	return &p, nil
}

// appContainer is the container named name, or else the pod's default
// container (kubectl.kubernetes.io/default-container), the first one the
// webhook gave an identity, the first one.
func (p *pod) appContainer(name string) (*container, error) {
	var names []string
	for i := range p.Spec.Containers {
		names = append(names, p.Spec.Containers[i].Name)
	}
	if name == "" {
		name = p.Metadata.Annotations["kubectl.kubernetes.io/default-container"]
	}
	if name == "" {
		for i := range p.Spec.Containers {
			if slices.ContainsFunc(p.Spec.Containers[i].Env, func(e struct {
				Name string `json:"name"`
			}) bool {
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
func (p *pod) runAs(c *container) (uid, gid *int64) {
	for _, sc := range []*securityContext{p.Spec.SecurityContext, c.SecurityContext} {
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

// status is the named ephemeral container's status, nil before it has one.
func (p *pod) status(name string) *containerStatus {
	for i := range p.Status.EphemeralContainerStatuses {
		if p.Status.EphemeralContainerStatuses[i].Name == name {
			return &p.Status.EphemeralContainerStatuses[i]
		}
	}
	return nil
}
