package iam

// The mechanisms EKS gives a pod its IAM role with, named as the check's
// report, its JSON (mechanism), the metrics' mechanism label and the fleet
// view name them.
const (
	MechanismIRSA        = "irsa"
	MechanismPodIdentity = "pod-identity"
	MechanismBoth        = "both"
	MechanismNone        = "none"
)

// Mechanisms lists every mechanism value, for metrics.
func Mechanisms() []string {
	return []string{MechanismIRSA, MechanismPodIdentity, MechanismBoth, MechanismNone}
}

// The variables the EKS pod identity webhook injects for each mechanism
// (amazon-eks-pod-identity-webhook pkg/handler addEnvToContainer).
const (
	EnvRoleARN       = "AWS_ROLE_ARN"
	EnvTokenFile     = "AWS_WEB_IDENTITY_TOKEN_FILE"
	EnvFullURI       = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
	EnvAuthTokenFile = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
)

// DetectMechanism decides what a container is set up for from which of
// the four variables it has (has reports a variable set and non-empty):
// either IRSA variable means IRSA, either container credentials variable
// Pod Identity, both sets both. The check inside the pod, the fleet view
// over pod specs and the plugin's container choice all decide it here.
func DetectMechanism(has func(name string) bool) string {
	irsa := has(EnvRoleARN) || has(EnvTokenFile)
	pid := has(EnvFullURI) || has(EnvAuthTokenFile)
	switch {
	case irsa && pid:
		return MechanismBoth
	case pid:
		return MechanismPodIdentity
	case irsa:
		return MechanismIRSA
	}
	return MechanismNone
}
