package serve

import (
	"bytes"
	"fmt"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/check"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// serveState is what `serve` tells Kubernetes, its logs and /metrics.
type serveState string

const (
	// stateStarting: no check has completed yet. Not ready.
	stateStarting serveState = "starting"
	// stateReady: the last check found a working identity.
	stateReady serveState = "ready"
	// stateGrace: the identity worked, and every check since could not
	// decide (STS throttled, unreachable, 5xx) for less than
	// IRSA_PROBE_GRACE. Still ready: STS having a bad minute is not a reason
	// to pull every pod of the fleet out of its Service at once.
	stateGrace serveState = "grace"
	// stateBroken: the last check found a permanent problem (a finding of
	// severity error). Not ready, at once: no grace for a broken identity.
	stateBroken serveState = "broken"
	// stateUndecided: checks could not decide, with no working identity to
	// lean on (never worked, or broken before), or for longer than grace.
	stateUndecided serveState = "undecided"
)

// readiness is the state machine behind /healthz and /readyz. It is fed
// completed checks by the loop only, and is a pure function of them and the
// clock, so it is tested without a network.
//
//	starting --ok--> ready <--ok-- grace, broken, undecided (any state)
//	any --broken--> broken
//	ready --undecided--> grace --(grace elapsed)--> undecided
//	starting/broken --undecided--> undecided
type readiness struct {
	grace time.Duration
	// last is the latest completed check; nil before the first.
	last *check.Report
	// workedAt is when the latest check that found a working identity
	// completed; zero before one, and again after a broken verdict.
	workedAt time.Time
	// failingSince is when the first undecided check after workedAt
	// completed; zero when the latest check decided. Counting from its
	// completion, not its start, guarantees one undecided check never
	// flips readiness, even when IRSA_PROBE_TIMEOUT exceeds the grace.
	failingSince time.Time
}

// record feeds one check, which completed at done.
func (r *readiness) record(rep *check.Report, done time.Time) {
	r.last = rep
	switch rep.Verdict() {
	case verdict.OK:
		r.workedAt, r.failingSince = done, time.Time{}
	case verdict.Undecided:
		if r.failingSince.IsZero() {
			r.failingSince = done
		}
	default:
		r.workedAt, r.failingSince = time.Time{}, time.Time{}
	}
}

// state is the state at now: grace runs out with the clock, not only when
// a check completes.
func (r *readiness) state(now time.Time) serveState {
	switch {
	case r.last == nil:
		return stateStarting
	case r.last.Verdict() == verdict.OK:
		return stateReady
	case r.last.Verdict() == verdict.Broken:
		return stateBroken
	case r.workedAt.IsZero() || now.Sub(r.failingSince) > r.grace:
		return stateUndecided
	}
	return stateGrace
}

// graceUntil is when grace runs out; zero when not in grace.
func (r *readiness) graceUntil(now time.Time) time.Time {
	if r.state(now) != stateGrace {
		return time.Time{}
	}
	return r.failingSince.Add(r.grace)
}

func (st serveState) ready() bool { return st == stateReady || st == stateGrace }

// snapshot is one immutable view of the state, published by the loop and
// read by every request without a lock: a probe never waits for a check,
// and never causes one.
type snapshot struct {
	state      serveState
	ready      bool
	rep        *check.Report // latest completed check; nil before the first
	checkedAt  time.Time     // when rep completed
	graceUntil time.Time
	// tokens are the watched token files' lives, for the token metrics.
	tokens []tokenLife
	// text and json are the /healthz bodies, rendered once per snapshot.
	text, json []byte
}

// startingBody answers probes until the first check completes.
const startingBody = "irsa-probe: STARTING: the first check has not completed yet\n"

// newSnapshot renders the state at now.
func newSnapshot(r *readiness, now, checkedAt time.Time) *snapshot {
	st := r.state(now)
	s := &snapshot{state: st, ready: st.ready(), rep: r.last, checkedAt: checkedAt, graceUntil: r.graceUntil(now)}
	if r.last == nil {
		s.text = []byte(startingBody)
		s.json = []byte(`{"ok":false,"state":"starting","checks":[],"findings":[]}` + "\n")
		return s
	}
	var b bytes.Buffer
	switch st {
	case stateGrace:
		fmt.Fprintf(&b, "irsa-probe: READY (grace): the identity worked at %s; checks since could not decide; readiness fails at %s unless one succeeds\n",
			r.workedAt.UTC().Format(time.RFC3339), s.graceUntil.UTC().Format(time.RFC3339))
	case stateUndecided:
		if !r.workedAt.IsZero() {
			fmt.Fprintf(&b, "irsa-probe: NOT READY: checks have not decided since %s, longer than IRSA_PROBE_GRACE (%s)\n",
				r.failingSince.UTC().Format(time.RFC3339), r.grace)
		}
	}
	b.WriteString(r.last.Summary())
	s.text = b.Bytes()
	var j bytes.Buffer
	if err := r.last.WriteJSON(&j); err != nil {
		// A check.Report always encodes; keep the endpoint answering regardless.
		j.Reset()
		fmt.Fprintf(&j, `{"ok":%t,"error":"encoding the report failed"}`+"\n", r.last.OK)
	}
	s.json = j.Bytes()
	return s
}

// logKey is what a state change is: the state, plus the finding that
// explains it. A broken identity whose cause changes (trust policy fixed,
// OIDC provider deleted) is logged again; the same verdict every refresh is not.
func (s *snapshot) logKey() string {
	key := string(s.state)
	if s.rep != nil && !s.ready {
		if f := s.rep.FirstProblem(); f != nil {
			key += "/" + string(f.Code)
		}
	}
	return key
}
