package serve

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// TestTokenNotRotatedSchedule: the points where token-not-rotated warns
// and errs, for the lifetimes EKS and kubelet use, on a fake clock.
func TestTokenNotRotatedSchedule(t *testing.T) {
	iat := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name                  string
		lifetime              time.Duration
		rotate, warn, errorAt time.Duration // after iat
	}{
		// The minimum expirationSeconds: rotation at 480 s, 120 s before exp.
		{"600s", 600 * time.Second, 480 * time.Second, 540 * time.Second, 570 * time.Second},
		// The webhook's default, 86400 s: 80% is 19.2 h.
		{"24h", 24 * time.Hour, 69120 * time.Second, 69240 * time.Second, 77820 * time.Second},
		// Longer than 30 h: kubelet's 24 h cap comes first.
		{"48h", 48 * time.Hour, 24 * time.Hour, 24*time.Hour + 2*time.Minute, 36*time.Hour + time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := tokenLife{kind: tokenKindIRSA, path: "/t/token", iat: iat, exp: iat.Add(tc.lifetime), changedAt: iat}
			if got := l.rotateAt().Sub(iat); got != tc.rotate {
				t.Errorf("rotateAt = iat+%s, want iat+%s", got, tc.rotate)
			}
			if got := l.warnAt().Sub(iat); got != tc.warn {
				t.Errorf("warnAt = iat+%s, want iat+%s", got, tc.warn)
			}
			if got := l.errorAt().Sub(iat); got != tc.errorAt {
				t.Errorf("errorAt = iat+%s, want iat+%s", got, tc.errorAt)
			}
			for _, p := range []struct {
				at   time.Duration
				want finding.Severity // "" none
			}{
				{tc.rotate, ""}, {tc.warn - time.Second, ""}, {tc.warn, finding.SeverityWarning},
				{tc.errorAt - time.Second, finding.SeverityWarning}, {tc.errorAt, finding.SeverityError},
				{tc.lifetime + time.Hour, finding.SeverityError},
			} {
				f := l.notRotated(iat.Add(p.at))
				got := finding.Severity("")
				if f != nil {
					got = f.Severity
				}
				if got != p.want {
					t.Errorf("at iat+%s: severity %q, want %q", p.at, got, p.want)
				}
			}
		})
	}
}

// TestTokenWatchRotations: the watch counts one rotation per new token,
// keeps the claims' times and no token, and names them in the finding.
func TestTokenWatchRotations(t *testing.T) {
	iss := ststest.NewIssuer()
	t.Cleanup(iss.Close)
	path := filepath.Join(t.TempDir(), "token")
	start := time.Now().Add(-50 * time.Minute).Truncate(time.Second)
	first := iss.ServiceAccountToken(ststest.TokenOptions{TTL: time.Hour, IssuedAt: start, Namespace: "shop", Pod: "cart-1"})
	if err := os.WriteFile(path, []byte(first), 0o600); err != nil {
		t.Fatal(err)
	}
	w := tokenWatch{kind: tokenKindIRSA, path: path}
	now := start.Add(50 * time.Minute)
	w.mark(now)
	if w.life.rotations != 0 || !w.life.iat.Equal(start) || !w.life.exp.Equal(start.Add(time.Hour)) {
		t.Fatalf("first read: %+v", w.life)
	}
	// 50 min of 60: past 48 min + 2 min.
	f := w.life.notRotated(now)
	if f == nil || f.Severity != finding.SeverityWarning {
		t.Fatalf("at 50 min of 60: %+v, want a warning", f)
	}
	for k, want := range map[string]string{finding.EvTokenAge: "50m0s", finding.EvTimeLeft: "10m0s", finding.EvRotations: "0",
		finding.EvNamespace: "shop", finding.EvPod: "cart-1", finding.EvTokenFile: path} {
		if f.Evidence[k] != want {
			t.Errorf("evidence %s = %q, want %q", k, f.Evidence[k], want)
		}
	}
	if f.Evidence[finding.EvTokenChangedAt] == "" {
		t.Error("no token_changed_at")
	}

	later := now.Add(30 * time.Second)
	second := iss.ServiceAccountToken(ststest.TokenOptions{TTL: time.Hour, IssuedAt: later})
	if err := os.WriteFile(path, []byte(second), 0o600); err != nil {
		t.Fatal(err)
	}
	if !w.observe(later) {
		t.Error("a new token was not a change since the check's mark")
	}
	if w.observe(later.Add(time.Second)); w.life.rotations != 1 || !w.life.changedAt.Equal(later) || !w.life.iat.Equal(later) {
		t.Errorf("after one rotation: %+v", w.life)
	}
	if f := w.life.notRotated(later.Add(time.Second)); f != nil {
		t.Errorf("a fresh token reported: %v", f.Message)
	}
	// A file that is not a token is the check's finding, never a rotation.
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.observe(later.Add(2 * time.Second))
	if w.life.rotations != 1 || !w.life.iat.IsZero() || w.life.notRotated(later.Add(2*time.Hour)) != nil {
		t.Errorf("garbage: %+v", w.life)
	}
}
