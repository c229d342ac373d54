package check

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"

	"github.com/irsa-probe/irsa-probe/probe/finding"
)

// chainTimeout bounds the default-chain step: IMDS probing must not eat the
// whole deadline when there is no IMDS.
const chainTimeout = 10 * time.Second

// credentialSourceNames names the SDK's credential sources for the evidence.
var credentialSourceNames = map[aws.CredentialSource]string{
	aws.CredentialSourceCode:                 "static credentials in code",
	aws.CredentialSourceEnvVars:              "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY environment variables",
	aws.CredentialSourceEnvVarsSTSWebIDToken: "AWS_ROLE_ARN/AWS_WEB_IDENTITY_TOKEN_FILE (IRSA)",
	aws.CredentialSourceSTSAssumeRoleWebID:   "web identity (IRSA)",
	aws.CredentialSourceProfile:              "shared config profile",
	aws.CredentialSourceProfileSTSWebIDToken: "web identity from a shared config profile",
	aws.CredentialSourceSSO:                  "IAM Identity Center (SSO)",
	aws.CredentialSourceProcess:              "credential_process",
	aws.CredentialSourceHTTP:                 "container credentials endpoint (EKS Pod Identity or ECS)",
	aws.CredentialSourceIMDS:                 "EC2 instance metadata: the node's instance role",
}

func sourceName(srcs []aws.CredentialSource) string {
	var names []string
	for _, s := range srcs {
		if n, ok := credentialSourceNames[s]; ok {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "an unknown source"
	}
	return strings.Join(names, " via ")
}

func isWebIdentity(srcs []aws.CredentialSource) bool {
	return slices.Contains(srcs, aws.CredentialSourceEnvVarsSTSWebIDToken) || slices.Contains(srcs, aws.CredentialSourceSTSAssumeRoleWebID)
}

// defaultChain is the default-chain step: what does an app using the SDK's default chain get?
// That is the identity the pod really has; with IRSA missing it is usually the
// node role through IMDS.
func (r *run) defaultChain(ctx context.Context, checkedOK, assumedOK bool) {
	ctx, cancel := context.WithTimeout(ctx, chainTimeout)
	defer cancel()
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(r.http),
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
		// The SDK's own warnings (IMDSv1 fallback) would interleave with the report.
		config.WithLogger(logging.Nop{}),
		// The SDK never reads the token file itself: it gets the bytes the
		// token step read and validated, or the refusal.
		config.WithWebIdentityRoleCredentialOptions(func(o *stscreds.WebIdentityRoleOptions) { o.TokenRetriever = r.held }),
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err == nil && cfg.Region == "" {
		// IRSA's region is missing too: ask IMDS, as an app configured for
		// it would; failing that, any region answers GetCallerIdentity.
		if withIMDS, err := config.LoadDefaultConfig(ctx, append(opts, config.WithEC2IMDSRegion())...); err == nil {
			cfg = withIMDS
		}
	}
	if err != nil {
		r.record(StepDefaultChain, StatusFail, "loading the SDK's default config: "+err.Error())
		return
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	var srcs []aws.CredentialSource
	if cc, ok := cfg.Credentials.(*aws.CredentialsCache); ok {
		srcs = cc.ProviderSources()
	}
	src := sourceName(srcs)
	if r.resolvesToChecked(srcs) {
		// Same provider, same env, same token as the assume-role and
		// caller-identity steps: calling STS again would only double the
		// load, and when those steps did not run, the token or the
		// environment failed above and must not reach the network.
		if checkedOK && assumedOK {
			r.record(StepDefaultChain, StatusPass, "resolves to "+src+": the identity checked above")
		} else {
			r.record(StepDefaultChain, StatusSkip, "resolves to "+src+", which failed above")
		}
		return
	}
	var creds aws.Credentials
	if cfg.Credentials != nil {
		creds, err = cfg.Credentials.Retrieve(ctx)
	} else {
		err = fmt.Errorf("no credential provider")
	}
	if err != nil {
		detail := "no credentials at all in this container (" + rootCause(err) + "): the pod has no AWS identity"
		if !strings.EqualFold(r.cfg.AWS.IMDSDisabled, "true") {
			detail += "; " + finding.IMDSBlocked + " (expected on Fargate, and on EC2 with IMDSv2 required and a hop limit of 1)"
		}
		r.record(StepDefaultChain, StatusWarn, detail)
		return
	}
	r.redact.add(creds.SecretAccessKey, creds.SessionToken)
	client := sts.NewFromConfig(cfg, func(o *sts.Options) {
		o.Credentials = aws.NewCredentialsCache(staticProvider(creds))
	})
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		ce := classify(err, r.cfg.STSEndpoint())
		if r.identityConfigured() && !ce.transient {
			// IRSA is configured, yet apps would use other credentials,
			// working or not: that shadowing is the problem.
			ev := finding.Evidence{finding.EvSource: src, finding.EvGotARN: "", finding.EvErrorCode: ce.ev[finding.EvErrorCode], finding.EvErrorMessage: ce.ev[finding.EvErrorMessage], finding.EvRequestID: ce.ev[finding.EvRequestID]}
			r.add(StepDefaultChain, r.chainCode(ctx, srcs, ev), ev)
			r.record(StepDefaultChain, StatusFail, "credentials from "+src+" shadow "+r.mechanismName()+"; GetCallerIdentity: "+cmp.Or(ce.ev[finding.EvErrorCode], rootCause(err)))
			return
		}
		r.record(StepDefaultChain, StatusUndecided, fmt.Sprintf("credentials from %s, but GetCallerIdentity failed: %s", src, cmp.Or(ce.ev[finding.EvErrorCode], rootCause(err))))
		return
	}
	got := aws.ToString(out.Arn)
	checked := r.rep.Identity
	if r.rep.Identity == nil {
		r.rep.Identity = &Identity{ARN: got, Account: aws.ToString(out.Account), UserID: aws.ToString(out.UserId)}
	}
	if r.chainMatches(got, checked) {
		r.record(StepDefaultChain, StatusPass, got+" from "+src)
		return
	}
	ev := finding.Evidence{finding.EvGotARN: got, finding.EvSource: src}
	r.add(StepDefaultChain, r.chainCode(ctx, srcs, ev), ev)
	r.record(StepDefaultChain, StatusFail, got+" from "+src)
}

// chainCode is the finding for a chain that does not end at the pod's
// identity: static keys or a profile shadowing it, else the node role;
// it adds what it observed to ev.
func (r *run) chainCode(ctx context.Context, srcs []aws.CredentialSource, ev finding.Evidence) finding.Code {
	if what, vars, ok := shadowedBy(srcs); ok && r.identityConfigured() {
		ev[finding.EvShadowedBy], ev[finding.EvShadowVars] = what, vars
		return finding.CodeStaticCredentialsShadow
	}
	if slices.Contains(srcs, aws.CredentialSourceIMDS) {
		ev[finding.EvIMDS] = r.observeIMDS(ctx)
	}
	return finding.CodeNodeRoleFallback
}

type staticProvider aws.Credentials

func (s staticProvider) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials(s), nil
}
