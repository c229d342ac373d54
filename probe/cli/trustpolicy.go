package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/satoken"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

var trustPolicyCommand = &command{
	name:    CmdTrustPolicy,
	summary: "print the trust policy this pod's token needs",
	about: `Print, from the pod's own token, the IAM trust policy that lets this service
account assume the role: the cluster's OIDC provider as the Federated
principal, sts:AssumeRoleWithWebIdentity, and the token's audience and
subject as StringEquals conditions. The policy goes to stdout, the command
that applies it to stderr.`,
	example: `  kubectl exec POD -c irsa-probe -- irsa-probe trust-policy > trust-policy.json
  aws iam update-assume-role-policy --role-name ROLE --policy-document file://trust-policy.json`,
	flags: []flagDoc{
		{name: "namespace-wide", kind: "", desc: "trust every service account of the token's namespace (StringLike NS:*)"},
		{name: "pod-identity", kind: "", desc: "print EKS Pod Identity's trust policy and association command instead"},
		{name: "token-file", kind: "string", desc: "token to build the policy for", def: "AWS_WEB_IDENTITY_TOKEN_FILE"},
		{name: "role-arn", kind: "string", desc: "role whose account owns the OIDC provider", def: "AWS_ROLE_ARN"},
	},
	run: runTrustPolicy,
}

func runTrustPolicy(c *CLI, _ context.Context, args []string) int {
	var namespaceWide, podIdentity bool
	var tokenFile, roleARN string
	cfg, err := c.loadConfig(CmdTrustPolicy, args, func(fs *flag.FlagSet) {
		fs.BoolVar(&namespaceWide, "namespace-wide", false, "")
		fs.BoolVar(&podIdentity, "pod-identity", false, "")
		fs.StringVar(&tokenFile, "token-file", "", "")
		fs.StringVar(&roleARN, "role-arn", "", "")
	})
	if err != nil {
		return c.fail(err)
	}
	if podIdentity {
		return printPodIdentityTrust(c, cfg, roleARN)
	}
	if tokenFile == "" {
		tokenFile = cfg.AWS.TokenFile
	}
	if roleARN == "" {
		roleARN, _, _ = cfg.ExpectedRole()
	}
	if tokenFile == "" {
		return c.fail(usageErrorf(commandHint(CmdTrustPolicy), "AWS_WEB_IDENTITY_TOKEN_FILE is not set: pass --token-file; the policy is built from the token's issuer and subject"))
	}
	role, err := iam.ParseRoleARN(roleARN)
	if err != nil {
		return c.fail(usageErrorf(commandHint(CmdTrustPolicy), "AWS_ROLE_ARN=%q: needed (or --role-arn) for the account and partition: %v", roleARN, err))
	}
	raw, err := satoken.ReadFile(tokenFile)
	if err != nil {
		return c.fail(fmt.Errorf("reading the token: %w", err))
	}
	tok, err := satoken.Parse(raw)
	if err != nil {
		return c.fail(fmt.Errorf("decoding the token: %w", err))
	}
	if tok.Legacy {
		return c.fail(fmt.Errorf("the token cannot be trusted through IRSA: it is a legacy service-account token"))
	}
	if p := tok.StructuralProblem(); p != "" {
		return c.fail(fmt.Errorf("the token cannot be trusted through IRSA: %s", p))
	}
	fmt.Fprintln(c.Stdout, iam.TrustPolicy(iam.TrustPolicyInput{
		Partition: role.Partition, Account: role.Account, Issuer: tok.Issuer, Subject: tok.Subject,
		Audience: cfg.Audience, NamespaceWide: namespaceWide,
	}))
	fmt.Fprintf(c.Stderr, "# apply with:\n#   aws iam update-assume-role-policy --role-name %s --policy-document file://trust-policy.json\n", role.Name)
	return verdict.ExitOK
}
