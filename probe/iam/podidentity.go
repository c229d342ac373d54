package iam

import (
	"encoding/json"
	"net"
	"strings"
)

// EKS Pod Identity's names, as the EKS pod identity webhook injects them
// (amazon-eks-pod-identity-webhook, pkg/constants.go and its EKS defaults)
// and the eks-pod-identity-agent listens on them (configuration/config.go).
const (
	// PodIdentityAudience is the audience of the Pod Identity token, and
	// the service principal a role's trust policy must name.
	PodIdentityAudience = "pods.eks.amazonaws.com"
	// PodIdentityAgentIPv4 and PodIdentityAgentIPv6 are the link-local
	// addresses the agent serves on every node, the only ones it answers on.
	PodIdentityAgentIPv4 = "169.254.170.23"
	PodIdentityAgentIPv6 = "fd00:ec2::23"
	// PodIdentityTokenFile is where the webhook mounts the token.
	PodIdentityTokenFile = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"
	// PodIdentityVolume is the projected volume holding it.
	PodIdentityVolume = "eks-pod-identity-token"
)

// ecsContainerIPv4 is ECS's credentials endpoint, which the SDKs also allow.
const ecsContainerIPv4 = "169.254.170.2"

// ContainerHostAllowed says whether aws-sdk-go-v2 lets
// AWS_CONTAINER_CREDENTIALS_FULL_URI's host serve credentials over plain
// http: a loopback address, or the ECS or EKS container addresses
// (config/resolve_credentials.go, isIPAllowed). https URIs may name any
// host. Host names are resolved by the SDK; here "localhost" is the only
// one taken as loopback, without a lookup.
func ContainerHostAllowed(scheme, host string) bool {
	if scheme == "https" {
		return true
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	return ip.IsLoopback() || ip.Equal(net.ParseIP(ecsContainerIPv4)) ||
		ip.Equal(net.ParseIP(PodIdentityAgentIPv4)) || ip.Equal(net.ParseIP(PodIdentityAgentIPv6))
}

// PodIdentityTrustPolicy is the trust policy EKS Pod Identity needs on a
// role, as the EKS user guide gives it ("Create IAM role with trust policy
// required by EKS Pod Identity"): the pods.eks.amazonaws.com service
// principal, with sts:AssumeRole and sts:TagSession (the session tags).
func PodIdentityTrustPolicy() string {
	type statement struct {
		Sid       string            `json:"Sid"`
		Effect    string            `json:"Effect"`
		Principal map[string]string `json:"Principal"`
		Action    []string          `json:"Action"`
	}
	doc := struct {
		Version   string      `json:"Version"`
		Statement []statement `json:"Statement"`
	}{"2012-10-17", []statement{{
		Sid: "AllowEksAuthToAssumeRoleForPodIdentity", Effect: "Allow",
		Principal: map[string]string{"Service": PodIdentityAudience},
		Action:    []string{"sts:AssumeRole", "sts:TagSession"},
	}}}
	b, _ := json.MarshalIndent(doc, "", "  ") // cannot fail: strings only
	return string(b)
}

// AssociationArgv is the AWS CLI command that associates a service
// account with a role, as words (render it with package shellcmd). Empty
// values become placeholders.
func AssociationArgv(cluster, namespace, serviceAccount, roleARN string) []string {
	return []string{"aws", "eks", "create-pod-identity-association", "--cluster-name", or(cluster, "CLUSTER_NAME"),
		"--namespace", or(namespace, "NAMESPACE"), "--service-account", or(serviceAccount, "SERVICE_ACCOUNT"),
		"--role-arn", or(roleARN, "arn:aws:iam::ACCOUNT_ID:role/ROLE_NAME")}
}

var callerRE = lazyRegexp(`^arn:([\w-]+):sts::(\d{12}):assumed-role/([\w+=,.@-]{1,64})/(.+)$`)

// RoleFromCaller is the role of an assumed-role caller ARN
// (arn:P:sts::ACCOUNT:assumed-role/NAME/SESSION) and the session name. STS
// drops the role's path, so the ARN returned has none: it names the role
// for the fixes and IRSA_PROBE_EXPECT_ROLE_ARN, which matches on the name.
func RoleFromCaller(callerARN string) (role RoleARN, session string, ok bool) {
	m := callerRE().FindStringSubmatch(callerARN)
	if m == nil {
		return RoleARN{}, "", false
	}
	return RoleARN{Partition: m[1], Account: m[2], Path: "/", Name: m[3]}, m[4], true
}

var uuidSuffixRE = lazyRegexp(`-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ClusterFromSession reads the cluster name out of a Pod Identity session
// name, eks-CLUSTER-POD-UUID (EKS Auth API reference, AssumedRoleUser), given
// the pod's name; the pod part may be cut short to fit STS's 64 characters.
// It returns "" when the split is not certain.
func ClusterFromSession(session, pod string) string {
	rest, ok := strings.CutPrefix(session, "eks-")
	if !ok || pod == "" {
		return ""
	}
	rest = uuidSuffixRE().ReplaceAllString(rest, "")
	for i := 1; i < len(rest); i++ {
		if rest[i] == '-' && i+1 < len(rest) && strings.HasPrefix(pod, rest[i+1:]) {
			return rest[:i]
		}
	}
	return ""
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
