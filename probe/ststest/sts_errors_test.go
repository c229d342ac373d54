package ststest

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// TestAssumeRoleWithWebIdentityErrors drives every refusal through the real
// SDK client and checks what the SDK makes of it.
func TestAssumeRoleWithWebIdentityErrors(t *testing.T) {
	now := time.Unix(1795400000, 0)
	const account = DefaultAccount

	type setup func(t *testing.T, st *Stack) (roleARN, token string, durationSeconds int32)
	// defaults assumes the stack's role with a good token.
	defaults := func(t *testing.T, st *Stack) (string, string, int32) {
		return st.RoleARN, st.Issuer.ServiceAccountToken(TokenOptions{
			Namespace: "payments", ServiceAccount: "billing-api", Pod: DefaultPod, IssuedAt: now,
		}), 0
	}
	// tokenWith mints a token issued at now+issued.
	tokenWith := func(o TokenOptions, issued time.Duration) setup {
		return func(t *testing.T, st *Stack) (string, string, int32) {
			o.IssuedAt = now.Add(issued)
			return st.RoleARN, st.Issuer.ServiceAccountToken(o), 0
		}
	}
	role := func(arn string) setup {
		return func(t *testing.T, st *Stack) (string, string, int32) {
			_, tok, _ := defaults(t, st)
			return arn, tok, 0
		}
	}
	then := func(prepare func(t *testing.T, st *Stack)) setup {
		return func(t *testing.T, st *Stack) (string, string, int32) {
			prepare(t, st)
			return defaults(t, st)
		}
	}

	tests := []struct {
		name    string
		setup   setup
		code    string
		message func(st *Stack) string
		status  int
	}{
		{
			name:    "trust policy is for another service account",
			setup:   tokenWith(TokenOptions{Namespace: "payments", ServiceAccount: "default"}, 0),
			code:    CodeAccessDenied,
			message: func(*Stack) string { return MsgAccessDenied },
			status:  http.StatusForbidden,
		},
		{
			name:    "role does not exist",
			setup:   role("arn:aws:iam::111122223333:role/no-such-role"),
			code:    CodeAccessDenied,
			message: func(*Stack) string { return MsgAccessDenied },
			status:  http.StatusForbidden,
		},
		{
			name: "role was deleted",
			setup: then(func(t *testing.T, st *Stack) {
				st.STS.DeleteRole(st.RoleARN)
			}),
			code:    CodeAccessDenied,
			message: func(*Stack) string { return MsgAccessDenied },
			status:  http.StatusForbidden,
		},
		{
			name: "no OIDC provider in the account",
			setup: then(func(t *testing.T, st *Stack) {
				st.STS.RemoveOIDCProvider(account, st.Issuer.URL)
			}),
			code:    CodeInvalidIdentityToken,
			message: func(st *Stack) string { return "No OpenIDConnect provider found in your account for " + st.Issuer.URL },
			status:  http.StatusBadRequest,
		},
		{
			name: "provider only for another cluster's issuer",
			setup: then(func(t *testing.T, st *Stack) {
				other := NewIssuer()
				t.Cleanup(other.Close)
				st.STS.RemoveOIDCProvider(account, st.Issuer.URL)
				st.STS.AddIssuer(other, account)
			}),
			code:    CodeInvalidIdentityToken,
			message: func(st *Stack) string { return MsgNoOIDCProvider(st.Issuer.URL) },
			status:  http.StatusBadRequest,
		},
		{
			name: "provider only in another account",
			setup: func(t *testing.T, st *Stack) (string, string, int32) {
				arn := "arn:aws:iam::444455556666:role/billing-api"
				if err := st.STS.PutRole(arn, TrustPolicyFor("aws", "444455556666", st.Issuer.URL, "payments", "billing-api")); err != nil {
					t.Fatal(err)
				}
				_, tok, _ := defaults(t, st)
				return arn, tok, 0
			},
			code:    CodeInvalidIdentityToken,
			message: func(st *Stack) string { return MsgNoOIDCProvider(st.Issuer.URL) },
			status:  http.StatusBadRequest,
		},
		{
			name:    "default kube-api-access audience",
			setup:   tokenWith(TokenOptions{Namespace: "payments", ServiceAccount: "billing-api", Audiences: []string{"https://kubernetes.default.svc"}}, 0),
			code:    CodeInvalidIdentityToken,
			message: func(*Stack) string { return MsgIncorrectAudience },
			status:  http.StatusBadRequest,
		},
		{
			name: "thumbprint of the leaf instead of the top CA",
			setup: then(func(t *testing.T, st *Stack) {
				p := ProviderFor(st.Issuer, account)
				p.Thumbprints = []string{st.Issuer.LeafThumbprint()}
				st.STS.AddOIDCProvider(p)
			}),
			code:    CodeInvalidIdentityToken,
			message: func(*Stack) string { return MsgThumbprint },
			status:  http.StatusBadRequest,
		},
		{
			name: "issuer unreachable",
			setup: then(func(t *testing.T, st *Stack) {
				st.Issuer.SetUnreachable(true)
			}),
			code:    CodeInvalidIdentityToken,
			message: func(*Stack) string { return MsgKeyRetrieval },
			status:  http.StatusBadRequest,
		},
		{
			name: "issuer too slow",
			setup: then(func(t *testing.T, st *Stack) {
				st.Issuer.SetDelay(time.Second)
				st.STS.SetIDPTimeout(100 * time.Millisecond)
			}),
			code:    CodeInvalidIdentityToken,
			message: func(*Stack) string { return MsgKeyRetrieval },
			status:  http.StatusBadRequest,
		},
		{
			name: "issuer certificate not trusted",
			setup: then(func(t *testing.T, st *Stack) {
				other := NewIssuer()
				t.Cleanup(other.Close)
				st.Issuer = other // STS trusts the stack's issuer, not this one
				st.STS.AddOIDCProvider(ProviderFor(other, account))
				if err := st.STS.PutRole(st.RoleARN, TrustPolicyFor("aws", account, other.URL, "payments", "billing-api")); err != nil {
					t.Fatal(err)
				}
			}),
			code:    CodeInvalidIdentityToken,
			message: func(*Stack) string { return MsgKeyRetrieval },
			status:  http.StatusBadRequest,
		},
		{
			name: "unreachable issuer reported as IDPCommunicationError",
			setup: then(func(t *testing.T, st *Stack) {
				st.STS.SetKeyRetrievalErrorCode(CodeIDPCommunicationError)
				st.Issuer.Close()
			}),
			code:    CodeIDPCommunicationError,
			message: func(*Stack) string { return MsgKeyRetrieval },
			status:  http.StatusBadRequest,
		},
		{
			name: "signing key rotated since the token was issued",
			setup: func(t *testing.T, st *Stack) (string, string, int32) {
				arn, tok, _ := defaults(t, st)
				if err := st.Issuer.RotateKey(); err != nil {
					t.Fatal(err)
				}
				return arn, tok, 0
			},
			code:    CodeInvalidIdentityToken,
			message: func(*Stack) string { return MsgKeyRetrieval },
			status:  http.StatusBadRequest,
		},
		{
			name:    "not a JWT",
			setup:   func(t *testing.T, st *Stack) (string, string, int32) { return st.RoleARN, "an-opaque-access-token", 0 },
			code:    CodeInvalidIdentityToken,
			message: func(*Stack) string { return MsgNotAJWT },
			status:  http.StatusBadRequest,
		},
		{
			name: "signature does not verify",
			setup: func(t *testing.T, st *Stack) (string, string, int32) {
				forger, err := rsa.GenerateKey(rand.Reader, 2048)
				if err != nil {
					t.Fatal(err)
				}
				claims := ServiceAccountClaims(st.Issuer.URL, TokenOptions{Namespace: "payments", ServiceAccount: "billing-api", IssuedAt: now})
				return st.RoleARN, signToken(forger, st.Issuer.KeyID(), claims), 0
			},
			code:    CodeInvalidIdentityToken,
			message: func(*Stack) string { return MsgTokenNotValidated },
			status:  http.StatusBadRequest,
		},
		{
			name:    "expired token",
			setup:   tokenWith(TokenOptions{Namespace: "payments", ServiceAccount: "billing-api"}, -25*time.Hour),
			code:    CodeExpiredTokenException,
			message: func(*Stack) string { return MsgTokenExpired(now.Unix(), now.Add(-time.Hour).Unix()) },
			status:  http.StatusBadRequest,
		},
		{
			name:    "token used before its nbf",
			setup:   tokenWith(TokenOptions{Namespace: "payments", ServiceAccount: "billing-api"}, time.Hour),
			code:    CodeInvalidIdentityToken,
			message: func(*Stack) string { return MsgTokenNotValidated },
			status:  http.StatusBadRequest,
		},
		{
			name: "STS deactivated in the region",
			setup: then(func(t *testing.T, st *Stack) {
				st.STS.SetRegionDisabled(true)
			}),
			code: CodeRegionDisabledException,
			message: func(*Stack) string {
				return "STS is not activated in this region for account:111122223333. Your account administrator can activate STS in this region using the IAM Console."
			},
			status: http.StatusForbidden,
		},
		{
			name:  "role ARN too short",
			setup: role("billing-api"),
			code:  CodeValidationError,
			message: func(*Stack) string {
				return "1 validation error detected: Value 'billing-api' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"
			},
			status: http.StatusBadRequest,
		},
		{
			name:    "OIDC provider ARN instead of the role's",
			setup:   role("arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/X"),
			code:    CodeValidationError,
			message: func(*Stack) string { return MsgRequestARNInvalid },
			status:  http.StatusBadRequest,
		},
		{
			name:    "role: instead of role/",
			setup:   role("arn:aws:iam::111122223333:role:billing-api"),
			code:    CodeValidationError,
			message: func(*Stack) string { return MsgRequestARNInvalid },
			status:  http.StatusBadRequest,
		},
		{
			name: "DurationSeconds under 900",
			setup: func(t *testing.T, st *Stack) (string, string, int32) {
				arn, tok, _ := defaults(t, st)
				return arn, tok, 100
			},
			code: CodeValidationError,
			message: func(*Stack) string {
				return "1 validation error detected: Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"
			},
			status: http.StatusBadRequest,
		},
		{
			name: "DurationSeconds over the role's maximum",
			setup: func(t *testing.T, st *Stack) (string, string, int32) {
				arn, tok, _ := defaults(t, st)
				return arn, tok, 7200
			},
			code:    CodeValidationError,
			message: func(*Stack) string { return MsgDurationExceedsMax },
			status:  http.StatusBadRequest,
		},
		{
			name:    "throttled",
			setup:   then(func(t *testing.T, st *Stack) { st.STS.Throttle("AssumeRoleWithWebIdentity", 1) }),
			code:    CodeThrottling,
			message: func(*Stack) string { return "Rate exceeded" },
			status:  http.StatusBadRequest,
		},
		{
			name:    "internal failure",
			setup:   then(func(t *testing.T, st *Stack) { st.STS.ServerError("AssumeRoleWithWebIdentity", 1) }),
			code:    CodeInternalFailure,
			message: func(*Stack) string { return MsgInternalFailure },
			status:  http.StatusInternalServerError,
		},
		{
			name:    "IDPCommunicationError fault",
			setup:   then(func(t *testing.T, st *Stack) { st.STS.IDPCommunicationError(1) }),
			code:    CodeIDPCommunicationError,
			message: func(*Stack) string { return MsgKeyRetrieval },
			status:  http.StatusBadRequest,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := startStack(t, StackOptions{})
			st.STS.SetNow(func() time.Time { return now })
			roleARN, token, duration := tt.setup(t, st)
			_, err := stsClient(st.STS.URL, nil, nil).AssumeRoleWithWebIdentity(testContext(t), assumeInput(roleARN, token, duration))
			wantAPIError(t, err, st.STS, tt.code, tt.message(st), tt.status)
			if got := st.STS.Calls("AssumeRoleWithWebIdentity"); got != 1 {
				t.Errorf("STS saw %d calls, want 1", got)
			}
		})
	}
}

// TestThumbprintPinning: a provider whose thumbprint is the issuer's top CA
// works even when STS does not trust that CA, as with IAM.
func TestThumbprintPinning(t *testing.T) {
	st := startStack(t, StackOptions{})
	other := NewIssuer()
	defer other.Close()
	p := ProviderFor(other, DefaultAccount)
	p.Thumbprints = []string{other.Thumbprint()}
	st.STS.AddOIDCProvider(p)
	if err := st.STS.PutRole(st.RoleARN, TrustPolicyFor("aws", DefaultAccount, other.URL, "payments", "billing-api")); err != nil {
		t.Fatal(err)
	}
	tok := other.ServiceAccountToken(TokenOptions{Namespace: "payments", ServiceAccount: "billing-api"})
	if _, err := assume(testContext(t), st.STS.URL, st.RoleARN, tok); err != nil {
		t.Fatalf("pinned thumbprint: %v", err)
	}
}

func TestGetCallerIdentityErrors(t *testing.T) {
	tests := []struct {
		name    string
		creds   func(t *testing.T, st *Stack) aws.CredentialsProvider
		code    string
		message string
		status  int
	}{
		{
			name: "unsigned request",
			creds: func(*testing.T, *Stack) aws.CredentialsProvider {
				return aws.AnonymousCredentials{}
			},
			code: CodeMissingAuthenticationToken, message: MsgMissingAuthenticationToken, status: http.StatusForbidden,
		},
		{
			name: "access key STS never issued",
			creds: func(*testing.T, *Stack) aws.CredentialsProvider {
				return credentials.NewStaticCredentialsProvider("ASIAEXAMPLEEXAMPLE12", "secret", "token")
			},
			code: CodeInvalidClientTokenID, message: MsgInvalidClientTokenID, status: http.StatusForbidden,
		},
		{
			name: "session token of other credentials",
			creds: func(t *testing.T, st *Stack) aws.CredentialsProvider {
				c := issued(t, st)
				return credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, "IQoJb3JpZ2luX2VjWRONG")
			},
			code: CodeInvalidClientTokenID, message: MsgInvalidClientTokenID, status: http.StatusForbidden,
		},
		{
			name: "expired credentials",
			creds: func(t *testing.T, st *Stack) aws.CredentialsProvider {
				c := issued(t, st)
				st.STS.ExpireCredentials(c.AccessKeyID)
				return credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
			},
			code: CodeExpiredToken, message: MsgExpiredToken, status: http.StatusForbidden,
		},
		{
			name: "STS deactivated in the region",
			creds: func(t *testing.T, st *Stack) aws.CredentialsProvider {
				c := issued(t, st)
				st.STS.SetRegionDisabled(true)
				return credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
			},
			code: CodeRegionDisabledException, message: MsgRegionDisabled(DefaultAccount), status: http.StatusForbidden,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := startStack(t, StackOptions{})
			_, err := callerIdentity(testContext(t), st.STS.URL, tt.creds(t, st))
			wantAPIError(t, err, st.STS, tt.code, tt.message, tt.status)
		})
	}
}

// issued gets credentials for the stack's role.
func issued(t *testing.T, st *Stack) aws.Credentials {
	t.Helper()
	c, err := webIdentityCreds(t, st.STS.URL, st.RoleARN, st.Token()).Retrieve(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestValidationMessages(t *testing.T) {
	tests := []struct {
		errs validationErrors
		want string
	}{
		{nil, ""},
		{validationErrors{"A"}, "1 validation error detected: A"},
		{validationErrors{"A", "B"}, "2 validation errors detected: A; B"},
	}
	for _, tt := range tests {
		e := tt.errs.err()
		got := ""
		if e != nil {
			got = e.Message
		}
		if got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.errs, got, tt.want)
		}
	}
	var v validationErrors
	v.null("roleArn")
	if want := fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", "roleArn"); v[0] != want {
		t.Errorf("null: %q, want %q", v[0], want)
	}
}
