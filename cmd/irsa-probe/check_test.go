package main

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/check"
	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// scenario is one IRSA world and what `irsa-probe check` must say about it.
type scenario struct {
	name string
	opts ststest.StackOptions
	// setup breaks the world; it returns env changes ("NAME=" unsets) and
	// the values the text must show (computed from the live world).
	setup func(t *testing.T, st *ststest.Stack) (env, want []string)
	exit  int
	codes []finding.Code // all must be reported
	uid   uint32         // run as this user (the token-permission case)
	mech  string         // the mechanism reported; default irsa
	// after checks the world once the binary ran (e.g. that STS was not called).
	after func(t *testing.T, st *ststest.Stack)
}

// stsNotCalled: a problem the environment step catches never reaches STS.
func stsNotCalled(t *testing.T, st *ststest.Stack) {
	t.Helper()
	if n := st.STS.Calls("AssumeRoleWithWebIdentity"); n != 0 {
		t.Errorf("STS was called %d times; the problem is caught before", n)
	}
}

func realTokenFile(t *testing.T, st *ststest.Stack, name string) string {
	t.Helper()
	if err := st.WriteToken(string(ststest.RealFile(name))); err != nil {
		t.Fatal(err)
	}
	return st.TokenFile
}

// Real tokens are for the real EKS issuer, whose keys the pod cannot fetch
// here; the signature step is not what these scenarios test.
var noLocalSig = "IRSA_PROBE_VERIFY_SIGNATURE=never"

func scenarios() []scenario {
	return append([]scenario{
		{
			name: "ok",
			exit: verdict.ExitOK,
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				return nil, []string{"OK", "assumed-role/billing-api/", "verified with the issuer's JWKS"}
			},
		},
		{
			name: "ok with the real EKS token",
			opts: ststest.StackOptions{RealEKSIssuer: true},
			exit: verdict.ExitOK,
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				realTokenFile(t, st, "valid-irsa.jwt")
				return []string{noLocalSig}, []string{"assumed-role/billing-api/irsa-probe-billing-api-7d9f8b6c5-x2k4q"}
			},
		},
		{
			name:  "annotation missing falls back to the node role",
			exit:  verdict.ExitBroken,
			mech:  iam.MechanismNone,
			codes: []finding.Code{finding.CodeRoleARNMissing, finding.CodeNodeRoleFallback},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				return []string{"AWS_ROLE_ARN=", "AWS_WEB_IDENTITY_TOKEN_FILE=", "AWS_REGION=", "AWS_DEFAULT_REGION=",
						"IRSA_PROBE_POD_NAMESPACE=payments", "IRSA_PROBE_SERVICE_ACCOUNT=billing-api", "IRSA_PROBE_POD_NAME=billing-api-7d9f8b6c5-x2k4q",
						"IRSA_PROBE_EXPECT_ROLE_ARN=" + st.RoleARN},
					[]string{st.IMDS.AssumedRoleARN(), "kubectl annotate serviceaccount --namespace=payments billing-api eks.amazonaws.com/role-arn=" + st.RoleARN,
						"kubectl rollout restart --namespace=payments deployment/billing-api", "EC2 instance metadata", "mechanism none",
						"workload:                deployment/billing-api", "a guess from the pod's name",
						finding.IMDSv2, "--instance-id " + ststest.DefaultInstanceID + " --http-tokens required --http-put-response-hop-limit 1",
						"aws eks create-pod-identity-association --cluster-name CLUSTER_NAME --namespace payments --service-account billing-api --role-arn " + st.RoleARN}
			},
		},
		{
			name:  "static keys in the env shadow IRSA",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeStaticCredentialsShadow},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				return []string{"AWS_ACCESS_KEY_ID=" + st.IMDS.AccessKeyID(), "AWS_SECRET_ACCESS_KEY=not-checked-by-the-emulator", "IRSA_PROBE_POD_TEMPLATE_HASH=7d9f8b6c5"},
					[]string{"AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY in the environment win over the pod's identity", "InvalidClientTokenId",
						"kubectl set env deployment/billing-api --namespace=payments AWS_ACCESS_KEY_ID- AWS_SECRET_ACCESS_KEY-", "pod-template-hash label 7d9f8b6c5"}
			},
		},
		{
			name:  "annotation missing and IMDSv1 open",
			exit:  verdict.ExitBroken,
			mech:  iam.MechanismNone,
			codes: []finding.Code{finding.CodeRoleARNMissing, finding.CodeNodeRoleFallback},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.IMDS.AllowIMDSv1(true)
				return []string{"AWS_ROLE_ARN=", "AWS_WEB_IDENTITY_TOKEN_FILE=", "IRSA_PROBE_EXPECT_ROLE_ARN=" + st.RoleARN},
					[]string{finding.IMDSv1, "A hop limit of 1 only protects pods when IMDSv2 is required", "--instance-id " + ststest.DefaultInstanceID}
			},
		},
		{
			name:  "annotation missing and IMDS blocked",
			exit:  verdict.ExitBroken,
			mech:  iam.MechanismNone,
			codes: []finding.Code{finding.CodeRoleARNMissing},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.IMDS.SetUnreachable(true)
				return []string{"AWS_ROLE_ARN=", "AWS_WEB_IDENTITY_TOKEN_FILE="}, []string{finding.IMDSBlocked, "hop limit of 1"}
			},
		},
		{
			name:  "role ARN with a short account",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeRoleARNMalformed},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				return []string{"AWS_ROLE_ARN=arn:aws:iam::11112222333:role/billing-api"},
					[]string{"arn:aws:iam::11112222333:role/billing-api", "not 12 digits", "aws iam get-role --role-name billing-api",
						"[skip]    default-chain   resolves to AWS_ROLE_ARN/AWS_WEB_IDENTITY_TOKEN_FILE (IRSA)"}
			},
			after: stsNotCalled,
		},
		{
			name:  "aws role in a China region",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodePartitionMismatch},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				// The suggested region is the role's partition's, never cn-north-1.
				return []string{"AWS_REGION=cn-north-1", "AWS_DEFAULT_REGION=cn-north-1"}, []string{"the region cn-north-1 is in partition aws-cn", "partition aws", "AWS_REGION=us-east-1"}
			},
			after: stsNotCalled,
		},
		{
			name:  "aws role for a China cluster's token",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodePartitionMismatch},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				iss := "https://oidc.eks.cn-north-1.amazonaws.com.cn/id/0123456789ABCDEF0123456789ABCDEF"
				tok := st.Issuer.ServiceAccountToken(ststest.TokenOptions{Namespace: "payments", ServiceAccount: "billing-api", Issuer: iss})
				if err := st.WriteToken(tok); err != nil {
					t.Fatal(err)
				}
				return []string{noLocalSig}, []string{"the cluster's issuer " + iss + " is in region cn-north-1 of partition aws-cn"}
			},
			after: stsNotCalled,
		},
		{
			name:  "session name with a space",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeSessionNameInvalid},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				return []string{"AWS_ROLE_SESSION_NAME=billing api"}, []string{`" " is not one of the characters`, "AWS_ROLE_SESSION_NAME=billing-api"}
			},
			after: stsNotCalled,
		},
		{
			name:  "global STS endpoint in an opt-in region",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeSTSGlobalEndpoint},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				// Never reached: the proxy refuses, should the check call out.
				return []string{"AWS_REGION=ap-east-1", "AWS_DEFAULT_REGION=ap-east-1", "AWS_ENDPOINT_URL_STS=https://sts.amazonaws.com",
						"HTTPS_PROXY=http://127.0.0.1:1", "NO_PROXY=127.0.0.1"},
					[]string{"https://sts.amazonaws.com", "ap-east-1 is an opt-in region", "AWS_ENDPOINT_URL_STS- AWS_STS_REGIONAL_ENDPOINTS=regional AWS_REGION=ap-east-1"}
			},
			after: stsNotCalled,
		},
		{
			name:  "STS's clock ahead of the pod's",
			exit:  verdict.ExitOK,
			codes: []finding.Code{finding.CodeClockSkew},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.STS.SetNow(func() time.Time { return time.Now().Add(3 * time.Minute) })
				return nil, []string{"WARNING clock-skew", "behind STS's", "chronyc tracking"}
			},
		},
		{
			name:  "OIDC provider lists the wrong client id",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeOIDCClientIDMismatch},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				p := ststest.ProviderFor(st.Issuer, st.Account)
				p.ClientIDs = []string{"sts.amazon.com"}
				st.STS.AddOIDCProvider(p)
				return nil, []string{"Incorrect token audience", "add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn arn:aws:iam::111122223333:oidc-provider/127.0.0.1:",
					"--client-id sts.amazonaws.com"}
			},
		},
		{
			// The pod sees the mismatch; STS's verdict settles it (this STS,
			// like AWS's documentation, does not compare the two).
			name: "self-managed issuer publishes another issuer",
			exit: verdict.ExitOK,
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.Issuer.SetDiscovery("https://kubernetes.default.svc", "")
				return nil, []string{`names issuer "https://kubernetes.default.svc"`, "STS accepted the token despite oidc-discovery-invalid"}
			},
		},
		{
			name:  "self-managed issuer publishes an http jwks_uri",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeOIDCDiscoveryInvalid},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.Issuer.SetDiscovery("", "http://example.invalid/keys")
				return nil, []string{`jwks_uri "http://example.invalid/keys" is not an https URL`, "Couldn't retrieve verification key"}
			},
		},
		{
			name:  "token file with a log line appended",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeTokenMalformed},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				if err := st.WriteToken(st.Token() + "\ntime=2025-03-01T12:00:00Z level=INFO msg=\"token refreshed\"\n"); err != nil {
					t.Fatal(err)
				}
				return nil, []string{"a JWT followed by 58 more bytes on 1 more line(s): something appended to the token file"}
			},
		},
		{
			name:  "no region",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeRegionMissing},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				return []string{"AWS_REGION=", "AWS_DEFAULT_REGION="}, []string{"AWS_REGION"}
			},
		},
		{
			name:  "token volume not mounted",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeTokenFileMissing},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				p := "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"
				return []string{"AWS_WEB_IDENTITY_TOKEN_FILE=" + p}, []string{p, "aws-iam-token", "skip-containers"}
			},
		},
		{
			name:  "token not readable by the container user",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeTokenFileUnreadable},
			uid:   65532,
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				dir, err := os.MkdirTemp("", "token-")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.RemoveAll(dir) })
				if err := os.Chmod(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				p := filepath.Join(dir, "token")
				if err := os.WriteFile(p, []byte(st.Token()), 0o600); err != nil {
					t.Fatal(err)
				}
				if os.Getuid() != 0 {
					if err := os.Chmod(p, 0); err != nil {
						t.Fatal(err)
					}
				}
				return []string{"AWS_WEB_IDENTITY_TOKEN_FILE=" + p, noLocalSig}, []string{p, "permission denied", "fsGroup"}
			},
		},
		{
			name:  "token with a wrong-typed claim",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeTokenMalformed},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				claims := ststest.ServiceAccountClaims(st.Issuer.URL, ststest.TokenOptions{Namespace: st.Namespace, ServiceAccount: st.ServiceAccount})
				claims["exp"] = "tomorrow"
				if err := st.WriteToken(st.Issuer.Mint(claims)); err != nil {
					t.Fatal(err)
				}
				return nil, []string{`is not a valid JWT: claims: claim "exp" is a JSON string, want a number (NumericDate: seconds since 1970).`,
					`[fail]    token           claim "exp" is a JSON string, want a number`}
			},
			after: stsNotCalled,
		},
		{
			// A NumericDate that is not finite: once clamped into a token
			// that passed with "292 years left".
			name:  "token whose exp is 1e999",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeTokenMalformed},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				claims := ststest.ServiceAccountClaims(st.Issuer.URL, ststest.TokenOptions{Namespace: st.Namespace, ServiceAccount: st.ServiceAccount})
				claims["exp"] = 4102444800
				// No JSON encoder writes 1e999: edit the signed payload (the
				// signature no longer matches, and the claim is read first).
				parts := strings.Split(st.Issuer.Mint(claims), ".")
				payload, err := base64.RawURLEncoding.DecodeString(parts[1])
				if err != nil || !bytes.Contains(payload, []byte(`"exp":4102444800`)) {
					t.Fatalf("payload %s: %v", payload, err)
				}
				parts[1] = base64.RawURLEncoding.EncodeToString(bytes.Replace(payload, []byte(`"exp":4102444800`), []byte(`"exp":1e999`), 1))
				if err := st.WriteToken(strings.Join(parts, ".")); err != nil {
					t.Fatal(err)
				}
				return nil, []string{`is not a valid JWT: claims: claim "exp" is 1e999: not a finite NumericDate.`}
			},
			after: stsNotCalled,
		},
		{
			name:  "not a JWT",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeTokenMalformed},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				if err := st.WriteToken("not-a-token\n"); err != nil {
					t.Fatal(err)
				}
				return nil, []string{"expected 3 dot-separated parts"}
			},
		},
		{
			name:  "legacy secret token",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeTokenLegacy},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				tok := st.Issuer.Mint(map[string]any{"iss": "kubernetes/serviceaccount", "sub": "system:serviceaccount:payments:billing-api",
					"kubernetes.io/serviceaccount/namespace": "payments", "kubernetes.io/serviceaccount/service-account.name": "billing-api"})
				if err := st.WriteToken(tok); err != nil {
					t.Fatal(err)
				}
				return nil, []string{"kubernetes/serviceaccount", "projected"}
			},
		},
		{
			name:  "audience of the kube-api token",
			opts:  ststest.StackOptions{RealEKSIssuer: true},
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeTokenAudienceMismatch},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				realTokenFile(t, st, "wrong-audience.jwt")
				return []string{noLocalSig}, []string{"https://kubernetes.default.svc", "sts.amazonaws.com", "Incorrect token audience",
					"eks.amazonaws.com/audience", "add-client-id-to-open-id-connect-provider", "oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/C0FFEE5EED1BB83AA8D0C5A1E2B3F4A5"}
			},
		},
		{
			name:  "expired token",
			opts:  ststest.StackOptions{RealEKSIssuer: true},
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeTokenExpired},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				realTokenFile(t, st, "expires-10m.jwt")
				return []string{noLocalSig}, []string{"2026-11-22T", "ExpiredTokenException", "80%"}
			},
		},
		{
			name:  "token from the future",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeTokenNotYetValid},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				tok := st.Issuer.ServiceAccountToken(ststest.TokenOptions{Namespace: "payments", ServiceAccount: "billing-api",
					IssuedAt: time.Now().Add(time.Hour)})
				if err := st.WriteToken(tok); err != nil {
					t.Fatal(err)
				}
				return nil, []string{"skew", "chronyc"}
			},
		},
		{
			name:  "token about to expire",
			exit:  verdict.ExitOK,
			codes: []finding.Code{finding.CodeTokenExpiringSoon},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				tok := st.Issuer.ServiceAccountToken(ststest.TokenOptions{Namespace: "payments", ServiceAccount: "billing-api",
					IssuedAt: time.Now().Add(-570 * time.Second), TTL: 600 * time.Second})
				if err := st.WriteToken(tok); err != nil {
					t.Fatal(err)
				}
				return nil, []string{"WARNING token-expiring-soon", "rotated"}
			},
		},
		{
			name:  "wrong serviceAccountName",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeServiceAccountMismatch},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				return []string{"IRSA_PROBE_EXPECT_SERVICE_ACCOUNT=payments:billing-worker"},
					[]string{"system:serviceaccount:payments:billing-api", "payments:billing-worker", `"serviceAccountName":"billing-worker"`}
			},
		},
		{
			name:  "trust policy names another namespace",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeTrustPolicyDenied},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				if err := st.STS.PutRole(st.RoleARN, ststest.TrustPolicyFor("aws", st.Account, st.Issuer.URL, "billing", "billing-api")); err != nil {
					t.Fatal(err)
				}
				hp := strings.TrimPrefix(st.Issuer.URL, "https://")
				return nil, []string{"Not authorized to perform sts:AssumeRoleWithWebIdentity", `"` + hp + `:sub":"system:serviceaccount:payments:billing-api"`,
					`"Federated":"arn:aws:iam::111122223333:oidc-provider/` + hp + `"`, "update-assume-role-policy --role-name billing-api", "request id"}
			},
		},
		{
			name:  "denied by an SCP",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeSTSAccessDenied},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				msg := "User: arn:aws:sts::111122223333:assumed-role/billing-api/x is not authorized to perform: sts:GetCallerIdentity with an explicit deny in a service control policy"
				st.STS.SetFault("GetCallerIdentity", ststest.Fault{Code: "AccessDenied", Message: msg, Status: 403})
				return nil, []string{"explicit deny in a service control policy", "list-policies-for-target"}
			},
		},
		{
			name:  "signing key rotated",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeOIDCDiscoveryInvalid},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				if err := st.Issuer.RotateKey(); err != nil {
					t.Fatal(err)
				}
				return nil, []string{"InvalidIdentityToken", "is not in the issuer's JWKS"}
			},
		},
		{
			name:  "STS rejects a claim",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeSTSInvalidIdentityToken},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.STS.SetFault("AssumeRoleWithWebIdentity", ststest.Fault{Code: "IDPRejectedClaim", Message: "Token rejected by identity provider.", Status: 403})
				return nil, []string{"IDPRejectedClaim", "aws iam list-open-id-connect-providers"}
			},
		},
		{
			name:  "no OIDC provider in the account",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeOIDCProviderMissing},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.STS.RemoveOIDCProvider(st.Account, st.Issuer.URL)
				return nil, []string{st.Issuer.URL, "111122223333", "eksctl utils associate-iam-oidc-provider", "create-open-id-connect-provider --url " + st.Issuer.URL}
			},
		},
		{
			name:  "STS looks up another issuer",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeOIDCIssuerMismatch},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				other := "https://oidc.eks.cn-north-1.amazonaws.com.cn/id/0123456789ABCDEF0123456789ABCDEF"
				st.STS.SetFault("AssumeRoleWithWebIdentity", ststest.Fault{Code: "InvalidIdentityToken", Message: ststest.MsgNoOIDCProvider(other)})
				return nil, []string{other, st.Issuer.URL}
			},
		},
		{
			name:  "thumbprint no longer matches",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeOIDCThumbprintMismatch},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				p := ststest.ProviderFor(st.Issuer, st.Account)
				p.Thumbprints = []string{"9e99a48a9960b14926bb7f3b02e22da2b0ab7280"}
				st.STS.AddOIDCProvider(p)
				return nil, []string{"thumbprint", "update-open-id-connect-provider-thumbprint"}
			},
		},
		{
			name:  "issuer keys not reachable by STS",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeOIDCKeysUnreachable},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.Issuer.SetUnreachable(true)
				return nil, []string{st.Issuer.URL, "/.well-known/openid-configuration", "not checked: issuer not reachable from the pod"}
			},
		},
		{
			name:  "issuer's CA not trusted by the pod, with verification required",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeTLSCertificateUntrusted},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				// STS reaches the issuer; the pod does not trust its CA.
				return []string{"IRSA_PROBE_VERIFY_SIGNATURE=always", "SSL_CERT_FILE=" + filepath.Join(st.Dir, "no-ca")},
					[]string{"This pod does not trust the certificate " + st.Issuer.URL + "/.well-known/openid-configuration presented (unknown-authority)", "[pass]    assume-role"}
			},
		},
		{
			name:  "issuer's answer stalls after its headers, with verification required",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeOIDCKeysUnreachable},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.Issuer.SetDrip(ststest.StallBody)
				return []string{"IRSA_PROBE_VERIFY_SIGNATURE=always"},
					[]string{"issuer not reachable: fetching " + st.Issuer.URL + "/.well-known/openid-configuration: the status line and headers came (HTTP 200), the body did not arrive within 5s"}
			},
		},
		{
			// The pod refuses the JWKS and says why; STS (whose limit is
			// not documented) has the last word, here accepting the keys.
			name: "issuer's JWKS over the cap",
			exit: verdict.ExitOK,
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.Issuer.SetJWKSPadding(2 << 20)
				return nil, []string{"[fail]    signature       the JWKS at " + st.Issuer.URL + "/keys is larger than the 1 MiB cap (more than 1048576 bytes arrived); real ones are a few KiB",
					"STS accepted the token despite oidc-discovery-invalid"}
			},
		},
		{
			name:  "STS behind a TLS-intercepting proxy",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeTLSCertificateUntrusted},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				front := ststest.NewTLSFront(st.STS.URL, ststest.TLSFrontOptions{})
				t.Cleanup(front.Close)
				return []string{"AWS_ENDPOINT_URL_STS=" + front.URL, "HTTPS_PROXY=http://probe:s3cret@127.0.0.1:1"},
					[]string{"ERROR tls-certificate-untrusted: This pod does not trust the certificate " + front.URL + " presented (unknown-authority): no CA this pod trusts signed it",
						`[0] subject "CN=127.0.0.1,O=ststest", issuer "CN=` + front.CAName + `,O=ststest", valid `,
						"proxy:                   none for " + strings.TrimPrefix(front.URL, "https://") + " (HTTPS_PROXY=http://probe:xxxxx@127.0.0.1:1)",
						"[fail]    assume-role     AssumeRoleWithWebIdentity: TLS: no CA this pod trusts signed it",
						"kubectl create configmap aws-ca-bundle --namespace=payments --from-file=ca.pem=ca.pem",
						"kubectl set env deployment/billing-api --namespace=payments AWS_CA_BUNDLE=/etc/aws-ca-bundle/ca.pem"}
			},
		},
		{
			name:  "STS endpoint override malformed",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeSTSEndpointInvalid},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				return []string{"AWS_ENDPOINT_URL_STS=::::"}, []string{`"::::" is not a URL`, "AWS_ENDPOINT_URL_STS=https://sts.us-west-2.amazonaws.com"}
			},
		},
		{
			name:  "STS endpoint override of another scheme",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeSTSEndpointInvalid},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				return []string{"AWS_ENDPOINT_URL_STS=ftp://x"}, []string{`"ftp://x" is not an http or https URL`}
			},
		},
		{
			name:  "STS endpoint redirects",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeSTSEndpointInvalid},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.STS.SetFault("AssumeRoleWithWebIdentity", ststest.Fault{NotAWS: &ststest.NotAWS{Status: 302, Location: "https://login.example.com/"}})
				return nil, []string{`redirects (HTTP 302) to "https://login.example.com/"`}
			},
		},
		{
			name:  "STS endpoint answers 200 with something else",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeSTSEndpointInvalid},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.STS.SetFault("AssumeRoleWithWebIdentity", ststest.Fault{NotAWS: &ststest.NotAWS{Body: "<html>captive portal</html>"}})
				return nil, []string{"answered HTTP 200 with a body that is not STS's answer"}
			},
		},
		{
			name:  "STS endpoint answers 200 without credentials",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeSTSEndpointInvalid},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.STS.SetFault("AssumeRoleWithWebIdentity", ststest.Fault{NotAWS: &ststest.NotAWS{Body: `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`}})
				return nil, []string{"its answer is not one STS gives: ", "response did not contain credentials"}
			},
		},
		{
			name:  "STS endpoint answers GetCallerIdentity without a caller",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeSTSEndpointInvalid},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.STS.SetFault("GetCallerIdentity", ststest.Fault{NotAWS: &ststest.NotAWS{Body: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult></GetCallerIdentityResult></GetCallerIdentityResponse>`}})
				return nil, []string{"answered GetCallerIdentity without an Arn"}
			},
		},
		{
			name:  "STS endpoint answers without end",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeSTSEndpointInvalid},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.STS.SetFault("AssumeRoleWithWebIdentity", ststest.Fault{NotAWS: &ststest.NotAWS{Status: 400, Endless: true}})
				return nil, []string{"larger than 1024 KiB"}
			},
		},
		{
			name:  "STS not activated in the region",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeSTSRegionDisabled},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.STS.SetRegionDisabled(true)
				return nil, []string{"us-west-2", "111122223333", "RegionDisabledException"}
			},
		},
		{
			name:  "credentials rejected by the endpoint",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeSTSInvalidClientToken},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.STS.SetFault("GetCallerIdentity", ststest.Fault{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid.", Status: 403})
				return nil, []string{"InvalidClientTokenId", st.STS.URL}
			},
		},
		{
			name:  "throttled until the deadline",
			exit:  verdict.ExitUndecided,
			codes: []finding.Code{finding.CodeSTSThrottled},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.STS.Throttle("AssumeRoleWithWebIdentity", 0)
				return []string{"IRSA_PROBE_TIMEOUT=2s"}, []string{"Rate exceeded", "UNDECIDED"}
			},
		},
		{
			name:  "STS unreachable",
			exit:  verdict.ExitUndecided,
			codes: []finding.Code{finding.CodeSTSUnreachable},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				return []string{"AWS_ENDPOINT_URL_STS=http://127.0.0.1:1", "IRSA_PROBE_TIMEOUT=2s"}, []string{"http://127.0.0.1:1", "TCP", "connection refused"}
			},
		},
		{
			name:  "STS answer's body stalls",
			exit:  verdict.ExitUndecided,
			codes: []finding.Code{finding.CodeSTSUnreachable},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.STS.SetFault("AssumeRoleWithWebIdentity", ststest.Fault{Drip: ststest.StallBody})
				return []string{"IRSA_PROBE_TIMEOUT=2s"}, []string{st.STS.URL + " did not answer in time: the answer's status line and headers came (HTTP 200), its body did not arrive within 2s.",
					"[unknown] assume-role     AssumeRoleWithWebIdentity: timeout: the answer's status line and headers came (HTTP 200), its body did not arrive within 2s (request id "}
			},
		},
		{
			name:  "STS never answers",
			exit:  verdict.ExitUndecided,
			codes: []finding.Code{finding.CodeSTSUnreachable},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.STS.SetFault("AssumeRoleWithWebIdentity", ststest.Fault{Delay: time.Hour})
				return []string{"IRSA_PROBE_TIMEOUT=2s"}, []string{st.STS.URL + " did not answer in time: no answer (not even its status line) within 2s.",
					"[unknown] assume-role     AssumeRoleWithWebIdentity: timeout: no answer (not even its status line) within 2s"}
			},
		},
		{
			name:  "STS answer's body drips",
			exit:  verdict.ExitUndecided,
			codes: []finding.Code{finding.CodeSTSUnreachable},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.STS.SetFault("GetCallerIdentity", ststest.Fault{Drip: time.Second})
				return []string{"IRSA_PROBE_TIMEOUT=3s"}, []string{"did not answer in time: the answer's status line and headers came (HTTP 200), its body did not arrive within",
					"[unknown] caller-identity GetCallerIdentity: timeout: the answer's status line and headers came (HTTP 200), its body did not arrive within", "[pass]    assume-role"}
			},
		},
		{
			name:  "egress proxy down",
			exit:  verdict.ExitUndecided,
			codes: []finding.Code{finding.CodeSTSUnreachable},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				// The real regional endpoint, reached through a proxy that
				// refuses: the layer and the proxy (not its password) are named.
				return []string{"AWS_ENDPOINT_URL_STS=", "HTTPS_PROXY=http://probe:s3cret@127.0.0.1:1", "IRSA_PROBE_TIMEOUT=2s"},
					[]string{"https://sts.us-west-2.amazonaws.com", "proxy failed", "HTTPS_PROXY=http://probe:xxxxx@127.0.0.1:1"}
			},
		},
		{
			name:  "an STS error outside the catalog",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeSTSError},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				st.STS.SetFault("AssumeRoleWithWebIdentity", ststest.Fault{Code: "PackedPolicyTooLarge", Message: "Packed policy consumes 103% of allotted space"})
				return nil, []string{"PackedPolicyTooLarge", "Packed policy consumes 103% of allotted space"}
			},
		},
		{
			name:  "assumed another role than expected",
			exit:  verdict.ExitBroken,
			codes: []finding.Code{finding.CodeWrongRole},
			setup: func(t *testing.T, st *ststest.Stack) ([]string, []string) {
				return []string{"IRSA_PROBE_EXPECT_ROLE_ARN=arn:aws:iam::111122223333:role/billing-api-prod"},
					[]string{"arn:aws:iam::111122223333:role/billing-api-prod", "assumed-role/billing-api/"}
			},
		},
	}, podIdentityScenarios()...)
}

// TestCheckScenarios runs check once per misconfiguration, against an
// emulated STS configured for it: in this process where that shows what
// the binary would (run), otherwise the built binary as kubelet would.
func TestCheckScenarios(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			st := startStack(t, sc.opts)
			extra, want := sc.setup(t, st)
			termLog := filepath.Join(t.TempDir(), "termination-log")
			if sc.uid != 0 {
				termLog = "" // the other user cannot write the test's directory
			}
			env := runEnv(st, append(extra, "IRSA_PROBE_TERMINATION_LOG="+termLog)...)

			text := run(t, runOpts{env: env, args: []string{"check"}, uid: sc.uid})
			if text.exit != sc.exit {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", text.exit, sc.exit, text.stdout, text.stderr)
			}
			if sc.exit == verdict.ExitUndecided && text.took > 15*time.Second {
				t.Errorf("undecided only after %s; IRSA_PROBE_TIMEOUT is 2s", text.took)
			}
			for _, w := range want {
				if !strings.Contains(text.stdout, w) {
					t.Errorf("text output lacks %q:\n%s", w, text.stdout)
				}
			}
			if strings.Contains(text.stdout, ":  error") {
				t.Errorf("a step line says nothing of what happened:\n%s", text.stdout)
			}
			for _, c := range sc.codes {
				if !strings.Contains(text.stdout, string(c)+":") {
					t.Errorf("text output lacks finding %s", c)
				}
			}

			js := run(t, runOpts{env: append(env, "IRSA_PROBE_OUTPUT=json"), args: []string{"check"}, uid: sc.uid})
			var rep check.Report
			if err := json.Unmarshal([]byte(js.stdout), &rep); err != nil {
				t.Fatalf("json output: %v\n%s", err, js.stdout)
			}
			if js.exit != sc.exit || rep.OK != (sc.exit == verdict.ExitOK) {
				t.Errorf("json run: exit %d ok %v, want exit %d", js.exit, rep.OK, sc.exit)
			}
			assertFindings(t, rep, sc.codes)
			mech, steps := cmp.Or(sc.mech, iam.MechanismIRSA), 7
			if mech == iam.MechanismBoth {
				steps = 8 // and the Pod Identity path beside IRSA
			}
			if rep.Mechanism != mech || len(rep.Checks) != steps || rep.Checks[0].Name != check.StepMechanism {
				t.Errorf("mechanism %q, want %q; want the %d steps recorded, got %+v", rep.Mechanism, mech, steps, rep.Checks)
			}
			if n := strings.Count(strings.TrimSuffix(js.stdout, "\n"), "\n"); n != 0 {
				t.Errorf("--output json printed %d lines; want one object on one line", n+1)
			}
			if sc.after != nil {
				sc.after(t, st)
			}
			if !strings.Contains(text.stdout, "mechanism "+mech) {
				t.Errorf("the verdict line does not name mechanism %s", mech)
			}
			if sc.exit == verdict.ExitOK && (rep.Identity == nil || !strings.Contains(rep.Identity.ARN, "assumed-role/billing-api/")) {
				t.Errorf("identity %+v", rep.Identity)
			}

			if termLog != "" {
				b, err := os.ReadFile(termLog)
				if err != nil {
					t.Fatalf("termination log: %v", err)
				}
				if len(b) > check.MaxTerminationMessage {
					t.Errorf("termination log is %d bytes", len(b))
				}
				if sc.exit != verdict.ExitOK && !strings.Contains(string(b), string(sc.codes[0])) {
					t.Errorf("termination log lacks %s:\n%s", sc.codes[0], b)
				}
				if !strings.Contains(string(b), "mechanism="+mech) {
					t.Errorf("termination log lacks mechanism=%s:\n%s", mech, b)
				}
			}
			outputs := []string{text.stdout, text.stderr, js.stdout, js.stderr}
			if termLog != "" {
				b, _ := os.ReadFile(termLog)
				outputs = append(outputs, string(b))
			}
			assertNoSecrets(t, st, outputs...)
			for _, out := range outputs {
				if strings.Contains(out, "s3cret") {
					t.Error("an output contains the proxy password")
				}
			}
		})
	}
}

func assertFindings(t *testing.T, rep check.Report, codes []finding.Code) {
	t.Helper()
	got := map[finding.Code]bool{}
	for _, f := range rep.Findings {
		got[f.Code] = true
		if f.Message == "" || f.Fix == "" || f.Severity == "" {
			t.Errorf("finding %s lacks message, fix or severity: %+v", f.Code, f)
		}
		if strings.Contains(f.Message+f.Fix, "<no value>") {
			t.Errorf("finding %s renders a missing value: %s\n%s", f.Code, f.Message, f.Fix)
		}
	}
	for _, c := range codes {
		if !got[c] {
			t.Errorf("finding %s not reported; got %v", c, rep.Findings)
		}
	}
	if got[finding.CodeNodeRoleFallback] && !slices.Contains(codes, finding.CodeNodeRoleFallback) {
		// The IRSA role itself is never a fallback.
		t.Errorf("node-role-fallback reported besides %v", codes)
	}
	if len(codes) == 0 && len(rep.Findings) != 0 {
		t.Errorf("want no findings, got %+v", rep.Findings)
	}
}

// assertNoSecrets: no output may contain the token (or a part of it) or any
// secret key or session token the emulated STS and IMDS issued.
func assertNoSecrets(t *testing.T, st *ststest.Stack, outputs ...string) {
	t.Helper()
	secrets := st.STS.IssuedSecrets()
	for _, f := range []string{st.TokenFile, st.PodIdentityTokenFile} {
		tok, err := os.ReadFile(f)
		if f == "" || err != nil {
			continue
		}
		for _, part := range strings.Split(strings.TrimSpace(string(tok)), ".") {
			if len(part) > 16 {
				secrets = append(secrets, part)
			}
		}
	}
	for _, out := range outputs {
		for _, s := range secrets {
			if s != "" && strings.Contains(out, s) {
				t.Errorf("output contains a secret (%d chars starting %.4s…)", len(s), s)
			}
		}
	}
}

// TestEveryCodeHasAScenario: the catalog and the scenarios grow together.
func TestEveryCodeHasAScenario(t *testing.T) {
	covered := map[finding.Code]bool{}
	for _, sc := range scenarios() {
		for _, c := range sc.codes {
			covered[c] = true
		}
	}
	for _, c := range append(targetScenarioCodes(), lifetimeScenarioCodes()...) { // target_test.go, target_tokenmount_test.go
		covered[c] = true
	}
	for _, e := range finding.Catalog() {
		if !covered[e.Code] {
			t.Errorf("no scenario reports %s", e.Code)
		}
	}
}

// TestUndecided: while STS cannot be reached, check says so on stderr
// at every retry; at the deadline it exits 3, or 0 with
// IRSA_PROBE_ON_UNDECIDED=pass (or --on-undecided=pass), the report
// still saying UNDECIDED.
func TestUndecided(t *testing.T) {
	st := startStack(t, ststest.StackOptions{})
	env := runEnv(st, "AWS_ENDPOINT_URL_STS=http://127.0.0.1:1", "IRSA_PROBE_TIMEOUT=2s")
	for _, tc := range []struct {
		name  string
		env   []string
		args  []string
		exit  int
		retry bool
	}{
		{"default fails", nil, []string{"check"}, verdict.ExitUndecided, true},
		{"variable passes", []string{"IRSA_PROBE_ON_UNDECIDED=pass"}, []string{"check"}, verdict.ExitOK, true},
		{"flag passes", nil, []string{"check", "--on-undecided=pass"}, verdict.ExitOK, true},
		{"flag wins", []string{"IRSA_PROBE_ON_UNDECIDED=pass"}, []string{"check", "--on-undecided=fail"}, verdict.ExitUndecided, true},
		{"bad value", []string{"IRSA_PROBE_ON_UNDECIDED=maybe"}, []string{"check"}, verdict.ExitUsage, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, runOpts{env: append(slices.Clone(env), tc.env...), args: tc.args})
			if res.exit != tc.exit {
				t.Fatalf("exit %d, want %d\n%s\n%s", res.exit, tc.exit, res.stdout, res.stderr)
			}
			if !tc.retry {
				return
			}
			if !strings.HasPrefix(res.stdout, "irsa-probe: UNDECIDED") {
				t.Errorf("the report does not say UNDECIDED:\n%s", res.stdout)
			}
			lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
			for i, l := range lines {
				want := fmt.Sprintf("irsa-probe: AssumeRoleWithWebIdentity failed (TCP: dial tcp 127.0.0.1:1: connect: connection refused), attempt %d; retrying, ", i+1)
				if !strings.HasPrefix(l, want) || !strings.HasSuffix(l, " of 2s spent") {
					t.Errorf("stderr line %d = %q, want %q… of 2s spent", i+1, l, want)
				}
			}
			if len(lines) < 2 {
				t.Errorf("want a line per retry in 2s of backoff from 250ms, got %d", len(lines))
			}
		})
	}
}
