package check

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/irsa-probe/irsa-probe/probe/finding"
)

// MaxClockSkew is how far this container's clock may be from STS's before
// the check warns (clock-skew): SigV4 refuses signatures more than 5
// minutes off, and the SDKs refresh credentials by the local clock.
const MaxClockSkew = time.Minute

// stsClock remembers the Date header of STS's last answer and this
// container's clock when it arrived. It wraps the Checker's one HTTP
// client for one run; it builds no transport.
type stsClock struct {
	inner interface {
		Do(*http.Request) (*http.Response, error)
	}
	now func() time.Time

	mu    sync.Mutex
	date  time.Time // STS's clock
	local time.Time // ours, when the answer arrived
}

// Do implements the SDK's HTTPClient.
func (c *stsClock) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.inner.Do(req)
	if err == nil {
		if d, perr := http.ParseTime(resp.Header.Get("Date")); perr == nil {
			c.mu.Lock()
			c.date, c.local = d, c.now()
			c.mu.Unlock()
		}
	}
	return resp, err
}

func (c *stsClock) seen() (date, local time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.date, c.local
}

// checkClock compares STS's Date with this container's clock, and the
// credentials' expiry with it: either off is clock-skew.
func (r *run) checkClock(creds *aws.Credentials) {
	date, local := r.clock.seen()
	ev := finding.Evidence{finding.EvNow: r.cfg.Clock().UTC().Format(time.RFC3339)}
	if !date.IsZero() {
		ev[finding.EvSTSDate] = date.UTC().Format(time.RFC3339)
	}
	switch skew := local.Sub(date); {
	case creds != nil && creds.CanExpire && !creds.Expires.After(r.cfg.Clock()):
		ev[finding.EvDetail] = fmt.Sprintf("The credentials STS returned expire at %s, already past by this container's clock", creds.Expires.UTC().Format(time.RFC3339))
	case date.IsZero():
		return
	case skew > MaxClockSkew:
		ev[finding.EvDetail] = fmt.Sprintf("This container's clock is %s ahead of STS's", skew.Round(time.Second))
	case skew < -MaxClockSkew:
		ev[finding.EvDetail] = fmt.Sprintf("This container's clock is %s behind STS's", (-skew).Round(time.Second))
	default:
		return
	}
	ev[finding.EvClockSkew] = local.Sub(date).Round(time.Second).String()
	r.add(StepAssumeRole, finding.CodeClockSkew, ev)
}
