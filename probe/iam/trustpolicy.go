package iam

import (
	"encoding/json"
	"strings"
)

// DefaultAudience is the audience STS expects in IRSA tokens, and the
// client id of an EKS cluster's IAM OIDC provider.
const DefaultAudience = "sts.amazonaws.com"

// TrustPolicyInput is what a correct IRSA trust policy is built from.
type TrustPolicyInput struct {
	Partition string
	Account   string
	Issuer    string // the token's iss, https://…
	Subject   string // system:serviceaccount:NS:NAME
	Audience  string // default DefaultAudience
	// NamespaceWide trusts every service account in the subject's namespace (StringLike NS:*).
	NamespaceWide bool
}

// NormalizeIssuer is issuer as a URL: a bare host/path (as aws eks
// describe-cluster's issuer is often pasted without it, or as a flag is
// typed) gets https://, the only scheme IAM accepts for an OIDC provider;
// "" stays "".
func NormalizeIssuer(issuer string) string {
	if issuer != "" && !strings.Contains(issuer, "://") {
		return "https://" + issuer
	}
	return issuer
}

// IssuerHostPath is the issuer without its scheme: IAM names OIDC providers
// and condition keys by it, and "https://" in a condition key is a classic mistake.
func IssuerHostPath(issuer string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(issuer, "https://"), "http://")
	return strings.TrimSuffix(s, "/")
}

// OIDCProviderARN is the IAM OIDC provider ARN for issuer in an account.
func OIDCProviderARN(partition, account, issuer string) string {
	return "arn:" + partition + ":iam::" + account + ":oidc-provider/" + IssuerHostPath(issuer)
}

type policyDoc struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Effect    string                       `json:"Effect"`
	Principal map[string]string            `json:"Principal"`
	Action    string                       `json:"Action"`
	Condition map[string]map[string]string `json:"Condition"`
}

// TrustPolicy renders the role trust policy that lets in's service account assume the role.
func TrustPolicy(in TrustPolicyInput) string {
	hp := IssuerHostPath(in.Issuer)
	aud := in.Audience
	if aud == "" {
		aud = DefaultAudience
	}
	cond := map[string]map[string]string{
		"StringEquals": {hp + ":aud": aud, hp + ":sub": in.Subject},
	}
	if in.NamespaceWide {
		// system:serviceaccount:NS:NAME → system:serviceaccount:NS:*
		delete(cond["StringEquals"], hp+":sub")
		cond["StringLike"] = map[string]string{hp + ":sub": in.Subject[:strings.LastIndex(in.Subject, ":")+1] + "*"}
	}
	doc := policyDoc{
		Version: "2012-10-17",
		Statement: []policyStatement{{
			Effect:    "Allow",
			Principal: map[string]string{"Federated": OIDCProviderARN(in.Partition, in.Account, in.Issuer)},
			Action:    "sts:AssumeRoleWithWebIdentity",
			Condition: cond,
		}},
	}
	b, _ := json.MarshalIndent(doc, "", "  ") // cannot fail: maps of strings
	return string(b)
}
