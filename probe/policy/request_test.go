package policy

import "testing"

const (
	reqIssuer   = "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	reqIssuerCN = "https://oidc.eks.cn-north-1.amazonaws.com.cn/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	// plainPolicy trusts account 444455556666's provider; getRole wraps it
	// in get-role's output for role arn:aws:iam::777788889999:role/billing.
	plainPolicy = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"Federated": "arn:aws:iam::444455556666:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"},
  "Action": "sts:AssumeRoleWithWebIdentity"}]}`
	noProviderPolicy = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]}`
)

var getRole = `{"Role": {"RoleName": "billing", "Arn": "arn:aws:iam::777788889999:role/billing", "AssumeRolePolicyDocument": ` + plainPolicy + `}}`

func mustLoad(t *testing.T, s string) *Document {
	t.Helper()
	doc, err := Load([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestFillAccount: flags over role ARNs over get-role's ARN; the
// partition else from the issuer's region; the account else from the
// policy's provider, said in the note; Pod Identity needs no account.
func TestFillAccount(t *testing.T) {
	for _, c := range []struct {
		name               string
		policy             string
		req                Request
		account, partition string
		roleARNs           []string
		wantAccount        string
		wantPartition      string
		wantNote           string
	}{
		{name: "flags win", policy: getRole, req: Request{Issuer: reqIssuer}, account: "111122223333", partition: "aws-us-gov",
			roleARNs: []string{"arn:aws:iam::222233334444:role/x"}, wantAccount: "111122223333", wantPartition: "aws-us-gov"},
		{name: "--role-arn over AWS_ROLE_ARN over get-role", policy: getRole, req: Request{Issuer: reqIssuer},
			roleARNs: []string{"arn:aws:iam::222233334444:role/x", "arn:aws:iam::333344445555:role/y"}, wantAccount: "222233334444", wantPartition: "aws"},
		{name: "an unparsable ARN is skipped", policy: getRole, req: Request{Issuer: reqIssuer},
			roleARNs: []string{"billing", "", "arn:aws-cn:iam::333344445555:role/y"}, wantAccount: "333344445555", wantPartition: "aws-cn"},
		{name: "get-role's ARN", policy: getRole, req: Request{Issuer: reqIssuer}, wantAccount: "777788889999", wantPartition: "aws"},
		{name: "partition from a China issuer, account from the policy", policy: plainPolicy, req: Request{Issuer: reqIssuerCN},
			wantAccount: "444455556666", wantPartition: "aws-cn", wantNote: "account 444455556666 taken from the policy (pass --account to check it)"},
		{name: "a bare issuer's region", policy: plainPolicy, req: Request{Issuer: "oidc.eks.us-gov-west-1.amazonaws.com/id/X"},
			wantAccount: "444455556666", wantPartition: "aws-us-gov", wantNote: "account 444455556666 taken from the policy (pass --account to check it)"},
		{name: "no account anywhere", policy: noProviderPolicy, req: Request{Issuer: "https://kubernetes.default.svc"},
			wantAccount: "ACCOUNT_ID", wantPartition: ""},
		{name: "Pod Identity needs no account", policy: noProviderPolicy, req: Request{PodIdentity: true}, wantAccount: "", wantPartition: ""},
	} {
		r := c.req
		note := r.FillAccount(mustLoad(t, c.policy), c.account, c.partition, c.roleARNs...)
		if r.Account != c.wantAccount || r.Partition != c.wantPartition || note != c.wantNote {
			t.Errorf("%s: account %q partition %q note %q, want %q %q %q", c.name, r.Account, r.Partition, note, c.wantAccount, c.wantPartition, c.wantNote)
		}
	}
}

// TestFromToken: the token's issuer and subject; Pod Identity only when
// its audience is Pod Identity's and not the expected one; a token
// without the expected audience is judged with its own.
func TestFromToken(t *testing.T) {
	sub := "system:serviceaccount:payments:billing-api"
	for _, c := range []struct {
		name         string
		aud          []string
		wantAudience string
		wantPID      bool
	}{
		{"IRSA", []string{"sts.amazonaws.com"}, "sts.amazonaws.com", false},
		{"Pod Identity", []string{"pods.eks.amazonaws.com"}, "sts.amazonaws.com", true},
		{"both audiences: the expected one wins", []string{"pods.eks.amazonaws.com", "sts.amazonaws.com"}, "sts.amazonaws.com", false},
		{"another audience", []string{"vault", "other"}, "vault", false},
		{"none", nil, "sts.amazonaws.com", false},
	} {
		r := Request{Audience: "sts.amazonaws.com"}
		r.FromToken(reqIssuer, sub, c.aud)
		if r.Issuer != reqIssuer || r.Subject != sub || r.Audience != c.wantAudience || r.PodIdentity != c.wantPID {
			t.Errorf("%s: %+v, want audience %q, Pod Identity %v", c.name, r, c.wantAudience, c.wantPID)
		}
	}
}

func TestRoleName(t *testing.T) {
	for _, c := range []struct {
		name, policy string
		roleARNs     []string
		want         string
	}{
		{"get-role's name", getRole, []string{"arn:aws:iam::111122223333:role/other"}, "billing"},
		{"--role-arn's", plainPolicy, []string{"arn:aws:iam::111122223333:role/path/ledger", "arn:aws:iam::111122223333:role/cart"}, "ledger"},
		{"AWS_ROLE_ARN's", plainPolicy, []string{"", "arn:aws:iam::111122223333:role/cart"}, "cart"},
		{"placeholder", plainPolicy, []string{"not-an-arn"}, "ROLE_NAME"},
	} {
		if got := RoleName(mustLoad(t, c.policy), c.roleARNs...); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
