package check

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// BenchmarkCheck: one whole check (token, signature fetch and verify,
// AssumeRoleWithWebIdentity, GetCallerIdentity, default chain) against the
// local emulator: the probe's own cost, without AWS's network latency.
func BenchmarkCheck(b *testing.B) {
	st := ststest.Start(ststest.StackOptions{})
	defer st.Close()
	c := benchChecker(b, st)
	b.ReportAllocs()
	for b.Loop() {
		if rep := c.Run(context.Background()); !rep.OK || step(rep, StepSignature).Status != StatusPass {
			b.Fatalf("check failed: %+v %+v", rep.Checks, rep.Findings)
		}
	}
}

// BenchmarkCheckWithLatency: a check against an issuer 80 ms and an STS
// 20 ms away (per round trip). The signature check (discovery + JWKS,
// 160 ms) runs beside the two STS calls (40 ms), so a check takes about
// the longer path, not the sum (200 ms). Reported: ms per check, and that
// over the longer path (1.0 is ideal; the goal is within 1.1).
func BenchmarkCheckWithLatency(b *testing.B) {
	const issuerRTT, stsRTT = 80 * time.Millisecond, 20 * time.Millisecond
	st := ststest.Start(ststest.StackOptions{})
	defer st.Close()
	// STS knows the keys (real STS caches them), so only the pod's own
	// signature check pays the issuer's latency.
	p := ststest.ProviderFor(st.Issuer, st.Account)
	p.JWKS = st.Issuer.JWKS()
	st.STS.AddOIDCProvider(p)
	st.Issuer.SetDelay(issuerRTT)
	st.STS.SetFault(ststest.AnyAction, ststest.Fault{Delay: stsRTT})
	// The process's system roots are loaded once, with another stack's CA
	// maybe: AWS_CA_BUNDLE gives the probe's client this stack's.
	c := benchChecker(b, st)
	start := time.Now()
	for b.Loop() {
		if rep := c.Run(context.Background()); !rep.OK || step(rep, StepSignature).Status != StatusPass {
			b.Fatalf("check failed: %+v %+v", rep.Checks, rep.Findings)
		}
	}
	perCheck := time.Since(start) / time.Duration(b.N)
	longer := max(2*issuerRTT, 2*stsRTT)
	b.ReportMetric(float64(perCheck)/float64(time.Millisecond), "ms/check")
	b.ReportMetric(float64(perCheck)/float64(longer), "x-longer-path")
}

// benchChecker is a Checker for a pod in st's world. The process's system
// roots are loaded once, with another stack's CA maybe: AWS_CA_BUNDLE
// gives the probe's client this stack's.
func benchChecker(b *testing.B, st *ststest.Stack) *Checker {
	b.Helper()
	for _, kv := range append(st.Environ(), "AWS_CA_BUNDLE="+st.CAFile) {
		k, v, _ := strings.Cut(kv, "=")
		b.Setenv(k, v)
	}
	cfg, err := config.Load()
	if err != nil {
		b.Fatal(err)
	}
	if err := cfg.Finish(); err != nil {
		b.Fatal(err)
	}
	return New(cfg, nil)
}
