package check

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/iam"
)

// detectMechanism decides from the environment what the pod is set up
// for (iam.DetectMechanism, from the four variables config read).
func detectMechanism(e config.AWS) string {
	return iam.DetectMechanism(func(name string) bool {
		switch name {
		case iam.EnvRoleARN:
			return e.RoleARN != ""
		case iam.EnvTokenFile:
			return e.TokenFile != ""
		case iam.EnvFullURI:
			return e.ContainerCredentialsFullURI != ""
		case iam.EnvAuthTokenFile:
			return e.ContainerAuthTokenFile != ""
		}
		return false
	})
}

// checkMechanism is the mechanism step.
func (r *run) checkMechanism(mech string) {
	r.rep.Mechanism = mech
	switch mech {
	case iam.MechanismIRSA:
		r.record(StepMechanism, StatusPass, "IRSA: AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE")
	case iam.MechanismPodIdentity:
		r.base[finding.EvMechanism] = mech
		r.record(StepMechanism, StatusPass, "EKS Pod Identity: AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
	case iam.MechanismBoth:
		// Settled once both paths ran (conflict).
	default:
		r.base[finding.EvMechanism] = mech
		r.record(StepMechanism, StatusFail, "neither IRSA nor EKS Pod Identity variables are set")
	}
}

// conflict records, for a pod with both sets of variables, the Pod
// Identity path checked beside IRSA (on its own run, so its findings
// describe it rather than decide the verdict: the SDKs use IRSA) and the
// identity-mechanism-conflict warning saying which one applications get.
func (r *run) conflict(ctx context.Context) {
	sub := newRun(r.forPodIdentity(), &Report{})
	sub.podIdentityPath(ctx)
	r.redact.add(sub.redact.secrets...)
	pid := "works: " + sub.identityARN()
	st := StatusPass
	var codes []string
	for _, e := range sub.found {
		if e.Severity != finding.SeverityWarning {
			codes = append(codes, string(e.Code))
		}
	}
	if len(codes) > 0 || sub.rep.Identity == nil {
		st = StatusWarn
		pid = "fails: " + cmp.Or(strings.Join(codes, ", "), "no credentials") + " (run with AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE unset to see the diagnosis)"
	}
	r.record(StepPodIdentity, st, "not used by the SDKs while IRSA is set; "+pid)
	irsa := "which fails"
	if r.steps[StepCallerIdentity].Status == StatusPass {
		irsa = "which works: " + r.identityARN()
	}
	r.add(StepMechanism, finding.CodeIdentityMechanismConflict, finding.Evidence{
		finding.EvAgentURL: r.cfg.AWS.ContainerCredentialsFullURI, finding.EvIRSA: irsa, finding.EvPodIdentity: pid,
		finding.EvCluster: sub.base[finding.EvCluster],
	})
	r.record(StepMechanism, StatusWarn, "both IRSA and EKS Pod Identity variables are set: the AWS SDKs use IRSA")
}

func (r *run) identityARN() string {
	if r.rep.Identity == nil {
		return ""
	}
	return r.rep.Identity.ARN
}

// resolvesToChecked says whether the default chain resolved to the
// provider the steps above checked: web identity for IRSA, the container
// credentials endpoint for Pod Identity.
func (r *run) resolvesToChecked(srcs []aws.CredentialSource) bool {
	if r.rep.Mechanism == iam.MechanismPodIdentity {
		return slices.Contains(srcs, aws.CredentialSourceHTTP)
	}
	return isWebIdentity(srcs)
}

// identityConfigured says whether the pod is set up for an identity the
// default chain's other credentials could shadow.
func (r *run) identityConfigured() bool {
	return r.cfg.AWS.RoleARN != "" || r.rep.Mechanism == iam.MechanismPodIdentity
}

// mechanismName is the mechanism as prose.
func (r *run) mechanismName() string {
	if r.rep.Mechanism == iam.MechanismPodIdentity {
		return "EKS Pod Identity"
	}
	return "IRSA"
}

// chainMatches says whether the default chain's caller is the pod's
// expected role, or, for Pod Identity without IRSA_PROBE_EXPECT_ROLE_ARN,
// the role the Pod Identity agent handed out.
func (r *run) chainMatches(got string, checked *Identity) bool {
	if expected, want, err := r.cfg.ExpectedRole(); expected != "" {
		return err == nil && want.MatchesCaller(got)
	}
	if checked == nil || r.rep.Mechanism != iam.MechanismPodIdentity {
		return false
	}
	a, _, okA := iam.RoleFromCaller(got)
	b, _, okB := iam.RoleFromCaller(checked.ARN)
	return okA && okB && a == b
}

// unpinnedRole is the caller-identity step's detail when no role is
// expected (Pod Identity names none in the pod): the role found, and how
// to make the probe insist on it.
func (r *run) unpinnedRole(callerARN string) string {
	role, session, ok := iam.RoleFromCaller(callerARN)
	if !ok {
		return callerARN
	}
	if c := iam.ClusterFromSession(session, r.base[finding.EvPod]); c != "" {
		r.base[finding.EvCluster] = c
	}
	return fmt.Sprintf("%s (role %s; pin it with IRSA_PROBE_EXPECT_ROLE_ARN=%s)", callerARN, role, role)
}

// tokenJudge is who verifies the token's signature: STS for IRSA, EKS
// Auth (behind the agent) for Pod Identity.
func (r *run) tokenJudge() string {
	if r.base[finding.EvMechanism] == iam.MechanismPodIdentity {
		return "EKS Auth"
	}
	return "STS"
}
