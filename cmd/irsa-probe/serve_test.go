package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/check"
	"github.com/irsa-probe/irsa-probe/probe/serve"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
	"github.com/irsa-probe/irsa-probe/probe/ststest/poll"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// serveProc is `irsa-probe serve` running as a process, as in a pod.
type serveProc struct {
	cmd      *exec.Cmd
	base     string // http://127.0.0.1:PORT
	termLog  string // its IRSA_PROBE_TERMINATION_LOG
	client   *http.Client
	exited   chan struct{}
	exitCode int

	mu        sync.Mutex
	stderr    []string // log lines
	responses []string // every body fetched through get, for the secret check
}

// startServe starts the binary against st on a free port, with JSON logs,
// and waits for it to listen. extra is as for runEnv.
func startServe(t *testing.T, st *ststest.Stack, extra ...string) *serveProc {
	t.Helper()
	return startServeBinary(t, buildBinary(t), st, extra...)
}

// startServeBinary is startServe with the binary at bin.
func startServeBinary(t *testing.T, bin string, st *ststest.Stack, extra ...string) *serveProc {
	t.Helper()
	p := &serveProc{termLog: filepath.Join(t.TempDir(), "termination-log"), exited: make(chan struct{}),
		client: &http.Client{Timeout: 10 * time.Second}}
	env := runEnv(st, append([]string{"IRSA_PROBE_LISTEN=127.0.0.1:0", "IRSA_PROBE_LOG_FORMAT=json",
		"IRSA_PROBE_TERMINATION_LOG=" + p.termLog}, extra...)...)
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = env
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout = io.Discard
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stderr = append(p.stderr, line)
			p.mu.Unlock()
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "serving" {
				addr <- rec.Addr
			}
		}
		_ = p.cmd.Wait()
		p.exitCode = p.cmd.ProcessState.ExitCode()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	select {
	case a := <-addr:
		p.base = "http://" + a
	case <-p.exited:
		t.Fatalf("serve exited with %d before listening:\n%s", p.exitCode, p.logs())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not listen within 30s:\n%s", p.logs())
	}
	return p
}

func (p *serveProc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.stderr, "\n")
}

func (p *serveProc) bodies() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.responses...)
}

// get fetches path and keeps the body for the secret check.
func (p *serveProc) get(t *testing.T, path string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, p.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := p.client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	p.mu.Lock()
	p.responses = append(p.responses, string(b))
	p.mu.Unlock()
	return resp.StatusCode, string(b)
}

// metrics scrapes /metrics through a strict Prometheus parser.
func (p *serveProc) metrics(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	code, text := p.get(t, serve.PathMetrics)
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v\n%s", err, text)
	}
	return fams
}

// metric is the value of family name's sample with labels (histograms:
// their count), or -1 when there is none.
func metric(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
next:
	for _, m := range fams[name].GetMetric() {
		have := map[string]string{}
		for _, lp := range m.GetLabel() {
			have[lp.GetName()] = lp.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}

// stop sends SIGTERM, as kubelet does, and returns the exit code.
func (p *serveProc) stop(t *testing.T, within time.Duration) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
		return p.exitCode
	case <-time.After(within):
		t.Fatalf("serve did not exit within %s of SIGTERM", within)
		return -1
	}
}

// eventually fails the test unless cond holds within d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !poll.Eventually(d, cond) {
		t.Fatalf("not within %s: %s", d, what)
	}
}

// noSecretsIn: no output may hold a token written to the file (or a
// segment of one), or a secret key or session token STS issued.
func noSecretsIn(t *testing.T, st *ststest.Stack, tokens []string, outputs ...string) {
	t.Helper()
	secrets := st.STS.IssuedSecrets()
	if len(secrets) == 0 {
		t.Error("STS issued no secrets: the check below proves nothing")
	}
	for _, tok := range tokens {
		secrets = append(secrets, tok)
		for _, part := range strings.Split(tok, ".") {
			if len(part) >= 16 {
				secrets = append(secrets, part)
			}
		}
	}
	for i, out := range outputs {
		for _, s := range secrets {
			if s != "" && strings.Contains(out, s) {
				t.Errorf("output %d contains a secret (%d chars starting %.4s…)", i, len(s), s)
			}
		}
	}
}

// TestServeLifecycle runs the binary through a pod's life: ready, broken by
// a trust-policy edit and fixed, ready across a throttled refresh, /livez
// up throughout, metrics that say so, and a prompt exit 0 on SIGTERM, with
// no secret anywhere and one log line per state change.
func TestServeLifecycle(t *testing.T) {
	st := ststest.Start(ststest.StackOptions{})
	t.Cleanup(st.Close)
	token := st.Token()
	if err := st.WriteToken(token); err != nil {
		t.Fatal(err)
	}
	p := startServe(t, st, "IRSA_PROBE_REFRESH=1s", "IRSA_PROBE_GRACE=10s", "IRSA_PROBE_TIMEOUT=2s")
	livez := poll.WatchStatus(p.client, p.base+serve.PathLivez)
	status := func() int { code, _ := p.get(t, serve.PathReadyz); return code }

	// Ready.
	eventually(t, 30*time.Second, "/healthz 200", func() bool { code, _ := p.get(t, serve.PathHealthz); return code == 200 })
	if code, body := p.get(t, serve.PathReadyz); code != 200 || !strings.HasPrefix(body, "irsa-probe: OK identity="+"arn:aws:sts::"+st.Account) {
		t.Errorf("/readyz: %d %q", code, body)
	}
	var rep check.Report
	if _, body := p.get(t, serve.PathHealthz+"?verbose"); json.Unmarshal([]byte(body), &rep) != nil || !rep.OK || rep.Identity == nil {
		t.Errorf("?verbose is not a working report:\n%s", body)
	}
	if _, body := p.get(t, serve.PathHealthz, "Accept", "application/json"); !json.Valid([]byte(body)) {
		t.Errorf("Accept: application/json is not JSON:\n%s", body)
	}
	m := p.metrics(t)
	for _, c := range []struct {
		name   string
		labels []string
		lo, hi float64
	}{
		{serve.MetricReady, nil, 1, 1},
		{serve.MetricCheckSuccess, nil, 1, 1},
		{serve.MetricCheckTimestamp, nil, float64(time.Now().Add(-time.Minute).Unix()), float64(time.Now().Add(time.Minute).Unix())},
		{serve.MetricChecks, []string{"result", verdict.OK.Label()}, 1, 1e9},
		{serve.MetricChecks, []string{"result", verdict.Broken.Label()}, 0, 0},
		{serve.MetricSTSDuration, []string{"call", "AssumeRoleWithWebIdentity"}, 1, 1e9},
		{serve.MetricSTSDuration, []string{"call", "GetCallerIdentity"}, 1, 1e9},
		{serve.MetricTokenExpiry, nil, 23 * 3600, 24 * 3600},
		{serve.MetricCredentialsExpiry, nil, 1, 12 * 3600},
	} {
		if v := metric(m, c.name, c.labels...); v < c.lo || v > c.hi {
			t.Errorf("%s%v = %v, want in [%v, %v]", c.name, c.labels, v, c.lo, c.hi)
		}
	}

	// The trust policy is edited to another namespace: not ready, and says why.
	good := ststest.TrustPolicyFor("aws", st.Account, st.Issuer.URL, st.Namespace, st.ServiceAccount)
	if err := st.STS.PutRole(st.RoleARN, ststest.TrustPolicyFor("aws", st.Account, st.Issuer.URL, "other-namespace", st.ServiceAccount)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "503 after the trust-policy edit", func() bool { return status() == 503 })
	if _, body := p.get(t, serve.PathHealthz); !strings.Contains(body, "trust-policy-denied") {
		t.Errorf("/healthz does not say why:\n%s", body)
	}
	m = p.metrics(t)
	if v := metric(m, serve.MetricFinding, "code", "trust-policy-denied", "severity", "error"); v != 1 {
		t.Errorf("finding trust-policy-denied = %v, want 1", v)
	}
	if v := metric(m, serve.MetricCheckSuccess); v != 0 {
		t.Errorf("%s = %v while broken", serve.MetricCheckSuccess, v)
	}
	time.Sleep(time.Second) // a few more broken refreshes: logged once, not each time
	if err := st.STS.PutRole(st.RoleARN, good); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "200 after the fix", func() bool { return status() == 200 })

	// One throttled refresh: STS throttles until a check gives up, then recovers.
	readyz := poll.WatchStatus(p.client, p.base+serve.PathReadyz)
	okChecks := metric(p.metrics(t), serve.MetricChecks, "result", verdict.OK.Label())
	st.STS.Throttle("AssumeRoleWithWebIdentity", 0)
	eventually(t, 20*time.Second, "a check STS throttled", func() bool {
		return metric(p.metrics(t), serve.MetricChecks, "result", verdict.Undecided.Label()) >= 1
	})
	st.STS.ClearFaults()
	throttledOK := metric(p.metrics(t), serve.MetricChecks, "result", verdict.OK.Label())
	eventually(t, 20*time.Second, "a working check after STS recovered", func() bool {
		return metric(p.metrics(t), serve.MetricChecks, "result", verdict.OK.Label()) > throttledOK
	})
	if bad, total := readyz.Stop(); bad > 0 || total == 0 {
		t.Errorf("/readyz was not 200 for %d of %d probes across one throttled refresh", bad, total)
	}
	m = p.metrics(t)
	if v := metric(m, serve.MetricSTSErrors, "call", "AssumeRoleWithWebIdentity", "code", "Throttling"); v < 1 {
		t.Errorf("throttling errors = %v, want >= 1", v)
	}
	if v := metric(m, serve.MetricChecks, "result", verdict.OK.Label()); v < okChecks+1 {
		t.Errorf("ok checks %v, want > %v", v, okChecks)
	}

	if bad, total := livez.Stop(); bad > 0 || total == 0 {
		t.Errorf("/livez was not 200 for %d of %d probes while serving", bad, total)
	}

	// SIGTERM: exit 0, promptly.
	if code := p.stop(t, 10*time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0\n%s", code, p.logs())
	}

	// One log line per state change, every line JSON.
	changes := map[string]int{}
	for _, line := range strings.Split(p.logs(), "\n") {
		var rec struct {
			Msg   string
			State string
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		if rec.State != "" {
			changes[rec.State]++
		}
	}
	want := map[string]int{"ready": 3, "broken": 1, "grace": 1}
	for state, n := range want {
		if changes[state] != n {
			t.Errorf("%d %q state-change log lines, want %d\n%s", changes[state], state, n, p.logs())
		}
	}
	termLog, err := os.ReadFile(p.termLog)
	if err != nil || !strings.HasPrefix(string(termLog), "irsa-probe: OK") {
		t.Errorf("termination log: %q, %v", termLog, err)
	}
	outputs := append([]string{p.logs(), string(termLog)}, p.bodies()...)
	noSecretsIn(t, st, []string{token}, outputs...)
}

// TestServeProbesCauseNoSTSCalls: 10,000 probes within one refresh period
// are answered from memory: no STS call beyond the scheduled check's.
func TestServeProbesCauseNoSTSCalls(t *testing.T) {
	st := ststest.Start(ststest.StackOptions{})
	t.Cleanup(st.Close)
	p := startServe(t, st, "IRSA_PROBE_REFRESH=1h")
	eventually(t, 30*time.Second, "ready", func() bool { code, _ := p.get(t, serve.PathReadyz); return code == 200 })
	calls := func() int { return st.STS.Calls("AssumeRoleWithWebIdentity") + st.STS.Calls("GetCallerIdentity") }
	before := calls()

	const requests, workers = 10000, 8
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}, Timeout: 10 * time.Second}
	var bad atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < requests; i += workers {
				path := []string{serve.PathHealthz, serve.PathReadyz, serve.PathHealthz + "?verbose", serve.PathLivez}[i%4]
				resp, err := client.Get(p.base + path)
				if err != nil || resp.StatusCode != 200 {
					bad.Add(1)
				}
				if resp != nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	if n := bad.Load(); n > 0 {
		t.Errorf("%d of %d probes were not answered 200", n, requests)
	}
	if after := calls(); after != before {
		t.Errorf("%d probes caused %d STS calls, want 0", requests, after-before)
	}
	if v := metric(p.metrics(t), serve.MetricChecks, "result", verdict.OK.Label()); v != 1 {
		t.Errorf("%v checks ran, want exactly the scheduled one", v)
	}
}

// TestServePicksUpRotatedToken: kubelet rewrites the token file; the next
// check uses it within seconds, not a refresh period (20s here) later.
func TestServePicksUpRotatedToken(t *testing.T) {
	st := ststest.Start(ststest.StackOptions{})
	t.Cleanup(st.Close)
	first := st.Token()
	if err := st.WriteToken(first); err != nil {
		t.Fatal(err)
	}
	p := startServe(t, st, "IRSA_PROBE_REFRESH=20s")
	eventually(t, 30*time.Second, "ready", func() bool { code, _ := p.get(t, serve.PathReadyz); return code == 200 })

	rotated := st.Token()
	if err := st.WriteToken(rotated); err != nil {
		t.Fatal(err)
	}
	eventually(t, 12*time.Second, "STS sees the rotated token", func() bool { return st.STS.SawWebIdentityToken(rotated) })
	if code, _ := p.get(t, serve.PathReadyz); code != 200 {
		t.Errorf("/readyz %d after the rotation", code)
	}
	if code := p.stop(t, 10*time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM", code)
	}
	outputs := append([]string{p.logs()}, p.bodies()...)
	noSecretsIn(t, st, []string{first, rotated}, outputs...)
}

func TestServeUsageErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name   string
		args   []string
		env    []string
		stderr string
	}{
		{"port in use", []string{"serve"}, []string{"IRSA_PROBE_LISTEN=" + busy.Addr().String()}, "IRSA_PROBE_LISTEN"},
		{"not an address", []string{"serve"}, []string{"IRSA_PROBE_LISTEN=not-an-address"}, "IRSA_PROBE_LISTEN"},
		{"bad refresh", []string{"serve"}, []string{"IRSA_PROBE_REFRESH=often"}, "IRSA_PROBE_REFRESH"},
		{"negative grace", []string{"serve"}, []string{"IRSA_PROBE_GRACE=-1s"}, "IRSA_PROBE_GRACE"},
		{"stray argument", []string{"serve", "now"}, nil, "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A usage error exits at once; the deadline only guards a serve that starts.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, buildBinary(t), tt.args...)
			cmd.Env = runEnv(nil, tt.env...)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != verdict.ExitUsage {
				t.Fatalf("exit: %v, want %d\n%s", err, verdict.ExitUsage, out)
			}
			if !strings.Contains(string(out), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, out)
			}
		})
	}
}

// TestServeLoad measures what the README quotes: the static binary's size,
// /healthz latency at 1,000 requests/s from this (second) process, and the
// server's resident memory under that load. It reports figures and asserts
// none of them, so it only runs when asked:
//
//	IRSA_PROBE_LOADTEST=1 go test ./cmd/irsa-probe -run TestServeLoad -v
func TestServeLoad(t *testing.T) {
	if os.Getenv("IRSA_PROBE_LOADTEST") == "" {
		t.Skip("set IRSA_PROBE_LOADTEST=1 to measure")
	}
	bin := filepath.Join(t.TempDir(), "irsa-probe")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("static build: %v\n%s", err, out)
	}
	fi, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("static binary (CGO_ENABLED=0 -trimpath -ldflags '-s -w'): %d bytes = %.2f MiB", fi.Size(), float64(fi.Size())/(1<<20))

	st := ststest.Start(ststest.StackOptions{})
	t.Cleanup(st.Close)
	p := startServeBinary(t, bin, st)
	eventually(t, 30*time.Second, "ready", func() bool { code, _ := p.get(t, serve.PathHealthz); return code == 200 })
	t.Logf("idle after the first check: %s", procMemory(t, p.cmd.Process.Pid))

	const rate, seconds = 1000, 10
	addr := strings.TrimPrefix(p.base, "http://")
	for _, mode := range []struct {
		name      string
		keepAlive bool
	}{
		{"keep-alive connections", true},
		{"a new connection per request, as kubelet probes", false},
	} {
		lat, failed, lag := openLoop(addr, serve.PathHealthz, mode.keepAlive, rate, seconds*time.Second)
		t.Logf("%s: %d requests at %d/s, %d failed: p50 %s, p90 %s, p99 %s, p99.9 %s, max %s (sent late by up to %s at p99); server %s",
			mode.name, len(lat), rate, failed, pct(lat, 50), pct(lat, 90), pct(lat, 99), pct(lat, 99.9), pct(lat, 100), lag,
			procMemory(t, p.cmd.Process.Pid))
	}
	if code := p.stop(t, 10*time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM", code)
	}
}

// openLoop sends GET path to addr at rate per second for d, each request
// at its scheduled time whatever the previous ones did: 16 workers, each
// far from busy, so a slow answer does not delay the next request. It
// speaks HTTP/1.1 over its own connections, so it measures the server and
// the loopback rather than a client library's pooling. It returns the
// latencies (write of the request to end of the response), sorted, the
// failures, and the 99th percentile of how late requests were sent:
// time.Sleep on this VM oversleeps by 0.5-1 ms, which is the generator's
// jitter, not the server's latency, so it is reported apart.
func openLoop(addr, path string, keepAlive bool, rate int, d time.Duration) ([]time.Duration, int, time.Duration) {
	const workers = 16
	n := int(d.Seconds() * float64(rate))
	interval := time.Second / time.Duration(rate)
	req := []byte("GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: kube-probe/1.33\r\n\r\n")
	if !keepAlive {
		req = []byte("GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: kube-probe/1.33\r\nConnection: close\r\n\r\n")
	}
	type job struct {
		i   int
		due time.Time
	}
	jobs := make(chan job, n)
	lat := make([]time.Duration, n)
	lag := make([]time.Duration, n)
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var conn net.Conn
			var br *bufio.Reader
			for j := range jobs {
				sent := time.Now()
				lag[j.i] = sent.Sub(j.due)
				if conn == nil {
					c, err := net.Dial("tcp", addr)
					if err != nil {
						failed.Add(1)
						lat[j.i] = time.Since(sent)
						continue
					}
					conn, br = c, bufio.NewReader(c)
				}
				resp, err := roundTrip(conn, br, req)
				lat[j.i] = time.Since(sent)
				if err != nil || resp != http.StatusOK {
					failed.Add(1)
				}
				if err != nil || !keepAlive {
					conn.Close()
					conn = nil
				}
			}
			if conn != nil {
				conn.Close()
			}
		}()
	}
	start := time.Now()
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(due))
		jobs <- job{i, due}
	}
	close(jobs)
	wg.Wait()
	slices.Sort(lat)
	slices.Sort(lag)
	return lat, int(failed.Load()), pct(lag, 99)
}

// roundTrip writes one request and reads its response.
func roundTrip(conn net.Conn, br *bufio.Reader, req []byte) (int, error) {
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return 0, err
	}
	if _, err := conn.Write(req); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

// pct is the p-th percentile of sorted latencies.
func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))].Round(time.Microsecond)
}

// procMemory is VmRSS and VmHWM (peak) of pid, from /proc.
func procMemory(t *testing.T, pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") || strings.HasPrefix(line, "VmHWM:") || strings.HasPrefix(line, "RssAnon:") || strings.HasPrefix(line, "RssFile:") {
			out = append(out, strings.Join(strings.Fields(line), " "))
		}
	}
	return strings.Join(out, ", ")
}
