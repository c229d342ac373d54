package serve

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/check"
)

func TestServeHealthEndpoints(t *testing.T) {
	tests := []struct {
		name   string
		reps   []*check.Report // checks so far
		path   string
		accept string
		status int
		ctype  string
		body   string // substring
	}{
		{"healthz before the first check", nil, PathHealthz, "", 503, "text/plain", "STARTING"},
		{"readyz before the first check", nil, PathReadyz, "", 503, "text/plain", "STARTING"},
		{"ready", []*check.Report{okReport()}, PathHealthz, "", 200, "text/plain", "irsa-probe: OK identity=arn:aws:sts::111122223333"},
		{"readyz ready", []*check.Report{okReport()}, PathReadyz, "", 200, "text/plain", "irsa-probe: OK"},
		{"broken", []*check.Report{brokenReport()}, PathReadyz, "", 503, "text/plain", "trust-policy-denied"},
		{"one transient failure after a success", []*check.Report{okReport(), throttledReport()}, PathReadyz, "", 200, "text/plain", "READY (grace)"},
		{"transient failure with no success", []*check.Report{throttledReport()}, PathReadyz, "", 503, "text/plain", "UNDECIDED"},
		{"verbose", []*check.Report{okReport()}, PathHealthz + "?verbose", "", 200, "application/json", `"ok":true`},
		{"verbose=1", []*check.Report{brokenReport()}, PathHealthz + "?verbose=1", "", 503, "application/json", `"code":"trust-policy-denied"`},
		{"verbose=false is text", []*check.Report{okReport()}, PathHealthz + "?verbose=false", "", 200, "text/plain", "irsa-probe: OK"},
		{"Accept JSON", []*check.Report{okReport()}, PathReadyz, "application/json", 200, "application/json", `"checks"`},
		{"Accept JSON among others", []*check.Report{okReport()}, PathReadyz, "text/html, application/json;q=0.9", 200, "application/json", `"checks"`},
		{"JSON before the first check", nil, PathReadyz, "application/json", 503, "application/json", `"state":"starting"`},
		{"livez whatever IAM says", []*check.Report{brokenReport()}, PathLivez, "", 200, "text/plain", "ok"},
		{"livez before the first check", nil, PathLivez, "", 200, "text/plain", "ok"},
		{"metrics", []*check.Report{okReport()}, PathMetrics, "", 200, "text/plain; version=0.0.4", MetricCheckSuccess + `{mechanism="pod-identity"} 1`},
		{"unknown path", nil, "/", "", 404, "text/plain", "not found"},
		{"no pprof", nil, "/debug/pprof/", "", 404, "text/plain", "not found"},
		{"no prefix match", nil, PathHealthz + "/x", "", 404, "text/plain", "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testServer(t)
			if tt.reps != nil {
				s.publishForTest(tt.reps...)
			}
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			rec := httptest.NewRecorder()
			s.handler().ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, tt.ctype) {
				t.Errorf("Content-Type %q, want %q", ct, tt.ctype)
			}
			if !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("body lacks %q:\n%s", tt.body, rec.Body.String())
			}
			if strings.HasPrefix(tt.ctype, "application/json") && !json.Valid(rec.Body.Bytes()) {
				t.Errorf("body is not JSON:\n%s", rec.Body.String())
			}
		})
	}
}

func TestServeMethods(t *testing.T) {
	s := testServer(t)
	s.publishForTest(okReport())
	h := s.handler()
	for _, path := range Paths() {
		for _, tt := range []struct {
			method string
			status int
		}{
			{http.MethodGet, 200},
			{http.MethodHead, 200},
			{http.MethodPost, 405},
			{http.MethodPut, 405},
			{http.MethodDelete, 405},
			{http.MethodOptions, 405},
			{http.MethodTrace, 405},
		} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, path, strings.NewReader("x")))
			if rec.Code != tt.status {
				t.Errorf("%s %s: status %d, want %d", tt.method, path, rec.Code, tt.status)
			}
			if tt.status == 405 && !strings.Contains(rec.Header().Get("Allow"), "GET") {
				t.Errorf("%s %s: Allow %q", tt.method, path, rec.Header().Get("Allow"))
			}
		}
	}
}

func TestServeHealthHeaders(t *testing.T) {
	s := testServer(t)
	s.publishForTest(okReport(), unreachableReport())
	rec := httptest.NewRecorder()
	s.handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, PathReadyz, nil))
	for k, want := range map[string]string{StateHeader: "grace", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
		if got := rec.Header().Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
}

func TestServeLivezStuckLoop(t *testing.T) {
	s := testServer(t)
	now := time.Now()
	s.now = func() time.Time { return now }
	tests := []struct {
		name    string
		started time.Time // zero: no check running
		exited  bool
		status  int
	}{
		{"idle", time.Time{}, false, 200},
		{"checking", now.Add(-s.cfg.Timeout), false, 200},
		{"a check far past its deadline", now.Add(-s.cfg.Timeout - stuckAfter - time.Second), false, 503},
		{"loop gone", time.Time{}, true, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.checkStarted.Store(0)
			if !tt.started.IsZero() {
				s.checkStarted.Store(tt.started.UnixNano())
			}
			s.loopExited.Store(tt.exited)
			rec := httptest.NewRecorder()
			s.handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, PathLivez, nil))
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d: %s", rec.Code, tt.status, rec.Body.String())
			}
		})
	}
}

func TestServeHTTPServerHardened(t *testing.T) {
	srv := testServer(t).httpServer()
	if srv.ReadHeaderTimeout == 0 || srv.ReadTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 {
		t.Errorf("a timeout is unset: %+v", srv)
	}
	if srv.MaxHeaderBytes == 0 || srv.MaxHeaderBytes > 64<<10 {
		t.Errorf("MaxHeaderBytes = %d", srv.MaxHeaderBytes)
	}
}

// BenchmarkHealthz measures one /healthz answer: from the handler alone,
// and through a real keep-alive connection on the loopback.
func BenchmarkHealthz(b *testing.B) {
	s := testServer(b)
	s.publishForTest(okReport())
	b.Run("handler", func(b *testing.B) {
		h := s.handler()
		req := httptest.NewRequest(http.MethodGet, PathHealthz, nil)
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatal(rec.Code)
			}
		}
	})
	b.Run("loopback", func(b *testing.B) {
		ts := httptest.NewServer(s.handler())
		defer ts.Close()
		client := ts.Client()
		b.ReportAllocs()
		for b.Loop() {
			if code, _ := get(b, client, ts.URL+PathHealthz); code != 200 {
				b.Fatal(code)
			}
		}
	})
}

// FuzzServeRequest: whatever a client sends, a probe gets an answer from
// the documented set, and never a body with the wrong content type.
func FuzzServeRequest(f *testing.F) {
	f.Add("GET", "/healthz", "", "")
	f.Add("GET", "/readyz?verbose", "", "application/json")
	f.Add("HEAD", "/metrics", "", "")
	f.Add("POST", "/livez", "x=1", "*/*")
	f.Add("GET", "/healthz?verbose=%zz;&", "", "")
	s := testServer(f)
	s.publishForTest(okReport(), throttledReport())
	h := s.handler()
	f.Fuzz(func(t *testing.T, method, path, query, accept string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequest(method, "http://probe"+path, nil)
		if err != nil {
			return // not a request net/http would parse either
		}
		req.URL.RawQuery = query
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 301, 307, 308, 400, 404, 405, 503:
		default:
			t.Fatalf("%s %s?%s: status %d", method, path, query, rec.Code)
		}
		if rec.Code == 200 && strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s?%s: JSON content type, body not JSON", method, path, query)
		}
	})
}
