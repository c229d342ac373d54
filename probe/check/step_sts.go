package check

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/irsa-probe/irsa-probe/probe/finding"
)

// stsClient talks to the endpoint the SDK would pick. Retries are ours
// (withRetry), so the SDK's are off: otherwise a throttled STS would see
// both retry loops multiply.
func (r *run) stsClient(creds aws.CredentialsProvider) *sts.Client {
	opts := sts.Options{
		Region:      r.cfg.AWS.EffectiveRegion(),
		HTTPClient:  r.clock,
		Retryer:     aws.NopRetryer{},
		Credentials: creds,
	}
	if ep := r.cfg.AWS.STSEndpointOverride(); ep != "" {
		opts.BaseEndpoint = aws.String(ep)
	}
	return sts.New(opts)
}

// sessionName is AWS_ROLE_SESSION_NAME or irsa-probe-POD: CloudTrail shows
// which pod's probe assumed the role.
func (r *run) sessionName() string {
	if n := r.cfg.AWS.RoleSessionName; n != "" {
		return n
	}
	n := "irsa-probe"
	if p := r.base[finding.EvPod]; p != "" {
		n += "-" + p
	}
	return sessionNameRE.ReplaceAllString(n[:min(len(n), 64)], "-")
}

var sessionNameRE = regexp.MustCompile(`[^\w+=,.@-]`)

// stsOutcome is what the assume-role and caller-identity calls returned,
// before it is recorded.
type stsOutcome struct {
	creds     *aws.Credentials // nil unless AssumeRoleWithWebIdentity succeeded
	assumeErr *callError
	id        *Identity // nil unless GetCallerIdentity succeeded
	idErr     *callError
}

// callSTS makes the assume-role step's call, AssumeRoleWithWebIdentity,
// exactly as the SDK's web identity provider does (but with the bytes the
// token step read and validated, never a second read of the file), then
// the caller-identity step's, GetCallerIdentity with those credentials.
// The credentials stay in memory and are never printed.
func (r *run) callSTS(ctx context.Context) stsOutcome {
	var o stsOutcome
	prov := stscreds.NewWebIdentityRoleProvider(r.stsClient(nil), r.cfg.AWS.RoleARN, r.held,
		func(opt *stscreds.WebIdentityRoleOptions) { opt.RoleSessionName = r.sessionName() })
	var creds aws.Credentials
	o.assumeErr = r.withRetry(ctx, "AssumeRoleWithWebIdentity", func(ctx context.Context) error {
		var err error
		creds, err = prov.Retrieve(ctx)
		return err
	})
	if o.assumeErr != nil {
		return o
	}
	o.creds = &creds
	r.redact.add(creds.SecretAccessKey, creds.SessionToken)
	o.id, o.idErr = r.getCallerIdentity(ctx, creds)
	return o
}

// getCallerIdentity asks STS who creds are.
func (r *run) getCallerIdentity(ctx context.Context, creds aws.Credentials) (*Identity, *callError) {
	client := r.stsClient(credentials.StaticCredentialsProvider{Value: creds})
	var out *sts.GetCallerIdentityOutput
	ce := r.withRetry(ctx, "GetCallerIdentity", func(ctx context.Context) error {
		var err error
		out, err = client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	})
	if ce != nil {
		return nil, ce
	}
	if out.Arn == nil {
		return nil, &callError{finding: finding.CodeSTSEndpointInvalid, err: errors.New("GetCallerIdentity answered without an Arn"),
			ev: finding.Evidence{finding.EvEndpoint: r.cfg.STSEndpoint(), finding.EvDetail: "it answered GetCallerIdentity without an Arn; STS always names the caller"}}
	}
	return &Identity{ARN: aws.ToString(out.Arn), Account: aws.ToString(out.Account), UserID: aws.ToString(out.UserId)}, nil
}

// recordSTS records the assume-role and caller-identity steps.
func (r *run) recordSTS(o stsOutcome) {
	if o.assumeErr != nil {
		r.stsFailure(StepAssumeRole, "AssumeRoleWithWebIdentity", o.assumeErr)
		r.record(StepCallerIdentity, StatusSkip, "no credentials")
		return
	}
	r.rep.CredentialsExpiry = o.creds.Expires.UTC()
	r.checkClock(o.creds)
	r.record(StepAssumeRole, StatusPass, fmt.Sprintf("assumed %s; credentials expire %s", r.cfg.AWS.RoleARN, o.creds.Expires.UTC().Format(time.RFC3339)))
	r.recordCallerIdentity(o.id, o.idErr)
}

// callerIdentity is the caller-identity step with credentials from
// elsewhere (the Pod Identity agent): the call, then its record.
func (r *run) callerIdentity(ctx context.Context, creds *aws.Credentials) {
	r.recordCallerIdentity(r.getCallerIdentity(ctx, *creds))
}

// recordCallerIdentity records the caller-identity step: is it the
// expected role?
func (r *run) recordCallerIdentity(id *Identity, ce *callError) {
	if ce != nil {
		r.stsFailure(StepCallerIdentity, "GetCallerIdentity", ce)
		return
	}
	r.rep.Identity = id
	r.base[finding.EvGotARN] = id.ARN
	expected, want, err := r.cfg.ExpectedRole()
	if expected == "" { // Pod Identity without IRSA_PROBE_EXPECT_ROLE_ARN
		r.record(StepCallerIdentity, StatusPass, r.unpinnedRole(id.ARN))
		return
	}
	if err != nil || !want.MatchesCaller(id.ARN) {
		r.add(StepCallerIdentity, finding.CodeWrongRole, nil)
		r.record(StepCallerIdentity, StatusFail, fmt.Sprintf("%s is not a session of %s", id.ARN, expected))
		return
	}
	r.record(StepCallerIdentity, StatusPass, id.ARN)
}

// stsFailure records a classified STS failure of step.
func (r *run) stsFailure(step, call string, ce *callError) {
	code := ce.finding
	if code == finding.CodeOIDCProviderMissing && r.token != nil && ce.ev[finding.EvSTSIssuer] != "" && ce.ev[finding.EvSTSIssuer] != r.token.Issuer {
		code = finding.CodeOIDCIssuerMismatch
	}
	if (code == finding.CodeOIDCKeysUnreachable || code == finding.CodeSTSInvalidIdentityToken) && (r.sig.UnknownKeyID || r.sig.Discovery != "") {
		// STS says "couldn't retrieve verification key" both when the
		// issuer is down and when the token's kid is not in its JWKS; the
		// pod reached the issuer and found what is wrong with it.
		code = finding.CodeOIDCDiscoveryInvalid
	}
	if code == finding.CodeTokenAudienceMismatch && r.token != nil && r.token.HasAudience(r.cfg.Audience) {
		// The token's aud is the expected one, so the list STS compared
		// it with is wrong: the OIDC provider's client ids.
		code = finding.CodeOIDCClientIDMismatch
	}
	if code == finding.CodeTokenExpired {
		if skew := stsClockSkew(ce.ev[finding.EvErrorMessage], r.cfg.Clock()); skew != "" {
			ce.ev[finding.EvClockSkew] = skew
		}
		ce.ev[finding.EvNow] = r.cfg.Clock().UTC().Format(time.RFC3339)
	}
	if code == finding.CodeTLSCertificateUntrusted && r.cfg.AWS.CABundle != "" {
		ce.ev[finding.EvCABundle] = r.cfg.AWS.CABundle
	}
	ce.ev[finding.EvDetail] = cmp.Or(ce.ev[finding.EvDetail], call)
	r.addOrMerge(step, code, ce.ev)
	st := StatusFail
	if ce.transient {
		st = StatusUndecided
	}
	detail := call + ": " + cmp.Or(ce.ev[finding.EvErrorCode], layerPrefix(ce.ev[finding.EvLayer])+ce.ev[finding.EvDetail])
	if id := ce.ev[finding.EvRequestID]; id != "" {
		detail += " (request id " + id + ")"
	}
	r.record(step, st, detail)
}

// layerPrefix is "LAYER: ", or "" when no layer failed (an answer did).
func layerPrefix(layer string) string {
	if layer == "" {
		return ""
	}
	return layer + ": "
}

var stsTimesRE = regexp.MustCompile(`current date/time (\d+) must be before the expiration date/time\s*(\d+)`)

// stsClockSkew compares STS's clock (from ExpiredTokenException's text) with ours.
func stsClockSkew(msg string, now time.Time) string {
	m := stsTimesRE.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	var stsNow int64
	if _, err := fmt.Sscan(m[1], &stsNow); err != nil {
		return ""
	}
	skew := now.Sub(time.Unix(stsNow, 0)).Round(time.Second)
	return fmt.Sprintf("this container's clock is %s ahead of STS's", skew)
}

// heldToken gives the SDK's web identity provider the token the token step
// read, capped and validated, instead of letting it read the file again
// (uncapped, and whatever the file is by then). Until the token step
// accepts a token, it refuses.
type heldToken struct {
	raw []byte
}

// errTokenRefused is what the SDK gets when the token step found no token
// STS could judge.
var errTokenRefused = errors.New("irsa-probe refused the token file (see the token step)")

// GetIdentityToken implements stscreds.IdentityTokenRetriever.
func (h *heldToken) GetIdentityToken() ([]byte, error) {
	if h.raw == nil {
		return nil, errTokenRefused
	}
	return bytes.TrimSpace(h.raw), nil
}
