package cli

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/policy"
	"github.com/irsa-probe/irsa-probe/probe/satoken"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// explainFlags are trust-policy's --explain and the values that stand in
// for the token.
type explainFlags struct {
	file, issuer, subject, namespace, serviceAccount, account, partition string
	podIdentity                                                          bool
	tokenFile, roleARN                                                   string
}

func (e *explainFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&e.file, "explain", "", "")
	fs.StringVar(&e.issuer, "issuer", "", "")
	fs.StringVar(&e.subject, "subject", "", "")
	fs.StringVar(&e.namespace, "namespace", "", "")
	fs.StringVar(&e.serviceAccount, "service-account", "", "")
	fs.StringVar(&e.account, "account", "", "")
	fs.StringVar(&e.partition, "partition", "", "")
	fs.BoolVar(&e.podIdentity, "pod-identity", false, "")
}

// set names one --explain-only flag that was given, or "".
func (e *explainFlags) set() string {
	for _, f := range []struct{ name, v string }{{"issuer", e.issuer}, {"subject", e.subject}, {"namespace", e.namespace},
		{"service-account", e.serviceAccount}, {"account", e.account}, {"partition", e.partition}} {
		if f.v != "" {
			return f.name
		}
	}
	return ""
}

// explain runs `trust-policy --explain`.
func (c *CLI) explain(cfg *config.Config, ex explainFlags) int {
	hint := commandHint(CmdTrustPolicy)
	if ex.file == "" {
		return c.fail(usageErrorf(hint, "--%s is for --explain: say which policy, --explain FILE or --explain - for stdin", ex.set()))
	}
	if ex.subject != "" && (ex.namespace != "" || ex.serviceAccount != "") {
		return c.fail(usageErrorf(hint, "--subject or --namespace with --service-account, not both"))
	}
	if (ex.namespace == "") != (ex.serviceAccount == "") {
		return c.fail(usageErrorf(hint, "--namespace and --service-account go together: the subject is system:serviceaccount:NAMESPACE:NAME"))
	}
	if ex.namespace != "" {
		ex.subject = "system:serviceaccount:" + ex.namespace + ":" + ex.serviceAccount
	}
	if ex.subject != "" {
		if _, _, ok := satoken.ParseSubject(ex.subject); !ok {
			return c.fail(usageErrorf(hint, "--subject=%q: not system:serviceaccount:NAMESPACE:NAME", ex.subject))
		}
	}
	if ex.account != "" && !iam.IsAccountID(ex.account) {
		return c.fail(usageErrorf(hint, "--account=%q: an AWS account id is 12 digits", ex.account))
	}
	if ex.partition != "" && !slices.Contains(iam.PartitionNames(), ex.partition) {
		return c.fail(usageErrorf(hint, "--partition=%q: one of %s", ex.partition, strings.Join(iam.PartitionNames(), ", ")))
	}
	req := policy.Request{PodIdentity: ex.podIdentity, Audience: cfg.Audience, Issuer: ex.issuer, Subject: ex.subject}
	source := "flags"
	if ex.issuer == "" && ex.subject == "" {
		src, err := c.fromToken(cfg, ex, &req)
		if err != nil {
			return c.fail(err)
		}
		source = src
	} else if ex.subject == "" {
		return c.fail(usageErrorf(hint, "--issuer needs the service account too: --subject system:serviceaccount:NS:NAME, or --namespace and --service-account"))
	}
	req.Issuer = iam.NormalizeIssuer(req.Issuer)
	if !req.PodIdentity && req.Issuer == "" {
		return c.fail(usageErrorf(hint, "--issuer is needed for IRSA without a token: aws eks describe-cluster --name CLUSTER --query cluster.identity.oidc.issuer --output text (or --pod-identity)"))
	}

	raw, err := c.readPolicy(ex.file)
	if err != nil {
		return c.fail(err)
	}
	rep := &policy.Report{Request: req, Source: source, RoleName: "ROLE_NAME"}
	doc, err := policy.Load(raw)
	if err != nil {
		rep.Explanation, rep.Input = policy.Malformed(err)
	} else {
		rep.Doc = doc
		if note := rep.Request.FillAccount(doc, ex.account, ex.partition, ex.roleARN, os.Getenv("AWS_ROLE_ARN")); note != "" {
			rep.Source += "; " + note
		}
		rep.RoleName = policy.RoleName(doc, ex.roleARN, cfg.AWS.RoleARN)
		rep.Explanation = policy.Explain(doc, rep.Request)
	}
	if cfg.Output == "json" {
		_, _ = c.Stdout.Write(rep.JSON())
	} else {
		fmt.Fprint(c.Stdout, rep.Text())
	}
	if rep.Explanation.Verdict == policy.Allows {
		return verdict.ExitOK
	}
	return verdict.ExitBroken
}

// fromToken fills req from the pod's token: IRSA's, or Pod Identity's.
// A Pod Identity policy is explained for the pod's service account, so
// with --pod-identity either token names it (an IRSA pod asking whether a
// Pod Identity role would work for it), and without one the downward API
// settings can.
func (c *CLI) fromToken(cfg *config.Config, ex explainFlags, req *policy.Request) (string, error) {
	path := ex.tokenFile
	for _, f := range tokenFiles(cfg, ex.podIdentity) {
		path = cmp.Or(path, f)
	}
	if path == "" && ex.podIdentity && cfg.PodNamespace != "" && cfg.ServiceAccount != "" {
		req.Subject = "system:serviceaccount:" + cfg.PodNamespace + ":" + cfg.ServiceAccount
		return "IRSA_PROBE_POD_NAMESPACE and IRSA_PROBE_SERVICE_ACCOUNT", nil
	}
	if path == "" && ex.podIdentity {
		return "", usageErrorf(commandHint(CmdTrustPolicy), "no token to take the service account from: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE and AWS_WEB_IDENTITY_TOKEN_FILE are not set; name it: --namespace NAMESPACE --service-account NAME")
	}
	if path == "" {
		return "", usageErrorf(commandHint(CmdTrustPolicy), "no token to explain the policy for: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE are not set; pass --token-file, or the values: --issuer and --subject")
	}
	raw, err := satoken.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the token: %w", err)
	}
	tok, err := satoken.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("decoding the token %s: %w", path, err)
	}
	req.FromToken(tok.Issuer, tok.Subject, tok.Audience)
	if ex.podIdentity && path == cfg.AWS.TokenFile && !tok.HasAudience(iam.PodIdentityAudience) {
		return "the IRSA token " + path + " (its service account; Pod Identity would use the same)", nil
	}
	return "the token " + path, nil
}

// tokenFiles are the token files to take the request from, in order: for
// IRSA, IRSA's then Pod Identity's; for Pod Identity, the other way round.
func tokenFiles(cfg *config.Config, podIdentity bool) []string {
	if podIdentity {
		return []string{cfg.AWS.ContainerAuthTokenFile, cfg.AWS.TokenFile}
	}
	return []string{cfg.AWS.TokenFile, cfg.AWS.ContainerAuthTokenFile}
}

// readPolicy reads --explain's file, or stdin for "-".
func (c *CLI) readPolicy(file string) ([]byte, error) {
	if file == "-" {
		if c.Stdin == nil {
			return nil, errors.New("--explain -: no standard input")
		}
		b, err := policy.ReadCapped(c.Stdin)
		if err != nil {
			return nil, fmt.Errorf("reading the policy from stdin: %w", err)
		}
		return b, nil
	}
	b, err := policy.ReadFile(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, usageErrorf(commandHint(CmdTrustPolicy), "--explain %q: no such file (use - to read stdin)", file)
	case err != nil:
		return nil, fmt.Errorf("reading the policy: %w", err)
	}
	return b, nil
}
