package check_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/check"
	"github.com/irsa-probe/irsa-probe/probe/finding"
)

var updateFixes = flag.Bool("update", false, "rewrite testdata/fix-commands.txt")

// fixCommands are the programs fixes call. The test puts a stub of each
// on PATH that records its argv; printf is the shell's builtin.
var fixCommands = []string{"aws", "kubectl", "eksctl", "curl", "openssl", "chronyc", "timedatectl", "irsa-probe", "go", "pip", "npm", "mvn"}

// allowedPlaceholders are values the probe cannot know: they stay
// placeholders even with every piece of evidence at hand.
var allowedPlaceholders = map[string]bool{"THUMBPRINT": true, "ASSOCIATION_ID": true, "NODE_ROLE_NAME": true}

var placeholderRE = regexp.MustCompile(`\b[A-Z][A-Z0-9]*(_[A-Z0-9]+)*\b`)

// knownPlaceholders are the placeholders catalog templates use.
var knownPlaceholders = []string{"ACCOUNT_ID", "ROLE_NAME", "NAMESPACE", "SERVICE_ACCOUNT", "POD", "DEPLOYMENT", "REGION",
	"INSTANCE_ID", "CLUSTER_NAME", "ISSUER", "ISSUER_HOST", "ISSUER_HOST_PATH", "AUDIENCE", "ARN", "THUMBPRINT", "ASSOCIATION_ID", "NODE_ROLE_NAME"}

// realistic is what the probe knows in a pod of deployment billing-api.
func realistic() finding.Evidence {
	return finding.Evidence{
		finding.EvMechanism: "irsa", finding.EvRole: "arn:aws:iam::111122223333:role/billing-api",
		finding.EvExpectedRole: "arn:aws:iam::111122223333:role/billing-api",
		finding.EvGotARN:       "arn:aws:sts::111122223333:assumed-role/eks-node-role/i-0123456789abcdef0",
		finding.EvSource:       "EC2 instance metadata: the node's instance role", finding.EvAccount: "111122223333",
		finding.EvPartition: "aws", finding.EvRegion: "us-west-2", finding.EvEndpoint: "https://sts.us-west-2.amazonaws.com",
		finding.EvTokenFile: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token", finding.EvTokenVolume: "aws-iam-token",
		finding.EvTokenEnv: "AWS_WEB_IDENTITY_TOKEN_FILE",
		finding.EvIssuer:   "https://oidc.eks.us-west-2.amazonaws.com/id/C0FFEE5EED1BB83AA8D0C5A1E2B3F4A5",
		finding.EvSubject:  "system:serviceaccount:payments:billing-api", finding.EvAudience: "sts.amazonaws.com",
		finding.EvExpectedAud: "sts.amazonaws.com", finding.EvNamespace: "payments", finding.EvServiceAccount: "billing-api",
		finding.EvExpectedSA: "payments:billing-worker", finding.EvPod: "billing-api-7d9f8b6c5-x2k4q",
		finding.EvWorkload: "deployment/billing-api", finding.EvCluster: "prod-eu",
		finding.EvAgentURL: "http://169.254.170.23/v1/credentials", finding.EvErrorCode: "AccessDenied",
		finding.EvErrorMessage: "Not authorized to perform sts:AssumeRoleWithWebIdentity", finding.EvRequestID: "b40a676c-ffaa-4494-bec1-b8882dda5549",
		finding.EvDetail: "the detail", finding.EvFSGroup: "65532", finding.EvNoProxy: "localhost,127.0.0.1",
		finding.EvSessionName: "billing api!", finding.EvShadowVars: "AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY",
		finding.EvJWKSURI:      "https://oidc.eks.us-west-2.amazonaws.com/id/C0FFEE5EED1BB83AA8D0C5A1E2B3F4A5/keys",
		finding.EvARNValue:     "arn:aws:iam::11112222333:role/billing-api",
		finding.EvSDKEcosystem: "go", finding.EvSDKPackage: "github.com/aws/aws-sdk-go", finding.EvSDKVersion: "1.23.0",
		finding.EvTLSProblem: finding.TLSUnknownAuthority, finding.EvTLSEndpoint: "https://sts.us-west-2.amazonaws.com",
		finding.EvSDKMinimum: "1.23.13", finding.EvSDKWhere: "/proc/1/exe", finding.EvTargetPID: "1", finding.EvTargetUID: "1000",
		finding.EvSDKFixed: "1.25.0", finding.EvSDKAffected: ">= 1.0.0, < 1.25.0", finding.EvSDKUpstream: "https://github.com/aws/aws-sdk-go/issues/1",
		finding.EvTokenDir: "/var/run/secrets/eks.amazonaws.com/serviceaccount", finding.EvContainer: "app",
	}
}

// fixCase is one rendering of a catalog entry's fix.
type fixCase struct {
	name string
	code finding.Code
	ev   finding.Evidence
}

func fixCases() []fixCase {
	var cases []fixCase
	variants := map[finding.Code][]finding.Evidence{
		finding.CodeRoleARNMissing:              {{finding.EvMechanism: "none"}},
		finding.CodeNodeRoleFallback:            {{finding.EvMechanism: "none"}, {finding.EvIMDS: finding.IMDSv1}, {finding.EvIMDS: finding.IMDSv2}},
		finding.CodeTokenAudienceMismatch:       {{finding.EvMechanism: "pod-identity"}},
		finding.CodeTokenLegacy:                 {{finding.EvMechanism: "pod-identity"}},
		finding.CodePodIdentityAgentUnreachable: {{finding.EvLayer: "refused"}},
		finding.CodeTLSCertificateUntrusted:     {{finding.EvTLSProblem: finding.TLSNameMismatch}, {finding.EvTLSProblem: finding.TLSExpired}},
		finding.CodeAppSDKRefreshDefect: {
			{finding.EvSDKEcosystem: "python", finding.EvSDKPackage: "botocore", finding.EvSDKVersion: "1.34.40", finding.EvSDKFixed: "1.34.41"},
			{finding.EvSDKEcosystem: "node", finding.EvSDKPackage: "@aws-sdk/credential-provider-node", finding.EvSDKVersion: "3.458.0", finding.EvSDKFixed: "3.460.0"},
		},
		finding.CodeTokenMountNotRotated: {{finding.EvTokenDir: "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount", finding.EvTokenVolume: "eks-pod-identity-token"}},
		finding.CodeAppSDKTooOld: {
			{finding.EvSDKEcosystem: "python", finding.EvSDKPackage: "botocore", finding.EvSDKVersion: "1.29.27", finding.EvSDKMinimum: "1.34.41"},
			{finding.EvSDKEcosystem: "node", finding.EvSDKPackage: "aws-sdk", finding.EvSDKVersion: "2.500.0", finding.EvSDKMinimum: "2.525.0"},
			{finding.EvSDKEcosystem: "java", finding.EvSDKPackage: "software.amazon.awssdk:auth", finding.EvSDKVersion: "2.10.0", finding.EvSDKMinimum: "2.10.11"},
		},
	}
	for _, e := range finding.Catalog() {
		cases = append(cases, fixCase{name: string(e.Code), code: e.Code, ev: realistic()})
		for i, v := range variants[e.Code] {
			ev := realistic()
			maps.Copy(ev, v)
			cases = append(cases, fixCase{name: fmt.Sprintf("%s#%d", e.Code, i+1), code: e.Code, ev: ev})
		}
	}
	return cases
}

// TestFixesRunAsPrinted renders every catalog entry's fix as `check`
// prints it, pastes its command lines into bash as they are printed,
// indentation and all, with stubs of aws, kubectl, eksctl (…) on PATH,
// and checks what they were called with: the values, not placeholders,
// and every JSON document they were given parses.
func TestFixesRunAsPrinted(t *testing.T) {
	if testing.Short() {
		t.Skip("pastes every fix into bash: the -short tier starts no other program")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	stubs := t.TempDir()
	for _, c := range fixCommands {
		// A stub reads its input first, so the calls of a pipeline are
		// recorded in order, then appends its argv in one write.
		script := `#!/bin/bash
cat >/dev/null
rec=${0##*/}
for a in "$@"; do rec+=$'\x1f'"$a"; done
printf '%s\x1e' "$rec" >> "$STUB_LOG"
case "${0##*/} $*" in
  "irsa-probe trust-policy"*) echo '{}' ;;
  *Role.Arn*) echo arn:aws:iam::111122223333:role/billing-api ;;
  *'containers[*]}{.name}'*) echo billing-api ;;
esac
`
		if err := os.WriteFile(filepath.Join(stubs, c), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var golden strings.Builder
	for _, fc := range fixCases() {
		calls, files := runFix(t, bash, stubs, fc.name, finding.New(fc.code, fc.ev))
		fmt.Fprintf(&golden, "## %s\n", fc.name)
		for _, call := range calls {
			golden.WriteString(quoteArgv(call) + "\n")
			for _, a := range call[1:] {
				for _, ph := range placeholderRE.FindAllString(a, -1) {
					if slices.Contains(knownPlaceholders, ph) && !allowedPlaceholders[ph] {
						t.Errorf("%s: %s is a placeholder although the evidence has its value: %s", fc.name, ph, quoteArgv(call))
					}
				}
				if strings.HasPrefix(a, "{") && !json.Valid([]byte(a)) {
					t.Errorf("%s: argument is not valid JSON: %s", fc.name, a)
				}
				if f, ok := strings.CutPrefix(a, "file://"); ok && files[f] == nil {
					t.Errorf("%s: %s names a file the fix did not write", fc.name, a)
				}
			}
		}
		for name, b := range files {
			if strings.HasSuffix(name, ".json") && !json.Valid(b) {
				t.Errorf("%s: %s is not valid JSON:\n%s", fc.name, name, b)
			}
			fmt.Fprintf(&golden, "> %s: %d bytes of JSON\n", name, len(b))
		}
	}
	// Values from outside must stay values: a hostile namespace or pod
	// name is one argument, never a command.
	hostile := realistic()
	hostile[finding.EvNamespace] = "pay$(touch PWNED1);touch PWNED2 'x"
	hostile[finding.EvPod] = "`touch PWNED3`"
	hostile[finding.EvWorkload] = "deployment/x;touch PWNED4"
	hostile[finding.EvARNValue] = "arn:aws:iam::1:role/x;touch PWNED5"
	for _, e := range finding.Catalog() {
		_, files := runFix(t, bash, stubs, "hostile "+string(e.Code), finding.New(e.Code, hostile))
		for f := range files {
			if strings.HasPrefix(f, "PWNED") {
				t.Errorf("hostile %s: a value ran as a command (%s)", e.Code, f)
			}
		}
	}
	// With nothing known, fixes still paste and run, with placeholders.
	for _, e := range finding.Catalog() {
		runFix(t, bash, stubs, "bare "+string(e.Code), finding.New(e.Code, nil))
	}

	path := filepath.Join("testdata", "fix-commands.txt")
	if *updateFixes {
		if err := os.WriteFile(path, []byte(golden.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if got := golden.String(); got != string(want) {
		t.Errorf("the fixes call other commands than %s: rerun with -update and read the diff", path)
	}
}

// runFix pastes f's fix, as the text report prints it, into bash and
// returns the stubs' recorded calls and the files the fix wrote.
func runFix(t *testing.T, bash, stubs, name string, f finding.Finding) (calls [][]string, files map[string][]byte) {
	t.Helper()
	rep := &check.Report{Findings: []finding.Finding{f}}
	rep.Decide()
	var out bytes.Buffer
	if err := rep.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	lines := fixLines(out.String())
	script, want := commandLines(lines)
	if len(script) == 0 {
		if f.Severity == finding.SeverityInfo {
			return nil, nil // information: nothing to run
		}
		t.Errorf("%s: the fix has no command:\n%s", name, strings.Join(lines, "\n"))
		return nil, nil
	}
	text := "set -euo pipefail\n" + strings.Join(script, "\n") + "\n"
	if bare, _ := unquoted(text, false); strings.Contains(bare, "<<") {
		// Printed indented, a heredoc's closing word never ends it.
		t.Errorf("%s: a fix uses a heredoc:\n%s", name, text)
	}
	if b, err := exec.Command(bash, "-n", "-c", text).CombinedOutput(); err != nil {
		t.Errorf("%s: bash -n: %v\n%s\n%s", name, err, b, text)
		return nil, nil
	}
	dir := t.TempDir()
	log := filepath.Join(t.TempDir(), "calls")
	cmd := exec.Command(bash, "-c", text)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + stubs + ":/usr/bin:/bin", "STUB_LOG=" + log, "HOME=" + dir}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s: running the fix: %v\n%s\n%s", name, err, b, text)
	}
	b, _ := os.ReadFile(log)
	for _, rec := range strings.Split(string(b), "\x1e") {
		if rec != "" {
			calls = append(calls, strings.Split(rec, "\x1f"))
		}
	}
	if len(calls) != want {
		t.Errorf("%s: %d commands called, %d printed:\n%s", name, len(calls), want, text)
	}
	files = map[string][]byte{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		files[e.Name()], _ = os.ReadFile(filepath.Join(dir, e.Name()))
	}
	return calls, files
}

// fixLines are the lines of the text report's fix block, as printed.
func fixLines(report string) []string {
	var out []string
	in := false
	for _, l := range strings.Split(report, "\n") {
		switch {
		case l == "  fix:":
			in = true
		case in && strings.HasPrefix(l, "    "):
			out = append(out, l)
		case in:
			in = false
		}
	}
	return out
}

// commandLines picks the command lines of a fix (indented under the
// prose, starting with a program of fixCommands or printf, continued while
// a quote is open) and counts the programs they call.
func commandLines(lines []string) (script []string, calls int) {
	open := false
	for _, l := range lines {
		if open {
			script = append(script, l)
			_, open = unquoted(l, true)
			continue
		}
		body, ok := strings.CutPrefix(l, "      ")
		if !ok || body == "" || body[0] == ' ' {
			continue
		}
		word, _, _ := strings.Cut(body, " ")
		if word != "printf" && !slices.Contains(fixCommands, word) {
			continue
		}
		script = append(script, l)
		bare, stillOpen := unquoted(body, false)
		open = stillOpen
		if word != "printf" {
			calls++
		}
		calls += strings.Count(bare, " | ") + strings.Count(bare, "$(")
	}
	return script, calls
}

// unquoted is line without its single-quoted strings (which a shell
// takes literally), and whether one is still open at its end, given
// whether one was open at its start.
func unquoted(line string, open bool) (bare string, stillOpen bool) {
	var b strings.Builder
	double := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case open:
			open = c != '\''
		case c == '\\':
			i++
		case c == '"':
			double = !double
			b.WriteByte(c)
		case c == '\'' && !double:
			open = true
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), open
}

func quoteArgv(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = a
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`;&|<>(){}[]*?!#~") {
			q[i] = strconv.Quote(a)
		}
	}
	return strings.Join(q, " ")
}
