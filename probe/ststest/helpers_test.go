package ststest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// testSessionName is the RoleSessionName the tests use.
const testSessionName = "irsa-probe-test"

// startStack starts the default Stack and stops it when the test ends.
func startStack(t *testing.T, o StackOptions) *Stack {
	t.Helper()
	st := Start(o)
	t.Cleanup(st.Close)
	return st
}

// stsClient is a real SDK STS client for endpoint, without retries unless
// retryer says otherwise, so that tests can count calls.
func stsClient(endpoint string, creds aws.CredentialsProvider, retryer aws.Retryer) *sts.Client {
	if creds == nil {
		creds = aws.AnonymousCredentials{}
	}
	if retryer == nil {
		retryer = aws.NopRetryer{}
	}
	return sts.New(sts.Options{
		Region:       DefaultRegion,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  creds,
		Retryer:      retryer,
	})
}

// assume calls AssumeRoleWithWebIdentity directly, as the credential
// provider would, but without its retries.
func assume(ctx context.Context, endpoint, roleARN, token string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	return stsClient(endpoint, nil, nil).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(roleARN),
		RoleSessionName:  aws.String(testSessionName),
		WebIdentityToken: aws.String(token),
	})
}

// webIdentityCreds is what an IRSA pod's SDK does: the web identity provider
// reading a token file, behind the credentials cache.
func webIdentityCreds(t *testing.T, endpoint, roleARN, token string) aws.CredentialsProvider {
	t.Helper()
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	return aws.NewCredentialsCache(stscreds.NewWebIdentityRoleProvider(
		stsClient(endpoint, nil, nil), roleARN, stscreds.IdentityTokenFile(file),
		func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = testSessionName },
	))
}

// callerIdentity calls GetCallerIdentity signed with creds.
func callerIdentity(ctx context.Context, endpoint string, creds aws.CredentialsProvider) (*sts.GetCallerIdentityOutput, error) {
	return stsClient(endpoint, creds, nil).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
}

// wantAPIError checks that err is the AWS error (code, message, HTTP
// status) that STS sent in its last response, request id included.
func wantAPIError(t *testing.T, err error, s *STS, code, message string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("got success, want %s", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error is not a smithy.APIError: %v", err)
	}
	if ae.ErrorCode() != code {
		t.Errorf("ErrorCode() = %q, want %q (%v)", ae.ErrorCode(), code, err)
	}
	if ae.ErrorMessage() != message {
		t.Errorf("ErrorMessage() = %q, want %q", ae.ErrorMessage(), message)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error is not an *awshttp.ResponseError: %v", err)
	}
	if re.HTTPStatusCode() != status {
		t.Errorf("HTTP status = %d, want %d", re.HTTPStatusCode(), status)
	}
	if got, want := re.ServiceRequestID(), s.LastRequestID(); got == "" || got != want {
		t.Errorf("ServiceRequestID() = %q, want STS's last request id %q", got, want)
	}
}

// readTestdata reads a file of testdata/k8s-tokens, trimmed.
func readTestdata(t *testing.T, name string) string {
	t.Helper()
	return strings.TrimSpace(string(RealFile(name)))
}

// testContext is a context that ends with the test, or after a minute.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// clearAWSEnv unsets every AWS_* variable for the test (restored after) and
// points the shared config files at nothing, so the host's settings cannot
// leak into a default credential chain.
func clearAWSEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
}

// assumeInput is an AssumeRoleWithWebIdentity input; durationSeconds 0 leaves
// DurationSeconds out.
func assumeInput(roleARN, token string, durationSeconds int32) *sts.AssumeRoleWithWebIdentityInput {
	in := &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(roleARN),
		RoleSessionName:  aws.String(testSessionName),
		WebIdentityToken: aws.String(token),
	}
	if durationSeconds != 0 {
		in.DurationSeconds = aws.Int32(durationSeconds)
	}
	return in
}
