package serve

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
	"github.com/irsa-probe/irsa-probe/probe/ststest/poll"
)

// stsCalls is every STS call the emulator has received.
func stsCalls(st *ststest.Stack) int {
	return st.STS.Calls("AssumeRoleWithWebIdentity") + st.STS.Calls("GetCallerIdentity")
}

// TestServeProbesNeverCallSTS: 10,000 /healthz within one refresh period
// cause no STS call beyond the scheduled check's.
func TestServeProbesNeverCallSTS(t *testing.T) {
	st := ststest.Start(ststest.StackOptions{})
	t.Cleanup(st.Close)
	s, base := startServing(t, st, func(s *config.Settings) { s.Refresh = time.Hour })
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 10 * time.Second}
	waitFor(t, 20*time.Second, "ready", func() bool { code, _ := get(t, client, base+PathHealthz); return code == 200 })

	before, checks := stsCalls(st), s.checks.Load()
	if before == 0 {
		t.Fatal("ready without any STS call")
	}
	const requests, workers = 10000, 8
	var failed atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < requests; i += workers {
				path := []string{PathHealthz, PathReadyz, PathHealthz + "?verbose"}[i%3]
				resp, err := client.Get(base + path)
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
				}
				if resp != nil {
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d probes did not get 200", n, requests)
	}
	if after := stsCalls(st); after != before || s.checks.Load() != checks {
		t.Errorf("%d probes caused %d STS calls and %d checks; want none", requests, after-before, s.checks.Load()-checks)
	}
}

// TestServeLoopScenario walks the in-process loop through the states with
// the race detector watching: ready, broken on a trust-policy edit, fixed,
// ready across a throttled refresh, and a rotated token picked up early.
func TestServeLoopScenario(t *testing.T) {
	st := ststest.Start(ststest.StackOptions{})
	t.Cleanup(st.Close)
	s, base := startServing(t, st, func(set *config.Settings) {
		set.Refresh, set.Grace, set.Timeout = time.Second, 10*time.Second, 2*time.Second
	})
	client := &http.Client{Timeout: 5 * time.Second}
	status := func() int { code, _ := get(t, client, base+PathReadyz); return code }
	waitFor(t, 20*time.Second, "ready", func() bool { return status() == 200 })

	good := ststest.TrustPolicyFor("aws", st.Account, st.Issuer.URL, st.Namespace, st.ServiceAccount)
	edited := ststest.TrustPolicyFor("aws", st.Account, st.Issuer.URL, "other-namespace", st.ServiceAccount)
	if err := st.STS.PutRole(st.RoleARN, edited); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "503 after the trust policy edit", func() bool { return status() == 503 })
	if _, body := get(t, client, base+PathReadyz); !strings.Contains(body, string(finding.CodeTrustPolicyDenied)) {
		t.Errorf("body does not name %s:\n%s", finding.CodeTrustPolicyDenied, body)
	}
	if err := st.STS.PutRole(st.RoleARN, good); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "200 after the fix", func() bool { return status() == 200 })

	// Throttle until one check has given up on it, then let STS recover.
	undecided := func() float64 {
		_, text := get(t, client, base+PathMetrics)
		v, _ := metricValue(parseMetrics(t, text), MetricChecks, map[string]string{"result": "indeterminate"})
		return v
	}
	st.STS.Throttle("AssumeRoleWithWebIdentity", 0)
	readyz := poll.WatchStatus(client, base+PathReadyz)
	waitFor(t, 15*time.Second, "a throttled check", func() bool { return undecided() >= 1 })
	st.STS.ClearFaults()
	okBefore := s.checks.Load()
	waitFor(t, 15*time.Second, "a check after STS recovered", func() bool { return s.checks.Load() > okBefore && s.snap.Load().state == stateReady })
	if bad, total := readyz.Stop(); bad > 0 || total == 0 {
		t.Errorf("/readyz failed %d times of %d across one throttled refresh", bad, total)
	}

}

// TestServePicksUpRotatedToken: a new token file is checked at once (after
// minGap, 2s here), not a refresh period (20s here) later.
func TestServePicksUpRotatedToken(t *testing.T) {
	st := ststest.Start(ststest.StackOptions{})
	t.Cleanup(st.Close)
	_, base := startServing(t, st, func(set *config.Settings) { set.Refresh = 20 * time.Second })
	client := &http.Client{Timeout: 5 * time.Second}
	status := func() int { code, _ := get(t, client, base+PathReadyz); return code }
	waitFor(t, 15*time.Second, "ready", func() bool { return status() == 200 })

	if err := st.WriteToken("not-a-token"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 12*time.Second, "503 once the token file is garbage", func() bool { return status() == 503 })
	if _, body := get(t, client, base+PathReadyz); !strings.Contains(body, string(finding.CodeTokenMalformed)) {
		t.Errorf("body does not name %s:\n%s", finding.CodeTokenMalformed, body)
	}
	rotated := st.Token()
	if err := st.WriteToken(rotated); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 12*time.Second, "STS sees the rotated token", func() bool { return st.STS.SawWebIdentityToken(rotated) })
	waitFor(t, 5*time.Second, "ready again", func() bool { return status() == 200 })
}
