package main

import (
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		env    []string
		exit   int
		stdout string
		stderr string
	}{
		{"no command", nil, nil, probe.ExitUsage, "", "Usage:"},
		{"unknown command", []string{"chek"}, nil, probe.ExitUsage, "", `command="chek"`},
		{"bad flag", []string{"check", "--outptu", "json"}, nil, probe.ExitUsage, "", "outptu"},
		{"stray argument", []string{"check", "now"}, nil, probe.ExitUsage, "", "takes no arguments"},
		{"bad flag value", []string{"check", "--output", "yaml"}, nil, probe.ExitUsage, "", `IRSA_PROBE_OUTPUT="yaml"`},
		{"bad env duration", []string{"check"}, []string{"IRSA_PROBE_TIMEOUT=soon"}, probe.ExitUsage, "", `IRSA_PROBE_TIMEOUT="soon"`},
		{"bad expected role", []string{"check"}, []string{"IRSA_PROBE_EXPECT_ROLE_ARN=billing-api"}, probe.ExitUsage, "", "IRSA_PROBE_EXPECT_ROLE_ARN"},
		{"help", []string{"--help"}, nil, probe.ExitOK, "IRSA_PROBE_EXPECT_SERVICE_ACCOUNT", ""},
		{"version", []string{"version"}, nil, probe.ExitOK, "irsa-probe ", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runBinary(t, runOpts{env: runEnv(nil, tc.env...), args: tc.args})
			if res.exit != tc.exit || !strings.Contains(res.stdout, tc.stdout) || !strings.Contains(res.stderr, tc.stderr) {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s", res.exit, tc.exit, res.stdout, res.stderr)
			}
		})
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	res := runBinary(t, runOpts{env: runEnv(nil), args: []string{"--help"}})
	for _, name := range probe.EnvNames() {
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
			if res := runBinary(t, runOpts{env: env, args: []string{"check"}}); res.exit != probe.ExitBroken {
				t.Fatalf("broken policy: exit %d\n%s", res.exit, res.stdout)
			}
			pol := runBinary(t, runOpts{env: env, args: args})
			if pol.exit != 0 || !strings.Contains(pol.stderr, "update-assume-role-policy --role-name billing-api") {
				t.Fatalf("trust-policy: exit %d\n%s\n%s", pol.exit, pol.stdout, pol.stderr)
			}
			if wide := len(args) > 1; wide != strings.Contains(pol.stdout, `"system:serviceaccount:payments:*"`) {
				t.Errorf("namespace-wide=%v, policy:\n%s", wide, pol.stdout)
			}
			if err := st.STS.PutRole(st.RoleARN, pol.stdout); err != nil {
				t.Fatalf("STS rejects the printed policy: %v\n%s", err, pol.stdout)
			}
			if res := runBinary(t, runOpts{env: env, args: []string{"check"}}); res.exit != probe.ExitOK {
				t.Fatalf("with the printed policy: exit %d\n%s", res.exit, res.stdout)
			}
			assertNoSecrets(t, st, pol.stdout, pol.stderr)
		})
	}
}

func TestTrustPolicyNeedsAToken(t *testing.T) {
	res := runBinary(t, runOpts{env: runEnv(nil, "AWS_ROLE_ARN=arn:aws:iam::111122223333:role/x"), args: []string{"trust-policy"}})
	if res.exit != probe.ExitUsage || !strings.Contains(res.stderr, "AWS_WEB_IDENTITY_TOKEN_FILE") {
		t.Errorf("exit %d: %s", res.exit, res.stderr)
	}
}
