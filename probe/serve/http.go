package serve

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// HTTP server limits. Probes and scrapes are tiny GETs from inside the
// cluster; anything slow or large is not one of them.
const (
	readHeaderTimeout = 2 * time.Second
	readTimeout       = 5 * time.Second
	writeTimeout      = 10 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 8 << 10
)

// Paths serve answers; probes in manifests must use one of them.
const (
	PathHealthz = "/healthz"
	PathReadyz  = "/readyz"
	PathLivez   = "/livez"
	PathMetrics = "/metrics"
)

// Paths lists the paths serve answers.
func Paths() []string {
	return []string{PathHealthz, PathReadyz, PathLivez, PathMetrics}
}

// StateHeader carries the serve state (starting, ready, grace, broken,
// undecided) on /healthz and /readyz answers, for humans with curl -i.
const StateHeader = "Irsa-Probe-State"

// httpServer is the hardened server: timeouts on every phase, small
// headers, GET and HEAD only, and no handler beyond the four paths (no
// directory listing, no pprof).
func (s *Server) httpServer() *http.Server {
	return &http.Server{
		Handler:           s.handler(),
		ConnState:         newConnLimiter(maxConns, maxOpen, headerGrace).track,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// net/http's own complaints (bad requests, broken connections) are
		// noise at info level in a pod.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// handler routes the four paths. A "GET" pattern also answers HEAD; the mux
// answers other methods with 405 and an Allow header, other paths with 404.
func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathHealthz, s.serveHealth)
	mux.HandleFunc("GET "+PathReadyz, s.serveHealth)
	mux.HandleFunc("GET "+PathLivez, s.serveLive)
	mux.HandleFunc("GET "+PathMetrics, s.serveMetrics)
	return mux
}

// serveHealth is /healthz and /readyz: the cached verdict, never an STS call.
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	snap := s.snap.Load()
	h := w.Header()
	body, ctype := snap.text, "text/plain; charset=utf-8"
	if wantsJSON(r) {
		body, ctype = snap.json, "application/json"
	}
	h["Content-Type"] = []string{ctype}
	h["Cache-Control"] = noStore
	h["X-Content-Type-Options"] = noSniff
	h[StateHeader] = []string{string(snap.state)}
	if snap.ready {
		w.WriteHeader(http.StatusOK)
	} else {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = w.Write(body)
}

// Shared header values: the handlers assign them instead of building new
// slices on every probe.
var (
	noStore = []string{"no-store"}
	noSniff = []string{"nosniff"}
)

// wantsJSON: ?verbose (any value but 0/false) or an Accept header naming
// application/json.
func wantsJSON(r *http.Request) bool {
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		return true
	}
	if r.URL.RawQuery == "" {
		return false
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil || !q.Has("verbose") {
		return false
	}
	v := strings.ToLower(q.Get("verbose"))
	return v != "0" && v != "false"
}

// serveLive is /livez: the process and its loop, whatever IAM says. A
// restart fixes a stuck loop; it never fixes a trust policy.
func (s *Server) serveLive(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Content-Type"] = []string{"text/plain; charset=utf-8"}
	h["Cache-Control"] = noStore
	if ok, why := s.alive(); !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("irsa-probe: NOT LIVE: " + why + "\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// serveMetrics is /metrics in the Prometheus text format.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	s.metrics.write(&b)
	h := w.Header()
	h["Content-Type"] = []string{metricsContentType}
	h["Cache-Control"] = noStore
	_, _ = w.Write(b.Bytes())
}
