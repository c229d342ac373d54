package check

import (
	"context"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/oidc"
)

// signatureCheck is a signature check under way.
type signatureCheck struct {
	skip string // why it does not run; "" when it does
	done chan struct{}
}

// wait returns once the check is done: oidc.Verify honours the check's
// deadline, so this never outlives it by more than a read.
func (s *signatureCheck) wait() {
	if s.done != nil {
		<-s.done
	}
}

// startSignature starts the signature step (IRSA_PROBE_VERIFY_SIGNATURE):
// what STS will do with the token, done from the pod, in the background.
// Its result lands in r.sig.
func (r *run) startSignature(ctx context.Context, haveToken bool) *signatureCheck {
	switch {
	case !haveToken:
		return &signatureCheck{skip: "no usable token"}
	case r.cfg.VerifySignature == "never":
		return &signatureCheck{skip: "disabled by IRSA_PROBE_VERIFY_SIGNATURE=never"}
	}
	s := &signatureCheck{done: make(chan struct{})}
	issuer, raw := r.token.Issuer, r.rawToken
	go func() {
		defer close(s.done)
		r.sig = oidc.Verify(ctx, r.http, issuer, raw)
	}()
	return s
}

// recordSignature records the signature step once it is done. It only
// adds evidence, except with "always", where an issuer the pod cannot
// reach is a finding.
func (r *run) recordSignature(s *signatureCheck) {
	if s.skip != "" {
		r.record(StepSignature, StatusSkip, s.skip)
		return
	}
	res, mode := r.sig, r.cfg.VerifySignature
	switch {
	case res.Verified:
		r.record(StepSignature, StatusPass, "verified with the issuer's JWKS "+res.JWKSURI)
	case !res.Reachable && mode != "auto" && r.untrustedIssuer(res):
		r.sigNote = "the issuer's certificate is not trusted: " + res.Err.Error()
		r.record(StepSignature, StatusFail, r.sigNote)
	case !res.Reachable && mode == "auto":
		// Private clusters often cannot reach their own public issuer URL;
		// STS fetches it from the internet, so this is no verdict.
		r.record(StepSignature, StatusWarn, "not checked: issuer not reachable from the pod: "+res.Err.Error())
	case !res.Reachable:
		r.sigNote = "issuer not reachable: " + res.Err.Error()
		r.add(StepSignature, finding.CodeOIDCKeysUnreachable, finding.Evidence{finding.EvDetail: res.Err.Error(), finding.EvFetchedBy: "this pod"})
		r.record(StepSignature, StatusFail, r.sigNote)
	case res.Discovery != "" || res.UnknownKeyID:
		// What STS will trip on too; its answer settles the doubt.
		r.sigNote = res.Err.Error()
		r.addDoubt(StepSignature, finding.CodeOIDCDiscoveryInvalid, finding.Evidence{finding.EvDetail: res.Err.Error(), finding.EvJWKSURI: res.JWKSURI})
		r.record(StepSignature, StatusFail, r.sigNote)
	default:
		r.sigNote = res.Err.Error()
		r.record(StepSignature, StatusFail, r.sigNote)
	}
}

// untrustedIssuer adds the finding of an issuer whose certificate this
// pod refuses, if that is why res failed.
func (r *run) untrustedIssuer(res oidc.Result) bool {
	target := res.JWKSURI // the discovery document came, or its fetch failed
	if target == "" {
		target = strings.TrimSuffix(r.token.Issuer, "/") + "/.well-known/openid-configuration"
	}
	ev, ok := certFailure(res.Err, target)
	if ok {
		ev[finding.EvFetchedBy] = "this pod"
		if r.cfg.AWS.CABundle != "" {
			ev[finding.EvCABundle] = r.cfg.AWS.CABundle
		}
		r.add(StepSignature, finding.CodeTLSCertificateUntrusted, ev)
	}
	return ok
}
