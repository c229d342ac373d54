package ststest

import (
	"embed"
	"fmt"
	"slices"
)

// RealEKSIssuerURL is the issuer of the real projected tokens in
// testdata/k8s-tokens (issued by a kube-apiserver configured with this EKS
// style issuer). It is not reachable, so STS gets its keys from
// RealEKSJWKS instead of fetching them.
const RealEKSIssuerURL = "https://oidc.eks.us-west-2.amazonaws.com/id/C0FFEE5EED1BB83AA8D0C5A1E2B3F4A5"

// The real tokens, by file name (see testdata/k8s-tokens/README.md).
const (
	TokenValidIRSA     = "valid-irsa.jwt"                   // sts.amazonaws.com, bound to a pod, 10 years
	TokenWrongAudience = "wrong-audience.jwt"               // https://kubernetes.default.svc
	TokenPodIdentity   = "pod-identity.jwt"                 // pods.eks.amazonaws.com
	TokenMultiAudience = "multi-audience.jwt"               // sts.amazonaws.com and the API server's
	TokenOtherSA       = "other-serviceaccount-unbound.jwt" // payments:default-ish, no pod claim
	TokenExpires10m    = "expires-10m.jwt"                  // lived 600 s: long expired
)

// realTokens is the one copy of the fixtures in the repository: every
// package's tests read them through RealFile.
//
//go:embed testdata/k8s-tokens
var realTokens embed.FS

// RealFile returns a file of testdata/k8s-tokens as issued: a token
// (Token* names, with its trailing newline), jwks.json or
// openid-configuration.json. It panics on a name that is not there, a bug
// in the calling test.
func RealFile(name string) []byte {
	b, err := realTokens.ReadFile("testdata/k8s-tokens/" + name)
	if err != nil {
		panic(fmt.Sprintf("ststest: no fixture %q: %v", name, err))
	}
	return b
}

// RealEKSJWKS is the key set that issuer served: one RS256 key.
func RealEKSJWKS() []byte { return slices.Clone(RealFile("jwks.json")) }

// RealEKSProvider is an OIDC provider in account for the real issuer, with
// its static key set, so the real 10-year tokens verify.
func RealEKSProvider(account string) OIDCProvider {
	return OIDCProvider{Account: account, URL: RealEKSIssuerURL, JWKS: RealEKSJWKS()}
}
