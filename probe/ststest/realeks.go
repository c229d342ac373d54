package ststest

import (
	_ "embed" // for the real issuer's JWKS
	"slices"
)

// RealEKSIssuerURL is the issuer of the real projected tokens in
// testdata/k8s-tokens (issued by a kube-apiserver configured with this EKS
// style issuer). It is not reachable, so STS gets its keys from
// RealEKSJWKS instead of fetching them.
const RealEKSIssuerURL = "https://oidc.eks.us-west-2.amazonaws.com/id/C0FFEE5EED1BB83AA8D0C5A1E2B3F4A5"

//go:embed testdata/k8s-tokens/jwks.json
var realEKSJWKS []byte

// RealEKSJWKS is the key set that issuer served: one RS256 key.
func RealEKSJWKS() []byte { return slices.Clone(realEKSJWKS) }

// RealEKSProvider is an OIDC provider in account for the real issuer, with
// its static key set, so the real 10-year tokens verify.
func RealEKSProvider(account string) OIDCProvider {
	return OIDCProvider{Account: account, URL: RealEKSIssuerURL, JWKS: RealEKSJWKS()}
}
