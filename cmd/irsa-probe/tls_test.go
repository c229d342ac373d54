package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/check"
	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/serve"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// TestCertificateUntrusted: a certificate that fails verification (an
// unknown CA, another name, expired), from STS, the Pod Identity agent or
// the issuer, is tls-certificate-untrusted at the first attempt, with the
// chain presented, in the text and JSON reports and the termination
// message alike; and the fix (the CA in AWS_CA_BUNDLE) works.
func TestCertificateUntrusted(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    ststest.StackOptions
		front   ststest.TLSFrontOptions
		wire    func(st *ststest.Stack, front *ststest.TLSFront) []string // env; front is nil for the issuer
		problem string
		want    []string
		step    string // the step line that says what happened
	}{
		{
			name: "STS behind an unknown CA", problem: finding.TLSUnknownAuthority,
			wire: func(st *ststest.Stack, f *ststest.TLSFront) []string {
				return []string{"AWS_ENDPOINT_URL_STS=" + f.URL}
			},
			want: []string{"no CA this pod trusts signed it (its issuer is \"CN=ststest intercepting proxy CA "},
			step: "[fail]    assume-role     AssumeRoleWithWebIdentity: TLS: no CA this pod trusts signed it",
		},
		{
			name: "STS certificate for another name", problem: finding.TLSNameMismatch, front: ststest.TLSFrontOptions{Names: []string{"sts.corp.example"}},
			wire: func(st *ststest.Stack, f *ststest.TLSFront) []string {
				return []string{"AWS_ENDPOINT_URL_STS=" + f.URL, "AWS_CA_BUNDLE=" + filepath.Join(st.Dir, "front-ca.pem")}
			},
			want: []string{`it is not for "127.0.0.1" (it is for sts.corp.example)`, "AWS_CA_BUNDLE is $STACK_DIR/front-ca.pem."},
			step: "[fail]    assume-role     AssumeRoleWithWebIdentity: TLS: it is not for",
		},
		{
			name: "STS certificate expired", problem: finding.TLSExpired, front: ststest.TLSFrontOptions{Expired: true},
			wire: func(st *ststest.Stack, f *ststest.TLSFront) []string {
				return []string{"AWS_ENDPOINT_URL_STS=" + f.URL, "AWS_CA_BUNDLE=" + filepath.Join(st.Dir, "front-ca.pem")}
			},
			want: []string{"x509: certificate has expired or is not yet valid", "kubectl run clock-check --namespace=payments"},
			step: "[fail]    assume-role     AssumeRoleWithWebIdentity: TLS: x509: certificate has expired",
		},
		{
			name: "Pod Identity agent behind an unknown CA", problem: finding.TLSUnknownAuthority, opts: ststest.StackOptions{PodIdentity: true},
			wire: func(st *ststest.Stack, f *ststest.TLSFront) []string {
				return []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + f.URL}
			},
			want: []string{"/v1/credentials presented (unknown-authority)"},
			step: "[fail]    assume-role     PodIdentityAgent: TLS: no CA this pod trusts signed it",
		},
		{
			name: "issuer with an unknown CA, verification required", problem: finding.TLSUnknownAuthority,
			wire: func(st *ststest.Stack, _ *ststest.TLSFront) []string {
				return []string{"IRSA_PROBE_VERIFY_SIGNATURE=always", "SSL_CERT_FILE=" + filepath.Join(st.Dir, "no-ca")}
			},
			want: []string{"/.well-known/openid-configuration presented (unknown-authority)", "fetched_by:              this pod", "[pass]    assume-role"},
			step: "[fail]    signature       the issuer's certificate is not trusted: fetching ",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := startStack(t, tc.opts)
			var front *ststest.TLSFront
			if !strings.HasPrefix(tc.name, "issuer") {
				target := st.STS.URL
				if st.Agent != nil {
					target = st.Agent.URL
				}
				front = ststest.NewTLSFront(target, tc.front)
				t.Cleanup(front.Close)
				if err := front.WriteCAFile(filepath.Join(st.Dir, "front-ca.pem")); err != nil {
					t.Fatal(err)
				}
			}
			termLog := filepath.Join(t.TempDir(), "termination-log")
			env := runEnv(st, append(tc.wire(st, front), "IRSA_PROBE_TERMINATION_LOG="+termLog)...)
			res := run(t, runOpts{env: env, args: []string{"check"}})
			out := strings.ReplaceAll(res.stdout, st.Dir, "$STACK_DIR")
			if res.exit != verdict.ExitBroken {
				t.Fatalf("exit %d, want %d\n%s\n%s", res.exit, verdict.ExitBroken, res.stdout, res.stderr)
			}
			// At the first attempt: no retry line, far within the 10s deadline.
			if res.took > 3*time.Second || strings.Contains(res.stderr, "retrying") {
				t.Errorf("took %s; stderr:\n%s", res.took, res.stderr)
			}
			want := append(tc.want, "ERROR tls-certificate-untrusted: This pod does not trust the certificate ", "tls_problem:             "+tc.problem, `[0] subject "CN=`, tc.step)
			if tc.problem != finding.TLSExpired { // a new CA does not renew a certificate
				want = append(want, "kubectl create configmap aws-ca-bundle --namespace=payments --from-file=ca.pem=ca.pem")
			}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("text lacks %q:\n%s", w, out)
				}
			}
			js := run(t, runOpts{env: append(env, "IRSA_PROBE_OUTPUT=json"), args: []string{"check"}})
			var rep check.Report
			if err := json.Unmarshal([]byte(js.stdout), &rep); err != nil {
				t.Fatal(err)
			}
			var found *finding.Finding
			for i, f := range rep.Findings {
				if f.Code == finding.CodeTLSCertificateUntrusted {
					found = &rep.Findings[i]
				}
			}
			if js.exit != verdict.ExitBroken || found == nil || found.Severity != finding.SeverityError ||
				found.Evidence[finding.EvTLSProblem] != tc.problem || found.Evidence[finding.EvTLSChain] == "" {
				t.Errorf("json: exit %d, finding %+v", js.exit, found)
			}
			if b, err := os.ReadFile(termLog); err != nil || !strings.Contains(string(b), string(finding.CodeTLSCertificateUntrusted)) {
				t.Errorf("termination log lacks the code (%v):\n%s", err, b)
			}
			if tc.problem != finding.TLSUnknownAuthority || front == nil {
				return
			}
			// The fix: the front's CA in AWS_CA_BUNDLE, for the probe and the SDK alike.
			fixed := run(t, runOpts{env: append(env, "AWS_CA_BUNDLE="+filepath.Join(st.Dir, "front-ca.pem")), args: []string{"check"}})
			if fixed.exit != verdict.ExitOK {
				t.Errorf("with the CA in AWS_CA_BUNDLE: exit %d\n%s\n%s", fixed.exit, fixed.stdout, fixed.stderr)
			}
		})
	}
}

// TestCertificateUntrustedMetrics: serve's metrics name the new code, as
// the reports do.
func TestCertificateUntrustedMetrics(t *testing.T) {
	st := startStack(t, ststest.StackOptions{})
	front := ststest.NewTLSFront(st.STS.URL, ststest.TLSFrontOptions{})
	t.Cleanup(front.Close)
	p := startServe(t, st, "AWS_ENDPOINT_URL_STS="+front.URL)
	eventually(t, 15*time.Second, "the first check", func() bool {
		return metric(p.metrics(t), serve.MetricFinding, "code", string(finding.CodeTLSCertificateUntrusted), "severity", "error") == 1
	})
	if v := metric(p.metrics(t), serve.MetricSTSErrors, "call", "AssumeRoleWithWebIdentity", "code", string(finding.CodeTLSCertificateUntrusted)); v < 1 {
		t.Errorf("%s{code=%s} = %v", serve.MetricSTSErrors, finding.CodeTLSCertificateUntrusted, v)
	}
}
