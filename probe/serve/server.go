package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/check"
	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/finding"
)

// shutdownTimeout bounds SIGTERM handling: kubelet's default grace period
// is 30s, and a probe has nothing worth waiting long for.
const shutdownTimeout = 3 * time.Second

// stuckAfter is how long past IRSA_PROBE_TIMEOUT a check may run before
// /livez reports the loop stuck. Every step has its own deadline, so only a
// bug gets there, and a restart is then the right fix.
const stuckAfter = time.Minute

// Server is `irsa-probe serve`: the check in a loop, and the endpoints
// that answer from its latest result.
type Server struct {
	cfg     *config.Config
	log     *slog.Logger
	checker *check.Checker
	metrics *serveMetrics
	sched   scheduler
	// watches follow the IRSA and Pod Identity token files (tokenwatch.go).
	watches []*tokenWatch
	// snap is what every request reads; only the loop stores it.
	snap atomic.Pointer[snapshot]
	// checkStarted is the start of the running check in Unix nanoseconds,
	// 0 between checks: /livez's view of the loop.
	checkStarted atomic.Int64
	loopExited   atomic.Bool
	// checks counts completed checks, for tests.
	checks atomic.Int64
	// now is the loop's clock; tests may replace it.
	now func() time.Time
	// reports is where a state change's report goes in text, as check
	// prints it (SetReportOutput); nil logs findings as fields only.
	reports io.Writer
}

// SetReportOutput makes a state change print the whole report to w, as
// check does, after its log line (with IRSA_PROBE_LOG_FORMAT=text: with
// json the findings are fields of the log record instead).
func (s *Server) SetReportOutput(w io.Writer) { s.reports = w }

// New returns a Server for cfg, which must have been Finished; version is
// the build's, for irsa_probe_build_info.
func New(cfg *config.Config, log *slog.Logger, version string) *Server {
	s := &Server{
		cfg:   cfg,
		log:   log,
		sched: scheduler{refresh: cfg.Refresh, rand: rand.Float64},
		now:   time.Now,
	}
	for _, w := range []*tokenWatch{
		{kind: tokenKindIRSA, path: cfg.AWS.TokenFile},
		{kind: tokenKindPodIdentity, path: cfg.AWS.ContainerAuthTokenFile},
	} {
		if w.path != "" {
			s.watches = append(s.watches, w)
		}
	}
	s.snap.Store(newSnapshot(&readiness{grace: cfg.Grace}, s.now(), time.Time{}))
	s.metrics = newServeMetrics(version, s.snap.Load, func() time.Time { return s.now() })
	s.checker = check.New(cfg, log)
	s.checker.SetObserver(s.metrics.observeSTS)
	return s
}

// Run serves on ln and checks in the background until ctx ends, then
// shuts down within shutdownTimeout. It returns nil then: the identity's
// state is for probes and logs, not the exit code; an error only when
// serving failed.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	loopCtx, stopLoop := context.WithCancel(ctx)
	defer stopLoop()
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		s.loop(loopCtx)
	}()

	srv := s.httpServer()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	s.log.Info("serving", "addr", ln.Addr().String(), "refresh", s.cfg.Refresh, "grace", s.cfg.Grace,
		"timeout", s.cfg.Timeout, "role_arn", s.cfg.AWS.RoleARN, "token_file", s.cfg.AWS.TokenFile)

	var serveErr error
	select {
	case <-ctx.Done():
		s.log.Info("shutting down", "reason", context.Cause(ctx).Error())
	case serveErr = <-served:
	}
	stopLoop()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	select {
	case <-loopDone:
	case <-sctx.Done():
		s.log.Warn("the check loop did not stop in time", "timeout", shutdownTimeout)
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serving HTTP on %s: %w", ln.Addr(), serveErr)
	}
	return nil
}

// loop checks at start, then when the scheduler says, or early when a
// token file changes; and re-publishes when grace runs out between checks,
// or when a token not rotated in time crosses into warning or error.
func (s *Server) loop(ctx context.Context) {
	defer s.loopExited.Store(true)
	var state readiness
	state.grace = s.cfg.Grace
	var lastDone time.Time    // when the latest check completed
	var lastRep *check.Report // the latest check's own report
	lastKey := s.snap.Load().logKey()
	lifeAt := "" // lifeKey of the findings state holds
	publish := func() {
		snap := newSnapshot(&state, s.now(), lastDone)
		snap.tokens = s.lives()
		s.snap.Store(snap)
		if key := snap.logKey(); key != lastKey {
			lastKey = key
			s.logChange(snap)
		}
	}
	// judge feeds state the latest check with the token-not-rotated
	// findings of now: a token kubelet did not replace is judged by the
	// clock, every poll, not only when a check runs.
	judge := func() {
		now := s.now()
		lives := s.lives()
		lifeAt = lifeKey(lives, now)
		state.record(withLife(lastRep, lives, now), lastDone)
	}

	poll := time.NewTicker(tokenPollInterval)
	defer poll.Stop()
	due := s.now()
	for {
		checked := false
		if now := s.now(); !now.Before(due) {
			started := now
			for _, w := range s.watches {
				w.mark(now)
			}
			s.checkStarted.Store(started.UnixNano())
			rep := s.checker.Run(ctx)
			s.checkStarted.Store(0)
			if ctx.Err() != nil {
				return // shutting down: a cancelled check proves nothing
			}
			lastDone, lastRep = s.now(), rep
			judge()
			s.metrics.checkDone(state.last)
			s.checks.Add(1)
			checked = true
			due = s.sched.next(rep, started, lastDone)
			s.log.Debug("check done", "result", rep.Verdict().String(), "duration_ms", rep.DurationMS, "next_in", due.Sub(lastDone).Round(time.Millisecond))
		}
		if checked || s.snap.Load().state != state.state(s.now()) {
			publish() // a check completed, or grace ran out
		}
		wake := due
		if g := state.graceUntil(s.now()); !g.IsZero() {
			// Wake when grace runs out, so readiness and the log flip then.
			wake = earliest(wake, g.Add(time.Millisecond))
		}
		timer := time.NewTimer(wake.Sub(s.now()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		case <-poll.C:
			timer.Stop()
			now := s.now()
			changed, rotated := false, false
			for _, w := range s.watches {
				before, n := w.life.changedAt, w.life.rotations
				if w.observe(now) {
					changed = true
					w.sum = w.seen // one early check per change
				}
				rotated = rotated || !w.life.changedAt.Equal(before)
				if w.life.rotations != n {
					// Info: a rotation is the kubelet working, and the log
					// is where a person looks for when it last did.
					s.log.Info("token rotated", "token", w.kind, "token_file", w.path, "iat", w.life.iat.UTC().Format(time.RFC3339),
						"exp", w.life.exp.UTC().Format(time.RFC3339), "rotations", w.life.rotations)
				}
			}
			if changed {
				due = s.sched.early(due, lastDone, now)
				s.log.Debug("token file changed", "check_in", due.Sub(now).Round(time.Millisecond))
			}
			if lastRep != nil && lifeKey(s.lives(), s.now()) != lifeAt {
				judge()
				publish()
			} else if rotated {
				publish() // the token metrics follow the file at once
			}
		}
	}
}

// lives is a copy of every watched file's life, for a snapshot.
func (s *Server) lives() []tokenLife {
	out := make([]tokenLife, len(s.watches))
	for i, w := range s.watches {
		out[i] = w.life
	}
	return out
}

// withLife is rep with the token-not-rotated findings of now added, its
// verdict decided again; rep itself when there are none (nil stays nil).
func withLife(rep *check.Report, lives []tokenLife, now time.Time) *check.Report {
	if rep == nil {
		return nil
	}
	var add []finding.Finding
	for i := range lives {
		if f := lives[i].notRotated(now); f != nil {
			add = append(add, *f)
		}
	}
	if len(add) == 0 {
		return rep
	}
	cp := *rep
	cp.Findings = append(slices.Clip(rep.Findings), add...)
	cp.Decide()
	return &cp
}

// logChange logs a state change once, at a level that says whether anyone
// must act, and leaves the summary for `kubectl describe pod` should the
// container be killed (a startupProbe that never succeeds).
func (s *Server) logChange(snap *snapshot) {
	attrs := []any{"state", string(snap.state), "ready", snap.ready}
	level := slog.LevelInfo
	if rep := snap.rep; rep != nil {
		attrs = append(attrs, "result", rep.Verdict().String())
		if rep.Identity != nil {
			attrs = append(attrs, "identity", rep.Identity.ARN)
		}
		if f := rep.FirstProblem(); f != nil {
			attrs = append(attrs, "finding", string(f.Code))
		}
		if s.cfg.LogFormat == "json" && len(rep.Findings) > 0 {
			// Structured: each finding's code, severity, message, evidence and fix.
			attrs = append(attrs, "findings", rep.Findings)
		}
		if err := rep.WriteTerminationLog(s.cfg.TerminationLog); err != nil {
			s.log.Warn("could not write the termination log", "error", err)
		}
	}
	switch snap.state {
	case stateGrace:
		level = slog.LevelWarn
		attrs = append(attrs, "grace_until", snap.graceUntil.UTC().Format(time.RFC3339))
	case stateBroken, stateUndecided:
		level = slog.LevelError
	}
	s.log.Log(context.Background(), level, stateMessages[snap.state], attrs...)
	if rep := snap.rep; rep != nil && s.reports != nil && s.cfg.LogFormat != "json" && s.log.Enabled(context.Background(), level) {
		if err := rep.WriteText(s.reports); err != nil {
			s.log.Warn("could not write the report", "error", err)
		}
	}
}

// stateMessages are the log messages of state changes: one line says
// whether anyone must act.
var stateMessages = map[serveState]string{
	stateStarting:  "identity not checked yet",
	stateReady:     "identity works",
	stateGrace:     "identity undecided; still ready within grace",
	stateBroken:    "identity broken; not ready",
	stateUndecided: "identity undecided; not ready",
}

// alive is /livez: the loop runs, and no check outlived its deadline by far.
func (s *Server) alive() (bool, string) {
	if s.loopExited.Load() {
		return false, "the check loop has exited"
	}
	if t := s.checkStarted.Load(); t != 0 {
		if d := s.now().Sub(time.Unix(0, t)); d > s.cfg.Timeout+stuckAfter {
			return false, fmt.Sprintf("a check has run for %s, past IRSA_PROBE_TIMEOUT (%s)", d.Round(time.Second), s.cfg.Timeout)
		}
	}
	return true, ""
}
