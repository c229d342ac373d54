// Package serve is `irsa-probe serve`: the check of package check in a
// loop, and an HTTP server whose /healthz and /readyz answer Kubernetes
// probes from the latest result, never with an STS call of their own.
//
// The loop checks at start, then every refresh period with jitter
// (schedule.go), early when kubelet rotates the token (tokenwatch.go) or
// the credentials are about to expire, and less often while STS throttles.
// Each completed check feeds the readiness state machine (state.go):
// starting, ready, grace (transient failures shorter than the grace
// period), broken, undecided. The loop publishes an immutable snapshot that
// every request reads without a lock (http.go), and /metrics renders it in
// the Prometheus text format (metrics.go).
package serve
