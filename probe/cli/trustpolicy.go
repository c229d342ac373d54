package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/irsa-probe/irsa-probe/probe/hint"
	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/satoken"
	"github.com/irsa-probe/irsa-probe/probe/shellcmd"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

var trustPolicyCommand = &command{
	name:    CmdTrustPolicy,
	summary: "print the trust policy this pod's token needs, or explain why a policy denies it",
	about: `Print, from the pod's own token, the IAM trust policy that lets this service
account assume the role: the cluster's OIDC provider as the Federated
principal, sts:AssumeRoleWithWebIdentity, and the token's audience and
subject as StringEquals conditions. The policy goes to stdout, the command
that applies it to stderr.

With --explain FILE (or - for stdin), evaluate the role's existing trust
policy as IAM would instead: the policy JSON, the URL-encoded document the
raw IAM API returns, or the whole output of aws iam get-role. It prints
whether the policy allows or denies, each statement and condition line with
why it does not match, and for a denial the minimal edit of your own policy
(other statements kept byte for byte) with the command that applies it.
The identity is this pod's token, or the values given as flags (for a
workstation). Exit 0: allows; 1: denies or malformed; 2: usage error.`,
	example: `  kubectl exec POD -c irsa-probe -- irsa-probe trust-policy > trust-policy.json
  aws iam update-assume-role-policy --role-name ROLE --policy-document file://trust-policy.json
  aws iam get-role --role-name ROLE --output json | kubectl exec -i POD -c irsa-probe -- irsa-probe trust-policy --explain -
  aws iam get-role --role-name ROLE --output json | irsa-probe trust-policy --explain - --issuer https://oidc.eks.REGION.amazonaws.com/id/ID --subject system:serviceaccount:NS:SA`,
	flags: []flagDoc{
		{name: "namespace-wide", kind: "", desc: "trust every service account of the token's namespace (StringLike NS:*)"},
		{name: "token-file", kind: "string", desc: "token to build the policy for", def: "AWS_WEB_IDENTITY_TOKEN_FILE"},
		{name: "role-arn", kind: "string", desc: "role whose account owns the OIDC provider", def: "AWS_ROLE_ARN"},
		{name: "explain", kind: "string", desc: "trust policy to evaluate: a file, or - for stdin"},
		{name: "issuer", kind: "string", desc: "with --explain: the cluster's OIDC issuer URL instead of the token's"},
		{name: "subject", kind: "string", desc: "with --explain: system:serviceaccount:NS:NAME instead of the token's"},
		{name: "namespace", kind: "string", desc: "with --explain: the service account's namespace (with --service-account)"},
		{name: "service-account", kind: "string", desc: "with --explain: the service account's name (with --namespace)"},
		{name: "account", kind: "string", desc: "with --explain: the role's account", def: "AWS_ROLE_ARN's, get-role's"},
		{name: "partition", kind: "string", desc: "with --explain: the role's partition", def: "the issuer's region's"},
		{name: "pod-identity", kind: "", desc: "EKS Pod Identity (pods.eks.amazonaws.com): print its trust policy and association command; with --explain, evaluate for it"},
	},
	run: runTrustPolicy,
}

func runTrustPolicy(c *CLI, _ context.Context, args []string) int {
	var namespaceWide bool
	var tokenFile, roleARN string
	var ex explainFlags
	cfg, err := c.loadConfig(CmdTrustPolicy, args, func(fs *flag.FlagSet) {
		fs.BoolVar(&namespaceWide, "namespace-wide", false, "")
		fs.StringVar(&tokenFile, "token-file", "", "")
		fs.StringVar(&roleARN, "role-arn", "", "")
		ex.bind(fs)
	})
	if err != nil {
		return c.fail(err)
	}
	if ex.file != "" || ex.set() != "" {
		ex.tokenFile, ex.roleARN = tokenFile, roleARN
		return c.explain(cfg, ex)
	}
	if ex.podIdentity {
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
	c.printCommand("apply it with:", applyTrustPolicyArgv(role.Name), role.Name)
	return verdict.ExitOK
}

// applyTrustPolicyArgv replaces a role's trust policy with trust-policy.json.
func applyTrustPolicyArgv(roleName string) []string {
	return []string{"aws", "iam", "update-assume-role-policy", "--role-name", roleName, "--policy-document", "file://trust-policy.json"}
}

// printCommand writes to stderr what, a prose line, then argv as one
// command line two spaces in, rendered by package shellcmd: nothing a
// shell would read as a # comment, which interactive zsh runs as words.
// operands are argv's values from outside that stand as words of their
// own: one starting with - (read as an option) or that shellcmd refuses
// leaves a prose line saying why instead of the command.
func (c *CLI) printCommand(what string, argv []string, operands ...string) {
	p := hint.Printer{Prog: "irsa-probe", W: c.Stderr}
	p.Lines("hint", what)
	for _, v := range operands {
		if _, err := shellcmd.Operand(v); err != nil {
			p.Lines("hint", "(the command is not printed: "+err.Error()+")")
			return
		}
	}
	line, err := shellcmd.Line(argv...)
	if err != nil {
		p.Lines("hint", "(the command is not printed: "+err.Error()+")")
		return
	}
	fmt.Fprintln(c.Stderr, "  "+line)
}
