package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// TestStandIn runs the plan's command lines through the stand-in against
// ststest's EKS and IAM: what a pasted plan does in the suite.
func TestStandIn(t *testing.T) {
	sts := ststest.NewSTS()
	defer sts.Close()
	iam := ststest.NewIAM(sts)
	defer iam.Close()
	e := ststest.NewEKS()
	defer e.Close()
	e.AddCluster("prod")
	for k, v := range map[string]string{"AWS_ENDPOINT_URL_EKS": e.URL, "AWS_ENDPOINT_URL_IAM": iam.URL, "AWS_REGION": "us-west-2",
		"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_SESSION_TOKEN": "",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": t.TempDir() + "/c", "AWS_SHARED_CREDENTIALS_FILE": t.TempDir() + "/s", "AWS_PROFILE": ""} {
		t.Setenv(k, v)
	}
	role := "arn:aws:iam::111122223333:role/billing-api"
	if err := sts.PutRole(role, ststest.TrustPolicy(ststest.PodIdentityTrustStatements()...)); err != nil {
		t.Fatal(err)
	}
	aws := func(want int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != want {
			t.Fatalf("aws %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out.String(), errb.String())
		}
		return out.String()
	}
	aws(0, "eks", "create-pod-identity-association", "--cluster-name", "prod", "--namespace", "payments", "--service-account", "billing-api", "--role-arn", role)
	aws(254, "eks", "create-pod-identity-association", "--cluster-name", "prod", "--namespace", "payments", "--service-account", "billing-api", "--role-arn", role)
	id := strings.TrimSpace(aws(0, "eks", "list-pod-identity-associations", "--cluster-name", "prod", "--namespace", "payments", "--service-account", "billing-api",
		"--query", "associations[].associationId", "--output", "text", "--region", "us-west-2"))
	if !strings.HasPrefix(id, "a-") {
		t.Fatalf("listed %q", id)
	}
	aws(0, "eks", "delete-pod-identity-association", "--cluster-name", "prod", "--association-id", id)
	if got := aws(0, "eks", "list-pod-identity-associations", "--cluster-name", "prod", "--query", "associations[].associationId", "--output", "text"); got != "" {
		t.Errorf("after delete: %q", got)
	}
	if got := aws(0, "iam", "get-role", "--role-name", "billing-api", "--output", "json"); !strings.Contains(got, `"Service": "pods.eks.amazonaws.com"`) {
		t.Errorf("get-role: %s", got)
	}
	aws(0, "iam", "update-assume-role-policy", "--role-name", "billing-api", "--policy-document", ststest.TrustPolicyFor("aws", "111122223333", "https://127.0.0.1:1/id/X", "payments", "billing-api"))
	if got := aws(0, "iam", "get-role", "--role-name", "billing-api", "--output", "json"); strings.Contains(got, "pods.eks.amazonaws.com") {
		t.Errorf("the update did not replace the policy: %s", got)
	}
	aws(254, "iam", "update-assume-role-policy", "--role-name", "billing-api", "--policy-document", "{")
	aws(254, "iam", "get-role", "--role-name", "nobody", "--output", "json")
	aws(252, "s3", "ls", "--recursive", "x")
}
