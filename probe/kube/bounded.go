package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/shellcmd"
)

// StalledError is a kubectl call that did not answer within its bound:
// it was killed with its children, and the run stops.
type StalledError struct {
	Args    []string
	Timeout time.Duration
}

func (e *StalledError) Error() string {
	cmd, err := shellcmd.Line(append([]string{"kubectl"}, e.Args...)...)
	if err != nil {
		cmd = "kubectl " + strings.Join(e.Args[:min(2, len(e.Args))], " ")
	}
	return fmt.Sprintf("%s did not answer within --timeout=%s: it was killed with its children, and the run stopped", cmd, e.Timeout)
}

// Bounded is a Runner whose every call gets at most Timeout (--timeout).
// A call that runs out of it is a StalledError, and Stop is called with
// it: the run ends instead of waiting on the next call, so a kubectl that
// never returns costs one Timeout, not one per call.
type Bounded struct {
	R       Runner
	Timeout time.Duration
	// Stop cancels the run (nil: nothing to cancel).
	Stop context.CancelCauseFunc
}

var _ Runner = (*Bounded)(nil)

// Run runs c within Timeout.
func (b *Bounded) Run(ctx context.Context, c Call) ([]byte, error) {
	cctx, cancel := context.WithTimeout(ctx, b.Timeout)
	defer cancel()
	out, err := b.R.Run(cctx, c)
	if err != nil && ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
		serr := &StalledError{Args: c.Args, Timeout: b.Timeout}
		if b.Stop != nil {
			b.Stop(serr)
		}
		return nil, serr
	}
	return out, err
}
