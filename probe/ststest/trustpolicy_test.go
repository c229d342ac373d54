package ststest

import (
	"errors"
	"strings"
	"testing"
)

const (
	testHP       = "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	testProvider = "arn:aws:iam::111122223333:oidc-provider/" + testHP
)

// policyWith is a one-statement trust policy for testProvider with the given
// Effect, Action and Condition JSON.
func policyWith(effect, action, condition string) string {
	s := `{"Effect":"` + effect + `","Principal":{"Federated":"` + testProvider + `"},"Action":` + action
	if condition != "" {
		s += `,"Condition":` + condition
	}
	return s + "}"
}

func TestTrustPolicyEvaluation(t *testing.T) {
	const (
		billingSub = "system:serviceaccount:payments:billing-api"
		allow      = `{"StringEquals":{"` + testHP + `:sub":"` + billingSub + `","` + testHP + `:aud":"sts.amazonaws.com"}}`
	)
	stmt := func(effect, condition string) string {
		return policyWith(effect, `"sts:AssumeRoleWithWebIdentity"`, condition)
	}
	doc := func(statements ...string) string {
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
	}
	tests := []struct {
		name      string
		policy    string
		federated string // default testProvider
		sub, aud  string // default billingSub, sts.amazonaws.com
		want      bool
	}{
		{name: "EKS policy, its service account", policy: TrustPolicyFor("aws", "111122223333", "https://"+testHP, "payments", "billing-api"), want: true},
		{name: "EKS policy, another namespace", policy: TrustPolicyFor("aws", "111122223333", "https://"+testHP, "payments", "billing-api"), sub: "system:serviceaccount:orders:billing-api"},
		{name: "EKS policy, another service account", policy: TrustPolicyFor("aws", "111122223333", "https://"+testHP, "payments", "billing-api"), sub: "system:serviceaccount:payments:default"},
		{name: "EKS policy, another cluster's provider", policy: TrustPolicyFor("aws", "111122223333", "https://"+testHP, "payments", "billing-api"), federated: "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/OTHER"},
		{name: "StringEquals", policy: doc(stmt("Allow", allow)), want: true},
		{name: "single statement object", policy: `{"Version":"2012-10-17","Statement":` + stmt("Allow", allow) + `}`, want: true},
		{name: "StringLike namespace wildcard", policy: doc(stmt("Allow", `{"StringLike":{"`+testHP+`:sub":"system:serviceaccount:payments:*"}}`)), want: true},
		{name: "StringLike wrong namespace", policy: doc(stmt("Allow", `{"StringLike":{"`+testHP+`:sub":"system:serviceaccount:payments:*"}}`)), sub: "system:serviceaccount:orders:billing-api"},
		{name: "StringLike ? wildcard", policy: doc(stmt("Allow", `{"StringLike":{"`+testHP+`:sub":"system:serviceaccount:payments:billing-ap?"}}`)), want: true},
		{name: "StringEquals with a wildcard is literal", policy: doc(stmt("Allow", `{"StringEquals":{"`+testHP+`:sub":"system:serviceaccount:payments:*"}}`))},
		{name: "value list, any matches", policy: doc(stmt("Allow", `{"StringEquals":{"`+testHP+`:sub":["system:serviceaccount:x:y","`+billingSub+`"]}}`)), want: true},
		{name: "https:// in the condition key", policy: doc(stmt("Allow", `{"StringEquals":{"https://`+testHP+`:sub":"`+billingSub+`"}}`))},
		{name: "condition keys are case-insensitive", policy: doc(stmt("Allow", `{"StringEquals":{"`+strings.ToUpper(testHP)+`:SUB":"`+billingSub+`"}}`)), want: true},
		{name: "wrong audience in the condition", policy: doc(stmt("Allow", `{"StringEquals":{"`+testHP+`:aud":"sts.amazonaws.com"}}`)), aud: "https://kubernetes.default.svc"},
		{name: "multi-audience token: aud is the matched client id", policy: doc(stmt("Allow", `{"StringEquals":{"`+testHP+`:aud":"sts.amazonaws.com"}}`)), want: true},
		{name: "explicit Deny wins", policy: doc(stmt("Allow", allow), stmt("Deny", `{"StringLike":{"`+testHP+`:sub":"*:payments:*"}}`))},
		{name: "Deny that does not apply", policy: doc(stmt("Allow", allow), stmt("Deny", `{"StringLike":{"`+testHP+`:sub":"*:kube-system:*"}}`)), want: true},
		{name: "no condition", policy: doc(stmt("Allow", "")), want: true},
		{name: "StringNotEquals", policy: doc(stmt("Allow", `{"StringNotEquals":{"`+testHP+`:sub":"system:serviceaccount:payments:default"}}`)), want: true},
		{name: "StringNotLike excludes", policy: doc(stmt("Allow", `{"StringNotLike":{"`+testHP+`:sub":"*:payments:*"}}`))},
		{name: "condition on a key the request lacks", policy: doc(stmt("Allow", `{"StringEquals":{"`+testHP+`:amr":"x"}}`))},
		{name: "IfExists on a key the request lacks", policy: doc(stmt("Allow", `{"StringEqualsIfExists":{"`+testHP+`:amr":"x"}}`)), want: true},
		{name: "negated operator on a key the request lacks", policy: doc(stmt("Allow", `{"StringNotEquals":{"`+testHP+`:amr":"x"}}`)), want: true},
		{name: "Null true on a missing key", policy: doc(stmt("Allow", `{"Null":{"`+testHP+`:amr":"true"}}`)), want: true},
		{name: "Null true on a present key", policy: doc(stmt("Allow", `{"Null":{"`+testHP+`:sub":"true"}}`))},
		{name: "StringEqualsIgnoreCase", policy: doc(stmt("Allow", `{"StringEqualsIgnoreCase":{"`+testHP+`:sub":"SYSTEM:serviceaccount:payments:billing-api"}}`)), want: true},
		{name: "ForAnyValue on a key the request lacks is false", policy: doc(stmt("Allow", `{"ForAnyValue:StringNotEquals":{"`+testHP+`:amr":"x"}}`))},
		{name: "ForAllValues on a key the request lacks is true", policy: doc(stmt("Allow", `{"ForAllValues:StringEquals":{"`+testHP+`:amr":"x"}}`)), want: true},
		{name: "ForAllValues:StringLike, every value matches", policy: doc(stmt("Allow", `{"ForAllValues:StringLike":{"`+testHP+`:sub":["*:payments:*","x"]}}`)), want: true},
		{name: "ForAllValues:StringEquals, a value matches none", policy: doc(stmt("Allow", `{"ForAllValues:StringEquals":{"`+testHP+`:sub":"x"}}`))},
		{name: "StringNotLike on another namespace", policy: doc(stmt("Allow", `{"StringNotLike":{"`+testHP+`:sub":"*:kube-system:*"}}`)), want: true},
		{name: "StringNotEqualsIfExists", policy: doc(stmt("Allow", `{"StringNotEqualsIfExists":{"`+testHP+`:sub":"`+billingSub+`"}}`))},
		{name: "ArnLike on a key the request lacks", policy: doc(stmt("Allow", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}`))},
		{name: "ArnNotLike on a key the request lacks", policy: doc(stmt("Allow", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}`)), want: true},
		{name: "ForAnyValue:StringLike", policy: doc(stmt("Allow", `{"ForAnyValue:StringLike":{"`+testHP+`:sub":"*billing*"}}`)), want: true},
		{name: "sts:* action", policy: doc(policyWith("Allow", `"sts:*"`, allow)), want: true},
		{name: "action list", policy: doc(policyWith("Allow", `["sts:TagSession","sts:AssumeRoleWithWebIdentity"]`, allow)), want: true},
		{name: "action names are case-insensitive", policy: doc(policyWith("Allow", `"STS:assumerolewithwebidentity"`, allow)), want: true},
		{name: "sts:AssumeRole is another action", policy: doc(policyWith("Allow", `"sts:AssumeRole"`, allow))},
		{name: "NotAction", policy: doc(`{"Effect":"Allow","Principal":{"Federated":"` + testProvider + `"},"NotAction":"sts:AssumeRole"}`), want: true},
		{name: "principal *", policy: doc(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRoleWithWebIdentity","Condition":` + allow + `}`), want: true},
		{name: "AWS principal is not the provider", policy: doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRoleWithWebIdentity"}`)},
		{name: "Federated list", policy: doc(`{"Effect":"Allow","Principal":{"Federated":["arn:aws:iam::1:oidc-provider/x","` + testProvider + `"]},"Action":"sts:AssumeRoleWithWebIdentity"}`), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseTrustPolicy(tt.policy)
			if err != nil {
				t.Fatalf("parse: %v\n%s", err, tt.policy)
			}
			req := trustRequest{federated: tt.federated, action: actionAssumeRoleWithWebIdentity, context: map[string][]string{}}
			if req.federated == "" {
				req.federated = testProvider
			}
			sub, aud := tt.sub, tt.aud
			if sub == "" {
				sub = billingSub
			}
			if aud == "" {
				aud = DefaultAudience
			}
			req.context[strings.ToLower(testHP+":sub")] = []string{sub}
			req.context[strings.ToLower(testHP+":aud")] = []string{aud}
			got, why := p.evaluate(req)
			if got != tt.want {
				t.Errorf("allowed = %v (%s), want %v\n%s", got, why, tt.want, tt.policy)
			}
		})
	}
}

func TestTrustPolicyParseErrors(t *testing.T) {
	tests := []struct{ name, policy, want string }{
		{"not JSON", `{"Version":`, "syntax errors"},
		{"unknown element", `{"Version":"2012-10-17","Statement":[],"Foo":1}`, "syntax errors"},
		{"no statements", `{"Version":"2012-10-17","Statement":[]}`, "missing required field Statement"},
		{"bad version", `{"Version":"2020-01-01","Statement":[` + policyWith("Allow", `"sts:*"`, "") + `]}`, "valid version"},
		{"bad effect", `{"Statement":[` + policyWith("allow", `"sts:*"`, "") + `]}`, "invalid effect"},
		{"resource in a trust policy", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:*","Resource":"*"}]}`, "prohibited field Resource"},
		{"no principal", `{"Statement":[{"Effect":"Allow","Action":"sts:*"}]}`, "missing required field Principal"},
		{"no action", `{"Statement":[{"Effect":"Allow","Principal":"*"}]}`, "missing required field Action"},
		{"unknown operator", `{"Statement":[` + policyWith("Allow", `"sts:*"`, `{"StringMatches":{"a":"b"}}`) + `]}`, "unsupported condition operator"},
		{"object as a condition value", `{"Statement":[` + policyWith("Allow", `"sts:*"`, `{"StringEquals":{"a":{"b":"c"}}}`) + `]}`, "syntax errors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseTrustPolicy(tt.policy)
			if !errors.Is(err, ErrMalformedPolicyDocument) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want ErrMalformedPolicyDocument mentioning %q", err, tt.want)
			}
		})
	}
}

func TestPutRoleRejectsBadPolicy(t *testing.T) {
	s := NewSTS()
	defer s.Close()
	if err := s.PutRole("arn:aws:iam::111122223333:role/r", `{"Statement":[`); !errors.Is(err, ErrMalformedPolicyDocument) {
		t.Errorf("PutRole: %v, want ErrMalformedPolicyDocument", err)
	}
	if err := s.PutRole("arn:aws:iam::111122223333:user/u", TrustPolicy()); err == nil {
		t.Error("PutRole accepted a user ARN")
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"*", "", true},
		{"*", "anything", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbb", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"system:serviceaccount:*:billing-api", "system:serviceaccount:payments:billing-api", true},
		{"*:payments:*", "system:serviceaccount:payments:x", true},
		{"**a", "bba", true},
		{"abc", "ABC", false},
		{"a.c", "abc", false}, // regexp metacharacters are literal
		{"a+", "aa", false},
		{"(a|b)", "(a|b)", true},
		{"*", "line\nbreak", true},
		{"a?c", "a\nc", true},
		{"?", "é", true}, // one character, not one byte
		{"??", "é", false},
		{`\d`, "1", false},
		{`\d`, `\d`, true},
	}
	for _, tt := range tests {
		if got := GlobMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("GlobMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestTrustPolicyForIsTheEKSDocument(t *testing.T) {
	got := TrustPolicyFor("aws", "111122223333", "https://"+testHP, "payments", "billing-api")
	for _, want := range []string{
		`"Version": "2012-10-17"`,
		`"Federated": "` + testProvider + `"`,
		`"Action": "sts:AssumeRoleWithWebIdentity"`,
		`"` + testHP + `:aud": "sts.amazonaws.com"`,
		`"` + testHP + `:sub": "system:serviceaccount:payments:billing-api"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("policy lacks %s:\n%s", want, got)
		}
	}
}

// TestTrustPolicyThroughSTS runs policies through the real SDK call: the
// token's sub and the matched aud must reach the policy as IAM's keys.
func TestTrustPolicyThroughSTS(t *testing.T) {
	st := startStack(t, StackOptions{})
	hp := st.Issuer.HostPath()
	provider := OIDCProviderARN("aws", DefaultAccount, st.Issuer.URL)
	stmt := func(effect, condition string) string {
		return `{"Effect":"` + effect + `","Principal":{"Federated":"` + provider + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":` + condition + `}`
	}
	doc := func(statements ...string) string {
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
	}
	nsWide := stmt("Allow", `{"StringLike":{"`+hp+`:sub":"system:serviceaccount:payments:*"},"StringEquals":{"`+hp+`:aud":"sts.amazonaws.com"}}`)
	tests := []struct {
		name      string
		policy    string
		namespace string
		audiences []string
		want      bool
	}{
		{name: "standard policy", policy: TrustPolicyFor("aws", DefaultAccount, st.Issuer.URL, "payments", "billing-api"), want: true},
		{name: "namespace-wide StringLike", policy: doc(nsWide), want: true},
		{name: "namespace-wide StringLike, other namespace", policy: doc(nsWide), namespace: "orders"},
		{name: "https:// in the condition key", policy: doc(stmt("Allow", `{"StringEquals":{"https://`+hp+`:sub":"system:serviceaccount:payments:billing-api"}}`))},
		{name: "Deny wins", policy: doc(nsWide, stmt("Deny", `{"StringEquals":{"`+hp+`:sub":"system:serviceaccount:payments:billing-api"}}`))},
		{name: "multi-audience token", policy: doc(nsWide), audiences: []string{"https://kubernetes.default.svc", "sts.amazonaws.com"}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := st.STS.PutRole(st.RoleARN, tt.policy); err != nil {
				t.Fatal(err)
			}
			ns := tt.namespace
			if ns == "" {
				ns = "payments"
			}
			tok := st.Issuer.ServiceAccountToken(TokenOptions{Namespace: ns, ServiceAccount: "billing-api", Audiences: tt.audiences})
			out, err := assume(testContext(t), st.STS.URL, st.RoleARN, tok)
			if tt.want {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				if got := *out.Audience; got != DefaultAudience {
					t.Errorf("Audience = %q, want the matched client id", got)
				}
				return
			}
			wantAPIError(t, err, st.STS, CodeAccessDenied, MsgAccessDenied, 403)
		})
	}
}

func TestArnMatch(t *testing.T) {
	c := condition{base: "ArnLike"}
	tests := []struct {
		got, want string
		match     bool
	}{
		{"arn:aws:iam::111122223333:role/billing-api", "arn:aws:iam::111122223333:role/billing-*", true},
		{"arn:aws:iam::111122223333:role/billing-api", "arn:aws:iam::*:role/billing-api", true},
		{"arn:aws:iam::111122223333:role/billing-api", "arn:aws:iam::444455556666:role/*", false},
		// * stays inside its component: it does not swallow colons.
		{"arn:aws:iam::111122223333:role/billing-api", "arn:*:role/billing-api", false},
		{"not-an-arn", "*", false},
	}
	for _, tt := range tests {
		if got := c.matchOne(tt.got, tt.want); got != tt.match {
			t.Errorf("ArnLike %q against %q = %v, want %v", tt.got, tt.want, got, tt.match)
		}
	}
}
