package finding

import (
	"cmp"
	"net/url"
	"regexp"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/iam"
)

// evidenceFuncs build a value from all the evidence: {{name .}}.
var evidenceFuncs = map[string]func(Evidence) string{
	"oidcProviderARN": func(ev Evidence) string {
		if ev[EvIssuer] == "" {
			return "arn:aws:iam::ACCOUNT_ID:oidc-provider/ISSUER_HOST_PATH"
		}
		return iam.OIDCProviderARN(cmp.Or(ev[EvPartition], "aws"), cmp.Or(ev[EvAccount], "ACCOUNT_ID"), ev[EvIssuer])
	},
	"associationCommand": func(ev Evidence) string {
		if r := optionLike(ev[EvCluster], ev[EvNamespace], ev[EvServiceAccount], ev[EvExpectedRole]); r != "" {
			return r
		}
		return line(iam.AssociationArgv(ev[EvCluster], ev[EvNamespace], ev[EvServiceAccount], ev[EvExpectedRole])...)
	},
	"podIdentityTrustPolicyFile": func(Evidence) string {
		return writeFileCommand("trust-policy.json", iam.PodIdentityTrustPolicy())
	},
	"trustPolicyFile": func(ev Evidence) string {
		return writeFileCommand("trust-policy.json", iam.TrustPolicy(iam.TrustPolicyInput{
			Partition: cmp.Or(ev[EvPartition], "aws"),
			Account:   cmp.Or(ev[EvAccount], "ACCOUNT_ID"),
			Issuer:    cmp.Or(ev[EvIssuer], "https://ISSUER_HOST_PATH"),
			Subject:   cmp.Or(ev[EvSubject], "system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT"),
			Audience:  cmp.Or(ev[EvExpectedAud], iam.DefaultAudience),
		}))
	},
	// nsFlag is the namespace as kubectl's flag, one word: bound to the
	// flag, a value starting with - is still read as the namespace.
	"nsFlag":           func(ev Evidence) string { return word(nsFlag(ev)) },
	"workload":         workload,
	"restart":          restart,
	"suggestRegion":    suggestRegion,
	"stsEndpoint":      func(ev Evidence) string { return stsEndpoint(suggestRegion(ev)) },
	"vpceService":      func(ev Evidence) string { return iam.STSVPCEndpointService(suggestRegion(ev)) },
	"reachCommand":     reachCommand,
	"imdsAdvice":       imdsAdvice,
	"unsetShadow":      unsetShadow,
	"caBundleCommands": caBundleCommands,
	"validSessionName": func(ev Evidence) string {
		n := invalidSessionRE.ReplaceAllString(ev[EvSessionName], "-")
		if len(n) < 2 {
			n = "irsa-" + n + "session"
		}
		return word(n[:min(len(n), 64)])
	},
}

// wordFuncs are the functions whose value is one word of a command:
// rendered by shellcmd on a command line. The others build whole commands
// (with line) or prose.
var wordFuncs = map[string]bool{
	"oidcProviderARN": true, "suggestRegion": true, "stsEndpoint": true, "vpceService": true,
	"roleName": true, "issuerHost": true, "endpointHost": true, "saName": true, "gid": true,
}

// valueFuncs transform one evidence value: {{name .key}}. Each fills a
// placeholder when the value is missing, so a fix always reads as a
// command a person can complete.
var valueFuncs = map[string]func(string) string{
	"roleName": func(arn string) string {
		if r, err := iam.ParseRoleARN(arn); err == nil {
			return r.Name
		}
		return "ROLE_NAME"
	},
	// answerer names who judged the token: the agent passes EKS Auth's word.
	"answerer": func(mechanism string) string {
		if mechanism == "pod-identity" {
			return "the Pod Identity agent"
		}
		return "STS"
	},
	"issuerHost":   func(issuer string) string { return hostOr(issuer, "ISSUER_HOST") },
	"endpointHost": func(endpoint string) string { return hostOr(endpoint, "sts.REGION.amazonaws.com") },
	// roleNameGuess is the name in a role ARN that does not parse.
	"roleNameGuess": func(arn string) string {
		if i := strings.LastIndex(arn, "/"); i >= 0 && strings.Contains(arn, ":role/") && i+1 < len(arn) {
			return word(arn[i+1:])
		}
		return "ROLE_NAME"
	},
	// saName is the name in NAMESPACE:NAME, when it is a DNS name (it
	// lands inside a JSON string of a patch: nothing else may).
	"saName": func(nsName string) string {
		if _, name, ok := strings.Cut(nsName, ":"); ok {
			nsName = name
		}
		if !dnsNameRE.MatchString(nsName) || len(nsName) > 253 {
			return "SERVICE_ACCOUNT"
		}
		return nsName
	},
	// gid is a group id, digits only (it lands in a JSON patch as a
	// number), else the probe image's 65532.
	"gid": func(v string) string {
		if v == "" || len(v) > 10 || strings.Trim(v, "0123456789") != "" {
			return "65532"
		}
		return v
	},
}

func hostOr(rawURL, def string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		return u.Hostname()
	}
	return def
}

func stsEndpoint(region string) string {
	if region == "REGION" {
		return "https://sts.REGION.amazonaws.com"
	}
	return iam.STSEndpoint(region)
}

// workload is the pod's workload as kubectl names it (deployment/NAME),
// or a placeholder.
func workload(ev Evidence) string {
	return operand(workloadName(ev))
}

func workloadName(ev Evidence) string { return cmp.Or(ev[EvWorkload], "deployment/DEPLOYMENT") }

func nsFlag(ev Evidence) string { return "--namespace=" + cmp.Or(ev[EvNamespace], "NAMESPACE") }

// restart recreates the pods: the workload's rollout when it is known,
// else the pod itself (its controller recreates it).
func restart(ev Evidence) string {
	switch {
	case ev[EvWorkload] != "":
		return cmp.Or(optionLike(ev[EvWorkload]), line("kubectl", "rollout", "restart", nsFlag(ev), ev[EvWorkload]))
	case ev[EvPod] != "":
		return cmp.Or(optionLike(ev[EvPod]), line("kubectl", "delete", "pod", nsFlag(ev), ev[EvPod]))
	}
	return line("kubectl", "rollout", "restart", nsFlag(ev), "deployment/DEPLOYMENT")
}

// suggestRegion is the region a fix names: the pod's, when it belongs to
// the role's partition; else the cluster's, from an EKS issuer's host;
// else one of the role's partition. Never a region of another partition.
func suggestRegion(ev Evidence) string {
	part := ev[EvPartition]
	for _, r := range []string{ev[EvRegion], iam.IssuerRegion(ev[EvIssuer]), iam.DefaultRegion(part)} {
		if r != "" && iam.PartitionOfRegion(r) != "" && (part == "" || iam.PartitionOfRegion(r) == part) {
			return r
		}
	}
	return "REGION"
}

// reachCommand tests the TCP path to the STS endpoint from the pod's
// network namespace, with a debug container: the probe's own image has no
// shell or tools, and nc connects to names and addresses alike.
func reachCommand(ev Evidence) string {
	host, port := "sts."+suggestRegion(ev)+".amazonaws.com", "443"
	if u, err := url.Parse(ev[EvEndpoint]); err == nil && u.Hostname() != "" {
		host, port = u.Hostname(), u.Port()
		if port == "" {
			port = map[string]string{"http": "80"}[u.Scheme]
			port = cmp.Or(port, "443")
		}
	}
	if r := optionLike(ev[EvPod], host); r != "" {
		return r
	}
	return line("kubectl", "debug", nsFlag(ev), cmp.Or(ev[EvPod], "POD"),
		"-it", "--image=busybox:1.36", "--", "nc", "-z", "-v", "-w", "5", host, port)
}

// IMDS observations (EvIMDS values' leading words, see package check).
const (
	IMDSv1      = "IMDSv1 answers without a session token"
	IMDSv2      = "IMDSv2 hands this pod the node role's credentials"
	IMDSBlocked = "IMDS did not answer this pod"
)

// imdsAdvice says how to keep the node role from pods, for what IMDS did.
func imdsAdvice(ev Evidence) string {
	id := "INSTANCE_ID"
	if _, session, ok := iam.RoleFromCaller(ev[EvGotARN]); ok && instanceIDRE.MatchString(session) {
		id = session
	}
	cmd := "  " + line("aws", "ec2", "modify-instance-metadata-options", "--region", suggestRegion(ev), "--instance-id", id, "--http-tokens", "required", "--http-put-response-hop-limit", "1")
	tmpl := "\nFor a node group, set MetadataOptions HttpTokens=required and HttpPutResponseHopLimit=1 in its launch template, so new nodes keep it."
	switch {
	case strings.HasPrefix(ev[EvIMDS], IMDSv1):
		return "IMDS on this node answers IMDSv1, without a session token, so every pod can read the node role's credentials. A hop limit of 1 only protects pods when IMDSv2 is required (IMDSv1 has no hop limit): require both on the node:\n" + cmd + tmpl
	case strings.HasPrefix(ev[EvIMDS], IMDSv2):
		return "IMDS on this node requires IMDSv2, but its hop limit lets the PUT of a pod through: set the hop limit to 1 (it only protects pods because IMDSv2 is required):\n" + cmd + tmpl
	}
	return "Keep the node role from pods: require IMDSv2 and a hop limit of 1 on the node (a hop limit of 1 only protects pods when IMDSv2 is required):\n" + cmd + tmpl
}

var dnsNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

var instanceIDRE = regexp.MustCompile(`^i-[0-9a-f]{8,17}$`)

var invalidSessionRE = regexp.MustCompile(`[^\w+=,.@-]`)

// unsetShadow removes the variables that shadow the pod's identity.
func unsetShadow(ev Evidence) string {
	vars := strings.Fields(ev[EvShadowVars])
	if len(vars) == 0 {
		vars = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"}
	}
	if r := optionLike(workloadName(ev)); r != "" {
		return r
	}
	argv := []string{"kubectl", "set", "env", workloadName(ev), nsFlag(ev)}
	for _, v := range vars {
		argv = append(argv, v+"-")
	}
	return line(argv...)
}
