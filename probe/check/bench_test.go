package check

import (
	"context"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

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
	cfg, err := config.Load()
	if err != nil {
		b.Fatal(err)
	}
	if err := cfg.Finish(); err != nil {
		b.Fatal(err)
	}
	c := New(cfg, nil)
	b.ReportAllocs()
	for b.Loop() {
		if rep := c.Run(context.Background()); !rep.OK {
			b.Fatalf("check failed: %+v", rep.Findings)
		}
	}
}
