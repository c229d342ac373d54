package check

import (
	"cmp"
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/irsa-probe/irsa-probe/probe/finding"
)

// shadowSources are the credential sources the SDKs' default chains try
// before web identity and container credentials: when one of them
// answers, the pod's own identity is never reached.
var shadowSources = []aws.CredentialSource{
	aws.CredentialSourceCode, aws.CredentialSourceEnvVars, aws.CredentialSourceProfile,
	aws.CredentialSourceSSO, aws.CredentialSourceProcess,
}

// shadowedBy names what wins over the pod's identity in the chain, and
// the variables a fix removes; ok is false when nothing of the kind does.
func shadowedBy(srcs []aws.CredentialSource) (what, vars string, ok bool) {
	if !slices.ContainsFunc(srcs, func(s aws.CredentialSource) bool { return slices.Contains(shadowSources, s) }) {
		return "", "", false
	}
	if slices.Contains(srcs, aws.CredentialSourceEnvVars) {
		names := []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
		if os.Getenv("AWS_SESSION_TOKEN") != "" {
			names = append(names, "AWS_SESSION_TOKEN")
		}
		return strings.Join(names, ", ") + " in the environment", strings.Join(names, " "), true
	}
	profile := cmp.Or(os.Getenv("AWS_PROFILE"), "default")
	files := []string{cmp.Or(os.Getenv("AWS_CONFIG_FILE"), "~/.aws/config"), cmp.Or(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), "~/.aws/credentials")}
	var names []string
	for _, v := range []string{"AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		if os.Getenv(v) != "" {
			names = append(names, v)
		}
	}
	return "the shared config profile " + profile + " (" + strings.Join(files, ", ") + ")", strings.Join(names, " "), true
}

// imdsV1Timeout bounds the IMDSv1 probe: IMDS answers in milliseconds.
const imdsV1Timeout = 2 * time.Second

// observeIMDS says what IMDS did for this pod, once the chain got the
// node role's credentials from it: whether it also answers IMDSv1 (no
// session token, so no hop limit protects pods).
func (r *run) observeIMDS(ctx context.Context) string {
	ep := strings.TrimSuffix(cmp.Or(r.cfg.AWS.IMDSEndpoint, "http://169.254.169.254"), "/")
	ctx, cancel := context.WithTimeout(ctx, imdsV1Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep+"/latest/meta-data/instance-id", nil)
	if err == nil {
		var resp *http.Response
		if resp, err = r.http.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return finding.IMDSv1 + " (GET " + ep + "/latest/meta-data/instance-id without a token answered 200)"
			}
		}
	}
	return finding.IMDSv2 + " (IMDSv1 refused; the PUT for a session token reached IMDS from the pod)"
}
