package ststest

import (
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// DefaultAudience is the audience of IRSA tokens and the default client id of
// an IAM OIDC provider.
const DefaultAudience = "sts.amazonaws.com"

// Mint signs claims, whatever they are (expired, missing iss, foreign iss),
// with the issuer's current key. The header is {"alg":"RS256","kid":...},
// exactly what kube-apiserver writes (it sets no typ).
func (iss *Issuer) Mint(claims map[string]any) string {
	iss.mu.Lock()
	key, kid := iss.key, iss.kid
	iss.mu.Unlock()
	return signToken(key, kid, claims)
}

func signToken(key any, kid string, claims map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: jose.RS256,
		Key:       jose.JSONWebKey{Key: key, KeyID: kid},
	}, nil)
	if err != nil {
		panic(fmt.Sprintf("ststest: new signer: %v", err))
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		panic(fmt.Sprintf("ststest: sign token: %v", err))
	}
	return tok
}

// TokenOptions describe a projected service-account token.
type TokenOptions struct {
	Namespace      string // default "default"
	ServiceAccount string // default "default"
	// Pod binds the token to a pod of that name (kubernetes.io.pod); empty
	// means an unbound token (kubectl create token without
	// --bound-object-kind), which has no pod claim.
	Pod       string
	Audiences []string      // default ["sts.amazonaws.com"]
	TTL       time.Duration // default 24h, what EKS's pod identity webhook asks for
	IssuedAt  time.Time     // default now; set it in the past for expired tokens
	Issuer    string        // default the issuer's URL; set it to mint a foreign iss
}

// ServiceAccountToken mints a token with the claims kube-apiserver puts in a
// projected service-account token (see testdata/k8s-tokens):
//
//	{"aud":[...],"exp":...,"iat":...,"iss":...,"jti":"<uuid>",
//	 "kubernetes.io":{"namespace":NS,"pod":{"name":...,"uid":...},
//	                  "serviceaccount":{"name":SA,"uid":...}},
//	 "nbf":...,"sub":"system:serviceaccount:NS:SA"}
func (iss *Issuer) ServiceAccountToken(o TokenOptions) string {
	return iss.Mint(ServiceAccountClaims(iss.URL, o))
}

// ServiceAccountClaims are the claims ServiceAccountToken signs, with
// defaultIssuer as iss unless o.Issuer is set.
func ServiceAccountClaims(defaultIssuer string, o TokenOptions) map[string]any {
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.ServiceAccount == "" {
		o.ServiceAccount = "default"
	}
	if len(o.Audiences) == 0 {
		o.Audiences = []string{DefaultAudience}
	}
	if o.TTL == 0 {
		o.TTL = 24 * time.Hour
	}
	if o.IssuedAt.IsZero() {
		o.IssuedAt = time.Now()
	}
	if o.Issuer == "" {
		o.Issuer = defaultIssuer
	}
	iat := o.IssuedAt.Unix()
	k8s := map[string]any{
		"namespace":      o.Namespace,
		"serviceaccount": map[string]any{"name": o.ServiceAccount, "uid": newRequestID()},
	}
	if o.Pod != "" {
		k8s["pod"] = map[string]any{"name": o.Pod, "uid": newRequestID()}
	}
	return map[string]any{
		"aud":           o.Audiences,
		"exp":           iat + int64(o.TTL/time.Second),
		"iat":           iat,
		"nbf":           iat,
		"iss":           o.Issuer,
		"jti":           newRequestID(),
		"sub":           "system:serviceaccount:" + o.Namespace + ":" + o.ServiceAccount,
		"kubernetes.io": k8s,
	}
}
