package fleet

import "github.com/irsa-probe/irsa-probe/probe/kube"

// The listed objects are package kube's partial Kubernetes types; the
// names here keep the fleet's API readable on its own.
type (
	Meta            = kube.Meta
	OwnerRef        = kube.OwnerRef
	ServiceAccount  = kube.ServiceAccount
	Pod             = kube.Pod
	PodSpec         = kube.PodSpec
	Container       = kube.Container
	EnvVar          = kube.EnvVar
	PodCondition    = kube.PodCondition
	ContainerStatus = kube.ContainerStatus
	Namespace       = kube.Namespace
)

// Decoders of `kubectl get KIND -o json`.
var (
	DecodeServiceAccounts = kube.DecodeServiceAccounts
	DecodePods            = kube.DecodePods
	DecodeNamespaces      = kube.DecodeNamespaces
)

// The node and port types the migration's readiness reads.
type (
	Node          = kube.Node
	ContainerPort = kube.ContainerPort
)

// DecodeNodes decodes kubectl get nodes -o json.
var DecodeNodes = kube.DecodeNodes

// WorkloadOf is what recreates the pod (see podWorkload).
func WorkloadOf(p *Pod) Workload { return podWorkload(p) }
