package iam

import (
	"strings"
	"testing"
)

func TestParseRoleARN(t *testing.T) {
	tests := []struct {
		in      string
		want    RoleARN
		wantErr string
	}{
		{in: "arn:aws:iam::111122223333:role/billing-api", want: RoleARN{"aws", "111122223333", "/", "billing-api"}},
		{in: "arn:aws-cn:iam::111122223333:role/team/a/billing", want: RoleARN{"aws-cn", "111122223333", "/team/a/", "billing"}},
		{in: "arn:aws-us-gov:iam::111122223333:role/x+y=z,@.-_", want: RoleARN{"aws-us-gov", "111122223333", "/", "x+y=z,@.-_"}},
		{in: "", wantErr: "colon-separated"},
		{in: "billing-api", wantErr: "colon-separated"},
		{in: "arn:aws:iam::11112222333:role/x", wantErr: "not 12 digits"},
		{in: "arn:aws:iam::1111222233334:role/x", wantErr: "not 12 digits"},
		{in: "arn:aws:iam::abcd22223333:role/x", wantErr: "not 12 digits"},
		{in: "arn:aws:iam::111122223333:user/x", wantErr: "not a role"},
		{in: "arn:aws:sts::111122223333:assumed-role/x/y", wantErr: "service is \"sts\""},
		{in: "arn:aws:iam:us-east-1:111122223333:role/x", wantErr: "no region"},
		{in: "arn:aws-moon:iam::111122223333:role/x", wantErr: "unknown partition"},
		{in: "arn:aws:iam::111122223333:role/", wantErr: "not a valid IAM role name"},
		{in: "arn:aws:iam::111122223333:role/bad name", wantErr: "not a valid IAM role name"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRoleARN(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseRoleARN(%q) error = %v, want containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRoleARN(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseRoleARN(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if got.String() != tt.in {
				t.Fatalf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func TestMatchesCaller(t *testing.T) {
	r, err := ParseRoleARN("arn:aws:iam::111122223333:role/team/billing")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		caller string
		want   bool
	}{
		{"arn:aws:sts::111122223333:assumed-role/billing/botocore-session-1", true},
		{"arn:aws:sts::111122223333:assumed-role/billing/", false},
		{"arn:aws:sts::111122223333:assumed-role/billing-2/s", false},
		{"arn:aws:sts::999922223333:assumed-role/billing/s", false},
		{"arn:aws:sts::111122223333:assumed-role/eks-node-role/i-0abc", false},
		{"arn:aws-cn:sts::111122223333:assumed-role/billing/s", false},
		{"arn:aws:iam::111122223333:user/billing", false},
	}
	for _, tt := range tests {
		if got := r.MatchesCaller(tt.caller); got != tt.want {
			t.Errorf("MatchesCaller(%q) = %v, want %v", tt.caller, got, tt.want)
		}
	}
}

func TestPartitionOfRegion(t *testing.T) {
	tests := map[string]string{
		"us-west-2": "aws", "eu-central-1": "aws", "il-central-1": "aws", "mx-central-1": "aws",
		"cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov", "us-iso-east-1": "aws-iso",
		"us-isob-east-1": "aws-iso-b", "eusc-de-east-1": "aws-eusc",
		"moon-1": "", "": "", "us-west": "",
	}
	for region, want := range tests {
		if got := PartitionOfRegion(region); got != want {
			t.Errorf("PartitionOfRegion(%q) = %q, want %q", region, got, want)
		}
	}
	if got := STSEndpoint("cn-north-1"); got != "https://sts.cn-north-1.amazonaws.com.cn" {
		t.Errorf("STSEndpoint(cn-north-1) = %q", got)
	}
}

func TestIssuerNormalizeAndRegion(t *testing.T) {
	for _, c := range []struct{ in, url, region string }{
		{"", "", ""},
		{"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE", "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE", "us-west-2"},
		{"https://oidc.eks.cn-north-1.amazonaws.com.cn/id/X", "https://oidc.eks.cn-north-1.amazonaws.com.cn/id/X", "cn-north-1"},
		{"https://oidc.eks.eu-west-1.amazonaws.com", "https://oidc.eks.eu-west-1.amazonaws.com", "eu-west-1"},
		{"http://oidc.eks.eu-west-1.amazonaws.com/id/X", "http://oidc.eks.eu-west-1.amazonaws.com/id/X", ""},
		{"https://oidc.eks.eu-west-1.amazonaws.com.evil.example/id/X", "https://oidc.eks.eu-west-1.amazonaws.com.evil.example/id/X", ""},
		{"https://kubernetes.default.svc", "https://kubernetes.default.svc", ""},
	} {
		if got := NormalizeIssuer(c.in); got != c.url {
			t.Errorf("NormalizeIssuer(%q) = %q, want %q", c.in, got, c.url)
		}
		if got := IssuerRegion(c.in); got != c.region {
			t.Errorf("IssuerRegion(%q) = %q, want %q", c.in, got, c.region)
		}
	}
}
