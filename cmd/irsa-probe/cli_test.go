package main

import (
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// The usage texts and every usage error are golden transcripts
// (transcript_test.go).

func TestHelpListsEverySetting(t *testing.T) {
	res := run(t, runOpts{env: runEnv(nil), args: []string{"--help"}})
	for _, name := range config.EnvNames() {
		if !strings.Contains(res.stdout, name) {
			t.Errorf("--help does not list %s", name)
		}
	}
}

// TestTrustPolicyIsAccepted: the policy `irsa-probe trust-policy` prints
// from the pod's token is one STS accepts, exact and namespace-wide.
func TestTrustPolicyIsAccepted(t *testing.T) {
	for _, args := range [][]string{{"trust-policy"}, {"trust-policy", "--namespace-wide"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			st := startStack(t, ststest.StackOptions{})
			if err := st.STS.PutRole(st.RoleARN, ststest.TrustPolicyFor("aws", st.Account, st.Issuer.URL, "billing", "billing-api")); err != nil {
				t.Fatal(err)
			}
			env := runEnv(st, "IRSA_PROBE_TERMINATION_LOG=")
			if res := run(t, runOpts{env: env, args: []string{"check"}}); res.exit != verdict.ExitBroken {
				t.Fatalf("broken policy: exit %d\n%s", res.exit, res.stdout)
			}
			pol := run(t, runOpts{env: env, args: args})
			if pol.exit != 0 || !strings.Contains(pol.stderr, "update-assume-role-policy --role-name billing-api") {
				t.Fatalf("trust-policy: exit %d\n%s\n%s", pol.exit, pol.stdout, pol.stderr)
			}
			if wide := len(args) > 1; wide != strings.Contains(pol.stdout, `"system:serviceaccount:payments:*"`) {
				t.Errorf("namespace-wide=%v, policy:\n%s", wide, pol.stdout)
			}
			if err := st.STS.PutRole(st.RoleARN, pol.stdout); err != nil {
				t.Fatalf("STS rejects the printed policy: %v\n%s", err, pol.stdout)
			}
			if res := run(t, runOpts{env: env, args: []string{"check"}}); res.exit != verdict.ExitOK {
				t.Fatalf("with the printed policy: exit %d\n%s", res.exit, res.stdout)
			}
			assertNoSecrets(t, st, pol.stdout, pol.stderr)
		})
	}
}

func TestTrustPolicyNeedsAToken(t *testing.T) {
	res := run(t, runOpts{env: runEnv(nil, "AWS_ROLE_ARN=arn:aws:iam::111122223333:role/x"), args: []string{"trust-policy"}})
	if res.exit != verdict.ExitUsage || !strings.Contains(res.stderr, "AWS_WEB_IDENTITY_TOKEN_FILE") {
		t.Errorf("exit %d: %s", res.exit, res.stderr)
	}
}
