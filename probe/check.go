package probe

import (
	"context"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"log/slog"
	"maps"
	"time"
)

// Checker runs the check: environment, token, signature, assume-role,
// caller-identity, default-chain. It is safe to reuse across runs (serve does).
type Checker struct {
	cfg  Config
	http *awshttp.BuildableClient
	log  *slog.Logger
	// sts counts and times STS calls for serve's metrics; may be nil.
	observe func(call string, d time.Duration, errCode string)
}

// NewChecker validates nothing: call cfg.Validate first.
func NewChecker(cfg Config, log *slog.Logger) *Checker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Checker{cfg: cfg, http: newHTTPClient(), log: log}
}

// run is one check's working state.
type run struct {
	*Checker
	rep   *Report
	base  Evidence // what every finding carries
	role  RoleARN
	token *Token
	// rawToken is the token itself: only ever sent to STS and verified, never printed.
	rawToken []byte
	// provisional are local token findings STS also judges: its verdict wins.
	provisional map[Code]bool
	sigNote     string
	sig         SignatureResult
	redact      redactor
}

// Run performs one check. It never returns an error: every problem is a
// finding, so the caller only maps the report to an exit code or a status.
func (c *Checker) Run(ctx context.Context) *Report {
	start := c.cfg.now()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()

	r := &run{Checker: c, rep: &Report{CheckedAt: start.UTC()}, base: Evidence{}, provisional: map[Code]bool{}}
	envOK := r.checkEnvironment()
	tokenOK := r.checkToken()
	if tokenOK {
		r.checkSignature(ctx)
	} else {
		r.rep.step(StepSignature, StatusSkip, "no usable token")
	}
	var creds *assumed
	switch {
	case !envOK || !tokenOK:
		r.rep.step(StepAssumeRole, StatusSkip, "fix the findings above first")
		r.rep.step(StepCallerIdentity, StatusSkip, "no credentials")
	default:
		creds = r.assumeRole(ctx)
		if creds != nil {
			r.callerIdentity(ctx, creds)
		} else {
			r.rep.step(StepCallerIdentity, StatusSkip, "no credentials")
		}
	}
	r.defaultChain(ctx, envOK && tokenOK, creds != nil)

	r.rep.DurationMS = c.cfg.now().Sub(start).Milliseconds()
	r.redact.scrub(r.rep)
	r.rep.finalize()
	return r.rep
}

// add records a finding over the base evidence plus ev.
func (r *run) add(code Code, ev Evidence) *Finding {
	all := maps.Clone(r.base)
	maps.Copy(all, ev)
	if r.sigNote != "" && all[EvSignature] == "" {
		all[EvSignature] = r.sigNote
	}
	for k, v := range all {
		if v == "" {
			delete(all, k)
		}
	}
	r.rep.Findings = append(r.rep.Findings, NewFinding(code, all))
	return &r.rep.Findings[len(r.rep.Findings)-1]
}

// remove drops findings with code (a provisional verdict STS overruled).
func (r *run) remove(code Code) {
	out := r.rep.Findings[:0]
	for _, f := range r.rep.Findings {
		if f.Code != code {
			out = append(out, f)
		}
	}
	r.rep.Findings = out
}

// SetObserver registers fn to be told of every STS call of every run: its
// operation, latency and AWS error code ("" on success). serve feeds metrics with it.
func (c *Checker) SetObserver(fn func(call string, d time.Duration, errCode string)) {
	c.observe = fn
}
