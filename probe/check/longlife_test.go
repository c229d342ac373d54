package check

import (
	"context"
	"os"
	"runtime"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// openFDs counts this process's open file descriptors.
func openFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(ents)
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestResourcesStayFlat: serve runs one Checker for months. Thousands of
// checks must leave the open descriptors and the heap where they were:
// for a pod whose IRSA works (both STS calls) and for one never annotated,
// whose default chain goes through IMDS and STS as the node role.
func TestResourcesStayFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("thousands of checks")
	}
	if raceEnabled {
		// Thousands of instrumented checks took minutes, and the figures
		// are the process's: make test runs this again without the race
		// detector (TIMING_TESTS).
		t.Skip("a whole process's figures: make test runs it without the race detector")
	}
	for _, tc := range []struct {
		name string
		env  []string
		want func(*Report) bool
		// forget: the emulator drops the sessions of each check, so its
		// memory does not count as the probe's (IMDS's node-role session
		// must stay).
		forget bool
	}{
		{"irsa", nil, func(r *Report) bool { return r.OK }, true},
		{"node role", []string{"AWS_ROLE_ARN=", "AWS_WEB_IDENTITY_TOKEN_FILE="}, func(r *Report) bool { return r.Has(finding.CodeNodeRoleFallback) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := ststest.Start(ststest.StackOptions{})
			defer st.Close()
			if rep := runAgainst(t, st, tc.env...); !tc.want(rep) {
				t.Fatalf("the first check found: %+v", rep.Findings)
			}
			st.STS.StopRecording()
			c := lastChecker
			run := func(n int) {
				for range n {
					if rep := c.Run(context.Background()); !tc.want(rep) {
						t.Fatalf("a check found: %+v", rep.Findings)
					}
					if tc.forget {
						st.STS.ForgetSessions()
					}
				}
			}
			run(200) // warm: pools, caches and the runtime settle
			fds, heap := openFDs(t), heapInUse()
			const checks = 2000
			run(checks)
			fdsAfter, heapAfter := openFDs(t), heapInUse()
			t.Logf("%d checks: open fds %d -> %d, heap in use %.1f -> %.1f MiB", checks, fds, fdsAfter, float64(heap)/(1<<20), float64(heapAfter)/(1<<20))
			if fdsAfter > fds+4 {
				t.Errorf("open file descriptors grew from %d to %d over %d checks", fds, fdsAfter, checks)
			}
			if heapAfter > heap+2<<20 {
				t.Errorf("heap in use grew from %d to %d bytes over %d checks", heap, heapAfter, checks)
			}
		})
	}
}
