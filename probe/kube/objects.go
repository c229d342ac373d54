package kube

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The parts of ServiceAccounts, Pods and Namespaces the plugin reads, as
// `kubectl get -o json` prints them (field names are the API's; the tests
// decode the same documents strictly into k8s.io/api's types). Decoding
// only these fields keeps 5,000 pods fast and the plugin small.

// Meta is an object's metadata.
type Meta struct {
	Name            string            `json:"name"`
	Namespace       string            `json:"namespace,omitempty"`
	Labels          map[string]string `json:"labels,omitempty"`
	Annotations     map[string]string `json:"annotations,omitempty"`
	OwnerReferences []OwnerRef        `json:"ownerReferences,omitempty"`
}

// OwnerRef is a controller of the object.
type OwnerRef struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	// UID is the owner's uid: a canary's pod is believed only when its
	// controller's uid is the Job's the API server created.
	UID        string `json:"uid,omitempty"`
	Controller *bool  `json:"controller,omitempty"`
}

// Controller is the object's controlling owner, nil for a bare object.
func (m *Meta) Controller() *OwnerRef {
	for i := range m.OwnerReferences {
		if c := m.OwnerReferences[i].Controller; c != nil && *c {
			return &m.OwnerReferences[i]
		}
	}
	return nil
}

// ServiceAccount is a core/v1 ServiceAccount.
type ServiceAccount struct {
	Metadata Meta `json:"metadata"`
}

// Pod is a core/v1 Pod.
type Pod struct {
	Metadata Meta      `json:"metadata"`
	Spec     PodSpec   `json:"spec"`
	Status   PodStatus `json:"status"`
}

// PodSpec is the part of a pod's spec that says who it runs as.
type PodSpec struct {
	ServiceAccountName string `json:"serviceAccountName"`
	NodeName           string `json:"nodeName,omitempty"`
	// HostNetwork and the containers' ports: a pod on the node's network
	// shares its ports with the node's daemons (the Pod Identity agent's).
	HostNetwork         bool                 `json:"hostNetwork,omitempty"`
	SecurityContext     *SecurityContext     `json:"securityContext,omitempty"`
	InitContainers      []Container          `json:"initContainers,omitempty"`
	Containers          []Container          `json:"containers"`
	EphemeralContainers []EphemeralContainer `json:"ephemeralContainers,omitempty"`
	// Volumes: only projected service-account tokens are read.
	Volumes []Volume `json:"volumes,omitempty"`
}

// Volume is a pod's volume, as far as a projected token goes.
type Volume struct {
	Name      string     `json:"name"`
	Projected *Projected `json:"projected,omitempty"`
}

// Projected is a projected volume's sources.
type Projected struct {
	Sources []Projection `json:"sources"`
}

// Projection is one source of a projected volume.
type Projection struct {
	ServiceAccountToken *TokenProjection `json:"serviceAccountToken,omitempty"`
}

// TokenProjection is a projected service-account token.
type TokenProjection struct {
	Audience          string `json:"audience,omitempty"`
	ExpirationSeconds *int64 `json:"expirationSeconds,omitempty"`
	Path              string `json:"path"`
}

// VolumeMount is a container's mount of a volume.
type VolumeMount struct {
	Name        string `json:"name"`
	MountPath   string `json:"mountPath"`
	SubPath     string `json:"subPath,omitempty"`
	SubPathExpr string `json:"subPathExpr,omitempty"`
}

// PodStatus is the part of a pod's status the plugin waits on.
type PodStatus struct {
	Phase                      string            `json:"phase"`
	Conditions                 []PodCondition    `json:"conditions,omitempty"`
	ContainerStatuses          []ContainerStatus `json:"containerStatuses,omitempty"`
	EphemeralContainerStatuses []ContainerStatus `json:"ephemeralContainerStatuses,omitempty"`
}

// Container is a container of a pod: its identity is its env, its user
// its security context.
type Container struct {
	Name            string           `json:"name"`
	Image           string           `json:"image,omitempty"`
	SecurityContext *SecurityContext `json:"securityContext,omitempty"`
	Env             []EnvVar         `json:"env,omitempty"`
	VolumeMounts    []VolumeMount    `json:"volumeMounts,omitempty"`
	Ports           []ContainerPort  `json:"ports,omitempty"`
}

// ContainerPort is a port a container declares.
type ContainerPort struct {
	ContainerPort int    `json:"containerPort"`
	HostPort      int    `json:"hostPort,omitempty"`
	HostIP        string `json:"hostIP,omitempty"`
	Protocol      string `json:"protocol,omitempty"`
}

// EphemeralContainer is a debug container of a pod: only its name
// matters (names are never reused within a pod).
type EphemeralContainer struct {
	Name string `json:"name"`
}

// SecurityContext is core/v1's PodSecurityContext and SecurityContext, as
// far as the plugin reads them (the user and group a pod or container runs
// as) and writes them (its canaries' and ephemeral containers' hardening).
type SecurityContext struct {
	RunAsUser                *int64          `json:"runAsUser,omitempty"`
	RunAsGroup               *int64          `json:"runAsGroup,omitempty"`
	RunAsNonRoot             *bool           `json:"runAsNonRoot,omitempty"`
	AllowPrivilegeEscalation *bool           `json:"allowPrivilegeEscalation,omitempty"`
	ReadOnlyRootFilesystem   *bool           `json:"readOnlyRootFilesystem,omitempty"`
	Capabilities             *Capabilities   `json:"capabilities,omitempty"`
	SeccompProfile           *SeccompProfile `json:"seccompProfile,omitempty"`
}

// Capabilities is core/v1 Capabilities.
type Capabilities struct {
	Add  []string `json:"add,omitempty"`
	Drop []string `json:"drop,omitempty"`
}

// SeccompProfile is core/v1 SeccompProfile.
type SeccompProfile struct {
	Type string `json:"type"`
}

// EnvVar is a plain env entry (valueFrom entries have no Value).
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

// PodCondition is one of a pod's conditions (PodScheduled, Ready…).
type PodCondition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// ContainerStatus is a container's state.
type ContainerStatus struct {
	Name  string `json:"name"`
	State struct {
		Waiting *struct {
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"waiting,omitempty"`
		Running    *struct{} `json:"running,omitempty"`
		Terminated *struct {
			ExitCode int    `json:"exitCode"`
			Reason   string `json:"reason"`
			Message  string `json:"message"`
		} `json:"terminated,omitempty"`
	} `json:"state"`
}

// Namespace is a core/v1 Namespace.
type Namespace struct {
	Metadata Meta `json:"metadata"`
}

// Node is a core/v1 Node: its labels say where EKS Pod Identity can run
// (kubernetes.io/os, eks.amazonaws.com/compute-type).
type Node struct {
	Metadata Meta `json:"metadata"`
}

// DecodeNodes decodes kubectl get nodes -o json.
func DecodeNodes(b []byte) ([]Node, error) { return decodeList[Node](b, "nodes") }

// Env is the value of the first container env var name, and whether any
// container (init containers included: the webhook injects into both) has it.
func (p *Pod) Env(name string) (string, bool) {
	for _, cs := range [][]Container{p.Spec.Containers, p.Spec.InitContainers} {
		for _, c := range cs {
			for _, e := range c.Env {
				if e.Name == name {
					return e.Value, true
				}
			}
		}
	}
	return "", false
}

// ServiceAccount is the pod's service account ("default" when unset, as
// the API server defaults it).
func (p *Pod) ServiceAccount() string {
	if p.Spec.ServiceAccountName == "" {
		return "default"
	}
	return p.Spec.ServiceAccountName
}

// Live reports whether the pod still runs or will: a Succeeded or Failed
// pod has nothing to restart.
func (p *Pod) Live() bool {
	return p.Status.Phase != "Succeeded" && p.Status.Phase != "Failed"
}

// EphemeralStatus is the named ephemeral container's status, nil before
// it has one.
func (p *Pod) EphemeralStatus(name string) *ContainerStatus {
	for i := range p.Status.EphemeralContainerStatuses {
		if p.Status.EphemeralContainerStatuses[i].Name == name {
			return &p.Status.EphemeralContainerStatuses[i]
		}
	}
	return nil
}

// list is kubectl's List of one kind.
type list[T any] struct {
	Kind  string `json:"kind"`
	Items []T    `json:"items"`
}

// decodeList decodes `kubectl get KIND -o json`'s List.
func decodeList[T any](b []byte, what string) ([]T, error) {
	var l list[T]
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("kubectl get %s printed no list: %w", what, err)
	}
	if !strings.HasSuffix(l.Kind, "List") {
		return nil, fmt.Errorf("kubectl get %s printed a %s, not a list", what, l.Kind)
	}
	return l.Items, nil
}

// DecodeServiceAccounts decodes kubectl get serviceaccounts -o json.
func DecodeServiceAccounts(b []byte) ([]ServiceAccount, error) {
	return decodeList[ServiceAccount](b, "serviceaccounts")
}

// DecodePods decodes kubectl get pods -o json.
func DecodePods(b []byte) ([]Pod, error) { return decodeList[Pod](b, "pods") }

// DecodePod decodes kubectl get pod NAME -o json.
func DecodePod(b []byte) (*Pod, error) {
	var p Pod
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("kubectl get pod printed no pod: %w", err)
	}
	return &p, nil
}

// DecodeNamespaces decodes kubectl get namespaces -o json, or the one
// namespace of kubectl get namespace NAME -o json.
func DecodeNamespaces(b []byte) ([]Namespace, error) {
	var one struct {
		Kind string `json:"kind"`
		Namespace
	}
	if json.Unmarshal(b, &one) == nil && one.Kind == "Namespace" {
		return []Namespace{one.Namespace}, nil
	}
	return decodeList[Namespace](b, "namespaces")
}
