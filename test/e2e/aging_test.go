//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/test/e2e/framework"
)

// agingRole is the story's own role: it runs beside the other tests for
// ten minutes, and they replace or delete the roles they share.
const agingRole = "aging-billing-api"

// agingPod is the rotation story's workload: a service account whose
// tokens live 600 s (eks.amazonaws.com/token-expiration, the minimum EKS's
// webhook allows), and a pod with serve on port, the application stand-in
// calling STS every 30 s through the token the webhook mounts, and a
// legacy container reading the same token through a subPath mount. All run
// as one uid with fsGroup, so each may read the token.
func agingPod(port int) string {
	role := env.RoleARN(agingRole)
	return fmt.Sprintf(`apiVersion: v1
kind: ServiceAccount
metadata:
  name: billing-api
  annotations:
    eks.amazonaws.com/role-arn: %[1]s
    eks.amazonaws.com/token-expiration: "600"
---
apiVersion: v1
kind: Pod
metadata:
  name: aging
  labels: {app.kubernetes.io/name: aging}
spec:
  serviceAccountName: billing-api
  terminationGracePeriodSeconds: 5
  securityContext: {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532}
  containers:
    - name: irsa-probe
      image: %[2]s
      args: ["serve"]
      env:
        - {name: IRSA_PROBE_LISTEN, value: ":%[3]d"}
        - {name: IRSA_PROBE_REFRESH, value: "60s"}
      readinessProbe:
        httpGet: {path: /readyz, port: %[3]d}
        periodSeconds: 5
        timeoutSeconds: 2
        failureThreshold: 1
    - name: app
      image: %[4]s
      args: ["sts-loop", "30s"]
    - name: legacy
      image: %[4]s
      args: ["sts-loop", "30s"]
      env:
        - {name: AWS_ROLE_ARN, value: "%[1]s"}
        - {name: AWS_WEB_IDENTITY_TOKEN_FILE, value: /var/run/secrets/eks.amazonaws.com/serviceaccount/token}
      volumeMounts:
        - {name: aws-iam-token, mountPath: /var/run/secrets/eks.amazonaws.com/serviceaccount/token, subPath: token, readOnly: true}
`, role, env.ImageName, port, framework.AppImage)
}

// serveWatch polls serve's /readyz and /metrics every 5 s from the suite's
// network namespace (the pod is on the host's network) until stopped.
type serveWatch struct {
	mu sync.Mutex
	// notReady are the times /readyz answered other than 200 after the
	// first 200; readyAt is that first 200.
	readyAt  time.Time
	notReady []string
	// rotatedAt is when irsa_probe_token_rotations_total{token="irsa"}
	// first read 1 or more.
	rotatedAt time.Time
	polls     int
}

func (w *serveWatch) run(ctx context.Context, port int) {
	client := &http.Client{Timeout: 3 * time.Second}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	for {
		now := time.Now()
		code := 0
		if resp, err := client.Get(base + "/readyz"); err == nil {
			code = resp.StatusCode
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
		}
		rotations := -1.0
		if resp, err := client.Get(base + "/metrics"); err == nil {
			sc := bufio.NewScanner(io.LimitReader(resp.Body, 4<<20))
			for sc.Scan() {
				if v, ok := strings.CutPrefix(sc.Text(), `irsa_probe_token_rotations_total{token="irsa"} `); ok {
					rotations, _ = strconv.ParseFloat(v, 64)
				}
			}
			resp.Body.Close()
		}
		w.mu.Lock()
		w.polls++
		switch {
		case code == 200 && w.readyAt.IsZero():
			w.readyAt = now
		case code != 200 && !w.readyAt.IsZero():
			w.notReady = append(w.notReady, fmt.Sprintf("%s: /readyz %d", now.UTC().Format(time.RFC3339), code))
		}
		if rotations >= 1 && w.rotatedAt.IsZero() {
			w.rotatedAt = now
		}
		w.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Second):
		}
	}
}

// loopLine is one line of the stand-in's sts-loop log.
type loopLine struct {
	at       time.Time
	iat, exp int64  // a token line
	ok       string // a call that worked: the ARN
	fail     string // a call that failed: the error
}

func parseLoop(t *testing.T, log string) []loopLine {
	t.Helper()
	var out []loopLine
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		ts, rest, _ := strings.Cut(line, " ")
		at, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			continue
		}
		l := loopLine{at: at}
		switch {
		case strings.HasPrefix(rest, "token iat="):
			if _, err := fmt.Sscanf(rest, "token iat=%d exp=%d", &l.iat, &l.exp); err != nil {
				t.Errorf("stand-in line %q: %v", line, err)
			}
		case strings.HasPrefix(rest, "ok "):
			l.ok = strings.TrimPrefix(rest, "ok ")
		case strings.HasPrefix(rest, "FAIL "):
			l.fail = strings.TrimPrefix(rest, "FAIL ")
		default:
			t.Errorf("stand-in line %q", line)
		}
		out = append(out, l)
	}
	return out
}

// 10. The rotation story, on the real kubelet: a token living 600 s is
// rotated at ~80% of its life; serve sees the rotation and stays Ready
// across it and past the first token's exp; the application reading the
// webhook's mount never fails; the legacy container's subPath mount keeps
// the first token, and its calls fail once it expires (ststest's STS
// enforces exp: ExpiredTokenException); kubectl irsa-probe names
// token-mount-not-rotated for it from the pod spec minutes before.
//
// It sets up, then runs in parallel with the rest of the suite (the file
// sorts first): the pod ages while the other tests run, and a goroutine
// watches serve all along, so the suite grows by the story's setup, not by
// the token's lifetime.
func TestTokenRotationStory(t *testing.T) {
	ns := env.Namespace(t, framework.NamespaceOptions{})
	env.TrustRole(t, env.RoleARN(agingRole), ns.Name, "billing-api", false)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ns.Apply(agingPod(port))
	pod := ns.WaitPod("app.kubernetes.io/name=aging", 3*time.Minute, framework.PodReady)
	if got := ns.Get(`{.spec.volumes[?(@.name=="aws-iam-token")].projected.sources[0].serviceAccountToken.expirationSeconds}`, "pod", pod.Name); got != "600" {
		t.Fatalf("the webhook projected the token with expirationSeconds %q, want 600 (token-expiration)", got)
	}
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	w := &serveWatch{}
	watchDone := make(chan struct{})
	go func() { defer close(watchDone); w.run(ctx, port) }()

	// The first token, as the application read it.
	var iat0, exp0 int64
	ns.WaitFor("the stand-in's first token line", time.Minute, func() string {
		for _, l := range parseLoop(t, ns.Kubectl("logs", pod.Name, "-c", "app")) {
			if l.iat != 0 {
				iat0, exp0 = l.iat, l.exp
				return ""
			}
		}
		return "no token line yet"
	})
	if exp0-iat0 != 600 {
		t.Fatalf("the first token lives %d s, want 600", exp0-iat0)
	}
	first := time.Unix(iat0, 0)

	// The plugin names the legacy container from the pod spec.
	r := plugin(t, pod.Name, "-n", ns.Name, "--print")
	named := time.Now()
	if !strings.Contains(r.Stderr, "token-mount-not-rotated (pod spec): container legacy mounts volume aws-iam-token with subPath token") {
		t.Errorf("kubectl irsa-probe did not name the subPath container:\nstderr:\n%s", r.Stderr)
	}
	fleet := plugin(t, "-n", ns.Name)
	if !strings.Contains(fleet.Stdout+fleet.Stderr, "token-mount-not-rotated") {
		t.Errorf("the fleet view did not name the subPath container:\n%s\n%s", fleet.Stdout, fleet.Stderr)
	}

	t.Parallel()

	// Until two calls past the first token's exp.
	until := time.Unix(exp0, 0).Add(75 * time.Second)
	ns.WaitFor("the first token's exp and two calls after it", time.Until(until)+30*time.Second, func() string {
		if time.Now().Before(until) {
			return "not yet " + until.UTC().Format(time.RFC3339)
		}
		return ""
	})
	stop()
	<-watchDone

	app := parseLoop(t, ns.Kubectl("logs", pod.Name, "-c", "app"))
	legacy := parseLoop(t, ns.Kubectl("logs", pod.Name, "-c", "legacy"))
	serveLog := ns.Kubectl("logs", pod.Name, "-c", "irsa-probe")

	// The kubelet rotated the token the application reads.
	var iat1 int64
	calls, fails := 0, 0
	for _, l := range app {
		if l.iat != 0 && l.iat != iat0 && iat1 == 0 {
			iat1 = l.iat
		}
		if l.ok != "" {
			calls++
		}
		if l.fail != "" {
			fails++
			t.Errorf("the application's call failed at %s: %s", l.at.Format(time.RFC3339), l.fail)
		}
	}
	if iat1 == 0 {
		t.Fatalf("the application's token never changed (iat %d)", iat0)
	}
	rotatedAfter := time.Duration(iat1-iat0) * time.Second
	if rotatedAfter < 470*time.Second || rotatedAfter > 560*time.Second {
		t.Errorf("kubelet rotated the token %s after it was issued, want ~480 s (80%% of 600 s)", rotatedAfter)
	}
	lastCall := app[len(app)-1].at
	if calls < 20 || !lastCall.After(time.Unix(exp0, 0)) {
		t.Errorf("%d calls up to %s, want a call every 30 s past exp %s", calls, lastCall, time.Unix(exp0, 0).UTC())
	}

	// serve saw it, and stayed Ready throughout.
	w.mu.Lock()
	if len(w.notReady) > 0 {
		t.Errorf("serve was not ready %d times after it first was: %v", len(w.notReady), w.notReady)
	}
	if w.rotatedAt.IsZero() {
		t.Errorf("serve's %d polls never showed a rotation", w.polls)
	}
	servedRotation := w.rotatedAt.Sub(first)
	w.mu.Unlock()
	if !strings.Contains(serveLog, `"msg":"token rotated"`) && !strings.Contains(serveLog, "msg=\"token rotated\"") {
		t.Errorf("serve's log has no token rotated line:\n%s", serveLog)
	}
	for _, p := range ns.Pods("app.kubernetes.io/name=aging") {
		for _, c := range []string{"irsa-probe", "app", "legacy"} {
			if st := framework.Status(&p, c); st == nil || st.RestartCount != 0 {
				t.Errorf("container %s restarted: %s", c, framework.PodSummary(&p))
			}
		}
	}

	// The legacy container kept the first token; its calls fail after exp,
	// refused by STS for the expired token.
	var firstFail time.Time
	for _, l := range legacy {
		if l.iat != 0 && l.iat != iat0 {
			t.Errorf("the subPath container's token changed at %s: iat %d", l.at.Format(time.RFC3339), l.iat)
		}
		if l.fail != "" {
			if l.at.Before(time.Unix(exp0, 0)) {
				t.Errorf("the subPath container failed before exp: %s", l.fail)
			}
			if firstFail.IsZero() {
				firstFail = l.at
				if !strings.Contains(l.fail, "ExpiredToken") {
					t.Errorf("the subPath container's failure is not STS refusing the expired token: %s", l.fail)
				}
			}
		}
		if l.ok != "" && l.at.After(time.Unix(exp0, 0).Add(5*time.Second)) {
			t.Errorf("the subPath container's call worked at %s, after the first token's exp", l.at.Format(time.RFC3339))
		}
	}
	if firstFail.IsZero() {
		t.Error("the subPath container's calls never failed")
	}
	t.Logf("measured, from the first token's iat: kubelet rotated it at %s; serve reported the rotation at %s; exp at 600s; the subPath container's first failed call at %s; kubectl irsa-probe named token-mount-not-rotated at %s; the application made %d calls, %d failed",
		rotatedAfter, servedRotation.Round(time.Second), firstFail.Sub(first).Round(time.Second), named.Sub(first).Round(time.Second), calls, fails)
}
