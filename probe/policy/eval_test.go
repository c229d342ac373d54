package policy

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

const (
	tHP  = "oidc.eks.us-west-2.amazonaws.com/id/C0FFEE5EED1BB83AA8D0C5A1E2B3F4A5"
	tARN = "arn:aws:iam::111122223333:oidc-provider/" + tHP
	tSub = "system:serviceaccount:payments:billing-api"
)

// stmt is one statement JSON with the given pieces (principal and action
// as JSON values).
func stmt(effect, principal, action, condition string) string {
	s := `{"Effect":"` + effect + `","Principal":` + principal + `,"Action":` + action
	if condition != "" {
		s += `,"Condition":` + condition
	}
	return s + "}"
}

func policyOf(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

// TestSemantics: IAM's evaluation rules, one table row each.
func TestSemantics(t *testing.T) {
	fed := `{"Federated":"` + tARN + `"}`
	web := `"sts:AssumeRoleWithWebIdentity"`
	allow := func(cond string) string { return policyOf(stmt("Allow", fed, web, cond)) }
	sub := func(op, values string) string { return `{"` + op + `":{"` + tHP + `:sub":` + values + `}}` }
	tests := []struct {
		name   string
		policy string
		sub    string // default tSub
		want   Verdict
	}{
		{"StringEquals", allow(sub("StringEquals", `"`+tSub+`"`)), "", Allows},
		{"StringEquals is case-sensitive", allow(sub("StringEquals", `"system:serviceaccount:Payments:billing-api"`)), "", Denies},
		{"StringEqualsIgnoreCase", allow(sub("StringEqualsIgnoreCase", `"SYSTEM:serviceaccount:payments:billing-api"`)), "", Allows},
		{"StringEquals compares * literally", allow(sub("StringEquals", `"system:serviceaccount:payments:*"`)), "", Denies},
		{"StringLike *", allow(sub("StringLike", `"system:serviceaccount:payments:*"`)), "", Allows},
		{"StringLike ?", allow(sub("StringLike", `"system:serviceaccount:payments:billing-ap?"`)), "", Allows},
		{"StringLike ? is one character", allow(sub("StringLike", `"system:serviceaccount:payments:billing-a?"`)), "", Denies},
		{"StringNotEquals another", allow(sub("StringNotEquals", `"system:serviceaccount:payments:default"`)), "", Allows},
		{"StringNotEquals this one", allow(sub("StringNotEquals", `"`+tSub+`"`)), "", Denies},
		{"StringNotLike excludes", allow(sub("StringNotLike", `"*:payments:*"`)), "", Denies},
		{"StringNotLike elsewhere", allow(sub("StringNotLike", `"*:kube-system:*"`)), "", Allows},
		{"several values: any", allow(sub("StringEquals", `["system:serviceaccount:x:y","`+tSub+`"]`)), "", Allows},
		{"several values: none", allow(sub("StringEquals", `["system:serviceaccount:x:y","system:serviceaccount:x:z"]`)), "", Denies},
		{"several keys: all", allow(`{"StringEquals":{"` + tHP + `:sub":"` + tSub + `","` + tHP + `:aud":"other"}}`), "", Denies},
		{"several operators: all", allow(`{"StringLike":{"` + tHP + `:sub":"*"},"StringNotLike":{"` + tHP + `:sub":"*:payments:*"}}`), "", Denies},
		{"condition keys are case-insensitive", allow(`{"StringEquals":{"` + strings.ToUpper(tHP) + `:SUB":"` + tSub + `"}}`), "", Allows},
		{"ForAnyValue:StringLike", allow(sub("ForAnyValue:StringLike", `["*:billing-*"]`)), "", Allows},
		{"ForAllValues:StringEquals, every value", allow(sub("ForAllValues:StringEquals", `["`+tSub+`","x"]`)), "", Allows},
		{"ForAllValues:StringEquals, not every value", allow(sub("ForAllValues:StringEquals", `"x"`)), "", Denies},
		{"ForAllValues on an absent key is true", allow(`{"ForAllValues:StringEquals":{"` + tHP + `:amr":"x"}}`), "", Allows},
		{"ForAnyValue on an absent key is false", allow(`{"ForAnyValue:StringNotEquals":{"` + tHP + `:amr":"x"}}`), "", Denies},
		{"IfExists on an absent key is true", allow(`{"StringEqualsIfExists":{"aws:PrincipalTag/team":"x"}}`), "", Allows},
		{"IfExists on a present key compares", allow(sub("StringEqualsIfExists", `"x"`)), "", Denies},
		{"positive operator on an absent key is false", allow(`{"StringEquals":{"` + tHP + `:amr":"x"}}`), "", Denies},
		{"negated operator on an absent key is true", allow(`{"StringNotEquals":{"` + tHP + `:amr":"x"}}`), "", Allows},
		{"Null true on an absent key", allow(`{"Null":{"` + tHP + `:amr":"true"}}`), "", Allows},
		{"Null true on a present key", allow(`{"Null":{"` + tHP + `:sub":"true"}}`), "", Denies},
		{"ArnLike on an absent key is false", allow(`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}`), "", Denies},
		{"Deny wins over Allow", policyOf(stmt("Allow", fed, web, ""), stmt("Deny", fed, web, sub("StringLike", `"*:payments:*"`))), "", Denies},
		{"Deny that does not apply", policyOf(stmt("Allow", fed, web, ""), stmt("Deny", fed, web, sub("StringLike", `"*:kube-system:*"`))), "", Allows},
		{"second statement allows", policyOf(stmt("Allow", fed, web, sub("StringEquals", `"x"`)), stmt("Allow", fed, web, sub("StringEquals", `"`+tSub+`"`))), "", Allows},
		{"Principal *", policyOf(stmt("Allow", `"*"`, web, "")), "", Allows},
		{"Principal AWS *", policyOf(stmt("Allow", `{"AWS":"*"}`, web, "")), "", Allows},
		{"Principal Federated list", policyOf(stmt("Allow", `{"Federated":["arn:aws:iam::1:oidc-provider/x","`+tARN+`"]}`, web, "")), "", Allows},
		{"Principal of another account", policyOf(stmt("Allow", `{"Federated":"arn:aws:iam::444455556666:oidc-provider/`+tHP+`"}`, web, "")), "", Denies},
		{"Action list", policyOf(stmt("Allow", fed, `["sts:TagSession","sts:AssumeRoleWithWebIdentity"]`, "")), "", Allows},
		{"Action wildcard", policyOf(stmt("Allow", fed, `"sts:Assume*"`, "")), "", Allows},
		{"Action names are case-insensitive", policyOf(stmt("Allow", fed, `"STS:assumerolewithwebidentity"`, "")), "", Allows},
		{"sts:AssumeRole is another action", policyOf(stmt("Allow", fed, `"sts:AssumeRole"`, "")), "", Denies},
		{"NotAction", policyOf(`{"Effect":"Allow","Principal":` + fed + `,"NotAction":"sts:AssumeRole"}`), "", Allows},
		{"single statement object", `{"Version":"2012-10-17","Statement":` + stmt("Allow", fed, web, "") + `}`, "", Allows},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Load([]byte(tt.policy))
			if err != nil {
				t.Fatalf("Load: %v\n%s", err, tt.policy)
			}
			req := Request{Partition: "aws", Account: "111122223333", Issuer: "https://" + tHP, Subject: tSub, Audience: "sts.amazonaws.com"}
			if tt.sub != "" {
				req.Subject = tt.sub
			}
			e := Explain(doc, req)
			if e.Verdict != tt.want {
				t.Errorf("verdict %s, want %s: %+v\n%s", e.Verdict, tt.want, e.Reasons, tt.policy)
			}
			if e.Verdict == Denies && e.Edit != nil {
				// The edit must itself allow.
				d, err := Load([]byte(e.Edit.Policy))
				if err != nil || Explain(d, req).Verdict != Allows {
					t.Errorf("the edit does not allow (%v):\n%s", err, e.Edit.Policy)
				}
			}
		})
	}
}

// TestLoadForms: the same policy in its three forms reads the same, and
// positions refer to the policy text as the user sees it.
func TestLoadForms(t *testing.T) {
	p := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [" + stmt("Allow", `"*"`, `"sts:*"`, "") + "]\n}"
	getRole := `{"Role": {"RoleName": "billing-api", "Arn": "arn:aws:iam::111122223333:role/billing-api", "AssumeRolePolicyDocument": ` + p + `}}`
	for _, tt := range []struct {
		name, in string
		form     Form
	}{
		{"policy", p, FormPolicy},
		{"url-encoded", url.PathEscape(p), FormURLEncoded},
		{"get-role", getRole, FormGetRole},
		{"get-role --query Role", `{"RoleName": "billing-api", "AssumeRolePolicyDocument": ` + p + `}`, FormGetRole},
		{"get-role with the raw encoded string", `{"Role": {"RoleName": "billing-api", "AssumeRolePolicyDocument": "` + url.PathEscape(p) + `"}}`, FormGetRole},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Load([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if doc.Form != tt.form || len(doc.Statements) != 1 || doc.Statements[0].Actions[0].S != "sts:*" {
				t.Errorf("form %s, %d statements", doc.Form, len(doc.Statements))
			}
			if strings.HasPrefix(tt.name, "get-role") && doc.RoleName != "billing-api" {
				t.Errorf("RoleName %q", doc.RoleName)
			}
		})
	}
}

func TestMalformedPositions(t *testing.T) {
	tests := []struct {
		name, in  string
		line, col int
		want      string
	}{
		{"trailing comma", "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\",}\n  ]\n}", 3, 24, "expected a quoted key"},
		{"unterminated", "{\"Version\": \"2012-10-17", 1, 13, "unterminated string"},
		{"Resource", "{\"Statement\": {\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"sts:*\",\n \"Resource\": \"*\"}}", 2, 2, "prohibited field Resource"},
		{"bad effect", `{"Statement": {"Effect": "allow", "Principal": "*", "Action": "sts:*"}}`, 1, 26, "Effect"},
		{"bad version", `{"Version": "2020-01-01", "Statement": []}`, 1, 13, "Version"},
		{"empty", "  ", 1, 1, "empty"},
		{"deep", strings.Repeat("[", 100), 1, 34, "nested"},
		{"object as a condition value", `{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:*", "Condition": {"StringEquals": {"a": {"b": 1}}}}}`, 1, 108, "expected a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load([]byte(tt.in))
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("err = %v, want a *MalformedError", err)
			}
			if me.Line != tt.line || me.Column != tt.col || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %d:%d %v, want %d:%d …%s…", me.Line, me.Column, err, tt.line, tt.col, tt.want)
			}
		})
	}
}

// TestGlob: a * in the pattern is a wildcard even where the string has a
// literal * (once matched as a literal, the wildcard's backtracking was
// lost: "*0" did not match "*00"; found by FuzzGlob).
func TestGlob(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"*0", "*00", true},
		{"a*b", "a*xb", true},
		{"system:serviceaccount:*:web", "system:serviceaccount:*:web", true},
		{"a?c", "a*c", true},
		{"a*c", "abbb", false},
		{"", "", true},
		{"?", "", false},
	} {
		if got := glob(c.pattern, c.s); got != c.want {
			t.Errorf("glob(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}
