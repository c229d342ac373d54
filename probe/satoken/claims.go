package satoken

import (
	"fmt"
	"strings"
)

// SubjectOK reports whether sub names a service account.
func (t *Token) SubjectOK() bool {
	_, _, ok := ParseSubject(t.Subject)
	return ok
}

// HasAudience reports whether aud contains want.
func (t *Token) HasAudience(want string) bool {
	for _, a := range t.Audience {
		if a == want {
			return true
		}
	}
	return false
}

// ParseSubject splits system:serviceaccount:NS:NAME.
func ParseSubject(sub string) (namespace, name string, ok bool) {
	rest, ok := strings.CutPrefix(sub, "system:serviceaccount:")
	if !ok {
		return "", "", false
	}
	namespace, name, ok = strings.Cut(rest, ":")
	if !ok || namespace == "" || name == "" || strings.Contains(name, ":") {
		return "", "", false
	}
	return namespace, name, true
}

// StructuralProblem finds claims no STS call can fix, or "" when there are
// none: STS would reject such a token whatever the trust policy says.
func (t *Token) StructuralProblem() string {
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
	ns, sa, _ := ParseSubject(t.Subject)
	if (t.Namespace != "" && t.Namespace != ns) || (t.ServiceAccount != "" && t.ServiceAccount != sa) {
		return fmt.Sprintf("the kubernetes.io claims (%s/%s) disagree with sub %q", t.Namespace, t.ServiceAccount, t.Subject)
	}
	return ""
}
