package check

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/finding"
)

// Backoff between attempts of a transient failure: exponential, each wait
// drawn at random from [b/2, 3b/2) of the current base b, so a fleet of
// probes throttled together does not retry together.
const (
	backoffBase = 250 * time.Millisecond
	backoffMax  = 5 * time.Second
	// attemptTimeout bounds one call, so one hung connection cannot eat the
	// whole deadline's worth of retries.
	attemptTimeout = 10 * time.Second
	// idpRetries: AWS says IDPCommunicationError is often transient; retry it
	// a little, not until the deadline.
	idpRetries = 2
)

// withRetry runs fn until it succeeds, fails permanently, or ctx ends.
// call names the AWS operation for metrics and evidence.
func (r *run) withRetry(ctx context.Context, call string, fn func(context.Context) error) *callError {
	backoff := backoffBase
	start := time.Now()
	var last *callError // the latest failure of an attempt the deadline did not cut
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		t0 := time.Now()
		err := fn(actx)
		cancel()
		if err == nil {
			r.observeCall(call, time.Since(t0), "")
			return nil
		}
		var ce *callError
		if !errors.As(err, &ce) { // calls other than STS classify their own errors
			ce = classify(err, r.cfg.STSEndpoint())
		}
		if ce.waited {
			ce.ev[finding.EvDetail] += within(time.Since(t0))
		}
		r.observeCall(call, time.Since(t0), cmp.Or(ce.ev[finding.EvErrorCode], string(ce.finding)))
		if ctx.Err() != nil && last != nil {
			// The check's deadline cut this attempt short: what failed
			// until then (throttling, say) is the finding, not the cut.
			ce = last
		}
		last = ce
		retryable := ce.transient || (ce.ev[finding.EvErrorCode] == "IDPCommunicationError" && attempt <= idpRetries)
		if !retryable {
			return ce
		}
		sleep := time.Duration(rand.Int64N(int64(backoff))) + backoff/2
		if dl, ok := ctx.Deadline(); ctx.Err() != nil || (ok && time.Until(dl) < sleep) {
			if ce.ev[finding.EvDetail] != "" && (attempt > 1 || !ce.waited) { // else "within" said it
				ce.ev[finding.EvDetail] += fmt.Sprintf(" (%d attempt%s in %s)", attempt, plural(attempt), time.Since(start).Round(time.Millisecond))
			}
			return ce
		}
		r.retrying(call, attempt, ce, time.Since(start)+sleep)
		select {
		case <-ctx.Done():
			return ce
		case <-time.After(sleep):
		}
		backoff = min(backoff*2, backoffMax)
	}
}

// retrying tells whoever waits that a call failed and will be retried:
// one line per retry, with what failed and how much of the deadline is
// spent, so a 30-second wait is not silent.
func (r *run) retrying(call string, attempt int, ce *callError, spent time.Duration) {
	what := cmp.Or(ce.ev[finding.EvErrorCode], ce.ev[finding.EvLayer])
	if d := ce.ev[finding.EvDetail]; d != "" && ce.ev[finding.EvErrorCode] == "" {
		what += ": " + d
	} else if m := ce.ev[finding.EvErrorMessage]; m != "" {
		what += ": " + m
	}
	what = finding.Escape(r.redact.clean(what))
	if r.progress != nil {
		r.progress(fmt.Sprintf("%s failed (%s), attempt %d; retrying, %s of %s spent", call, what, attempt, spent.Round(100*time.Millisecond), r.cfg.Timeout))
		return
	}
	r.log.Info("retrying", "call", call, "failed", what, "attempt", attempt, "spent", spent.Round(100*time.Millisecond).String(), "deadline", r.cfg.Timeout.String())
}

func (r *run) observeCall(call string, d time.Duration, errCode string) {
	if r.observe != nil {
		r.observe(call, d, errCode)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
