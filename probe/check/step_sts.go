package check

import (
	"context"
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
		HTTPClient:  r.http,
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

// assumeRole is the assume-role step: AssumeRoleWithWebIdentity with the
// token file, exactly as the SDK's web identity provider does it. The
// credentials it returns stay in memory for GetCallerIdentity and are
// never printed.
func (r *run) assumeRole(ctx context.Context) *aws.Credentials {
	client := r.stsClient(nil)
	prov := stscreds.NewWebIdentityRoleProvider(client, r.cfg.AWS.RoleARN, stscreds.IdentityTokenFile(r.cfg.AWS.TokenFile),
		func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = r.sessionName() })
	var creds aws.Credentials
	ce := r.withRetry(ctx, "AssumeRoleWithWebIdentity", func(ctx context.Context) error {
		var err error
		creds, err = prov.Retrieve(ctx)
		return err
	})
	if ce != nil {
		r.stsFailure(StepAssumeRole, "AssumeRoleWithWebIdentity", ce)
		return nil
	}
	r.redact.add(creds.SecretAccessKey, creds.SessionToken)
	r.rep.CredentialsExpiry = creds.Expires.UTC()
	r.record(StepAssumeRole, StatusPass, fmt.Sprintf("assumed %s; credentials expire %s", r.cfg.AWS.RoleARN, creds.Expires.UTC().Format(time.RFC3339)))
	return &creds
}

// callerIdentity is the caller-identity step: who are we with those credentials?
func (r *run) callerIdentity(ctx context.Context, creds *aws.Credentials) {
	client := r.stsClient(credentials.StaticCredentialsProvider{Value: *creds})
	var out *sts.GetCallerIdentityOutput
	ce := r.withRetry(ctx, "GetCallerIdentity", func(ctx context.Context) error {
		var err error
		out, err = client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	})
	if ce != nil {
		r.stsFailure(StepCallerIdentity, "GetCallerIdentity", ce)
		return
	}
	id := &Identity{ARN: aws.ToString(out.Arn), Account: aws.ToString(out.Account), UserID: aws.ToString(out.UserId)}
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
	if code == finding.CodeOIDCKeysUnreachable && r.sig.UnknownKeyID {
		// STS says "couldn't retrieve verification key" both when the
		// issuer is down and when the token's kid is not in its JWKS; the
		// pod reached the issuer, so it is the key.
		code = finding.CodeSTSInvalidIdentityToken
	}
	if code == finding.CodeTokenExpired {
		if skew := stsClockSkew(ce.ev[finding.EvErrorMessage], r.cfg.Clock()); skew != "" {
			ce.ev[finding.EvClockSkew] = skew
		}
		ce.ev[finding.EvNow] = r.cfg.Clock().UTC().Format(time.RFC3339)
	}
	ce.ev[finding.EvDetail] = orDefault(ce.ev[finding.EvDetail], call)
	r.addOrMerge(step, code, ce.ev)
	st := StatusFail
	if ce.transient {
		st = StatusUndecided
	}
	detail := call + ": " + orDefault(ce.ev[finding.EvErrorCode], ce.ev[finding.EvLayer]+" error")
	if id := ce.ev[finding.EvRequestID]; id != "" {
		detail += " (request id " + id + ")"
	}
	r.record(step, st, detail)
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
