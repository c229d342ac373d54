package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/serve"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// TestServePodIdentity: serve proves a Pod Identity pod's identity, labels
// its metrics with the mechanism, fails readiness when the association is
// deleted, and prints no token or credential anywhere.
func TestServePodIdentity(t *testing.T) {
	st := ststest.Start(podIdentity)
	t.Cleanup(st.Close)
	p := startServe(t, st, "IRSA_PROBE_REFRESH=1s", "IRSA_PROBE_GRACE=10s", "IRSA_PROBE_TIMEOUT=2s")
	eventually(t, 30*time.Second, "/readyz 200", func() bool { code, _ := p.get(t, serve.PathReadyz); return code == 200 })
	if _, body := p.get(t, serve.PathReadyz); !strings.Contains(body, "assumed-role/billing-api/eks-") || !strings.Contains(body, "mechanism=pod-identity") {
		t.Errorf("/readyz: %q", body)
	}
	if v := metric(p.metrics(t), serve.MetricCheckSuccess, "mechanism", "pod-identity"); v != 1 {
		t.Errorf("%s{mechanism=pod-identity} = %v, want 1", serve.MetricCheckSuccess, v)
	}
	st.Agent.Disassociate(st.Namespace, st.ServiceAccount)
	eventually(t, 30*time.Second, "/readyz 503", func() bool { code, _ := p.get(t, serve.PathReadyz); return code == 503 })
	if _, body := p.get(t, serve.PathHealthz); !strings.Contains(body, "pod-identity-association-missing") {
		t.Errorf("/healthz while broken: %q", body)
	}
	if v := metric(p.metrics(t), serve.MetricFinding, "code", "pod-identity-association-missing"); v != 1 {
		t.Errorf("finding metric %v", v)
	}
	tok, _ := os.ReadFile(st.PodIdentityTokenFile)
	noSecretsIn(t, st, []string{string(tok)}, append(p.bodies(), p.logs())...)
	if code := p.stop(t, 5*time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM", code)
	}
}
