package serve

import (
	"path/filepath"
	"strconv"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/finding"
)

// When kubelet replaces a projected token, from its sources
// (pkg/kubelet/token/token_manager.go, requiresRefresh): once the token is
// older than 80% of its lifetime ("within 20% of the TTL ... from the
// expiration time") or older than 24 h (maxTTL), each minus a jitter of up
// to 10 s (maxJitter), so never later than those points.
const (
	kubeletRotateFraction = 0.8
	kubeletMaxAge         = 24 * time.Hour
)

// rotationLag is how long after that point the file may still hold the old
// token on a healthy node: the token manager is only asked when kubelet
// syncs the pod and sets its volumes up again, every syncFrequency (1 min by
// default) stretched by up to half by the pod worker's jitter
// (pkg/kubelet/pod_workers.go, workerResyncIntervalJitterFactor = 0.5):
// 90 s; plus 30 s for a TokenRequest to a loaded API server. A token older
// than that was not rotated and will not be in time.
const rotationLag = 2 * time.Minute

// rotateAt is when kubelet replaces the token at the latest.
func (l *tokenLife) rotateAt() time.Time {
	life := l.exp.Sub(l.iat)
	return l.iat.Add(min(time.Duration(float64(life)*kubeletRotateFraction), kubeletMaxAge))
}

// warnAt is when token-not-rotated is reported: rotationLag after rotateAt,
// but no later than halfway between it and exp, so the minimum lifetime
// (600 s: rotation at 480 s) leaves a warning at 540 s before an error.
func (l *tokenLife) warnAt() time.Time {
	r := l.rotateAt()
	return r.Add(min(rotationLag, l.exp.Sub(r)/2))
}

// errorAt is when token-not-rotated becomes an error, and readiness fails:
// halfway between warnAt and exp (570 s of a 600 s token, 2.4 h before a
// 24 h token expires), so the pod leaves its Service, and the alert fires,
// before the token expires and every call made with it fails.
func (l *tokenLife) errorAt() time.Time {
	w := l.warnAt()
	return w.Add(l.exp.Sub(w) / 2)
}

// notRotated is the token-not-rotated finding at now, nil while the token
// is young enough or unknown (no file, not a token: the check reports those).
func (l *tokenLife) notRotated(now time.Time) *finding.Finding {
	if l.iat.IsZero() || now.Before(l.warnAt()) {
		return nil
	}
	ev := finding.Evidence{
		finding.EvTokenKind:      l.kind,
		finding.EvTokenFile:      l.path,
		finding.EvTokenAge:       now.Sub(l.iat).Round(time.Second).String(),
		finding.EvTimeLeft:       l.exp.Sub(now).Round(time.Second).String(),
		finding.EvExpiry:         l.exp.UTC().Format(time.RFC3339),
		finding.EvRotateAt:       l.rotateAt().UTC().Format(time.RFC3339),
		finding.EvTokenChangedAt: l.changedAt.UTC().Format(time.RFC3339),
		finding.EvRotations:      strconv.FormatInt(l.rotations, 10),
		finding.EvErrorAt:        l.errorAt().UTC().Format(time.RFC3339),
		finding.EvNamespace:      l.namespace,
		finding.EvPod:            l.pod,
		finding.EvTokenDir:       filepath.Dir(l.path),
	}
	f := finding.New(finding.CodeTokenNotRotated, ev)
	if !now.Before(l.errorAt()) {
		f.Severity = finding.SeverityError
	}
	return &f
}

// lifeKey says which severity of token-not-rotated each file is in at now:
// a change re-decides readiness between checks.
func lifeKey(lives []tokenLife, now time.Time) string {
	key := ""
	for i := range lives {
		key += lives[i].kind + ":"
		if f := lives[i].notRotated(now); f != nil {
			key += string(f.Severity)
		}
		key += ";"
	}
	return key
}
