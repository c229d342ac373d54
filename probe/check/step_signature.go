package check

import (
	"context"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/oidc"
)

// checkSignature is the signature step (IRSA_PROBE_VERIFY_SIGNATURE): what
// STS will do with the token, done from the pod. It only adds evidence,
// except with "always", where an issuer the pod cannot reach is a finding.
func (r *run) checkSignature(ctx context.Context) {
	mode := r.cfg.VerifySignature
	if mode == "never" {
		r.record(StepSignature, StatusSkip, "disabled by IRSA_PROBE_VERIFY_SIGNATURE=never")
		return
	}
	res := oidc.Verify(ctx, r.http, r.token.Issuer, r.rawToken)
	r.sig = res
	switch {
	case res.Verified:
		r.record(StepSignature, StatusPass, "verified with the issuer's JWKS "+res.JWKSURI)
	case !res.Reachable && mode == "auto":
		// Private clusters often cannot reach their own public issuer URL;
		// STS fetches it from the internet, so this is no verdict.
		r.record(StepSignature, StatusWarn, "not checked: issuer not reachable from the pod: "+res.Err.Error())
	case !res.Reachable:
		r.sigNote = "issuer not reachable: " + res.Err.Error()
		r.add(StepSignature, finding.CodeOIDCKeysUnreachable, finding.Evidence{finding.EvDetail: res.Err.Error(), finding.EvFetchedBy: "this pod"})
		r.record(StepSignature, StatusFail, r.sigNote)
	default:
		r.sigNote = res.Err.Error()
		r.record(StepSignature, StatusFail, r.sigNote)
	}
}
