package ststest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestStackEnvironIRSA: a default credential chain configured only by
// Environ (what a subprocess gets) assumes the service account's role.
func TestStackEnvironIRSA(t *testing.T) {
	st := startStack(t, StackOptions{})
	clearAWSEnv(t)
	for _, kv := range st.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	ctx := testContext(t)
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if arn := aws.ToString(id.Arn); !strings.HasPrefix(arn, "arn:aws:sts::111122223333:assumed-role/billing-api/") {
		t.Errorf("Arn = %q, want the billing-api role", arn)
	}
	if got := st.STS.Calls("AssumeRoleWithWebIdentity"); got != 1 {
		t.Errorf("AssumeRoleWithWebIdentity calls = %d, want 1", got)
	}
}

func TestStackDefaults(t *testing.T) {
	st := startStack(t, StackOptions{})
	checks := []struct{ name, got, want string }{
		{"RoleARN", st.RoleARN, "arn:aws:iam::111122223333:role/billing-api"},
		{"NodeRoleARN", st.NodeRoleARN, "arn:aws:iam::111122223333:role/eks-node-role"},
		{"IMDS role", st.IMDS.RoleName(), "eks-node-role"},
		{"IMDS identity", st.IMDS.AssumedRoleARN(), "arn:aws:sts::111122223333:assumed-role/eks-node-role/i-0123456789abcdef0"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	for _, f := range []string{st.TokenFile, st.CAFile} {
		if b, err := os.ReadFile(f); err != nil || len(b) == 0 {
			t.Errorf("%s: %v (%d bytes)", f, err, len(b))
		}
	}
	dir := st.Dir
	st.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Close left %s behind: %v", dir, err)
	}
}

// ExampleStart exchanges the pod's projected token for the role's
// credentials, as an IRSA pod's SDK does, and asks STS who it is.
func ExampleStart() {
	st := Start(StackOptions{})
	defer st.Close()

	endpoint := aws.String(st.STS.URL)
	creds := aws.NewCredentialsCache(stscreds.NewWebIdentityRoleProvider(
		sts.New(sts.Options{Region: st.Region, BaseEndpoint: endpoint}),
		st.RoleARN, stscreds.IdentityTokenFile(st.TokenFile),
		func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = "example" },
	))
	client := sts.New(sts.Options{Region: st.Region, BaseEndpoint: endpoint, Credentials: creds})
	id, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(aws.ToString(id.Arn))
	// Output: arn:aws:sts::111122223333:assumed-role/billing-api/example
}

func TestPodEnvSetsEmptyValuesAndNoTerminationLog(t *testing.T) {
	t.Setenv("AWS_PROFILE", "from-the-host")
	env := PodEnv(nil, "AWS_REGION=", "IRSA_PROBE_TIMEOUT=5s")
	has := func(kv string) bool {
		for _, e := range env {
			if e == kv {
				return true
			}
		}
		return false
	}
	for _, kv := range []string{"AWS_REGION=", "IRSA_PROBE_TIMEOUT=5s", "IRSA_PROBE_TERMINATION_LOG="} {
		if !has(kv) {
			t.Errorf("PodEnv lacks %s: %v", kv, env)
		}
	}
	for _, e := range env {
		if strings.HasPrefix(e, "AWS_PROFILE=") {
			t.Errorf("the host's %s leaked into the pod", e)
		}
	}
	if env := PodEnv(nil, "IRSA_PROBE_TERMINATION_LOG=/tmp/x"); !slices.Contains(env, "IRSA_PROBE_TERMINATION_LOG=/tmp/x") || slices.Contains(env, "IRSA_PROBE_TERMINATION_LOG=") {
		t.Errorf("an override must replace the default: %v", env)
	}
}
