package probe

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// assumed are the credentials AssumeRoleWithWebIdentity returned. They stay
// in memory for the GetCallerIdentity call and are never printed.
type assumed struct {
	creds aws.Credentials
}

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
	if p := r.base[EvPod]; p != "" {
		n += "-" + p
	}
	return sessionNameRE.ReplaceAllString(n[:min(len(n), 64)], "-")
}

var sessionNameRE = regexp.MustCompile(`[^\w+=,.@-]`)

// assumeRole is step 3: AssumeRoleWithWebIdentity with the token file,
// exactly as the SDK's web identity provider does it.
func (r *run) assumeRole(ctx context.Context) *assumed {
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
	// STS accepted the token: its verdict overrules local claim checks
	// (e.g. a custom audience the OIDC provider lists).
	for code := range r.provisional {
		r.remove(code)
		r.noteStep(StepToken, StatusWarn, fmt.Sprintf("; STS accepted the token despite %s", code))
	}
	r.redact.add(creds.SecretAccessKey, creds.SessionToken)
	r.rep.CredentialsExpiry = creds.Expires.UTC()
	r.rep.step(StepAssumeRole, StatusPass, fmt.Sprintf("assumed %s; credentials expire %s", r.cfg.AWS.RoleARN, creds.Expires.UTC().Format(time.RFC3339)))
	return &assumed{creds: creds}
}

// callerIdentity is step 4: who are we with those credentials?
func (r *run) callerIdentity(ctx context.Context, a *assumed) {
	client := r.stsClient(credentials.StaticCredentialsProvider{Value: a.creds})
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
	r.base[EvGotARN] = id.ARN
	want, err := ParseRoleARN(r.cfg.ExpectedRole())
	if err != nil || !want.MatchesCaller(id.ARN) {
		r.add(CodeWrongRole, nil)
		r.rep.step(StepCallerIdentity, StatusFail, fmt.Sprintf("%s is not a session of %s", id.ARN, r.cfg.ExpectedRole()))
		return
	}
	r.rep.step(StepCallerIdentity, StatusPass, id.ARN)
}

// stsFailure records a classified STS failure, merging it into a local
// finding with the same code so the user sees one diagnosis with both the
// local evidence and STS's error code and request id.
func (r *run) stsFailure(step, call string, ce *callError) {
	code := ce.finding
	if code == CodeOIDCProviderMissing && r.token != nil && ce.ev[EvSTSIssuer] != "" && ce.ev[EvSTSIssuer] != r.token.Issuer {
		code = CodeOIDCIssuerMismatch
	}
	if code == CodeOIDCKeysUnreachable && r.sig.UnknownKeyID {
		// STS says "couldn't retrieve verification key" both when the
		// issuer is down and when the token's kid is not in its JWKS; the
		// pod reached the issuer, so it is the key.
		code = CodeSTSInvalidIdentityToken
	}
	if code == CodeTokenExpired {
		if skew := stsClockSkew(ce.ev[EvErrorMessage], r.cfg.now()); skew != "" {
			ce.ev[EvClockSkew] = skew
		}
		ce.ev[EvNow] = r.cfg.now().UTC().Format(time.RFC3339)
	}
	ce.ev[EvDetail] = orDefault(ce.ev[EvDetail], call)
	if f := r.rep.find(code); f != nil {
		ev := maps.Clone(f.Evidence)
		maps.Copy(ev, ce.ev)
		*f = NewFinding(code, ev)
	} else {
		r.add(code, ce.ev)
	}
	st := StatusFail
	if ce.transient {
		st = StatusUnknown
	}
	detail := call + ": " + orDefault(ce.ev[EvErrorCode], ce.ev[EvLayer]+" error")
	if id := ce.ev[EvRequestID]; id != "" {
		detail += " (request id " + id + ")"
	}
	r.rep.step(step, st, detail)
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

// noteStep amends a recorded step.
func (r *run) noteStep(name string, st Status, suffix string) {
	for i := range r.rep.Checks {
		if c := &r.rep.Checks[i]; c.Name == name {
			c.Status = st
			if !strings.Contains(c.Detail, suffix) {
				c.Detail += suffix
			}
		}
	}
}
