package check

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/safefile"
	"github.com/irsa-probe/irsa-probe/probe/satoken"
)

// kubeAPITokenDir is where Kubernetes mounts the default (kube-api-access)
// token. With IRSA missing it still tells the probe the pod's namespace
// and service account.
const kubeAPITokenDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// checkEnvironment is the environment step: the injected variables are
// present and well formed.
func (r *run) checkEnvironment(ctx context.Context) bool {
	aws := r.cfg.AWS
	region := r.baseEvidence()

	var missing []string
	if aws.RoleARN == "" {
		missing = append(missing, "AWS_ROLE_ARN")
	}
	if aws.TokenFile == "" {
		missing = append(missing, "AWS_WEB_IDENTITY_TOKEN_FILE")
	}
	if len(missing) > 0 {
		r.learnPodFromKubeAPIToken()
		r.add(StepEnvironment, finding.CodeRoleARNMissing, finding.Evidence{finding.EvEnvVar: strings.Join(missing, " and ")})
		r.record(StepEnvironment, StatusFail, strings.Join(missing, " and ")+" not set")
		return false
	}
	role, err := iam.ParseRoleARN(aws.RoleARN)
	if err != nil {
		r.add(StepEnvironment, finding.CodeRoleARNMalformed, finding.Evidence{finding.EvEnvVar: "AWS_ROLE_ARN", finding.EvARNValue: aws.RoleARN, finding.EvDetail: err.Error()})
		r.record(StepEnvironment, StatusFail, "AWS_ROLE_ARN malformed")
		return false
	}
	r.role = role
	r.base[finding.EvAccount], r.base[finding.EvPartition] = role.Account, role.Partition
	if detail := stsEndpointProblem(aws.STSEndpointOverride()); detail != "" {
		// Retrying cannot fix a malformed URL: a finding, not "unreachable".
		r.add(StepEnvironment, finding.CodeSTSEndpointInvalid, finding.Evidence{finding.EvDetail: detail})
		r.record(StepEnvironment, StatusFail, "STS endpoint override malformed: "+detail)
		return false
	}
	if region == "" {
		r.add(StepEnvironment, finding.CodeRegionMissing, nil)
		r.record(StepEnvironment, StatusFail, "no region")
		return false
	}
	if p := iam.PartitionOfRegion(region); p != role.Partition {
		detail := fmt.Sprintf("the region %s is in partition %s", region, cmp.Or(p, "(unknown)"))
		r.add(StepEnvironment, finding.CodePartitionMismatch, finding.Evidence{finding.EvDetail: detail})
		r.record(StepEnvironment, StatusFail, fmt.Sprintf("partition mismatch: role in %s, %s", role.Partition, detail))
		return false
	}
	if detail := sessionNameProblem(aws.RoleSessionName); detail != "" {
		r.add(StepEnvironment, finding.CodeSessionNameInvalid, finding.Evidence{finding.EvSessionName: aws.RoleSessionName, finding.EvDetail: detail})
		r.record(StepEnvironment, StatusFail, "AWS_ROLE_SESSION_NAME invalid: "+detail)
		return false
	}
	if u, err := url.Parse(r.cfg.STSEndpoint()); err == nil && u.Hostname() == iam.GlobalSTSHost && iam.OptInRegion(region) {
		// STS's own rule: the global endpoint's (version 1) session tokens
		// are not valid in Regions that are disabled by default.
		detail := "is an opt-in region, where the global endpoint's version 1 session tokens are not valid (unless the account issues version 2 tokens)"
		r.add(StepEnvironment, finding.CodeSTSGlobalEndpoint, finding.Evidence{finding.EvDetail: detail})
		r.record(StepEnvironment, StatusFail, "global STS endpoint in opt-in region "+region)
		return false
	}
	if detail := r.globalEndpointBypass(ctx, region); detail != "" {
		r.add(StepEnvironment, finding.CodeSTSGlobalEndpoint, finding.Evidence{finding.EvDetail: detail})
		r.record(StepEnvironment, StatusFail, "global STS endpoint beside an STS interface endpoint in this VPC")
		return false
	}
	r.record(StepEnvironment, StatusPass, fmt.Sprintf("role %s, region %s, endpoint %s", aws.RoleARN, region, r.cfg.STSEndpoint()))
	return true
}

// baseEvidence fills the evidence every finding carries from the
// environment and settings, and returns the region.
func (r *run) baseEvidence() (region string) {
	aws := r.cfg.AWS
	region = aws.EffectiveRegion()
	expected, expectedRole, expectedErr := r.cfg.ExpectedRole()
	r.rep.Region = region
	r.rep.RoleARN = aws.RoleARN
	r.base[finding.EvRole] = aws.RoleARN
	r.base[finding.EvExpectedRole] = expected
	r.base[finding.EvRegion] = region
	r.base[finding.EvTokenFile] = aws.TokenFile
	r.base[finding.EvExpectedAud] = r.cfg.Audience
	r.base[finding.EvExpectedSA] = r.cfg.ExpectServiceAccount
	r.base[finding.EvNamespace] = r.cfg.PodNamespace
	r.base[finding.EvServiceAccount] = r.cfg.ServiceAccount
	r.base[finding.EvPod] = r.cfg.PodName
	r.base[finding.EvEndpoint] = r.cfg.STSEndpoint()

	if expectedErr == nil {
		r.base[finding.EvAccount], r.base[finding.EvPartition] = expectedRole.Account, expectedRole.Partition
	}
	return region
}

// learnPodFromKubeAPIToken fills namespace and service account from the
// default token when the downward API did not, so the annotate command in
// the fix names the real service account.
func (r *run) learnPodFromKubeAPIToken() {
	if r.base[finding.EvNamespace] != "" && r.base[finding.EvServiceAccount] != "" {
		return
	}
	b, err := satoken.ReadFile(kubeAPITokenDir + "/token")
	if err != nil {
		// A namespace name is at most 63 bytes; 253 leaves room for junk we then ignore.
		if ns, err := safefile.Read(kubeAPITokenDir+"/namespace", 253); err == nil && r.base[finding.EvNamespace] == "" {
			r.base[finding.EvNamespace] = strings.TrimSpace(string(ns))
		}
		return
	}
	t, err := satoken.Parse(b)
	if err != nil {
		return
	}
	if r.base[finding.EvNamespace] == "" {
		r.base[finding.EvNamespace] = t.Namespace
	}
	if r.base[finding.EvServiceAccount] == "" {
		r.base[finding.EvServiceAccount] = t.ServiceAccount
	}
	if r.base[finding.EvPod] == "" {
		r.base[finding.EvPod] = t.Pod
	}
}

// sessionNameProblem says what STS would refuse in AWS_ROLE_SESSION_NAME
// (RoleSessionName: 2 to 64 characters of [\w+=,.@-], STS API reference),
// or "" when it is valid or not set.
func sessionNameProblem(name string) string {
	switch {
	case name == "":
		return ""
	case len(name) < 2 || len(name) > 64:
		return fmt.Sprintf("%d characters, not 2 to 64", len(name))
	case sessionNameRE.MatchString(name):
		return fmt.Sprintf("%q is not one of the characters [\\w+=,.@-]", sessionNameRE.FindString(name))
	}
	return ""
}

// urlProblem says why raw is not a usable http(s) endpoint URL, or ""
// when it is: the test the SDKs' endpoint overrides (STS) and credential
// URIs (the Pod Identity agent) both must pass.
func urlProblem(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Sprintf("%q is not a URL", raw)
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Sprintf("%q is not an http or https URL", raw)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Sprintf("%q has no host", raw)
	case u.User != nil:
		return "the URL carries credentials"
	}
	return ""
}

// stsEndpointProblem says what is wrong with an STS endpoint override, or ""
// when it is usable (or not set).
func stsEndpointProblem(override string) string {
	if override == "" {
		return ""
	}
	return urlProblem(override)
}

// dnsTimeout bounds the one lookup of globalEndpointBypass.
const dnsTimeout = 2 * time.Second

// globalEndpointBypass says, when the SDK would call the global STS
// endpoint, whether the region's endpoint name resolves to private
// addresses: an STS interface VPC endpoint with private DNS serves this
// VPC, and the global endpoint bypasses it (through a NAT gateway, or not
// at all in a private cluster). "" when not, or when it cannot tell.
func (r *run) globalEndpointBypass(ctx context.Context, region string) string {
	u, err := url.Parse(r.cfg.STSEndpoint())
	if err != nil || u.Hostname() != iam.GlobalSTSHost || region == "" || r.lookupHost == nil {
		return ""
	}
	regional, err := url.Parse(iam.STSEndpoint(region))
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, dnsTimeout)
	defer cancel()
	addrs, err := r.lookupHost(ctx, regional.Hostname())
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil && ip.IsPrivate() {
			return fmt.Sprintf("is served in this VPC by an STS interface endpoint (%s resolves to %s), which the global endpoint bypasses", regional.Hostname(), a)
		}
	}
	return ""
}
