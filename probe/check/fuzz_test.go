package check

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/finding"
)

// cannedDoer answers every request with one status and body.
type cannedDoer struct {
	status int
	body   string
}

func (d cannedDoer) Do(req *http.Request) (*http.Response, error) {
	h := http.Header{"Content-Type": {"text/xml"}, "X-Amzn-Requestid": {"fuzz-request"}}
	resp := &http.Response{StatusCode: d.status, Header: h, Body: io.NopCloser(strings.NewReader(d.body)), Request: req}
	resp.Body = &cappedBody{rc: resp.Body, left: MaxResponseBody}
	return resp, nil
}

// FuzzClassify: whatever an endpoint answers (status and body), the SDK's
// error goes through classify without panicking, to a finding the catalog
// has, rendered with every line its own.
func FuzzClassify(f *testing.F) {
	f.Add(403, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
	f.Add(400, `<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>No OpenIDConnect provider found in your account for https://oidc.eks.us-west-2.amazonaws.com/id/X</Message></Error></ErrorResponse>`)
	f.Add(400, `<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>`)
	f.Add(503, `<html>Service Unavailable</html>`)
	f.Add(302, ``)
	f.Add(200, `<html>captive portal</html>`)
	f.Add(200, `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>`)
	f.Add(400, "<ErrorResponse><Error><Code>X\nERROR forged</Code><Message>\x1b[2J</Message></Error></ErrorResponse>")
	f.Fuzz(func(t *testing.T, status int, body string) {
		if status < 100 || status > 599 {
			return
		}
		client := sts.New(sts.Options{Region: "us-west-2", HTTPClient: cannedDoer{status, body}, Retryer: aws.NopRetryer{},
			Credentials: aws.AnonymousCredentials{}})
		_, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err == nil {
			return
		}
		ce := classify(err, "https://sts.us-west-2.amazonaws.com")
		f := finding.New(ce.finding, ce.ev) // panics on a code the catalog lacks
		for _, line := range strings.Split(f.Message, "\n") {
			if strings.HasPrefix(line, "ERROR") {
				t.Fatalf("the answer forged a line: %q", f.Message)
			}
		}
	})
}

// FuzzAgentAnswer: whatever the Pod Identity agent (or what answers in its
// place) says, the answer maps to a finding the catalog has, rendered with
// every line its own.
func FuzzAgentAnswer(f *testing.F) {
	f.Add(400, "Service account token cannot be empty\n")
	f.Add(400, "Service account token failed basic claim validations: token is expired\n")
	f.Add(403, "Access Denied. Called agent through invalid address, please use either [169.254.170.23 fd00:ec2::23] address not 10.0.0.1\n")
	f.Add(400, "[d1b2c3]: (AccessDeniedException): EKS does not have permissions to assume the associated role., fault: client\n")
	f.Add(404, "[x]: (ResourceNotFoundException): No Pod Identity Association found., fault: client\n")
	f.Add(429, "Too Many Requests\n")
	f.Add(500, "operation error EKS Auth: AssumeRoleForPodIdentity, exceeded maximum number of attempts\n")
	f.Add(502, "<html>\nERROR forged\n</html>")
	f.Fuzz(func(t *testing.T, status int, body string) {
		if status < 100 || status > 599 || status == 200 {
			return
		}
		r := newRun(&Checker{cfg: &config.Config{}}, &Report{})
		ce := r.classifyAgentAnswer(status, body)
		got := finding.New(ce.finding, ce.ev) // panics on a code the catalog lacks
		if strings.Contains(got.Message, "\n") {
			t.Fatalf("the answer added a line to the message: %q", got.Message)
		}
	})
}
