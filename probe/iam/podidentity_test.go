package iam

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPodIdentityTrustPolicy(t *testing.T) {
	var doc struct {
		Statement []struct {
			Effect    string
			Principal map[string]string
			Action    []string
		}
	}
	if err := json.Unmarshal([]byte(PodIdentityTrustPolicy()), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Statement[0]
	if s.Effect != "Allow" || s.Principal["Service"] != "pods.eks.amazonaws.com" || strings.Join(s.Action, ",") != "sts:AssumeRole,sts:TagSession" {
		t.Errorf("policy %+v", doc)
	}
}

func TestContainerHostAllowed(t *testing.T) {
	for _, c := range []struct {
		scheme, host string
		want         bool
	}{
		{"http", "169.254.170.23", true}, {"http", "fd00:ec2::23", true}, {"http", "169.254.170.2", true},
		{"http", "127.0.0.1", true}, {"http", "::1", true}, {"http", "localhost", true},
		{"http", "10.0.0.1", false}, {"http", "agent.local", false}, {"https", "agent.example.com", true},
	} {
		if got := ContainerHostAllowed(c.scheme, c.host); got != c.want {
			t.Errorf("%s://%s: %v, want %v", c.scheme, c.host, got, c.want)
		}
	}
}

func TestRoleAndClusterFromSession(t *testing.T) {
	arn := "arn:aws:sts::111122223333:assumed-role/billing-api/eks-prod-east-billing-api-7d9f-0f8e2c3a-1b2c-4d5e-8f90-123456789abc"
	role, session, ok := RoleFromCaller(arn)
	if !ok || role.String() != "arn:aws:iam::111122223333:role/billing-api" {
		t.Fatalf("RoleFromCaller: %v %v", role, ok)
	}
	for _, c := range []struct{ session, pod, want string }{
		{session, "billing-api-7d9f8b6c5-x2k4q", "prod-east"},
		{session, "", ""},
		{"irsa-probe-x", "x", ""},
		{"eks-c-other-0f8e2c3a-1b2c-4d5e-8f90-123456789abc", "billing", ""},
	} {
		if got := ClusterFromSession(c.session, c.pod); got != c.want {
			t.Errorf("ClusterFromSession(%q, %q) = %q, want %q", c.session, c.pod, got, c.want)
		}
	}
	if _, _, ok := RoleFromCaller("arn:aws:iam::111122223333:user/x"); ok {
		t.Error("a user ARN is not an assumed role")
	}
}
