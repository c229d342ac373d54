package main

import (
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// podIdentity is a pod whose service account has a Pod Identity association.
var podIdentity = ststest.StackOptions{PodIdentity: true}

// podIdentityScenarios are the EKS Pod Identity worlds: a working one, then
// each way the agent and EKS Auth behind it fail, as the real agent says it.
func podIdentityScenarios() []scenario {
	pid := iam.MechanismPodIdentity
	return []scenario{
		{
			name: "pod identity ok", opts: podIdentity, mech: pid, exit: verdict.ExitOK,
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				return nil, []string{"OK — identity arn:aws:sts::111122223333:assumed-role/billing-api/eks-payments-prod-billing-a",
					"mechanism pod-identity", "Pod Identity agent " + st.Agent.URL, "verified with the issuer's JWKS",
					"pin it with IRSA_PROBE_EXPECT_ROLE_ARN=arn:aws:iam::111122223333:role/billing-api",
					"resolves to container credentials endpoint (EKS Pod Identity or ECS): the identity checked above"}
			},
		},
		{
			name: "pod identity ok, role pinned", opts: podIdentity, mech: pid, exit: verdict.ExitOK,
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				return []string{"IRSA_PROBE_EXPECT_ROLE_ARN=" + st.RoleARN}, []string{"[pass]    caller-identity arn:aws:sts::111122223333:assumed-role/billing-api/eks-"}
			},
		},
		{
			name: "pod identity agent not running", opts: podIdentity, mech: pid, exit: verdict.ExitUndecided,
			codes: []finding.Code{finding.CodePodIdentityAgentUnreachable},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.Agent.Close()
				return []string{"IRSA_PROBE_TIMEOUT=2s"}, []string{"connection refused", "aws eks create-addon --cluster-name CLUSTER_NAME --addon-name eks-pod-identity-agent"}
			},
		},
		{
			name: "pod identity agent dropped by a network policy", opts: podIdentity, mech: pid, exit: verdict.ExitUndecided,
			codes: []finding.Code{finding.CodePodIdentityAgentUnreachable},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.Agent.SetFault(ststest.AgentHang)
				return []string{"IRSA_PROBE_TIMEOUT=2s"}, []string{"did not answer in time: no answer (not even its status line) within 2s", "169.254.170.23/32"}
			},
		},
		{
			name: "pod identity agent's answer stalls after its headers", opts: podIdentity, mech: pid, exit: verdict.ExitUndecided,
			codes: []finding.Code{finding.CodePodIdentityAgentUnreachable},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.Agent.SetFault(ststest.AgentStallBody)
				return []string{"IRSA_PROBE_TIMEOUT=2s"}, []string{"The EKS Pod Identity agent at " + st.Agent.URL + " did not answer in time: the agent's status line and headers came (HTTP 200), its body did not arrive within 2s; the identity was not decided.",
					"[unknown] assume-role     PodIdentityAgent: timeout: the agent's status line and headers came (HTTP 200), its body did not arrive within 2s"}
			},
		},
		{
			name: "pod identity behind a proxy", opts: podIdentity, mech: pid, exit: verdict.ExitBroken,
			codes: []finding.Code{finding.CodePodIdentityProxy},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.Agent.SetFault(ststest.AgentThroughProxy)
				return []string{"HTTP_PROXY=http://probe:s3cret@127.0.0.1:1", "NO_PROXY=.svc"},
					[]string{"Access Denied. Called agent through invalid address, please use either [169.254.170.23 fd00:ec2::23] address not 127.0.0.1",
						"HTTP_PROXY=http://probe:xxxxx@127.0.0.1:1", "NO_PROXY=169.254.170.23,fd00:ec2::23,.svc no_proxy=169.254.170.23,fd00:ec2::23,.svc"}
			},
		},
		{
			name: "pod identity role does not trust EKS", opts: podIdentity, mech: pid, exit: verdict.ExitBroken,
			codes: []finding.Code{finding.CodePodIdentityDenied},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				// The IRSA role reused as is: it trusts only the OIDC provider.
				if err := st.STS.PutRole(st.RoleARN, ststest.TrustPolicyFor("aws", st.Account, st.Issuer.URL, st.Namespace, st.ServiceAccount)); err != nil {
					t.Fatal(err)
				}
				return []string{"IRSA_PROBE_EXPECT_ROLE_ARN=" + st.RoleARN}, []string{ststest.MsgPodIdentityDenied, `"Service":"pods.eks.amazonaws.com"`,
					`"sts:TagSession"`, "aws iam update-assume-role-policy --role-name billing-api --policy-document file://trust-policy.json"}
			},
		},
		{
			name: "pod identity association missing", opts: podIdentity, mech: pid, exit: verdict.ExitBroken,
			codes: []finding.Code{finding.CodePodIdentityAssociationMissing},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.Agent.Disassociate(st.Namespace, st.ServiceAccount)
				return []string{"IRSA_PROBE_EXPECT_ROLE_ARN=" + st.RoleARN}, []string{"ResourceNotFoundException",
					"aws eks create-pod-identity-association --cluster-name CLUSTER_NAME --namespace payments --service-account billing-api --role-arn " + st.RoleARN}
			},
		},
		{
			name: "pod identity node role may not call EKS Auth", opts: podIdentity, mech: pid, exit: verdict.ExitBroken,
			codes: []finding.Code{finding.CodePodIdentityAgentError},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.Agent.SetFault(ststest.AgentNodeRoleDenied)
				return nil, []string{"is not authorized to perform: eks-auth:AssumeRoleForPodIdentity", "AmazonEKSWorkerNodePolicy"}
			},
		},
		{
			name: "pod identity EKS Auth unreachable", opts: podIdentity, mech: pid, exit: verdict.ExitBroken,
			codes: []finding.Code{finding.CodePodIdentityAgentError},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.Agent.SetFault(ststest.AgentEKSAuthUnreachable)
				return []string{"IRSA_PROBE_TIMEOUT=2s"}, []string{"request send failed", "com.amazonaws.us-west-2.eks-auth"}
			},
		},
		{
			name: "pod identity agent rate limit", opts: podIdentity, mech: pid, exit: verdict.ExitUndecided,
			codes: []finding.Code{finding.CodePodIdentityThrottled},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.Agent.SetFault(ststest.AgentRateLimited)
				return []string{"IRSA_PROBE_TIMEOUT=2s"}, []string{"Too Many Requests", "UNDECIDED"}
			},
		},
		{
			name: "pod identity EKS Auth throttles", opts: podIdentity, mech: pid, exit: verdict.ExitUndecided,
			codes: []finding.Code{finding.CodePodIdentityThrottled},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.Agent.SetFault(ststest.AgentEKSAuthThrottled)
				return []string{"IRSA_PROBE_TIMEOUT=2s"}, []string{"ThrottlingException", "Rate exceeded"}
			},
		},
		{
			name: "pod identity endpoint the SDKs refuse", opts: podIdentity, mech: pid, exit: verdict.ExitBroken,
			codes: []finding.Code{finding.CodePodIdentityEndpointInvalid},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				return []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://10.0.0.1/v1/credentials"}, []string{`host "10.0.0.1"`, "only loopback/ecs/eks hosts are allowed"}
			},
		},
		{
			name: "pod identity token volume not mounted", opts: podIdentity, mech: pid, exit: verdict.ExitBroken,
			codes: []finding.Code{finding.CodeTokenFileMissing},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				p := "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"
				return []string{"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=" + p}, []string{p, `@.name=="eks-pod-identity-token"`, "mechanism:", "audience pods.eks.amazonaws.com"}
			},
		},
		{
			name: "pod identity token expired", opts: podIdentity, mech: pid, exit: verdict.ExitBroken,
			codes: []finding.Code{finding.CodeTokenExpired},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				tok := st.Issuer.ServiceAccountToken(ststest.TokenOptions{Namespace: st.Namespace, ServiceAccount: st.ServiceAccount,
					Audiences: []string{ststest.PodIdentityAudience}, IssuedAt: time.Now().Add(-2 * time.Hour), TTL: time.Hour})
				if err := st.WritePodIdentityToken(tok); err != nil {
					t.Fatal(err)
				}
				return nil, []string{"the Pod Identity agent said HTTP 400: Service account token failed basic claim validations: token is expired", `@.name=="eks-pod-identity-token"`}
			},
		},
		{
			name: "pod identity token for another audience", opts: podIdentity, mech: pid, exit: verdict.ExitBroken,
			codes: []finding.Code{finding.CodeTokenAudienceMismatch},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				tok := st.Issuer.ServiceAccountToken(ststest.TokenOptions{Namespace: st.Namespace, ServiceAccount: st.ServiceAccount, Pod: ststest.DefaultPod})
				if err := st.WritePodIdentityToken(tok); err != nil {
					t.Fatal(err)
				}
				return nil, []string{"InvalidTokenException", "but pods.eks.amazonaws.com is expected"}
			},
		},
		{
			name: "both IRSA and pod identity", opts: podIdentity, mech: iam.MechanismBoth, exit: verdict.ExitOK,
			codes: []finding.Code{finding.CodeIdentityMechanismConflict},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				return []string{"AWS_ROLE_ARN=" + st.RoleARN, "AWS_WEB_IDENTITY_TOKEN_FILE=" + st.TokenFile},
					[]string{"WARNING identity-mechanism-conflict", "botocore", "assumed-role/billing-api/irsa-probe-",
						"works: arn:aws:sts::111122223333:assumed-role/billing-api/eks-", "eks.amazonaws.com/role-arn-"}
			},
		},
	}
}

// TestTrustPolicyPodIdentityFixesDenied: the policy `trust-policy
// --pod-identity` prints is the one EKS needs: applied to a role that
// denied, the check passes.
func TestTrustPolicyPodIdentityFixesDenied(t *testing.T) {
	st := startStack(t, podIdentity)
	if err := st.STS.PutRole(st.RoleARN, ststest.TrustPolicyFor("aws", st.Account, st.Issuer.URL, st.Namespace, st.ServiceAccount)); err != nil {
		t.Fatal(err)
	}
	env := runEnv(st, "IRSA_PROBE_TERMINATION_LOG=", "IRSA_PROBE_EXPECT_ROLE_ARN="+st.RoleARN)
	if res := run(t, runOpts{env: env, args: []string{"check"}}); res.exit != verdict.ExitBroken {
		t.Fatalf("before: exit %d\n%s", res.exit, res.stdout)
	}
	policy := run(t, runOpts{env: env, args: []string{"trust-policy", "--pod-identity"}})
	if policy.exit != 0 || !strings.Contains(policy.stderr, "--role-name billing-api") {
		t.Fatalf("trust-policy --pod-identity: exit %d\n%s", policy.exit, policy.stderr)
	}
	if err := st.STS.PutRole(st.RoleARN, policy.stdout); err != nil {
		t.Fatal(err)
	}
	if res := run(t, runOpts{env: env, args: []string{"check"}}); res.exit != verdict.ExitOK {
		t.Errorf("after applying the printed policy: exit %d\n%s", res.exit, res.stdout)
	}
}
