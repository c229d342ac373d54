package eksapi

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// sdkEnv points the SDK's default chain at static keys and the EKS
// emulator, and away from every file and metadata service of the machine.
func sdkEnv(t *testing.T, url string, keys bool) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_EKS": url, "AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "us-west-2",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_ROLE_ARN": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
		"AWS_PROFILE": "", "AWS_ENDPOINT_URL": "", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
	} {
		t.Setenv(k, v)
	}
	if keys {
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	}
}

func read(t *testing.T, cluster, namespace string) ([]string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := Load(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	as, err := Associations(ctx, cfg, cluster, namespace)
	var out []string
	for _, a := range as {
		out = append(out, a.Namespace+"/"+a.ServiceAccount+"="+a.RoleARN)
	}
	return out, err
}

// TestAssociationsEveryPage: 230 associations come in three pages of 100
// at most, each described for its role; -n's namespace filters on EKS's side.
func TestAssociationsEveryPage(t *testing.T) {
	e := ststest.NewEKS()
	defer e.Close()
	sdkEnv(t, e.URL, true)
	for i := range 230 {
		e.Associate("prod", fmt.Sprintf("ns%d", i%3), fmt.Sprintf("sa%d", i), fmt.Sprintf("arn:aws:iam::111122223333:role/r%d", i))
	}
	got, err := read(t, "prod", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 230 || got[229] != "ns1/sa229=arn:aws:iam::111122223333:role/r229" {
		t.Fatalf("got %d associations, last %q", len(got), got[len(got)-1])
	}
	lists := 0
	for _, c := range e.Calls() {
		if strings.HasSuffix(strings.Split(c, "?")[0], "/pod-identity-associations") {
			lists++
		}
	}
	if lists != 3 {
		t.Errorf("%d list calls, want 3 pages", lists)
	}
	got, err = read(t, "prod", "ns2")
	if err != nil || len(got) != 76 {
		t.Errorf("-n ns2: %d associations, %v", len(got), err)
	}
	if c := e.Calls(); !strings.Contains(strings.Join(c, "\n"), "namespace=ns2") {
		t.Errorf("namespace not passed to EKS: %v", c[len(c)-1])
	}
}

// TestAssociationsThrottled: throttling is retried by the SDK's retryer.
func TestAssociationsThrottled(t *testing.T) {
	e := ststest.NewEKS()
	defer e.Close()
	sdkEnv(t, e.URL, true)
	e.Associate("prod", "payments", "billing-api", "arn:aws:iam::111122223333:role/billing-api")
	e.Throttle(2)
	got, err := read(t, "prod", "")
	if err != nil || len(got) != 1 {
		t.Fatalf("got %v, %v", got, err)
	}
	if n := len(e.Calls()); n != 4 {
		t.Errorf("%d calls, want 2 throttled + list + describe", n)
	}
}

// TestAssociationsFailures: each failure is typed with its fix.
func TestAssociationsFailures(t *testing.T) {
	e := ststest.NewEKS()
	defer e.Close()
	e.AddCluster("prod")
	for _, c := range []struct {
		name, cluster, kind, text string
		keys                      bool
		setup                     func()
	}{
		{"no cluster", "staging", KindNoCluster, "No cluster found for name: staging.", true, nil},
		{"no credentials", "prod", KindNoCredentials, "failed to refresh cached credentials", false, nil},
		{"denied", "prod", KindDenied, "User: arn:aws:iam::111122223333:user/jane is not authorized to perform: eks:ListPodIdentityAssociations", true,
			func() { e.Deny("arn:aws:iam::111122223333:user/jane") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			sdkEnv(t, e.URL, c.keys)
			if c.setup != nil {
				c.setup()
			}
			_, err := read(t, c.cluster, "")
			var ee *Error
			if !errors.As(err, &ee) || ee.Kind != c.kind || !strings.Contains(err.Error(), c.text) || ee.Fix() == "" {
				t.Errorf("got %v (%+v), want kind %s with %q", err, ee, c.kind, c.text)
			}
		})
	}
}

// TestCluster reads the account from the cluster's ARN and the issuer,
// as DescribeCluster answers them.
func TestCluster(t *testing.T) {
	e := ststest.NewEKS()
	defer e.Close()
	e.Account = "444455556666"
	e.SetIssuer("prod", "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE")
	sdkEnv(t, e.URL, true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := Load(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Cluster(ctx, cfg, "prod")
	if err != nil || c.Account != "444455556666" || c.Issuer != "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE" {
		t.Errorf("Cluster: %+v, %v", c, err)
	}
	_, err = Cluster(ctx, cfg, "staging")
	var ee *Error
	if !errors.As(err, &ee) || ee.Kind != KindNoCluster {
		t.Errorf("a cluster that does not exist: %v", err)
	}
}
