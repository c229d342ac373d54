package serve

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/check"
	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
	"github.com/irsa-probe/irsa-probe/probe/ststest/poll"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	dto "github.com/prometheus/client_model/go"
)

// testServer is a server with no loop: tests publish its state directly.
func testServer(t testing.TB) *Server {
	t.Helper()
	cfg := &config.Config{Settings: config.Settings{Refresh: time.Minute, Timeout: 10 * time.Second, Audience: iam.DefaultAudience,
		Listen: "127.0.0.1:0", LogFormat: "text", LogLevel: "info", Output: "text", VerifySignature: "never"}}
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	return New(cfg, slog.New(slog.DiscardHandler), "v0.0.0-test")
}

// publish makes rep the latest check, as the loop would after it.
func (s *Server) publishForTest(reps ...*check.Report) {
	r := readiness{grace: s.cfg.Grace}
	now := s.now()
	for _, rep := range reps {
		r.record(rep, now)
	}
	s.snap.Store(newSnapshot(&r, now, now))
}

// stackEnv points this process's environment at st, as the webhook and the
// endpoint overrides would: the SDK's default chain reads it directly.
func stackEnv(t *testing.T, st *ststest.Stack) {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_") || strings.HasPrefix(name, config.Prefix) || strings.HasSuffix(strings.ToUpper(name), "_PROXY") {
			t.Setenv(name, "")
			if err := os.Unsetenv(name); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, kv := range st.Environ() {
		name, val, _ := strings.Cut(kv, "=")
		t.Setenv(name, val)
	}
}

// startServing runs a whole serve loop and server in this process against
// st. The token signature is not verified here: that needs the issuer's CA
// in the process's roots, which the subprocess tests give it.
func startServing(t *testing.T, st *ststest.Stack, tune func(*config.Settings)) (*Server, string) {
	t.Helper()
	stackEnv(t, st)
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Refresh, cfg.Timeout, cfg.VerifySignature, cfg.TerminationLog, cfg.Listen = time.Second, 5*time.Second, "never", "", "127.0.0.1:0"
	if tune != nil {
		tune(&cfg.Settings)
	}
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		t.Fatal(err)
	}
	tl := &testLog{t: t}
	t.Cleanup(tl.stop) // runs last: the server stops logging first
	s := New(cfg, slog.New(slog.NewTextHandler(tl, nil)), "test")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Run(ctx, ln); err != nil {
			t.Errorf("Run = %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop within 10s of cancel")
		}
	})
	return s, "http://" + ln.Addr().String()
}

// testLog sends the server's log to t.Log, until the test ends.
type testLog struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (l *testLog) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done = true
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// waitFor fails the test unless cond holds within d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !poll.Eventually(d, cond) {
		t.Fatalf("not within %s: %s", d, what)
	}
}

// get fetches url and returns the status and body.
func get(t testing.TB, client *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

// parseMetrics parses the Prometheus text format strictly.
func parseMetrics(t testing.TB, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v\n%s", err, text)
	}
	return fams
}

// metricValue is the value of the sample of family name whose labels
// include labels, and whether there is one.
func metricValue(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, lp := range m.GetLabel() {
			have[lp.GetName()] = lp.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		case m.Untyped != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}
