package verdict

// Exit codes of both binaries, irsa-probe and kubectl irsa-probe: the one
// table. Stable: kubelet restarts init containers on a non-zero code, and
// scripts and CI jobs branch on the exact value. Where several apply (the
// fleet view), the worst wins in the order Broken, Error, Undecided.
const (
	// ExitOK: the identity works (warnings allowed); for the fleet view,
	// every identity listed is consistent (and proven, with --prove).
	ExitOK = 0
	// ExitBroken: an identity is broken (a finding of severity error);
	// for the fleet view, drift, a broken canary, or a trust-policy change
	// that locks someone out.
	ExitBroken = 1
	// ExitUsage: invoked wrongly: a flag, a setting, a command, a pod
	// without the container named.
	ExitUsage = 2
	// ExitUndecided: the check could not decide before its deadline (STS
	// unreachable or throttling); for the fleet view, a canary could not.
	ExitUndecided = 3
	// ExitError: the plugin only: kubectl failed or the probe never ran;
	// for the fleet view, something could not be read or proven (a
	// listing, the associations, a canary that did not run).
	ExitError = 4
)

// Verdict is the outcome of one check.
type Verdict int

const (
	// OK: the identity works. Warnings (a token about to expire) do not
	// change that.
	OK Verdict = iota
	// Broken: a finding of severity error. Only a change to the cluster,
	// the role or the pod fixes it.
	Broken
	// Undecided: the probe could not decide (STS unreachable or throttled
	// until the deadline). Never counted as a broken identity: it may be
	// fine a minute later.
	Undecided
)

// String is the verdict's name in Go and in logs: ok, broken, undecided.
func (v Verdict) String() string {
	switch v {
	case OK:
		return "ok"
	case Broken:
		return "broken"
	}
	return "undecided"
}

// ExitCode is what `irsa-probe check` exits with.
func (v Verdict) ExitCode() int {
	switch v {
	case OK:
		return ExitOK
	case Broken:
		return ExitBroken
	}
	return ExitUndecided
}

// Word is the verdict as the text report and the termination log lead
// with it: OK, FAIL or UNDECIDED.
func (v Verdict) Word() string {
	switch v {
	case OK:
		return "OK"
	case Broken:
		return "FAIL"
	}
	return "UNDECIDED"
}

// Label is the verdict as the result label of irsa_probe_checks_total:
// ok, broken or indeterminate. The last is a published metric label that
// predates the word "undecided"; dashboards key on it, so it stays.
func (v Verdict) Label() string {
	if v == Undecided {
		return "indeterminate"
	}
	return v.String()
}

// Labels lists every Label value, so counters can exist from the start.
func Labels() []string {
	return []string{OK.Label(), Broken.Label(), Undecided.Label()}
}

// Worse is the more serious of v and w: Broken over Undecided over OK. A
// broken identity stays broken whatever else could not be decided.
func (v Verdict) Worse(w Verdict) Verdict {
	rank := func(x Verdict) int {
		switch x {
		case Broken:
			return 2
		case Undecided:
			return 1
		}
		return 0
	}
	if rank(w) > rank(v) {
		return w
	}
	return v
}
