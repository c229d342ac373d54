package ststest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestDefaultChainFallsBackToNodeRole: with no other credentials, the SDK's
// default chain reaches IMDS and gets the node role, which STS knows.
func TestDefaultChainFallsBackToNodeRole(t *testing.T) {
	st := startStack(t, StackOptions{})
	clearAWSEnv(t)
	t.Setenv("AWS_REGION", DefaultRegion)
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", st.IMDS.URL)
	t.Setenv("AWS_ENDPOINT_URL_STS", st.STS.URL)

	ctx := testContext(t)
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if creds.Source != "EC2RoleProvider" || creds.AccessKeyID != st.IMDS.AccessKeyID() {
		t.Errorf("credentials from %q (%s), want EC2RoleProvider with %s", creds.Source, creds.AccessKeyID, st.IMDS.AccessKeyID())
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if got, want := aws.ToString(id.Arn), "arn:aws:sts::111122223333:assumed-role/eks-node-role/i-0123456789abcdef0"; got != want {
		t.Errorf("Arn = %q, want %q", got, want)
	}
	if st.IMDS.Calls("/latest/api/token") == 0 {
		t.Error("the SDK did not use IMDSv2")
	}

	// After a rotation STS knows the new keys too.
	st.IMDS.RotateCredentials()
	c := stsClient(st.STS.URL, aws.NewCredentialsCache(cfg.Credentials), nil)
	if _, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity with rotated node credentials: %v", err)
	}
}

func TestIMDSClient(t *testing.T) {
	m := NewIMDS("arn:aws:iam::111122223333:role/eks-node-role")
	defer m.Close()
	ctx := testContext(t)
	c := imds.New(imds.Options{Endpoint: m.URL})

	region, err := c.GetRegion(ctx, &imds.GetRegionInput{})
	if err != nil || region.Region != "us-west-2" {
		t.Errorf("GetRegion = %+v, %v", region, err)
	}
	info, err := c.GetIAMInfo(ctx, &imds.GetIAMInfoInput{})
	if err != nil || info.InstanceProfileArn != "arn:aws:iam::111122223333:instance-profile/eks-node-role" {
		t.Errorf("GetIAMInfo = %+v, %v", info, err)
	}
	doc, err := c.GetInstanceIdentityDocument(ctx, &imds.GetInstanceIdentityDocumentInput{})
	if err != nil || doc.AccountID != "111122223333" || doc.InstanceID != DefaultInstanceID {
		t.Errorf("GetInstanceIdentityDocument = %+v, %v", doc, err)
	}
	out, err := c.GetMetadata(ctx, &imds.GetMetadataInput{Path: "iam/security-credentials/eks-node-role"})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Content.Close()
	var creds map[string]string
	if err := json.NewDecoder(out.Content).Decode(&creds); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Code", "LastUpdated", "Type", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"} {
		if creds[k] == "" {
			t.Errorf("credentials document lacks %s: %v", k, creds)
		}
	}
	if creds["Code"] != "Success" || creds["Type"] != "AWS-HMAC" || creds["AccessKeyId"] != m.AccessKeyID() {
		t.Errorf("credentials document = %v", creds)
	}
}

// TestIMDSv2Protocol checks the raw protocol: tokens required, TTL header
// required and echoed.
func TestIMDSv2Protocol(t *testing.T) {
	m := NewIMDS("arn:aws:iam::111122223333:role/eks-node-role")
	defer m.Close()
	do := func(method, path string, header map[string]string) (int, string, http.Header) {
		t.Helper()
		req, err := http.NewRequest(method, m.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	const credsPath = "/latest/meta-data/iam/security-credentials/"

	if code, _, _ := do("GET", credsPath, nil); code != http.StatusUnauthorized {
		t.Errorf("GET without a token: %d, want 401", code)
	}
	if code, _, _ := do("PUT", "/latest/api/token", nil); code != http.StatusBadRequest {
		t.Errorf("PUT without a TTL: %d, want 400", code)
	}
	if code, _, _ := do("PUT", "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "21601"}); code != http.StatusBadRequest {
		t.Errorf("PUT with a TTL over 6h: %d, want 400", code)
	}
	code, token, h := do("PUT", "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "300"})
	if code != http.StatusOK || token == "" || h.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds") != "300" {
		t.Fatalf("PUT token: %d %q %v", code, token, h)
	}
	withToken := map[string]string{"X-aws-ec2-metadata-token": token}
	if code, body, _ := do("GET", credsPath, withToken); code != http.StatusOK || body != "eks-node-role" {
		t.Errorf("role list: %d %q", code, body)
	}
	if code, _, _ := do("GET", credsPath+"other-role", withToken); code != http.StatusNotFound {
		t.Errorf("another role's credentials: %d, want 404", code)
	}
	if code, _, _ := do("GET", credsPath, map[string]string{"X-aws-ec2-metadata-token": "forged"}); code != http.StatusUnauthorized {
		t.Errorf("GET with a forged token: %d, want 401", code)
	}
	m.AllowIMDSv1(true)
	if code, _, _ := do("GET", credsPath, nil); code != http.StatusOK {
		t.Errorf("IMDSv1 GET when allowed: %d", code)
	}
}

func TestIMDSUnreachable(t *testing.T) {
	m := NewIMDS("arn:aws:iam::111122223333:role/eks-node-role")
	defer m.Close()
	m.SetUnreachable(true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := imds.New(imds.Options{Endpoint: m.URL, Retryer: aws.NopRetryer{}})
	if _, err := c.GetRegion(ctx, &imds.GetRegionInput{}); err == nil {
		t.Error("unreachable IMDS answered")
	}
}
