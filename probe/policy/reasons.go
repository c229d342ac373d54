package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// Reason codes: stable, for scripts (--output json). Never rename one,
// only add.
const (
	CodeMalformed         = "policy-malformed"
	CodeExplicitDeny      = "explicit-deny"
	CodeNoAllowStatement  = "no-allow-statement"
	CodeActionMismatch    = "action-mismatch"
	CodePrincipalMismatch = "principal-mismatch"
	CodeKeySwapped        = "condition-key-swapped"
	CodeKeyMalformed      = "condition-key-malformed"
	CodeWildcard          = "wildcard-needs-stringlike"
	CodeSubjectMismatch   = "subject-mismatch"
	CodeAudienceMismatch  = "audience-mismatch"
	CodeUnsupported       = "condition-unsupported"
	// CodeOverlyBroad is a warning: the policy allows this pod, and any
	// other service account of the cluster too.
	CodeOverlyBroad = "overly-broad"
)

// Reason is why a line does not match (or, as a warning, why a match is
// too wide). Detail refines Code, e.g. principal-mismatch's "account".
type Reason struct {
	Code      string `json:"code"`
	Detail    string `json:"detail,omitempty"`
	Statement int    `json:"statement"` // -1: the document as a whole
	Line      int    `json:"line,omitempty"`
	Column    int    `json:"column,omitempty"`
	Message   string `json:"message"`

	splices []splice // the edit that fixes it, if there is one
}

// splice replaces text[start:end] with text.
type splice struct {
	start, end int
	text       string
}

// The reason builders: for each way a statement fails the request, the
// reason a person reads and, where one exists, the minimal edit.

func (x *explainer) denyReason(s *Statement) Reason {
	l, c := position(x.doc.Text, s.n.start)
	r := Reason{Code: CodeExplicitDeny, Statement: s.Index, Line: l, Column: c,
		Message: fmt.Sprintf("%s is a Deny that applies to this pod: an explicit Deny wins over every Allow", stmtName(s))}
	r.splices = x.removeStatement(s)
	return r
}

func (x *explainer) noAllow() Reason {
	what := "a Federated principal (the cluster's OIDC provider) with sts:AssumeRoleWithWebIdentity"
	if x.req.PodIdentity {
		what = "the Service principal pods.eks.amazonaws.com with sts:AssumeRole and sts:TagSession"
	}
	l, c := position(x.doc.Text, x.doc.stmts.start)
	return Reason{Code: CodeNoAllowStatement, Statement: -1, Line: l, Column: c,
		Message: "no Allow statement is meant for this pod: none has " + what,
		splices: x.appendStatement()}
}

// principalReason says how the statement's principal differs from the one
// the request has.
func (x *explainer) principalReason(s *Statement) *Reason {
	p := s.Principal
	r := &Reason{Code: CodePrincipalMismatch}
	if x.req.PodIdentity {
		switch {
		case len(p.Service) == 0 && len(p.Federated) > 0:
			r.Detail = "service-vs-federated"
			r.Message = "Pod Identity is assumed by the Service principal pods.eks.amazonaws.com, not a Federated OIDC provider"
			r.splices = x.replacePrincipal(s, "Federated", "Service", strconv.Quote(PodIdentityService))
		case len(p.Service) > 0:
			r.Detail = "service"
			r.Message = fmt.Sprintf("the Service principal is %s; EKS Pod Identity is %q", quoteValues(p.Service), PodIdentityService)
			r.splices = []splice{{p.Service[0].start, p.Service[0].end, strconv.Quote(PodIdentityService)}}
		default:
			r.Detail = "other"
			r.Message = fmt.Sprintf("the principal must be {\"Service\": %q}", PodIdentityService)
			r.splices = []splice{{s.principal.start, s.principal.end, `{"Service": "` + PodIdentityService + `"}`}}
		}
		return r
	}
	want := x.req.ProviderARN()
	switch {
	case len(p.Federated) == 0 && len(p.Service) > 0:
		r.Detail = "service-vs-federated"
		r.Message = fmt.Sprintf("IRSA is assumed by a web identity: the principal must be {\"Federated\": %q}, not a Service", want)
		r.splices = x.replacePrincipal(s, "Service", "Federated", strconv.Quote(want))
		return r
	case len(p.Federated) == 0:
		r.Detail = "other"
		r.Message = fmt.Sprintf("IRSA is assumed by a web identity: the principal must be {\"Federated\": %q}", want)
		r.splices = []splice{{s.principal.start, s.principal.end, `{"Federated": ` + strconv.Quote(want) + `}`}}
		return r
	}
	v := closestValue(p.Federated, want)
	r.Detail = x.arnDifference(v.S)
	what := map[string]string{
		"https-in-arn": "the provider ARN has \"https://\" in it; IAM names providers by host and path only",
		"not-an-arn":   "Federated must be the provider's ARN, not the issuer URL",
		"partition":    "the partition differs",
		"account":      "the account differs: the OIDC provider must be in the role's account",
		"issuer-host":  "the issuer host differs (the issuer is " + x.req.Issuer + ")",
		"issuer-id":    "it is another cluster's OIDC provider (the issuer id differs)",
		"other":        "it is not this cluster's OIDC provider",
	}[r.Detail]
	r.Message = fmt.Sprintf("Federated %q is not %q: %s", v.S, want, what)
	r.splices = []splice{{v.start, v.end, strconv.Quote(want)}}
	return r
}

// arnDifference classifies how got differs from the provider ARN.
func (x *explainer) arnDifference(got string) string {
	if strings.Contains(got, "https://") || strings.Contains(got, "http://") {
		if strings.HasPrefix(got, "arn:") {
			return "https-in-arn"
		}
		return "not-an-arn"
	}
	parts := strings.SplitN(got, ":", 6)
	if len(parts) != 6 || !strings.HasPrefix(parts[5], "oidc-provider/") {
		if strings.EqualFold(got, x.hp) {
			return "not-an-arn"
		}
		return "other"
	}
	switch {
	case parts[1] != x.req.Partition:
		return "partition"
	case parts[4] != x.req.Account:
		return "account"
	}
	return issuerDifference(strings.TrimPrefix(parts[5], "oidc-provider/"), x.hp)
}

// issuerDifference compares an issuer host/path with this one's.
func issuerDifference(got, hp string) string {
	gh, gp, _ := strings.Cut(strings.ToLower(got), "/")
	wh, wp, _ := strings.Cut(hp, "/")
	switch {
	case gh == wh && gp == wp:
		return "other"
	case gh != wh && gp == wp:
		return "issuer-host"
	case gh == wh && gp != wp, strings.Contains(gp, "id/") && strings.Contains(wp, "id/"):
		return "issuer-id"
	}
	return "other"
}

func (x *explainer) actionReason(s *Statement, missing []string) *Reason {
	r := &Reason{Code: CodeActionMismatch, Detail: "other"}
	acts := joinValues(s.Actions, ", ")
	switch {
	case x.req.PodIdentity && len(missing) == 1 && missing[0] == ActionTagSession:
		r.Detail = "tag-session"
		r.Message = fmt.Sprintf("Action %s lacks sts:TagSession: EKS Pod Identity passes session tags, so AssumeRole without TagSession is refused", acts)
	case !x.req.PodIdentity && strings.Contains(strings.ToLower(acts), "sts:assumerole") && !strings.Contains(strings.ToLower(acts), "webidentity"):
		r.Detail = "assume-role"
		r.Message = fmt.Sprintf("Action %s is not sts:AssumeRoleWithWebIdentity, the action IRSA's token exchange is", acts)
	default:
		r.Message = fmt.Sprintf("%s %s does not cover %s", map[bool]string{true: "NotAction", false: "Action"}[s.NotAction], acts, strings.Join(missing, " and "))
	}
	r.splices = x.fixActions(s, missing)
	return r
}

// conditionReason says why a condition line failed.
func (x *explainer) conditionReason(s *Statement, c *Condition, out condOutcome) *Reason {
	r := &Reason{}
	if out == condInvalid {
		r.Code, r.Detail = CodeUnsupported, "unknown-operator"
		r.Message = fmt.Sprintf("%q is not an IAM condition operator: IAM rejects the document (MalformedPolicyDocument)", c.Operator)
		return r
	}
	if x.req.PodIdentity {
		return x.podIdentityConditionReason(c, out)
	}
	suffix, problem, ours := x.classifyKey(c.Key)
	if !ours {
		r.Code, r.Detail = CodeUnsupported, "key-not-in-request"
		r.Message = fmt.Sprintf("the request has no %s: a web identity request carries only %s:sub and %s:aud", c.Key, x.req.HostPath(), x.req.HostPath())
		return r
	}
	if problem != "" {
		if suffix == "" {
			suffix = "aud"
			if anyLooksLikeSubject(c.Values) {
				suffix = "sub"
			}
		}
		want := x.req.HostPath() + ":" + suffix
		r.Code, r.Detail = CodeKeyMalformed, problem
		r.Message = fmt.Sprintf("the condition key %q is not %q: %s", c.Key, want, map[string]string{
			"https-prefix":   "condition keys name the issuer without https://",
			"provider-arn":   "condition keys name the issuer's host and path, not the provider ARN",
			"issuer-host":    "the issuer host differs (the issuer is " + x.req.Issuer + ")",
			"issuer-id":      "it is another cluster's issuer id",
			"suffix-missing": "the key needs :sub or :aud after the issuer",
		}[problem])
		r.splices = x.renameKey(c, want)
		return r
	}
	if out == condUnsupported {
		r.Code, r.Detail = CodeUnsupported, "operator-not-compared"
		r.Message = fmt.Sprintf("%s does not compare strings; use StringEquals or StringLike on %s", c.Operator, c.Key)
		return r
	}
	negated := iamOperators[c.Base]
	switch suffix {
	case "aud":
		if anyLooksLikeSubject(c.Values) || anyGlobs(c.Values, x.req.Subject) {
			r.Code, r.Detail = CodeKeySwapped, "sub-under-aud"
			r.Message = fmt.Sprintf("the :aud key holds the subject pattern %s; the token's aud is %q. The subject belongs under %s:sub", quoteValues(c.Values), x.req.Audience, x.req.HostPath())
			r.splices = x.swapKey(c, "sub", x.req.Audience)
			return r
		}
		r.Code = CodeAudienceMismatch
		return x.valueMismatch(r, c, negated, x.req.Audience, "the token's aud")
	default: // sub
		if anyEquals(c.Values, x.req.Audience) || anyEquals(c.Values, "sts.amazonaws.com") {
			r.Code, r.Detail = CodeKeySwapped, "aud-under-sub"
			r.Message = fmt.Sprintf("the :sub key holds the audience %s; the token's sub is %q. The audience belongs under %s:aud", quoteValues(c.Values), x.req.Subject, x.req.HostPath())
			r.splices = x.swapKey(c, "aud", x.req.Subject)
			return r
		}
		if !negated && strings.HasPrefix(c.Base, "StringEquals") && anyGlobs(c.Values, x.req.Subject) {
			like := strings.Replace(c.Operator, "StringEquals", "StringLike", 1)
			r.Code = CodeWildcard
			r.Message = fmt.Sprintf("%s compares * and ? literally: %s matches %q only under %s", c.Operator, quoteValues(c.Values), x.req.Subject, like)
			r.splices = x.renameOperator(s, c, like)
			return r
		}
		r.Code = CodeSubjectMismatch
		return x.valueMismatch(r, c, negated, x.req.Subject, "the token's sub")
	}
}

func (x *explainer) podIdentityConditionReason(c *Condition, out condOutcome) *Reason {
	r := &Reason{}
	key := strings.ToLower(c.Key)
	ns, sa, _ := splitSubject(x.req.Subject)
	switch {
	case out == condUnsupported:
		r.Code, r.Detail = CodeUnsupported, "operator-not-compared"
		r.Message = fmt.Sprintf("%s does not compare strings; use StringEquals or StringLike on %s", c.Operator, c.Key)
		return r
	case key == tagNamespace:
		r.Code = CodeSubjectMismatch
		return x.valueMismatch(r, c, iamOperators[c.Base], ns, "the pod's namespace")
	case key == tagServiceAccount:
		r.Code = CodeSubjectMismatch
		return x.valueMismatch(r, c, iamOperators[c.Base], sa, "the pod's service account")
	}
	r.Code, r.Detail = CodeUnsupported, "key-not-in-request"
	r.Message = fmt.Sprintf("EKS Pod Identity's request has no %s", c.Key)
	return r
}

// valueMismatch explains a value condition that does not hold for want:
// the closest value, and whether it is a case difference or a typo.
func (x *explainer) valueMismatch(r *Reason, c *Condition, negated bool, want, what string) *Reason {
	if negated {
		r.Detail = "excluded"
		r.Message = fmt.Sprintf("%s excludes %s %q on purpose", c.Operator, what, want)
		return r
	}
	v := closestValue(c.Values, want)
	d := distance(v.S, want)
	switch {
	case strings.EqualFold(v.S, want):
		r.Detail = "case"
		r.Message = fmt.Sprintf("%q differs from %s %q in case only: %s is case-sensitive", v.S, what, want, c.Operator)
	case d <= 2 || (d <= 3 && len(want) >= 24):
		r.Detail = "typo"
		r.Message = fmt.Sprintf("%q is %d character(s) away from %s %q: a typo?", v.S, d, what, want)
	default:
		r.Detail = "differs"
		if ns, sa, ok := splitSubject(want); ok {
			if gns, gsa, ok := splitSubject(v.S); ok {
				switch {
				case gns != ns && gsa == sa:
					r.Detail = "namespace"
				case gns == ns && gsa != sa:
					r.Detail = "service-account"
				}
			}
		}
		label := "differs" // neither part of a subject pinned down
		if r.Detail != "differs" {
			label = strings.ReplaceAll(r.Detail, "-", " ") + " differs"
		}
		r.Message = fmt.Sprintf("%s is %q; the closest value allowed is %q (%s)", what, want, v.S, label)
	}
	if r.Detail == "case" || r.Detail == "typo" {
		r.splices = []splice{{v.start, v.end, strconv.Quote(want)}}
	} else {
		r.splices = x.addValue(c.val, want)
	}
	return r
}

// classifyKey splits a condition key into its :sub/:aud suffix and says
// whether it names this issuer (ours), and if so in what wrong way.
func (x *explainer) classifyKey(key string) (suffix, problem string, ours bool) {
	k := strings.ToLower(key)
	prefix := k
	for _, s := range []string{"sub", "aud"} {
		if p, ok := strings.CutSuffix(k, ":"+s); ok {
			suffix, prefix = s, p
		}
	}
	clean := prefix
	if i := strings.Index(clean, ":oidc-provider/"); i >= 0 && strings.HasPrefix(clean, "arn:") {
		clean, problem = clean[i+len(":oidc-provider/"):], "provider-arn"
	}
	if c, ok := cutScheme(clean); ok {
		clean = c
		if problem == "" {
			problem = "https-prefix"
		}
	}
	switch {
	case clean == x.hp && suffix == "":
		return "", "suffix-missing", true
	case clean == x.hp:
		return suffix, problem, true
	case suffix == "":
		return "", "", false
	}
	if d := issuerDifference(clean, x.hp); d != "other" {
		return suffix, d, true
	}
	if problem != "" {
		return suffix, problem, true
	}
	return suffix, "", false
}

func cutScheme(s string) (string, bool) {
	for _, p := range []string{"https://", "http://"} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return rest, true
		}
	}
	return s, false
}

// overlyBroad warns about allowing statements that would let any service
// account of the cluster in: no :sub condition, or one like
// system:serviceaccount:*.
func (x *explainer) overlyBroad() []Reason {
	if x.req.PodIdentity {
		return nil
	}
	other := x.req
	other.Subject = "system:serviceaccount:irsa-probe-any-namespace:irsa-probe-any-account"
	octx, _ := other.context()
	var out []Reason
	for _, s := range x.doc.Statements {
		if s.Deny || !s.principalMatches(x.req) || !s.actionMatches(ActionWebIdentity) {
			continue
		}
		holds := true
		for _, c := range s.Conditions {
			if c.eval(octx, nil) != condTrue {
				holds = false
			}
		}
		if !holds {
			continue
		}
		l, c := position(x.doc.Text, s.n.start)
		out = append(out, Reason{Code: CodeOverlyBroad, Statement: s.Index, Line: l, Column: c,
			Message: fmt.Sprintf("%s lets any service account of any namespace of the cluster assume the role: pin %s:sub to %q (StringEquals) or to system:serviceaccount:NAMESPACE:* (StringLike)", stmtName(s), x.req.HostPath(), x.req.Subject)})
	}
	return out
}
