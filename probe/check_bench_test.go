package probe

import (
	"context"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// BenchmarkParseToken: decoding the real projected token.
func BenchmarkParseToken(b *testing.B) {
	raw := realToken(b, "valid-irsa.jwt")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseToken(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheck: one whole check (token, signature fetch and verify,
// AssumeRoleWithWebIdentity, GetCallerIdentity, default chain) against the
// local emulator: the probe's own cost, without AWS's network latency.
func BenchmarkCheck(b *testing.B) {
	st := ststest.Start(ststest.StackOptions{})
	defer st.Close()
	for _, kv := range st.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		b.Setenv(k, v)
	}
	cfg, err := LoadConfig()
	if err != nil {
		b.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	c := NewChecker(cfg, nil)
	b.ReportAllocs()
	for b.Loop() {
		if rep := c.Run(context.Background()); !rep.OK {
			b.Fatalf("check failed: %+v", rep.Findings)
		}
	}
}
