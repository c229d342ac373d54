package check

import (
	"context"
	"log/slog"
	"maps"
	"net"
	"slices"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/oidc"
	"github.com/irsa-probe/irsa-probe/probe/satoken"
)

// Observer is told of every STS call: its operation, latency and AWS error
// code ("" on success). serve feeds its metrics with it.
type Observer func(call string, d time.Duration, errCode string)

// Checker runs the check. It is safe to reuse across runs (serve does),
// not to run concurrently.
type Checker struct {
	cfg     *config.Config
	http    *httpClient
	log     *slog.Logger
	observe Observer
	// lookupHost resolves a name (net.DefaultResolver's; tests replace it:
	// no test may ask the real DNS about AWS's names).
	lookupHost func(ctx context.Context, host string) ([]string, error)
	// progress, when set, is told of every retry in one line; else the
	// retry is logged.
	progress func(line string)
	target   *Target // check --target's application process, nil for the probe's own view
}

// New returns a Checker for cfg, which must have been Finished. log may be
// nil (no logging).
func New(cfg *config.Config, log *slog.Logger) *Checker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Checker{cfg: cfg, http: newHTTPClient(cfg.CABundle()), log: log, lookupHost: net.DefaultResolver.LookupHost}
}

// SetProgress registers fn to be told, in one line each, of every retry
// while a check waits (check prints them on stderr).
func (c *Checker) SetProgress(fn func(line string)) { c.progress = fn }

// SetObserver registers fn to be told of every STS call of every run.
func (c *Checker) SetObserver(fn Observer) { c.observe = fn }

// run is one check's working state.
type run struct {
	*Checker
	rep   *Report
	steps map[string]StepResult
	found []entry
	base  finding.Evidence // what every finding carries
	role  iam.RoleARN
	token *satoken.Token
	// rawToken is the token itself: only ever sent to STS and verified, never printed.
	rawToken []byte
	// held is what the SDK's web identity provider gets instead of the file.
	held    *heldToken
	sig     oidc.Result
	sigNote string
	redact  redactor
	clock   *stsClock // STS's Date, for clock-skew
}

// entry is a finding as the run holds it until the report is final.
type entry struct {
	step string // the step that found it: the report lists findings by step
	finding.Finding
	// ev is the finding's own evidence: finish renders it again over the
	// base evidence as it is at the end (the issuer, the pod, the
	// workload are learned after the environment step's findings).
	ev finding.Evidence
	// doubt marks a claim check of the token step that STS also judges:
	// STS's verdict settles it (see settleDoubts).
	doubt bool
}

// Run performs one check. It never returns an error: every problem is a
// finding, so the caller only maps the report's verdict to an exit code or
// a readiness state.
func (c *Checker) Run(ctx context.Context) *Report {
	start := c.cfg.Clock()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()

	r := newRun(c, &Report{CheckedAt: start.UTC()})
	if c.target != nil && !r.checkTarget() {
		r.finish() // nothing read, nothing sent
		return r.rep
	}
	mech := detectMechanism(c.cfg.AWS)
	r.checkMechanism(mech)
	var usable, assumed bool
	if mech == iam.MechanismPodIdentity {
		r.Checker = c.forPodIdentity()
		usable, assumed = r.podIdentityPath(ctx)
	} else {
		usable, assumed = r.irsaPath(ctx)
	}
	if mech == iam.MechanismBoth {
		r.conflict(ctx)
	}
	r.defaultChain(ctx, usable, assumed)
	if c.target != nil {
		r.checkAppSDK(c.target.Process, mech)
		r.checkTokenMount(c.target.Process, mech)
	}

	r.rep.DurationMS = c.cfg.Clock().Sub(start).Milliseconds()
	r.finish()
	return r.rep
}

// newRun is a run of c that will fill rep.
func newRun(c *Checker, rep *Report) *run {
	return &run{Checker: c, rep: rep, steps: map[string]StepResult{}, base: finding.Evidence{}, held: &heldToken{},
		clock: &stsClock{inner: c.http, now: c.cfg.Clock}}
}

// irsaPath runs the IRSA steps; it returns whether the environment and
// token were usable and whether STS handed out credentials.
func (r *run) irsaPath(ctx context.Context) (usable, assumed bool) {
	envOK := r.checkEnvironment(ctx)
	tok := r.checkToken()
	// The signature check (two round trips to the issuer) runs beside the
	// STS calls, inside the same deadline: it only adds evidence, and must
	// not eat STS's share of the time. Both are recorded once both are done,
	// since STS's errors are read in the light of what the pod found.
	sig := r.startSignature(ctx, tok != nil)
	var sts stsOutcome
	if envOK && tok != nil {
		sts = r.callSTS(ctx)
	}
	sig.wait()
	r.recordSignature(sig)
	switch {
	case !envOK || tok == nil:
		r.record(StepAssumeRole, StatusSkip, "fix the findings above first")
		r.record(StepCallerIdentity, StatusSkip, "no credentials")
	default:
		r.recordSTS(sts)
	}
	assumed = sts.creds != nil
	if tok != nil {
		r.settleDoubts(tok, assumed)
	}
	return envOK && tok != nil, assumed
}

// record sets a step's outcome; each step records once. The detail
// carries values from outside, escaped to stay on its line.
func (r *run) record(step string, st Status, detail string) {
	r.steps[step] = StepResult{Name: step, Status: st, Detail: finding.Escape(detail)}
}

// add records a finding of step over the base evidence plus ev.
func (r *run) add(step string, code finding.Code, ev finding.Evidence) {
	r.found = append(r.found, entry{step: step, Finding: finding.New(code, r.evidence(ev)), ev: ev})
}

// addDoubt records a finding STS's verdict will settle (see settleDoubts).
func (r *run) addDoubt(step string, code finding.Code, ev finding.Evidence) {
	r.found = append(r.found, entry{step: step, Finding: finding.New(code, r.evidence(ev)), ev: ev, doubt: true})
}

// evidence is the base evidence, ev over it, and the signature note.
func (r *run) evidence(ev finding.Evidence) finding.Evidence {
	all := maps.Clone(r.base)
	maps.Copy(all, ev)
	if r.sigNote != "" && all[finding.EvSignature] == "" {
		all[finding.EvSignature] = r.sigNote
	}
	if all[finding.EvWorkload] == "" {
		all[finding.EvWorkload], all[finding.EvWorkloadFrom] = workloadOf(all[finding.EvPod], r.cfg.PodTemplateHash)
	}
	return all
}

// addOrMerge records a finding, or, when one with the same code is already
// recorded (a doubt STS now confirms, or the issuer the pod could not
// reach either), merges ev into it, so the user sees one diagnosis with
// both the local evidence and STS's error code and request id.
func (r *run) addOrMerge(step string, code finding.Code, ev finding.Evidence) {
	for i := range r.found {
		if e := &r.found[i]; e.Code == code {
			merged := maps.Clone(e.ev)
			if merged == nil {
				merged = finding.Evidence{}
			}
			maps.Copy(merged, ev)
			e.ev, e.doubt = merged, false
			e.Finding = finding.New(code, r.evidence(merged))
			return
		}
	}
	r.add(step, code, ev)
}

// finish puts the report together: steps in their order, findings by step
// in the order found, secrets scrubbed, the verdict decided.
func (r *run) finish() {
	for _, name := range StepOrder() {
		if st, ok := r.steps[name]; ok {
			r.rep.Checks = append(r.rep.Checks, st)
		}
	}
	slices.SortStableFunc(r.found, func(a, b entry) int { return stepIndex(a.step) - stepIndex(b.step) })
	r.rep.Findings = make([]finding.Finding, 0, len(r.found))
	for _, e := range r.found {
		r.rep.Findings = append(r.rep.Findings, finding.New(e.Code, r.evidence(e.ev)))
	}
	r.redact.scrub(r.rep)
	r.rep.Decide()
}
