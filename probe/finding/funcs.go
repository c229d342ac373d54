package finding

import (
	"net/url"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/iam"
)

// evidenceFuncs build a value from all the evidence: {{name .}}.
var evidenceFuncs = map[string]func(Evidence) string{
	"oidcProviderARN": func(ev Evidence) string {
		if ev[EvIssuer] == "" {
			return "arn:aws:iam::ACCOUNT_ID:oidc-provider/ISSUER_HOST_PATH"
		}
		return iam.OIDCProviderARN(orDefault(ev[EvPartition], "aws"), orDefault(ev[EvAccount], "ACCOUNT_ID"), ev[EvIssuer])
	},
	"trustPolicy": func(ev Evidence) string {
		return iam.TrustPolicy(iam.TrustPolicyInput{
			Partition: orDefault(ev[EvPartition], "aws"),
			Account:   orDefault(ev[EvAccount], "ACCOUNT_ID"),
			Issuer:    orDefault(ev[EvIssuer], "https://ISSUER_HOST_PATH"),
			Subject:   orDefault(ev[EvSubject], "system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT"),
			Audience:  orDefault(ev[EvExpectedAud], iam.DefaultAudience),
		})
	},
}

// valueFuncs transform one evidence value: {{name .key}}. Each fills a
// placeholder when the value is missing, so a fix always reads as a
// command a person can complete.
var valueFuncs = map[string]func(string) string{
	"roleName": func(arn string) string {
		if r, err := iam.ParseRoleARN(arn); err == nil {
			return r.Name
		}
		return "ROLE_NAME"
	},
	"issuerHost":   func(issuer string) string { return hostOr(issuer, "ISSUER_HOST") },
	"endpointHost": func(endpoint string) string { return hostOr(endpoint, "sts.REGION.amazonaws.com") },
	"stsEndpoint": func(region string) string {
		if region == "" {
			return "https://sts.REGION.amazonaws.com"
		}
		return iam.STSEndpoint(region)
	},
	"saName": func(nsName string) string {
		if _, name, ok := strings.Cut(nsName, ":"); ok {
			return name
		}
		return orDefault(nsName, "SERVICE_ACCOUNT")
	},
}

func hostOr(rawURL, def string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		return u.Hostname()
	}
	return def
}

// orDefault is v, or def when v is empty.
func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
