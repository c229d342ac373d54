package check

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// runAgainst runs one check in this process against st, the environment
// being the pod's plus overrides ("NAME=" unsets NAME).
func runAgainst(t *testing.T, st *ststest.Stack, overrides ...string) *Report {
	t.Helper()
	lastChecker = checkerFor(t, st, overrides...)
	return lastChecker.Run(context.Background())
}

// checkerFor is a Checker for a pod in st's world, the environment being
// the pod's plus overrides.
func checkerFor(t *testing.T, st *ststest.Stack, overrides ...string) *Checker {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		t.Setenv(name, "") // restored after the test
		os.Unsetenv(name)
	}
	for _, kv := range ststest.PodEnv(st, append([]string{"IRSA_PROBE_VERIFY_SIGNATURE=never"}, overrides...)...) {
		name, value, _ := strings.Cut(kv, "=")
		t.Setenv(name, value)
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	c := New(cfg, nil)
	c.lookupHost = func(context.Context, string) ([]string, error) {
		return nil, errors.New("tests do not ask the DNS") // loopback only
	}
	return c
}

// lastChecker is runAgainst's Checker, for tests that run it again.
var lastChecker *Checker

func step(rep *Report, name string) StepResult {
	s, _ := rep.Step(name)
	return s
}

// TestDoubtsSettledBySTS: the token step's claim checks that STS also
// judges are settled by STS's answer, in every direction.
func TestDoubtsSettledBySTS(t *testing.T) {
	t.Run("STS accepts: the doubt is dropped and named", func(t *testing.T) {
		st := ststest.Start(ststest.StackOptions{})
		defer st.Close()
		// The OIDC provider accepts sts.amazonaws.com; the probe was told
		// to expect another audience.
		rep := runAgainst(t, st, "IRSA_PROBE_AUDIENCE=custom.example.com")
		if rep.Verdict() != verdict.OK || rep.Has(finding.CodeTokenAudienceMismatch) {
			t.Fatalf("verdict %v, findings %+v", rep.Verdict(), rep.Findings)
		}
		if s := step(rep, StepToken); s.Status != StatusWarn || !strings.HasSuffix(s.Detail, "; STS accepted the token despite token-audience-mismatch") {
			t.Errorf("token step: %+v", s)
		}
	})
	t.Run("STS rejects for the same reason: one finding with STS's evidence", func(t *testing.T) {
		st := ststest.Start(ststest.StackOptions{})
		defer st.Close()
		tok := st.Issuer.ServiceAccountToken(ststest.TokenOptions{Namespace: st.Namespace, ServiceAccount: st.ServiceAccount,
			Pod: "billing-api-7d9f8b6c5-x2k4q", Audiences: []string{"https://kubernetes.default.svc"}})
		if err := st.WriteToken(tok); err != nil {
			t.Fatal(err)
		}
		rep := runAgainst(t, st)
		if rep.Verdict() != verdict.Broken || len(rep.Findings) != 1 || rep.Findings[0].Code != finding.CodeTokenAudienceMismatch {
			t.Fatalf("verdict %v, findings %+v", rep.Verdict(), rep.Findings)
		}
		ev := rep.Findings[0].Evidence
		if ev[finding.EvRequestID] == "" || ev[finding.EvErrorCode] != "InvalidIdentityToken" || ev[finding.EvAudience] != "https://kubernetes.default.svc" {
			t.Errorf("the finding lacks STS's or the token's evidence: %v", ev)
		}
		if s := step(rep, StepToken); s.Status != StatusFail {
			t.Errorf("token step: %+v", s)
		}
	})
	t.Run("STS rejects for another reason: the doubt stands beside it", func(t *testing.T) {
		st := ststest.Start(ststest.StackOptions{})
		defer st.Close()
		if err := st.STS.PutRole(st.RoleARN, ststest.TrustPolicyFor("aws", st.Account, st.Issuer.URL, "billing", "billing-api")); err != nil {
			t.Fatal(err)
		}
		rep := runAgainst(t, st, "IRSA_PROBE_AUDIENCE=custom.example.com")
		if !rep.Has(finding.CodeTokenAudienceMismatch) || !rep.Has(finding.CodeTrustPolicyDenied) {
			t.Fatalf("findings %+v", rep.Findings)
		}
		if rep.Findings[0].Code != finding.CodeTokenAudienceMismatch {
			t.Errorf("the token's finding comes first, in step order: %+v", rep.Findings)
		}
	})
}

// TestStalledIssuerLeavesSTSItsTime: an issuer that never answers cannot
// eat the STS calls' share of a short deadline: the signature step runs
// beside them and the check still decides.
func TestStalledIssuerLeavesSTSItsTime(t *testing.T) {
	st := ststest.Start(ststest.StackOptions{})
	defer st.Close()
	p := ststest.ProviderFor(st.Issuer, st.Account)
	p.JWKS = st.Issuer.JWKS() // STS has the keys cached, as real STS does
	st.STS.AddOIDCProvider(p)
	st.Issuer.SetDelay(time.Minute)
	start := time.Now()
	rep := runAgainst(t, st, "IRSA_PROBE_TIMEOUT=2s", "IRSA_PROBE_VERIFY_SIGNATURE=auto")
	took := time.Since(start)
	if !rep.OK || step(rep, StepAssumeRole).Status != StatusPass || step(rep, StepSignature).Status != StatusWarn {
		t.Fatalf("verdict %v, steps %+v, findings %+v", rep.Verdict(), rep.Checks, rep.Findings)
	}
	if took > 3*time.Second {
		t.Errorf("took %s with IRSA_PROBE_TIMEOUT=2s", took)
	}
}

// TestConnectionCutUnder200IsRetried: a 200 whose connection breaks
// mid-body (aws-sdk-go-v2 issues 1825, 2737, 2935) is a transient failure,
// retried on a new connection, whatever its status said.
func TestConnectionCutUnder200IsRetried(t *testing.T) {
	st := ststest.Start(ststest.StackOptions{})
	defer st.Close()
	st.STS.SetFault("GetCallerIdentity", ststest.Fault{Times: 1, NotAWS: &ststest.NotAWS{Status: 200, Body: "<GetCallerIdentityResponse>", Cut: true}})
	rep := runAgainst(t, st)
	if !rep.OK {
		t.Fatalf("verdict %v, findings %+v", rep.Verdict(), rep.Findings)
	}
	if n := st.STS.Calls("GetCallerIdentity"); n != 2 {
		t.Errorf("GetCallerIdentity calls: %d, want 2 (the cut one, then a retry)", n)
	}
}

// TestDeadlineCuttingAnAttemptKeepsTheCause: when the check's deadline
// cuts a retry short, the finding is what failed until then (throttling),
// not the cut itself. Each answer takes 0.9 s: the second attempt starts
// by 1.3 s and is cut at 2 s.
func TestDeadlineCuttingAnAttemptKeepsTheCause(t *testing.T) {
	st := ststest.Start(ststest.StackOptions{})
	defer st.Close()
	st.STS.SetFault("AssumeRoleWithWebIdentity", ststest.Fault{Code: "Throttling", Message: "Rate exceeded", Delay: 900 * time.Millisecond})
	rep := runAgainst(t, st, "IRSA_PROBE_TIMEOUT=2s")
	if !rep.Has(finding.CodeSTSThrottled) || rep.Has(finding.CodeSTSUnreachable) {
		t.Fatalf("findings %+v", rep.Findings)
	}
}

// TestGlobalEndpointBesideAnInterfaceEndpoint: the global STS endpoint in
// a VPC whose regional STS name resolves privately (an STS interface
// endpoint) is sts-global-endpoint, said before any call; a public answer
// or no answer is not.
func TestGlobalEndpointBesideAnInterfaceEndpoint(t *testing.T) {
	st := ststest.Start(ststest.StackOptions{})
	defer st.Close()
	c := checkerFor(t, st, "AWS_ENDPOINT_URL_STS=https://sts.amazonaws.com")
	var asked []string
	c.lookupHost = func(_ context.Context, host string) ([]string, error) {
		asked = append(asked, host)
		return []string{"10.0.12.34"}, nil
	}
	rep := c.Run(context.Background())
	f := rep.FirstProblem()
	if f == nil || f.Code != finding.CodeSTSGlobalEndpoint || !strings.Contains(f.Message, "sts.us-west-2.amazonaws.com resolves to 10.0.12.34") {
		t.Fatalf("findings %+v", rep.Findings)
	}
	if !slices.Equal(asked, []string{"sts.us-west-2.amazonaws.com"}) || st.STS.Calls("AssumeRoleWithWebIdentity") != 0 {
		t.Errorf("looked up %v; STS calls %d", asked, st.STS.Calls("AssumeRoleWithWebIdentity"))
	}
	for _, answer := range [][]string{{"52.94.236.248"}, nil} {
		r := newRun(c, &Report{})
		c.lookupHost = func(context.Context, string) ([]string, error) { return answer, nil }
		if got := r.globalEndpointBypass(context.Background(), "us-west-2"); got != "" {
			t.Errorf("answer %v: %q", answer, got)
		}
	}
}

// TestCredentialsExpiredOnArrival: with this container's clock two hours
// ahead, the one-hour credentials STS returns are already past: clock-skew
// says so (a warning: the identity works).
func TestCredentialsExpiredOnArrival(t *testing.T) {
	st := ststest.Start(ststest.StackOptions{})
	defer st.Close()
	c := checkerFor(t, st)
	c.cfg.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	rep := c.Run(context.Background())
	var skew *finding.Finding
	for i := range rep.Findings {
		if rep.Findings[i].Code == finding.CodeClockSkew {
			skew = &rep.Findings[i]
		}
	}
	if skew == nil || !strings.Contains(skew.Message, "already past by this container's clock") || rep.Verdict() != verdict.OK {
		t.Fatalf("verdict %v, findings %+v", rep.Verdict(), rep.Findings)
	}
}
