package serve

import (
	"time"

	"github.com/irsa-probe/irsa-probe/probe/check"
	"github.com/irsa-probe/irsa-probe/probe/finding"
)

const (
	// refreshJitter spreads a fleet's checks: pods started by one rollout
	// must not call STS in lockstep every refresh.
	refreshJitter = 0.10
	// maxThrottleBackoff caps how far throttling stretches the refresh
	// period (refresh × 1, 2, 4): a throttled account gets fewer calls from
	// every pod, and readiness still recovers within minutes of STS doing so.
	maxThrottleBackoff = 4
	// credentialsLead: re-check this long before the assumed credentials
	// expire, when applications' SDKs must renew theirs too.
	credentialsLead = 5 * time.Minute
	// maxMinGap bounds how soon an early check (token rotated, credentials
	// or token expiring) may follow the previous one.
	maxMinGap = 30 * time.Second
)

// scheduler decides when the next check runs. Nothing else starts one, so
// STS calls per pod are bounded by it whatever the probe traffic.
type scheduler struct {
	refresh time.Duration
	// throttled counts consecutive checks STS throttled.
	throttled int
	// rand returns a float in [0, 1); math/rand/v2.Float64 outside tests.
	rand func() float64
}

// minGap is the least time between two checks: a tenth of the refresh
// period, at most 30s. It keeps a token file rewritten in a loop, or an
// expiry already past, from turning into a stream of STS calls.
func (s *scheduler) minGap() time.Duration {
	return min(s.refresh/10, maxMinGap)
}

// jittered is d ± refreshJitter.
func (s *scheduler) jittered(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (1 - refreshJitter + 2*refreshJitter*s.rand()))
}

// next is when the check after rep, which ran from started to done, is due:
// one refresh period after it started (±10%), stretched while STS
// throttles, pulled in before the credentials or the token expire, and
// never sooner than minGap after done.
func (s *scheduler) next(rep *check.Report, started, done time.Time) time.Time {
	period := s.refresh
	if rep.Has(finding.CodeSTSThrottled) {
		s.throttled++
		for i := 1; i < s.throttled && period < maxThrottleBackoff*s.refresh; i++ {
			period *= 2
		}
	} else {
		s.throttled = 0
	}
	at := started.Add(s.jittered(period))
	// Only expiries still ahead pull the check in: one already past is a
	// finding, re-checked on the normal schedule like any other.
	if exp := rep.CredentialsExpiry; exp.After(started) {
		lead := min(credentialsLead, exp.Sub(started)/4)
		at = earliest(at, exp.Add(-lead))
	}
	// A token kubelet failed to rotate must fail readiness when it
	// expires, not up to a refresh period later.
	if rep.Token != nil && rep.Token.Expiry.After(started) {
		at = earliest(at, rep.Token.Expiry.Add(time.Second))
	}
	return latest(at, done.Add(s.minGap()))
}

// early is when a check should run because the token file changed: now,
// unless that is within minGap of the previous check.
func (s *scheduler) early(due, lastDone, now time.Time) time.Time {
	return earliest(due, latest(now, lastDone.Add(s.minGap())))
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
