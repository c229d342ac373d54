// Command irsa-probe-demo runs the irsa-probe binary against a local
// simulated EKS cluster issuer, STS, node IMDS and Pod Identity agent
// (package probe/ststest):
// one working identity, then the misconfigurations people hit most, each
// with the diagnosis a user would see in kubectl logs. `make demo` runs it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

type step struct {
	title string
	opts  ststest.StackOptions // the world; PodIdentity for an associated service account
	// breakIt changes the world; it returns env changes ("NAME=" unsets).
	breakIt func(st *ststest.Stack) []string
	args    []string
	want    int // expected exit code
}

var steps = []step{
	{
		title: "A pod whose IRSA works",
		want:  0,
	},
	{
		title: "The service account was never annotated: the pod silently runs as the node role",
		breakIt: func(st *ststest.Stack) []string {
			return []string{"AWS_ROLE_ARN=", "AWS_WEB_IDENTITY_TOKEN_FILE=", "AWS_REGION=", "AWS_DEFAULT_REGION=",
				"IRSA_PROBE_POD_NAMESPACE=payments", "IRSA_PROBE_SERVICE_ACCOUNT=billing-api", "IRSA_PROBE_POD_NAME=billing-api-7d9f8b6c5-x2k4q",
				"IRSA_PROBE_EXPECT_ROLE_ARN=" + st.RoleARN}
		},
		want: 1,
	},
	{
		title: "The role's trust policy names another namespace",
		breakIt: func(st *ststest.Stack) []string {
			must(st.STS.PutRole(st.RoleARN, ststest.TrustPolicyFor("aws", st.Account, st.Issuer.URL, "billing", "billing-api")))
			return nil
		},
		want: 1,
	},
	{
		title: "…fixed with the policy `irsa-probe trust-policy` prints",
		breakIt: func(st *ststest.Stack) []string {
			return nil // applied by run() from the binary's own output
		},
		args: []string{"trust-policy"},
		want: 0,
	},
	{
		title: "The trust policy has the subject under the :aud key (as a published tutorial does): explain it, apply the minimal edit",
		args:  []string{"explain"},
		want:  0,
	},
	{
		title: "The cluster's OIDC provider was never created in the account",
		breakIt: func(st *ststest.Stack) []string {
			st.STS.RemoveOIDCProvider(st.Account, st.Issuer.URL)
			return nil
		},
		want: 1,
	},
	{
		title: "STS is unreachable (egress blocked): undecided, exit 3, not 'broken'",
		breakIt: func(st *ststest.Stack) []string {
			return []string{"AWS_ENDPOINT_URL_STS=http://127.0.0.1:1", "IRSA_PROBE_TIMEOUT=2s"}
		},
		want: 3,
	},
	{
		title: "…and the same outage with IRSA_PROBE_ON_UNDECIDED=pass: still UNDECIDED, but exit 0 lets the rollout go on",
		breakIt: func(st *ststest.Stack) []string {
			return []string{"AWS_ENDPOINT_URL_STS=http://127.0.0.1:1", "IRSA_PROBE_TIMEOUT=2s", "IRSA_PROBE_ON_UNDECIDED=pass"}
		},
		want: 0,
	},
	{
		title: "Static keys left in the pod spec win over IRSA in every SDK's chain",
		breakIt: func(st *ststest.Stack) []string {
			return []string{"AWS_ACCESS_KEY_ID=" + st.IMDS.AccessKeyID(), "AWS_SECRET_ACCESS_KEY=left-over-from-a-test", "IRSA_PROBE_POD_TEMPLATE_HASH=7d9f8b6c5"}
		},
		want: 1,
	},
	{
		title: "Not annotated, on a node whose IMDS still answers IMDSv1: any pod reads the node role",
		breakIt: func(st *ststest.Stack) []string {
			st.IMDS.AllowIMDSv1(true)
			return []string{"AWS_ROLE_ARN=", "AWS_WEB_IDENTITY_TOKEN_FILE=", "IRSA_PROBE_POD_NAMESPACE=payments",
				"IRSA_PROBE_SERVICE_ACCOUNT=billing-api", "IRSA_PROBE_POD_NAME=billing-api-7d9f8b6c5-x2k4q", "IRSA_PROBE_EXPECT_ROLE_ARN=" + st.RoleARN}
		},
		want: 1,
	},
	{
		title: "The token's audience is right, but the OIDC provider lists sts.amazon.com as its client id",
		breakIt: func(st *ststest.Stack) []string {
			p := ststest.ProviderFor(st.Issuer, st.Account)
			p.ClientIDs = []string{"sts.amazon.com"}
			st.STS.AddOIDCProvider(p)
			return nil
		},
		want: 1,
	},
	{
		title: "This node's clock is 3 minutes behind STS's: works, with a warning",
		breakIt: func(st *ststest.Stack) []string {
			st.STS.SetNow(func() time.Time { return time.Now().Add(3 * time.Minute) })
			return nil
		},
		want: 0,
	},
	{
		title: "A pod whose EKS Pod Identity works (the agent runs on 127.0.0.1 here, 169.254.170.23 on a node)",
		opts:  ststest.StackOptions{PodIdentity: true},
		want:  0,
	},
	{
		title: "Pod Identity with the IRSA role reused as is: its trust policy does not trust pods.eks.amazonaws.com",
		opts:  ststest.StackOptions{PodIdentity: true},
		breakIt: func(st *ststest.Stack) []string {
			must(st.STS.PutRole(st.RoleARN, ststest.TrustPolicyFor("aws", st.Account, st.Issuer.URL, st.Namespace, st.ServiceAccount)))
			return []string{"IRSA_PROBE_EXPECT_ROLE_ARN=" + st.RoleARN}
		},
		want: 1,
	},
	{
		title: "Pod Identity, but the association was never created (or was deleted)",
		opts:  ststest.StackOptions{PodIdentity: true},
		breakIt: func(st *ststest.Stack) []string {
			st.Agent.Disassociate(st.Namespace, st.ServiceAccount)
			return []string{"IRSA_PROBE_EXPECT_ROLE_ARN=" + st.RoleARN}
		},
		want: 1,
	},
}

func main() {
	binary := flag.String("binary", "bin/irsa-probe", "the irsa-probe binary to run")
	flag.Parse()
	if err := run(*binary, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(binary string, out io.Writer) error {
	failed := 0
	for i, s := range steps {
		st := ststest.Start(s.opts)
		var extra []string
		if s.breakIt != nil {
			extra = s.breakIt(st)
		}
		if len(s.args) > 0 && s.args[0] == "explain" {
			fmt.Fprintf(out, "\n=== %d. %s\n", i+1, s.title)
			err := explainStep(binary, st, out)
			if err != nil {
				st.Close()
				return err
			}
		} else if len(s.args) > 0 && s.args[0] == "trust-policy" {
			// Break the policy, print the fix, apply it, check again.
			must(st.STS.PutRole(st.RoleARN, ststest.TrustPolicyFor("aws", st.Account, st.Issuer.URL, "billing", "billing-api")))
			fmt.Fprintf(out, "\n=== %d. %s\n$ irsa-probe trust-policy\n", i+1, s.title)
			policy, _, err := exec1(binary, env(st, nil), "trust-policy")
			if err != nil {
				st.Close()
				return fmt.Errorf("trust-policy: %w", err)
			}
			fmt.Fprint(out, policy)
			if err := st.STS.PutRole(st.RoleARN, policy); err != nil {
				st.Close()
				return fmt.Errorf("the printed policy does not parse: %w", err)
			}
			fmt.Fprintln(out, "$ aws iam update-assume-role-policy …   (applied to the simulated IAM)")
		} else {
			fmt.Fprintf(out, "\n=== %d. %s\n", i+1, s.title)
		}
		fmt.Fprintln(out, "$ irsa-probe check")
		stdout, code, err := exec1(binary, env(st, extra), "check")
		st.Close()
		if err != nil {
			return err
		}
		fmt.Fprint(out, stdout)
		fmt.Fprintf(out, "(exit %d)\n", code)
		if code != s.want {
			fmt.Fprintf(out, "!!! expected exit %d\n", s.want)
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d step(s) did not end as expected", failed)
	}
	return nil
}

// swappedKeyPolicy is the mistake of a published tutorial: the subject
// under the :aud key. Indented like aws iam get-role prints it.
func swappedKeyPolicy(st *ststest.Stack) string {
	hp := ststest.IssuerHostPath(st.Issuer.URL)
	return `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {
                "Federated": "` + ststest.OIDCProviderARN("aws", st.Account, st.Issuer.URL) + `"
            },
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    "` + hp + `:aud": "system:serviceaccount:` + st.Namespace + `:` + st.ServiceAccount + `"
                }
            }
        }
    ]
}
`
}

// explainStep breaks the policy, shows check's denial, pipes the policy
// into trust-policy --explain (as the fix says), and applies the minimal
// edit it proposes to the simulated IAM; run() then checks again.
func explainStep(binary string, st *ststest.Stack, out io.Writer) error {
	policy := swappedKeyPolicy(st)
	must(st.STS.PutRole(st.RoleARN, policy))
	fmt.Fprintln(out, "$ irsa-probe check")
	stdout, code, err := exec1(binary, env(st, nil), "check")
	if err != nil {
		return err
	}
	fmt.Fprint(out, firstLines(stdout, 5))
	fmt.Fprintf(out, "  …\n(exit %d)\n", code)
	fmt.Fprintln(out, "$ aws iam get-role --role-name billing-api --query Role.AssumeRolePolicyDocument --output json | kubectl exec -i … -c irsa-probe -- irsa-probe trust-policy --explain -")
	text, code, err := execIn(binary, env(st, nil), policy, "trust-policy", "--explain", "-")
	if err != nil {
		return err
	}
	fmt.Fprint(out, text)
	fmt.Fprintf(out, "(exit %d)\n", code)
	js, _, err := execIn(binary, env(st, nil), policy, "trust-policy", "--explain", "-", "--output", "json")
	if err != nil {
		return err
	}
	var rep struct {
		Reasons []struct{ Code string }  `json:"reasons"`
		Edit    *struct{ Policy string } `json:"edit"`
	}
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		return fmt.Errorf("explain --output json: %w", err)
	}
	if len(rep.Reasons) == 0 || rep.Reasons[0].Code != "condition-key-swapped" || rep.Edit == nil {
		return fmt.Errorf("explain did not name the swapped key with an edit: %s", js)
	}
	if err := st.STS.PutRole(st.RoleARN, rep.Edit.Policy); err != nil {
		return fmt.Errorf("the minimal edit does not parse: %w", err)
	}
	fmt.Fprintln(out, "$ aws iam update-assume-role-policy --role-name billing-api --policy-document file://trust-policy.json   (the minimal edit, applied to the simulated IAM)")
	return nil
}

func firstLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	return strings.Join(lines[:min(n, len(lines))], "")
}

// execIn runs the binary with stdin.
func execIn(binary string, env []string, stdin string, args ...string) (string, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stderr = io.Discard
	b, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(b), ee.ExitCode(), nil
	}
	if err != nil {
		return "", 0, fmt.Errorf("running %s: %w", binary, err)
	}
	return string(b), 0, nil
}

// env is a pod's environment wired to the simulated world.
func env(st *ststest.Stack, extra []string) []string {
	return ststest.PodEnv(st, append([]string{"IRSA_PROBE_TERMINATION_LOG=", "IRSA_PROBE_POD_NAME=billing-api-7d9f8b6c5-x2k4q"}, extra...)...)
}

func exec1(binary string, env []string, args ...string) (string, int, error) {
	return execIn(binary, env, "", args...)
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
