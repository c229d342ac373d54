package check

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/iam"
)

// The Pod Identity path proves the identity the way the SDKs' container
// credentials provider gets it (aws-sdk-go-v2 credentials/endpointcreds,
// config/resolve_credentials.go): a GET of AWS_CONTAINER_CREDENTIALS_FULL_URI
// with the token file's contents as the Authorization header; the
// eks-pod-identity-agent on the node exchanges the token with EKS Auth and
// answers with credentials, which GetCallerIdentity then names. It reuses
// the IRSA steps' names: environment, token (same rules, audience
// pods.eks.amazonaws.com), signature, assume-role (the agent) and
// caller-identity.

// agentCall names the agent call for metrics and evidence.
const agentCall = "PodIdentityAgent"

// maxAgentBody caps the agent's answer: credentials are about 1.5 KiB, its
// errors one line.
const maxAgentBody = 64 << 10

// forPodIdentity is the Checker for the Pod Identity path: the same
// settings, with the Pod Identity token and audience in the IRSA token's
// place, so the token step applies the same rules to it.
func (c *Checker) forPodIdentity() *Checker {
	cfg := *c.cfg
	cfg.AWS.TokenFile = cfg.AWS.ContainerAuthTokenFile
	cfg.Audience = iam.PodIdentityAudience
	return &Checker{cfg: &cfg, http: c.http, log: c.log, observe: c.observe, progress: c.progress}
}

// podIdentityPath runs the Pod Identity steps; it returns whether the
// environment and token were usable and whether credentials came back,
// for the default-chain step.
func (r *run) podIdentityPath(ctx context.Context) (usable, gotCreds bool) {
	envOK := r.checkPodIdentityEnvironment()
	var tok *tokenCheck
	if r.cfg.AWS.TokenFile != "" {
		tok = r.checkToken()
	}
	sig := r.startSignature(ctx, tok != nil && r.rawToken != nil)
	defer func() { // recorded beside the agent's answer, as for IRSA
		sig.wait()
		r.recordSignature(sig)
	}()
	if !envOK || tok == nil {
		r.record(StepAssumeRole, StatusSkip, "fix the findings above first")
		r.record(StepCallerIdentity, StatusSkip, "no credentials")
		if tok != nil {
			sig.wait() // settleDoubts reads the signature's result
			r.settleDoubts(tok, false)
		}
		return false, false
	}
	creds := r.agentCredentials(ctx)
	sig.wait() // settleDoubts reads the signature's result
	r.settleDoubts(tok, creds != nil)
	if creds == nil {
		r.record(StepCallerIdentity, StatusSkip, "no credentials")
		return true, false
	}
	r.callerIdentity(ctx, creds)
	if id := r.rep.Identity; id != nil {
		if _, session, ok := iam.RoleFromCaller(id.ARN); ok {
			if c := iam.ClusterFromSession(session, r.base[finding.EvPod]); c != "" {
				r.base[finding.EvCluster] = c
			}
		}
	}
	return true, true
}

// checkPodIdentityEnvironment is the environment step for Pod Identity.
func (r *run) checkPodIdentityEnvironment() bool {
	aws := r.cfg.AWS
	region := r.baseEvidence()
	r.base[finding.EvMechanism] = iam.MechanismPodIdentity
	r.base[finding.EvAgentURL] = aws.ContainerCredentialsFullURI
	r.base[finding.EvTokenEnv] = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
	r.base[finding.EvTokenVolume] = iam.PodIdentityVolume
	if aws.TokenFile == "" {
		r.add(StepEnvironment, finding.CodeTokenFileMissing, finding.Evidence{finding.EvDetail: "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is not set"})
		r.record(StepEnvironment, StatusFail, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE not set")
		r.record(StepToken, StatusSkip, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE not set")
		return false
	}
	if detail := endpointProblem(aws.ContainerCredentialsFullURI); detail != "" {
		r.add(StepEnvironment, finding.CodePodIdentityEndpointInvalid, finding.Evidence{finding.EvDetail: detail})
		r.record(StepEnvironment, StatusFail, "AWS_CONTAINER_CREDENTIALS_FULL_URI: "+detail)
		return false
	}
	if region == "" {
		r.add(StepEnvironment, finding.CodeRegionMissing, nil)
		r.record(StepEnvironment, StatusFail, "no region")
		return false
	}
	r.record(StepEnvironment, StatusPass, fmt.Sprintf("agent %s, region %s, endpoint %s", aws.ContainerCredentialsFullURI, region, r.cfg.STSEndpoint()))
	return true
}

// endpointProblem says why the SDKs would not call uri for credentials,
// or "" if they would (aws-sdk-go-v2 config/resolve_credentials.go,
// resolveLocalHTTPCredProvider).
func endpointProblem(uri string) string {
	if uri == "" {
		return "not set, while AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is"
	}
	if p := urlProblem(uri); p != "" {
		return p
	}
	if u, _ := url.Parse(uri); !iam.ContainerHostAllowed(u.Scheme, u.Hostname()) { // parsed by urlProblem
		return fmt.Sprintf("host %q: over http the SDKs only call loopback addresses, %s, %s and the ECS address (\"only loopback/ecs/eks hosts are allowed\")",
			u.Hostname(), iam.PodIdentityAgentIPv4, iam.PodIdentityAgentIPv6)
	}
	return ""
}

// agentAnswer is the agent's 200 answer (eks-pod-identity-agent
// pkg/credentials/model.go, EksCredentialsResponse): no role ARN, which
// only GetCallerIdentity tells.
type agentAnswer struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	AccountID       string `json:"AccountId"`
	Expiration      string `json:"Expiration"`
}

// agentCredentials is the assume-role step of the Pod Identity path: ask
// the agent, retrying what may pass until the deadline.
func (r *run) agentCredentials(ctx context.Context) *aws.Credentials {
	var creds *aws.Credentials
	ce := r.withRetry(ctx, agentCall, func(ctx context.Context) error {
		var err error
		creds, err = r.callAgent(ctx)
		return err
	})
	if ce != nil {
		r.stsFailure(StepAssumeRole, agentCall, ce)
		return nil
	}
	r.rep.CredentialsExpiry = creds.Expires.UTC()
	r.record(StepAssumeRole, StatusPass, fmt.Sprintf("Pod Identity agent %s: credentials for account %s; expire %s",
		r.cfg.AWS.ContainerCredentialsFullURI, cmp.Or(creds.AccountID, "(not said)"), creds.Expires.UTC().Format(time.RFC3339)))
	return creds
}

// callAgent is one request to the agent, as the SDK sends it. Its errors
// are *callError, classified (podidentity_errors.go).
func (r *run) callAgent(ctx context.Context) (*aws.Credentials, error) {
	uri := r.cfg.AWS.ContainerCredentialsFullURI
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, r.agentError(finding.CodePodIdentityEndpointInvalid, false, finding.Evidence{finding.EvDetail: err.Error()}, err)
	}
	// The SDK sends the file's contents as they are.
	req.Header.Set("Authorization", string(r.rawToken))
	req.Header.Set("Accept", "application/json")
	resp, err := r.http.Do(req)
	if err != nil {
		return nil, r.agentNetworkError(req, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAgentBody+1))
	if err != nil {
		ce := r.agentNetworkError(req, err)
		if ce.finding == finding.CodePodIdentityAgentUnreachable && timedOut(err) {
			ce.ev[finding.EvHTTPStatus], ce.ev[finding.EvLayer] = fmt.Sprint(resp.StatusCode), "timeout"
			ce.ev[finding.EvDetail] = fmt.Sprintf("the agent's status line and headers came (HTTP %d), its body did not arrive", resp.StatusCode)
			ce.waited = true
		}
		return nil, ce
	}
	if len(body) > maxAgentBody {
		return nil, r.agentError(finding.CodePodIdentityAgentError, false, finding.Evidence{finding.EvHTTPStatus: fmt.Sprint(resp.StatusCode), finding.EvDetail: "answer larger than 64 KiB"}, fmt.Errorf("agent answer too large"))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, r.classifyAgentAnswer(resp.StatusCode, string(body))
	}
	var a agentAnswer
	if err := json.Unmarshal(body, &a); err != nil || a.AccessKeyID == "" || a.SecretAccessKey == "" {
		detail := "200 without AccessKeyId and SecretAccessKey"
		if err != nil {
			detail = "200 that is not JSON"
		}
		return nil, r.agentError(finding.CodePodIdentityAgentError, false, finding.Evidence{finding.EvHTTPStatus: "200", finding.EvDetail: detail}, fmt.Errorf("agent: %s", detail))
	}
	r.redact.add(a.SecretAccessKey, a.Token)
	exp, err := time.Parse(time.RFC3339Nano, a.Expiration)
	if err != nil {
		return nil, r.agentError(finding.CodePodIdentityAgentError, false, finding.Evidence{finding.EvHTTPStatus: "200", finding.EvDetail: "Expiration is not an RFC 3339 time"}, err)
	}
	return &aws.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: a.SecretAccessKey, SessionToken: a.Token,
		CanExpire: true, Expires: exp, AccountID: a.AccountID, Source: "EKS Pod Identity agent"}, nil
}

// noProxyFor is NO_PROXY extended by the agent's addresses, for the fix.
func noProxyFor(current string) string {
	parts := []string{}
	for _, p := range strings.Split(current, ",") {
		if p = strings.TrimSpace(p); p != "" && p != iam.PodIdentityAgentIPv4 && p != iam.PodIdentityAgentIPv6 {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ",")
}
