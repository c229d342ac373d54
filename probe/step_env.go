package probe

import (
	"fmt"
	"os"
	"strings"
)

// kubeAPITokenDir is where Kubernetes mounts the default (kube-api-access)
// token; a variable so tests can point it elsewhere. With IRSA missing it
// still tells the probe the pod's namespace and service account.
var kubeAPITokenDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// checkEnvironment is step 1: the injected variables are present and well formed.
func (r *run) checkEnvironment() bool {
	aws := r.cfg.AWS
	region := aws.EffectiveRegion()
	r.rep.Region = region
	r.rep.RoleARN = aws.RoleARN
	r.base[EvRole] = aws.RoleARN
	r.base[EvExpectedRole] = r.cfg.ExpectedRole()
	r.base[EvRegion] = region
	r.base[EvTokenFile] = aws.TokenFile
	r.base[EvExpectedAud] = r.cfg.Audience
	r.base[EvExpectedSA] = r.cfg.ExpectServiceAccount
	r.base[EvNamespace] = r.cfg.PodNamespace
	r.base[EvServiceAccount] = r.cfg.ServiceAccount
	r.base[EvPod] = r.cfg.PodName
	r.base[EvEndpoint] = r.stsEndpoint()
	if role, err := ParseRoleARN(r.cfg.ExpectedRole()); err == nil {
		r.base[EvAccount], r.base[EvPartition] = role.Account, role.Partition
	}

	var missing []string
	if aws.RoleARN == "" {
		missing = append(missing, "AWS_ROLE_ARN")
	}
	if aws.TokenFile == "" {
		missing = append(missing, "AWS_WEB_IDENTITY_TOKEN_FILE")
	}
	if len(missing) > 0 {
		r.learnPodFromKubeAPIToken()
		r.add(CodeRoleARNMissing, Evidence{EvEnvVar: strings.Join(missing, " and ")})
		r.rep.step(StepEnvironment, StatusFail, strings.Join(missing, " and ")+" not set")
		return false
	}
	role, err := ParseRoleARN(aws.RoleARN)
	if err != nil {
		r.add(CodeRoleARNMalformed, Evidence{EvEnvVar: "AWS_ROLE_ARN", EvARNValue: aws.RoleARN, EvDetail: err.Error()})
		r.rep.step(StepEnvironment, StatusFail, "AWS_ROLE_ARN malformed")
		return false
	}
	r.role = role
	r.base[EvAccount], r.base[EvPartition] = role.Account, role.Partition
	if region == "" {
		r.add(CodeRegionMissing, nil)
		r.rep.step(StepEnvironment, StatusFail, "no region")
		return false
	}
	if p := PartitionOfRegion(region); p != role.Partition {
		detail := fmt.Sprintf("region %s belongs to partition %s, but the role is in partition %s", region, orDefault(p, "(unknown)"), role.Partition)
		r.add(CodeRoleARNMalformed, Evidence{EvEnvVar: "AWS_ROLE_ARN", EvARNValue: aws.RoleARN, EvDetail: detail})
		r.rep.step(StepEnvironment, StatusFail, detail)
		return false
	}
	r.rep.step(StepEnvironment, StatusPass, fmt.Sprintf("role %s, region %s, endpoint %s", aws.RoleARN, region, r.stsEndpoint()))
	return true
}

// stsEndpoint is the endpoint the SDK will call.
func (r *run) stsEndpoint() string {
	if o := r.cfg.AWS.STSEndpointOverride(); o != "" {
		return o
	}
	if reg := r.cfg.AWS.EffectiveRegion(); reg != "" {
		return STSEndpoint(reg)
	}
	return ""
}

// learnPodFromKubeAPIToken fills namespace and service account from the
// default token when the downward API did not, so the annotate command in
// the fix names the real service account.
func (r *run) learnPodFromKubeAPIToken() {
	if r.base[EvNamespace] != "" && r.base[EvServiceAccount] != "" {
		return
	}
	b, err := ReadTokenFile(kubeAPITokenDir + "/token")
	if err != nil {
		if ns, err := os.ReadFile(kubeAPITokenDir + "/namespace"); err == nil && r.base[EvNamespace] == "" && len(ns) < 254 {
			r.base[EvNamespace] = strings.TrimSpace(string(ns))
		}
		return
	}
	t, err := ParseToken(b)
	if err != nil {
		return
	}
	if r.base[EvNamespace] == "" {
		r.base[EvNamespace] = t.Namespace
	}
	if r.base[EvServiceAccount] == "" {
		r.base[EvServiceAccount] = t.ServiceAccount
	}
	if r.base[EvPod] == "" {
		r.base[EvPod] = t.Pod
	}
}
