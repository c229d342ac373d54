package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

var update = flag.Bool("update", false, "rewrite testdata/transcripts from what the binary prints now")

// transcript is one run of the binary whose whole output is the contract:
// testdata/transcripts/NAME.txt holds the command, stdout, stderr and the
// exit code, as a person would read them in a terminal.
type transcript struct {
	name string
	args []string
	env  []string
	// stack, when set, runs the binary in an emulated pod and returns the
	// extra environment of the scenario.
	stack func(t *testing.T, st *ststest.Stack) []string
	opts  ststest.StackOptions // the emulated world
}

func transcripts() []transcript {
	return []transcript{
		// What a person reads first.
		{name: "help", args: []string{"--help"}},
		{name: "help-check", args: []string{"check", "-h"}},
		{name: "help-serve", args: []string{"serve", "--help"}},
		{name: "help-trust-policy", args: []string{"help", "trust-policy"}},
		{name: "help-version", args: []string{"version", "-h"}},
		{name: "help-ignores-a-broken-environment", args: []string{"check", "-h"}, env: []string{"IRSA_PROBE_TIMOUT=5s"}},
		{name: "version", args: []string{"version"}},
		{name: "version-flag", args: []string{"--version"}},
		{name: "version-v", args: []string{"-v"}},

		// Every usage error: one line and a hint, exit 2.
		{name: "no-command"},
		{name: "unknown-command", args: []string{"chek"}},
		{name: "unknown-command-far", args: []string{"deploy"}},
		{name: "unknown-flag", args: []string{"check", "--outptu", "json"}},
		{name: "flag-of-another-command", args: []string{"check", "--refresh=1m"}},
		{name: "flag-without-value", args: []string{"check", "--timeout"}},
		{name: "bad-duration-flag", args: []string{"check", "--timeout=abc"}},
		{name: "bad-duration-flag-serve", args: []string{"serve", "--grace", "soon"}},
		{name: "bad-choice-flag", args: []string{"check", "--output", "yaml"}},
		{name: "bad-bool-flag", args: []string{"trust-policy", "--namespace-wide=maybe"}},
		{name: "stray-argument", args: []string{"check", "now"}},
		{name: "version-argument", args: []string{"version", "--short"}},
		{name: "bad-duration-env", args: []string{"check"}, env: []string{"IRSA_PROBE_TIMEOUT=soon"}},
		{name: "negative-duration-env", args: []string{"serve"}, env: []string{"IRSA_PROBE_REFRESH=-5m"}},
		{name: "refresh-below-minimum", args: []string{"serve", "--refresh=5ms"}},
		{name: "bad-choice-env", args: []string{"check"}, env: []string{"IRSA_PROBE_VERIFY_SIGNATURE=sometimes"}},
		{name: "bad-expected-role-env", args: []string{"check"}, env: []string{"IRSA_PROBE_EXPECT_ROLE_ARN=billing-api"}},
		{name: "bad-expected-service-account-flag", args: []string{"check", "--expect-service-account=billing-api"}},
		{name: "unknown-variable", args: []string{"check"}, env: []string{"IRSA_PROBE_TIMOUT=5s"}},
		{name: "unknown-variable-far", args: []string{"serve"}, env: []string{"IRSA_PROBE_COLOUR=never"}},
		{name: "listen-invalid", args: []string{"serve", "--listen=127.0.0.1:bad"}},
		{name: "explain-flag-without-explain", args: []string{"trust-policy", "--issuer", "https://oidc.eks.us-west-2.amazonaws.com/id/X"}},
		{name: "explain-namespace-alone", args: []string{"trust-policy", "--explain", "-", "--namespace", "payments"}},
		{name: "explain-bad-subject", args: []string{"trust-policy", "--explain", "-", "--subject", "payments:billing-api"}},
		{name: "explain-no-such-file", args: []string{"trust-policy", "--explain", "policy.json", "--issuer", realIssuer, "--subject", realSubject}},
		{name: "trust-policy-no-token", args: []string{"trust-policy"}, env: []string{"AWS_ROLE_ARN=arn:aws:iam::111122223333:role/billing-api"}},

		// The text report of the scenarios users meet most.
		{name: "check-ok", args: []string{"check"}, stack: func(*testing.T, *ststest.Stack) []string { return nil }},
		{name: "check-not-annotated", args: []string{"check"}, stack: func(*testing.T, *ststest.Stack) []string {
			return []string{"AWS_ROLE_ARN=", "AWS_WEB_IDENTITY_TOKEN_FILE="}
		}},
		{name: "check-trust-policy-denied", args: []string{"check"}, stack: func(t *testing.T, st *ststest.Stack) []string {
			if err := st.STS.PutRole(st.RoleARN, ststest.TrustPolicyFor("aws", st.Account, st.Issuer.URL, "billing", "billing-api")); err != nil {
				t.Fatal(err)
			}
			return nil
		}},
		{name: "check-sts-unreachable", args: []string{"check", "--timeout=2s"}, stack: func(*testing.T, *ststest.Stack) []string {
			return []string{"AWS_ENDPOINT_URL_STS=http://127.0.0.1:1"}
		}},
		{name: "check-sts-slow-body", args: []string{"check", "--timeout=2s"}, stack: func(t *testing.T, st *ststest.Stack) []string {
			st.STS.SetFault("AssumeRoleWithWebIdentity", ststest.Fault{Drip: ststest.StallBody})
			return nil
		}},
		{name: "check-tls-untrusted", args: []string{"check"}, stack: func(t *testing.T, st *ststest.Stack) []string {
			front := ststest.NewTLSFront(st.STS.URL, ststest.TLSFrontOptions{})
			t.Cleanup(front.Close)
			return []string{"AWS_ENDPOINT_URL_STS=" + front.URL}
		}},
		{name: "trust-policy", args: []string{"trust-policy"}, stack: func(*testing.T, *ststest.Stack) []string { return nil }},
		{name: "check-pod-identity-ok", args: []string{"check"}, opts: podIdentity, stack: func(*testing.T, *ststest.Stack) []string { return nil }},
		{name: "trust-policy-pod-identity", args: []string{"trust-policy", "--pod-identity"}, opts: podIdentity, stack: func(t *testing.T, st *ststest.Stack) []string {
			return []string{"IRSA_PROBE_EXPECT_ROLE_ARN=" + st.RoleARN}
		}},

		// trust-policy --explain on policies of the corpus (probe/policy/testdata/corpus).
		{name: "explain-swapped-key", args: []string{"trust-policy", "--explain", corpus + "get-role-swapped.json", "--issuer", realIssuer, "--subject", realSubject}},
		{name: "explain-multi-statement-typo", args: []string{"trust-policy", "--explain", corpus + "multi-cluster-ours-wrong.json", "--issuer", realIssuer, "--namespace", "payments", "--service-account", "billing-api", "--account", "111122223333"}},
		{name: "explain-allows-json", args: []string{"trust-policy", "--explain", corpus + "console-aud-only.json", "--issuer", realIssuer, "--subject", realSubject, "--output", "json"}},
		{name: "explain-malformed", args: []string{"trust-policy", "--explain", corpus + "malformed-trailing-comma.json", "--issuer", realIssuer, "--subject", realSubject}},
		{name: "explain-pod-identity-in-irsa-pod", args: []string{"trust-policy", "--explain", corpus + "pod-identity-docs.json", "--pod-identity"},
			stack: func(*testing.T, *ststest.Stack) []string { return nil }},
		{name: "explain-pod-identity-in-irsa-pod-other-namespace", args: []string{"trust-policy", "--explain", corpus + "pod-identity-conditions.json", "--pod-identity"},
			opts: ststest.StackOptions{Namespace: "orders"}, stack: func(*testing.T, *ststest.Stack) []string { return nil }},
		{name: "explain-pod-identity-downward-api", args: []string{"trust-policy", "--explain", corpus + "pod-identity-conditions.json", "--pod-identity"},
			env: []string{"IRSA_PROBE_POD_NAMESPACE=payments", "IRSA_PROBE_SERVICE_ACCOUNT=billing-api"}},
		{name: "explain-pod-identity-no-token", args: []string{"trust-policy", "--explain", corpus + "pod-identity-docs.json", "--pod-identity"}},
		{name: "explain-pod-identity", args: []string{"trust-policy", "--explain", corpus + "pod-identity-no-tag-session.json", "--pod-identity", "--subject", realSubject}},
	}
}

// The corpus of probe/policy and the identity of its requests.
const (
	corpus      = "../../probe/policy/testdata/corpus/"
	realIssuer  = ststest.RealEKSIssuerURL
	realSubject = "system:serviceaccount:payments:billing-api"
)

func TestTranscripts(t *testing.T) {
	for _, tc := range transcripts() {
		t.Run(tc.name, func(t *testing.T) {
			var st *ststest.Stack
			env := tc.env
			if tc.stack != nil {
				st = startStack(t, tc.opts)
				env = append(env, tc.stack(t, st)...)
			}
			env = append(env, "IRSA_PROBE_TERMINATION_LOG="+filepath.Join(t.TempDir(), "termination-log"))
			// Usage texts, errors and the reports need no process of their
			// own: they run in this one (and in the -short tier) where it
			// shows what the binary would (see run and inProcess).
			res := run(t, runOpts{env: runEnv(st, env...), args: tc.args})
			got := normalize(renderTranscript(tc, res), st)
			path := filepath.Join("testdata", "transcripts", tc.name+".txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run: go test ./cmd/irsa-probe -run TestTranscripts -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from what the binary prints (go test ./cmd/irsa-probe -run TestTranscripts -update rewrites it):\n%s",
					path, lineDiff(string(want), got))
			}
			if st != nil {
				assertNoSecrets(t, st, res.stdout, res.stderr)
			}
		})
	}
}

// renderTranscript writes a run as a terminal shows it.
func renderTranscript(tc transcript, res result) string {
	var b strings.Builder
	cmd := append([]string{"irsa-probe"}, tc.args...)
	for _, kv := range tc.env {
		cmd = append([]string{kv}, cmd...)
	}
	fmt.Fprintf(&b, "$ %s\n", strings.Join(cmd, " "))
	for _, part := range []struct{ name, text string }{{"stdout", res.stdout}, {"stderr", res.stderr}} {
		if part.text == "" {
			continue
		}
		fmt.Fprintf(&b, "-- %s --\n%s", part.name, part.text)
		if !strings.HasSuffix(part.text, "\n") {
			b.WriteString("⏎ (no newline at the end)\n")
		}
	}
	fmt.Fprintf(&b, "-- exit %d --\n", res.exit)
	return b.String()
}

// What changes from run to run, replaced by a name for it.
type replacement struct {
	re   *regexp.Regexp
	with string
}

var (
	// Of any run: the Go release that built the binary.
	volatileBuild = []replacement{
		{regexp.MustCompile(`go\d+\.\d+(\.\d+)?(rc\d+)? \w+/\w+`), "GO_VERSION"},
	}
	// Of a run against the emulator: its ports, ids, clock and timings.
	volatileReport = []replacement{
		{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
		{regexp.MustCompile(`127\.0\.0\.1 \d{2,}\b`), "127.0.0.1 PORT"}, // nc's host port
		{regexp.MustCompile(`/id/[0-9A-F]{32}`), "/id/ISSUER_ID"},
		{regexp.MustCompile(`(ststest [a-z ]+ CA) [0-9A-Z]{6}\b`), "$1 RANDOM"},
		{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "REQUEST_ID"},
		{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`), "TIME"},
		{regexp.MustCompile(`\(\d+ ms\)`), "(N ms)"},
		{regexp.MustCompile(`\b(\d+h)?(\d+m)?\d+(\.\d+)?m?s\b`), "DURATION"},
		{regexp.MustCompile(`\(\d+ attempts? in DURATION\)`), "(N attempts in DURATION)"},
		// A retry line per backoff: how many fit in the deadline varies.
		{regexp.MustCompile(`(?m)^(irsa-probe: \w+ failed \(.*\), attempt )\d+(; retrying, DURATION of DURATION spent\n)(irsa-probe: \w+ failed .*\n)*`), "${1}N${2}"},
	}
)

// normalize replaces what differs between runs (the Go release; against
// the emulator also ports, ids, times, durations and its scratch
// directory) with stable names.
func normalize(s string, st *ststest.Stack) string {
	rs := volatileBuild
	if st != nil {
		s = strings.ReplaceAll(s, st.Dir, "$STACK_DIR")
		rs = append(rs, volatileReport...)
	}
	for _, r := range rs {
		s = r.re.ReplaceAllString(s, r.with)
	}
	return s
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}
