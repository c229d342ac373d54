package check

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/satoken"
)

// ClockSkew is how far nbf/iat may lie in the future before the token is
// "not yet valid": the leeway STS and most JWT libraries allow.
const ClockSkew = 5 * time.Minute

// tokenCheck is the token step's outcome while STS has yet to judge the
// doubts it raised; settleDoubts records the step.
type tokenCheck struct {
	status Status
	detail string
	note   string // who checks the signature, unless the signature step did
}

// checkToken is the token step: read, decode and validate the projected
// token. It returns nil, with the step recorded, when there is no token
// STS could judge. Claim problems STS also judges (audience, expiry, clock)
// are doubts, not verdicts: the STS call still goes out, and its answer
// settles them (e.g. a custom audience the OIDC provider accepts).
func (r *run) checkToken() *tokenCheck {
	path := r.cfg.AWS.TokenFile
	if path == "" {
		r.record(StepToken, StatusSkip, "AWS_WEB_IDENTITY_TOKEN_FILE not set")
		return nil
	}
	raw, err := satoken.ReadFile(path)
	if err != nil {
		r.tokenFileError(path, err)
		return nil
	}
	r.redact.addToken(raw)
	t, err := satoken.Parse(raw)
	if err != nil {
		r.add(StepToken, finding.CodeTokenMalformed, finding.Evidence{finding.EvDetail: err.Error()})
		if te := (*satoken.Error)(nil); errors.As(err, &te) && te.Part == "claims" {
			r.record(StepToken, StatusFail, te.Err.Error()) // a JWT, with a claim that names itself
		} else {
			r.record(StepToken, StatusFail, "not a JWT: "+err.Error())
		}
		return nil
	}
	r.token, r.rawToken = t, raw
	r.rep.Token = t
	r.base[finding.EvIssuer] = t.Issuer
	if ir := iam.IssuerRegion(t.Issuer); ir != "" {
		r.base[finding.EvIssuerRegion] = ir
		if r.cfg.AWS.EffectiveRegion() == "" {
			r.base[finding.EvRegionFrom] = "the cluster's region, from its issuer's host"
		}
	}
	r.base[finding.EvSubject] = t.Subject
	r.base[finding.EvAudience] = strings.Join(t.Audience, ",")
	if t.Namespace != "" {
		r.base[finding.EvNamespace] = t.Namespace
	}
	if t.ServiceAccount != "" {
		r.base[finding.EvServiceAccount] = t.ServiceAccount
	}
	if t.Pod != "" && r.base[finding.EvPod] == "" {
		r.base[finding.EvPod] = t.Pod
	}
	if !t.Expiry.IsZero() {
		r.base[finding.EvExpiry] = t.Expiry.Format(time.RFC3339)
	}
	if t.Legacy {
		r.add(StepToken, finding.CodeTokenLegacy, nil)
		r.record(StepToken, StatusFail, "legacy service-account token")
		return nil
	}
	if detail := t.StructuralProblem(); detail != "" {
		r.add(StepToken, finding.CodeTokenMalformed, finding.Evidence{finding.EvDetail: detail})
		r.record(StepToken, StatusFail, detail)
		return nil
	}

	if ir := r.base[finding.EvIssuerRegion]; ir != "" && r.role.Partition != "" && iam.PartitionOfRegion(ir) != r.role.Partition {
		detail := fmt.Sprintf("the cluster's issuer %s is in region %s of partition %s", t.Issuer, ir, orDefault(iam.PartitionOfRegion(ir), "(unknown)"))
		r.add(StepToken, finding.CodePartitionMismatch, finding.Evidence{finding.EvDetail: detail})
		r.record(StepToken, StatusFail, "partition mismatch: "+detail)
		return nil
	}

	r.held.raw = raw // STS may judge it: the SDK gets these bytes
	now := r.cfg.Clock()
	nowEv := now.UTC().Format(time.RFC3339)
	tc := &tokenCheck{status: StatusPass, detail: fmt.Sprintf("sub %s, aud %s, %s left",
		t.Subject, strings.Join(t.Audience, ","), humanLeft(t.Expiry, now)),
		note: fmt.Sprintf(" (claims only; %s verifies the signature)", r.tokenJudge())}
	fail := func(code finding.Code, ev finding.Evidence, doubt bool) {
		if doubt {
			r.addDoubt(StepToken, code, ev)
		} else {
			r.add(StepToken, code, ev)
		}
		tc.status = StatusFail
	}
	if e := r.cfg.ExpectServiceAccount; e != "" && "system:serviceaccount:"+e != t.Subject {
		fail(finding.CodeServiceAccountMismatch, nil, false)
	}
	if !t.HasAudience(r.cfg.Audience) {
		fail(finding.CodeTokenAudienceMismatch, nil, true)
	}
	switch {
	case !now.Before(t.Expiry):
		fail(finding.CodeTokenExpired, finding.Evidence{finding.EvNow: nowEv}, true)
	case t.NotBefore.After(now.Add(ClockSkew)) || t.IssuedAt.After(now.Add(ClockSkew)):
		future := t.NotBefore
		if t.IssuedAt.After(future) {
			future = t.IssuedAt
		}
		fail(finding.CodeTokenNotYetValid, finding.Evidence{
			finding.EvNow: nowEv, finding.EvNotBefore: fmtTime(t.NotBefore), finding.EvIssuedAt: fmtTime(t.IssuedAt),
			finding.EvClockSkew: future.Sub(now).Round(time.Second).String(),
		}, true)
	default:
		left := t.Expiry.Sub(now)
		if margin := r.expiryMargin(t); left < margin {
			r.add(StepToken, finding.CodeTokenExpiringSoon, finding.Evidence{finding.EvTimeLeft: left.Round(time.Second).String(), finding.EvNow: nowEv})
			if tc.status == StatusPass {
				tc.status = StatusWarn
			}
		}
	}
	if tc.status == StatusFail {
		tc.detail, tc.note = "sub "+t.Subject+", aud "+strings.Join(t.Audience, ","), ""
	}
	return tc
}

// settleDoubts records the token step once STS has judged the token. STS
// accepted it: its verdict overrules the claim checks, whose doubts are
// dropped and named in the step. STS rejected it for the same reason: the
// doubt was confirmed when the STS error merged into it (addOrMerge).
// Otherwise, or when STS was not asked, the doubts stand as findings.
func (r *run) settleDoubts(tc *tokenCheck, stsAccepted bool) {
	if tc.note != "" && !r.sig.Verified {
		tc.detail += tc.note
	}
	if stsAccepted {
		kept := r.found[:0]
		for _, e := range r.found {
			if !e.doubt {
				kept = append(kept, e)
				continue
			}
			tc.status = StatusWarn
			tc.detail += fmt.Sprintf("; STS accepted the token despite %s", e.Code)
		}
		r.found = kept
	}
	r.record(StepToken, tc.status, tc.detail)
}

// expiryMargin is IRSA_PROBE_EXPIRY_MARGIN, or 10% of the token's lifetime:
// kubelet rotates at 80%, so a token with under 10% left was not rotated.
func (r *run) expiryMargin(t *satoken.Token) time.Duration {
	if r.cfg.ExpiryMargin > 0 {
		return r.cfg.ExpiryMargin
	}
	if t.IssuedAt.IsZero() {
		return 0
	}
	return t.Expiry.Sub(t.IssuedAt) / 10
}

func (r *run) tokenFileError(path string, err error) {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		detail := "file does not exist"
		if dir := filepath.Dir(path); dir != "." && dir != "/" {
			if _, derr := os.Stat(dir); derr != nil {
				detail = "directory " + dir + " does not exist"
			}
		}
		r.add(StepToken, finding.CodeTokenFileMissing, finding.Evidence{finding.EvDetail: detail})
		r.record(StepToken, StatusFail, path+": "+detail)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, satoken.ErrNotRegular):
		ev := finding.Evidence{finding.EvDetail: err.Error(), finding.EvProcessUser: fmt.Sprintf("uid=%d gid=%d", os.Getuid(), os.Getgid()), finding.EvFSGroup: fmt.Sprint(os.Getgid())}
		if st, serr := os.Stat(path); serr == nil {
			ev[finding.EvFileMode] = st.Mode().Perm().String()
			if sys, ok := st.Sys().(*syscall.Stat_t); ok {
				ev[finding.EvFileOwner] = fmt.Sprintf("uid=%d gid=%d", sys.Uid, sys.Gid)
			}
		}
		r.add(StepToken, finding.CodeTokenFileUnreadable, ev)
		r.record(StepToken, StatusFail, path+": "+err.Error())
	default:
		var te *satoken.Error
		if errors.As(err, &te) {
			r.add(StepToken, finding.CodeTokenMalformed, finding.Evidence{finding.EvDetail: te.Error()})
		} else {
			r.add(StepToken, finding.CodeTokenFileUnreadable, finding.Evidence{finding.EvDetail: err.Error()})
		}
		r.record(StepToken, StatusFail, err.Error())
	}
}

// humanLeft is a token's time left until exp as a person reads it: under
// two days exactly, beyond in days or years (a 10-year token is "10
// years", not "87572h18m4s"). Years are counted in seconds, not in a
// time.Duration, which saturates at 292 years: a claim clamped to the end
// of 9999 reads as the years until then, never more.
func humanLeft(exp, now time.Time) string {
	const day = 24 * time.Hour
	d := exp.Sub(now)
	switch years := float64(exp.Unix()-now.Unix()) / 86400 / 365.25; {
	case years >= 1.5:
		return fmt.Sprintf("%.0f years", years)
	case years >= 1:
		return "1 year"
	case d >= 2*day:
		return fmt.Sprintf("%d days", d/day)
	}
	return d.Round(time.Second).String()
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
