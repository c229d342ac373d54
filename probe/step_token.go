package probe

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"
)

// ClockSkew is how far nbf/iat may lie in the future before the token is
// "not yet valid": the leeway STS and most JWT libraries allow.
const ClockSkew = 5 * time.Minute

// checkToken is step 2: read, decode and validate the projected token.
func (r *run) checkToken() bool {
	path := r.cfg.AWS.TokenFile
	if path == "" {
		r.rep.step(StepToken, StatusSkip, "AWS_WEB_IDENTITY_TOKEN_FILE not set")
		return false
	}
	raw, err := ReadTokenFile(path)
	if err != nil {
		r.tokenFileError(path, err)
		return false
	}
	r.redact.addToken(raw)
	t, err := ParseToken(raw)
	if err != nil {
		r.add(CodeTokenMalformed, Evidence{EvDetail: err.Error()})
		r.rep.step(StepToken, StatusFail, "not a JWT: "+err.Error())
		return false
	}
	r.token, r.rawToken = t, raw
	r.rep.Token = t
	r.base[EvIssuer] = t.Issuer
	r.base[EvSubject] = t.Subject
	r.base[EvAudience] = strings.Join(t.Audience, ",")
	if t.Namespace != "" {
		r.base[EvNamespace] = t.Namespace
	}
	if t.ServiceAccount != "" {
		r.base[EvServiceAccount] = t.ServiceAccount
	}
	if t.Pod != "" && r.base[EvPod] == "" {
		r.base[EvPod] = t.Pod
	}
	if !t.Expiry.IsZero() {
		r.base[EvExpiry] = t.Expiry.Format(time.RFC3339)
	}
	if t.Legacy {
		r.add(CodeTokenLegacy, nil)
		r.rep.step(StepToken, StatusFail, "legacy service-account token")
		return false
	}
	if detail := structuralProblem(t); detail != "" {
		r.add(CodeTokenMalformed, Evidence{EvDetail: detail})
		r.rep.step(StepToken, StatusFail, detail)
		return false
	}

	now := r.cfg.now()
	nowEv := now.UTC().Format(time.RFC3339)
	st, detail := StatusPass, fmt.Sprintf("sub %s, aud %s, %s left (claims only; STS verifies the signature)",
		t.Subject, strings.Join(t.Audience, ","), t.Expiry.Sub(now).Round(time.Second))
	fail := func(code Code, ev Evidence, provisional bool) {
		r.add(code, ev)
		if provisional {
			r.provisional[code] = true
		}
		st = StatusFail
	}
	if e := r.cfg.ExpectServiceAccount; e != "" && "system:serviceaccount:"+e != t.Subject {
		fail(CodeServiceAccountMismatch, nil, false)
	}
	if !t.HasAudience(r.cfg.Audience) {
		fail(CodeTokenAudienceMismatch, nil, true)
	}
	switch {
	case !now.Before(t.Expiry):
		fail(CodeTokenExpired, Evidence{EvNow: nowEv}, true)
	case t.NotBefore.After(now.Add(ClockSkew)) || t.IssuedAt.After(now.Add(ClockSkew)):
		future := t.NotBefore
		if t.IssuedAt.After(future) {
			future = t.IssuedAt
		}
		fail(CodeTokenNotYetValid, Evidence{
			EvNow: nowEv, EvNotBefore: fmtTime(t.NotBefore), EvIssuedAt: fmtTime(t.IssuedAt),
			EvClockSkew: future.Sub(now).Round(time.Second).String(),
		}, true)
	default:
		left := t.Expiry.Sub(now)
		if margin := r.expiryMargin(t); left < margin {
			r.add(CodeTokenExpiringSoon, Evidence{EvTimeLeft: left.Round(time.Second).String(), EvNow: nowEv})
			if st == StatusPass {
				st = StatusWarn
			}
		}
	}
	if st == StatusFail {
		detail = "sub " + t.Subject + ", aud " + strings.Join(t.Audience, ",")
	}
	r.rep.step(StepToken, st, detail)
	// Claim problems STS also judges do not stop the STS call: its verdict
	// (and request id) is the authority, e.g. a custom audience the OIDC
	// provider accepts.
	return true
}

// expiryMargin is IRSA_PROBE_EXPIRY_MARGIN, or 10% of the token's lifetime:
// kubelet rotates at 80%, so a token with under 10% left was not rotated.
func (r *run) expiryMargin(t *Token) time.Duration {
	if r.cfg.ExpiryMargin > 0 {
		return r.cfg.ExpiryMargin
	}
	if t.IssuedAt.IsZero() {
		return 0
	}
	return t.Expiry.Sub(t.IssuedAt) / 10
}

// structuralProblem finds claims no STS call can fix.
func structuralProblem(t *Token) string {
	switch {
	case !strings.HasPrefix(t.Issuer, "https://"):
		return fmt.Sprintf("iss %q is not an https URL (STS only accepts https OIDC issuers)", t.Issuer)
	case !t.SubjectOK():
		return fmt.Sprintf("sub %q is not system:serviceaccount:NAMESPACE:NAME", t.Subject)
	case t.Expiry.IsZero():
		return "the token has no exp claim"
	case len(t.Audience) == 0:
		return "the token has no aud claim"
	}
	ns, sa, _ := parseSubject(t.Subject)
	if (t.Namespace != "" && t.Namespace != ns) || (t.ServiceAccount != "" && t.ServiceAccount != sa) {
		return fmt.Sprintf("the kubernetes.io claims (%s/%s) disagree with sub %q", t.Namespace, t.ServiceAccount, t.Subject)
	}
	return ""
}

func (r *run) tokenFileError(path string, err error) {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		detail := "file does not exist"
		if dir := path[:max(strings.LastIndex(path, "/"), 0)]; dir != "" {
			if _, derr := os.Stat(dir); derr != nil {
				detail = "directory " + dir + " does not exist"
			}
		}
		r.add(CodeTokenFileMissing, Evidence{EvDetail: detail})
		r.rep.step(StepToken, StatusFail, path+": "+detail)
	case errors.Is(err, fs.ErrPermission) || strings.Contains(err.Error(), "not a regular file"):
		ev := Evidence{EvDetail: err.Error(), EvProcessUser: fmt.Sprintf("uid=%d gid=%d", os.Getuid(), os.Getgid()), EvFSGroup: fmt.Sprint(os.Getgid())}
		if st, serr := os.Stat(path); serr == nil {
			ev[EvFileMode] = st.Mode().Perm().String()
			if sys, ok := st.Sys().(*syscall.Stat_t); ok {
				ev[EvFileOwner] = fmt.Sprintf("uid=%d gid=%d", sys.Uid, sys.Gid)
			}
		}
		r.add(CodeTokenFileUnreadable, ev)
		r.rep.step(StepToken, StatusFail, path+": "+err.Error())
	default:
		var te *TokenError
		if errors.As(err, &te) {
			r.add(CodeTokenMalformed, Evidence{EvDetail: te.Error()})
		} else {
			r.add(CodeTokenFileUnreadable, Evidence{EvDetail: err.Error()})
		}
		r.rep.step(StepToken, StatusFail, err.Error())
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
