package ststest

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestWebIdentityCredentialsThenCallerIdentity(t *testing.T) {
	st := startStack(t, StackOptions{})
	ctx := testContext(t)

	creds := webIdentityCreds(t, st.STS.URL, st.RoleARN, st.Token())
	got, err := creds.Retrieve(ctx)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if !regexp.MustCompile(`^ASIA[A-Z0-9]{16}$`).MatchString(got.AccessKeyID) {
		t.Errorf("AccessKeyID = %q, want ASIA + 16 upper alphanumerics", got.AccessKeyID)
	}
	if len(got.SecretAccessKey) != 40 {
		t.Errorf("SecretAccessKey has %d characters, want 40", len(got.SecretAccessKey))
	}
	if got.AccountID != st.Account {
		t.Errorf("AccountID = %q, want %q", got.AccountID, st.Account)
	}
	if d := time.Until(got.Expires); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("credentials expire in %v, want the default hour", d)
	}

	id, err := callerIdentity(ctx, st.STS.URL, creds)
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	wantARN := "arn:aws:sts::111122223333:assumed-role/billing-api/" + testSessionName
	if aws.ToString(id.Arn) != wantARN {
		t.Errorf("Arn = %q, want %q", aws.ToString(id.Arn), wantARN)
	}
	if aws.ToString(id.Account) != st.Account {
		t.Errorf("Account = %q, want %q", aws.ToString(id.Account), st.Account)
	}
	if !regexp.MustCompile(`^AROA[A-Z0-9]{17}:` + testSessionName + `$`).MatchString(aws.ToString(id.UserId)) {
		t.Errorf("UserId = %q, want AROA...:%s", aws.ToString(id.UserId), testSessionName)
	}
	if got, want := st.STS.Calls("AssumeRoleWithWebIdentity"), 1; got != want {
		t.Errorf("AssumeRoleWithWebIdentity calls = %d, want %d", got, want)
	}
}

func TestAssumeRoleWithWebIdentityOutput(t *testing.T) {
	st := startStack(t, StackOptions{})
	out, err := assume(testContext(t), st.STS.URL, st.RoleARN, st.Token())
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"SubjectFromWebIdentityToken", aws.ToString(out.SubjectFromWebIdentityToken), "system:serviceaccount:payments:billing-api"},
		{"Audience", aws.ToString(out.Audience), "sts.amazonaws.com"},
		{"Provider", aws.ToString(out.Provider), "arn:aws:iam::111122223333:oidc-provider/" + st.Issuer.HostPath()},
		{"AssumedRoleUser.Arn", aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::111122223333:assumed-role/billing-api/" + testSessionName},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

// TestWireFormat checks the raw response against AWS's: content type,
// request id header, namespace and element names.
func TestWireFormat(t *testing.T) {
	st := startStack(t, StackOptions{})
	post := func(form url.Values) (*http.Response, string) {
		t.Helper()
		resp, err := http.PostForm(st.STS.URL, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(body)
	}

	resp, body := post(url.Values{
		"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"},
		"RoleArn": {st.RoleARN}, "RoleSessionName": {"wire"}, "WebIdentityToken": {st.Token()},
	})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/xml" {
		t.Errorf("Content-Type = %q, want text/xml", ct)
	}
	reqID := resp.Header.Get("x-amzn-RequestId")
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(reqID) {
		t.Errorf("x-amzn-RequestId = %q, want a UUID", reqID)
	}
	for _, want := range []string{
		`<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">`,
		"<AssumeRoleWithWebIdentityResult>",
		"<SubjectFromWebIdentityToken>system:serviceaccount:payments:billing-api</SubjectFromWebIdentityToken>",
		"<Audience>sts.amazonaws.com</Audience>",
		"<AssumedRoleId>AROA",
		"<AccessKeyId>ASIA",
		"<Provider>arn:aws:iam::111122223333:oidc-provider/127.0.0.1:",
		"<ResponseMetadata>",
		"<RequestId>" + reqID + "</RequestId>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("response lacks %q:\n%s", want, body)
		}
	}
	var parsed struct {
		Result struct {
			Credentials struct{ Expiration string }
		} `xml:"AssumeRoleWithWebIdentityResult"`
	}
	if err := xml.Unmarshal([]byte(body), &parsed); err != nil {
		t.Fatal(err)
	}
	if _, err := time.Parse(time.RFC3339, parsed.Result.Credentials.Expiration); err != nil ||
		!strings.HasSuffix(parsed.Result.Credentials.Expiration, "Z") {
		t.Errorf("Expiration %q is not RFC 3339 UTC", parsed.Result.Credentials.Expiration)
	}

	resp, body = post(url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}})
	reqID = resp.Header.Get("x-amzn-RequestId")
	want := `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>InvalidAction</Code>
    <Message>Could not find operation AssumeRole for version 2011-06-15</Message>
  </Error>
  <RequestId>` + reqID + `</RequestId>
</ErrorResponse>
`
	if resp.StatusCode != http.StatusBadRequest || body != want {
		t.Errorf("unknown action: status %d, body\n%s\nwant 400 and\n%s", resp.StatusCode, body, want)
	}
	if got := st.STS.Calls("AssumeRole"); got != 1 {
		t.Errorf("Calls(AssumeRole) = %d, want 1", got)
	}
}

func TestDurationSeconds(t *testing.T) {
	st := startStack(t, StackOptions{})
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	st.STS.SetNow(func() time.Time { return now })
	if err := st.STS.SetMaxSessionDuration(st.RoleARN, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	out, err := stsClient(st.STS.URL, nil, nil).AssumeRoleWithWebIdentity(testContext(t), assumeInput(st.RoleARN, st.Issuer.ServiceAccountToken(TokenOptions{
		Namespace: "payments", ServiceAccount: "billing-api", IssuedAt: now,
	}), 5400))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToTime(out.Credentials.Expiration), now.Add(90*time.Minute); !got.Equal(want) {
		t.Errorf("Expiration = %v, want %v", got, want)
	}
}

func TestRequestsRecordDecisions(t *testing.T) {
	st := startStack(t, StackOptions{})
	if _, err := assume(testContext(t), st.STS.URL, st.RoleARN, st.Token()); err != nil {
		t.Fatal(err)
	}
	reqs := st.STS.Requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Action != "AssumeRoleWithWebIdentity" || r.Status != http.StatusOK || r.ErrorCode != "" ||
		r.Params.Get("RoleSessionName") != testSessionName || r.RequestID != st.STS.LastRequestID() {
		t.Errorf("request record = %+v", r)
	}
	if !strings.HasPrefix(r.Note, "allowed by") {
		t.Errorf("Note = %q, want the allowing statement", r.Note)
	}
}
