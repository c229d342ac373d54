package check

import (
	"regexp"
	"strings"
)

// Redacted replaces a secret wherever one slipped into a string.
const Redacted = "[REDACTED]"

// jwtRE matches anything shaped like a compact JWS: a safety net for tokens
// the probe did not read itself (e.g. echoed back in an AWS error message).
var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+`)

// redactor knows the secrets one run handled: the token, and the secret
// key and session token of any credentials it obtained.
type redactor struct{ secrets []string }

func (rd *redactor) add(secrets ...string) {
	for _, s := range secrets {
		s = strings.TrimSpace(s)
		if len(s) >= 8 {
			rd.secrets = append(rd.secrets, s)
		}
	}
}

// addToken registers the token and its segments: the payload alone is as
// identifying as the whole, and the signature alone is still the token's.
func (rd *redactor) addToken(raw []byte) {
	tok := strings.TrimSpace(string(raw))
	rd.add(tok)
	for _, part := range strings.Split(tok, ".") {
		if len(part) >= 16 {
			rd.add(part)
		}
	}
}

func (rd *redactor) clean(s string) string {
	for _, sec := range rd.secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, Redacted)
		}
	}
	return jwtRE.ReplaceAllString(s, Redacted)
}

// scrub cleans every string of a report in place.
func (rd *redactor) scrub(rep *Report) {
	for i := range rep.Checks {
		rep.Checks[i].Detail = rd.clean(rep.Checks[i].Detail)
	}
	for i := range rep.Findings {
		f := &rep.Findings[i]
		f.Message, f.Fix = rd.clean(f.Message), rd.clean(f.Fix)
		for k, v := range f.Evidence {
			f.Evidence[k] = rd.clean(v)
		}
	}
}
