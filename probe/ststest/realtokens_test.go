package ststest

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestRealTokens exchanges the real kube-apiserver tokens of
// testdata/k8s-tokens, against the real issuer's static JWKS, for the
// billing-api role.
func TestRealTokens(t *testing.T) {
	// A day after the tokens were issued (iat 1795353509), so the outcome
	// does not depend on the machine's clock.
	now := time.Unix(1795353509+24*3600, 0)
	tests := []struct {
		file    string
		code    string // "" for success
		message string
		status  int
	}{
		{file: "valid-irsa.jwt"},
		{file: "multi-audience.jwt"},
		{file: "wrong-audience.jwt", code: CodeInvalidIdentityToken, message: MsgIncorrectAudience, status: 400},
		{file: "pod-identity.jwt", code: CodeInvalidIdentityToken, message: MsgIncorrectAudience, status: 400},
		{file: "expires-10m.jwt", code: CodeExpiredTokenException, message: "Token expired: current date/time 1795439909 must be before the expiration date/time 1795354110", status: 400},
		{file: "other-serviceaccount-unbound.jwt", code: CodeAccessDenied, message: MsgAccessDenied, status: 403},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			st := startStack(t, StackOptions{RealEKSIssuer: true})
			st.STS.SetNow(func() time.Time { return now })
			out, err := assume(testContext(t), st.STS.URL, st.RoleARN, readTestdata(t, tt.file))
			if tt.code != "" {
				wantAPIError(t, err, st.STS, tt.code, tt.message, tt.status)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := aws.ToString(out.Provider), "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/C0FFEE5EED1BB83AA8D0C5A1E2B3F4A5"; got != want {
				t.Errorf("Provider = %q, want %q", got, want)
			}
			if got := aws.ToString(out.SubjectFromWebIdentityToken); got != "system:serviceaccount:payments:billing-api" {
				t.Errorf("SubjectFromWebIdentityToken = %q", got)
			}
			if got := aws.ToString(out.Audience); got != DefaultAudience {
				t.Errorf("Audience = %q", got)
			}
		})
	}
}

// TestRealTokenNeedsItsProvider: without RealEKSIssuer, the real token's
// issuer is unknown to the account.
func TestRealTokenNeedsItsProvider(t *testing.T) {
	st := startStack(t, StackOptions{})
	_, err := assume(testContext(t), st.STS.URL, st.RoleARN, readTestdata(t, "valid-irsa.jwt"))
	wantAPIError(t, err, st.STS, CodeInvalidIdentityToken, MsgNoOIDCProvider(RealEKSIssuerURL), 400)
}
