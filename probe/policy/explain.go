package policy

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/suggest"
)

// Verdict is the policy's answer for the request.
type Verdict string

const (
	Allows Verdict = "allows"
	Denies Verdict = "denies"
)

// Line is one line of a statement that the request is checked against:
// its Principal, its Action, or one condition key.
type Line struct {
	Element string `json:"element"` // Principal, Action or Condition
	Text    string `json:"text"`
	Matched bool   `json:"matched"`
	// Assumed: the value is one irsa-probe cannot know (a Pod Identity
	// cluster tag, say); the line is taken to match.
	Assumed bool    `json:"assumed,omitempty"`
	Line    int     `json:"line"`
	Column  int     `json:"column"`
	Reason  *Reason `json:"reason,omitempty"`
}

// StatementResult is how one statement evaluated.
type StatementResult struct {
	Index   int    `json:"index"`
	Sid     string `json:"sid,omitempty"`
	Effect  string `json:"effect"`
	Applies bool   `json:"applies"`
	Lines   []Line `json:"lines"`
}

// Explanation is the verdict and everything that led to it.
type Explanation struct {
	Verdict    Verdict           `json:"verdict"`
	Reasons    []Reason          `json:"reasons"`
	Warnings   []Reason          `json:"warnings"`
	Statements []StatementResult `json:"statements"`
	// Edit is the minimal edit that makes the policy allow the request,
	// nil when it allows or when no edit can be proposed.
	Edit *Edit `json:"edit,omitempty"`
}

// Codes lists the reason codes, for tests and scripts.
func (e *Explanation) Codes() []string {
	var out []string
	for _, r := range e.Reasons {
		out = append(out, r.Code)
	}
	return out
}

// Explain evaluates doc for req as IAM would and says why, with the
// minimal edit when it denies.
func Explain(doc *Document, req Request) *Explanation {
	e := evaluate(doc, req)
	if e.Verdict == Denies {
		e.Edit = minimalEdit(doc, req, e)
	}
	return e
}

// Malformed is the explanation of a document that does not parse, and
// the text its position refers to.
func Malformed(err error) (*Explanation, string) {
	r := Reason{Code: CodeMalformed, Statement: -1, Message: err.Error()}
	src := ""
	if me := asMalformed(err); me != nil {
		r.Line, r.Column, r.Message, src = me.Line, me.Column, me.Msg, me.src
	}
	return &Explanation{Verdict: Denies, Reasons: []Reason{r}, Warnings: []Reason{}, Statements: []StatementResult{}}, src
}

type explainer struct {
	doc     *Document
	req     Request
	ctx     map[string][]string
	unknown map[string]bool
	hp      string // lower-case issuer host/path
}

func evaluate(doc *Document, req Request) *Explanation {
	x := &explainer{doc: doc, req: req, hp: strings.ToLower(req.HostPath())}
	x.ctx, x.unknown = req.context()
	e := &Explanation{Reasons: []Reason{}, Warnings: []Reason{}}
	allowed := map[string]bool{}
	denied := map[string]bool{}
	invalid := false
	var denies []Reason
	for _, s := range doc.Statements {
		sr, condsHold := x.statement(s)
		principal := s.principalMatches(req)
		covered := false
		for _, a := range req.Actions() {
			if principal && condsHold && s.actionMatches(a) {
				covered = true
				if s.Deny {
					denied[a] = true
				} else {
					allowed[a] = true
				}
			}
		}
		sr.Applies = covered
		for _, l := range sr.Lines {
			if l.Reason != nil && l.Reason.Detail == "unknown-operator" {
				invalid = true
				e.Reasons = append(e.Reasons, *l.Reason)
			}
		}
		if s.Deny && covered {
			denies = append(denies, x.denyReason(s))
		}
		e.Statements = append(e.Statements, sr)
	}
	e.Verdict = Allows
	for _, a := range req.Actions() {
		if !allowed[a] || denied[a] {
			e.Verdict = Denies
		}
	}
	if invalid {
		e.Verdict = Denies // IAM refuses to store such a document at all
		return e
	}
	if e.Verdict == Allows {
		e.Warnings = append(e.Warnings, x.overlyBroad()...)
		return e
	}
	e.Reasons = append(e.Reasons, denies...)
	missing := false
	for _, a := range req.Actions() {
		missing = missing || !allowed[a]
	}
	if !missing {
		return e
	}
	best := -1
	fails := 0
	for i, s := range doc.Statements {
		if s.Deny || !x.relevant(s) {
			continue
		}
		n := 0
		for _, l := range e.Statements[i].Lines {
			if !l.Matched {
				n++
			}
		}
		if best < 0 || n < fails {
			best, fails = i, n
		}
	}
	if best < 0 {
		e.Reasons = append(e.Reasons, x.noAllow())
		return e
	}
	for _, l := range e.Statements[best].Lines {
		if l.Reason != nil {
			e.Reasons = append(e.Reasons, *l.Reason)
		}
	}
	return e
}

// relevant: an Allow statement written for this kind of identity, even
// with the wrong principal type or action, as opposed to one for another
// purpose (a Pod Identity statement when checking IRSA, say).
func (x *explainer) relevant(s *Statement) bool {
	if s.Principal.Any {
		return true
	}
	acts := strings.ToLower(joinValues(s.Actions, " "))
	if x.req.PodIdentity {
		return len(s.Principal.Service) > 0 || strings.Contains(acts, "tagsession")
	}
	if len(s.Principal.Federated) > 0 || strings.Contains(acts, "webidentity") {
		return true
	}
	for _, c := range s.Conditions {
		if k := strings.ToLower(c.Key); strings.HasSuffix(k, ":sub") || strings.HasSuffix(k, ":aud") {
			return true
		}
	}
	return false
}

// statement evaluates each line of s; condsHold is whether every
// condition holds.
func (x *explainer) statement(s *Statement) (StatementResult, bool) {
	sr := StatementResult{Index: s.Index, Sid: s.Sid, Effect: "Allow"}
	if s.Deny {
		sr.Effect = "Deny"
	}
	// Only a statement meant for this kind of identity gets reasons: the
	// lines of one for another purpose fail by design.
	explain := !s.Deny && x.relevant(s)
	// Principal.
	pl := x.line("Principal", principalText(s.Principal), s.principal.start)
	pl.Matched = s.principalMatches(x.req)
	if !pl.Matched && explain {
		pl.Reason = x.principalReason(s)
	}
	sr.Lines = append(sr.Lines, pl)
	// Action.
	name := "Action"
	if s.NotAction {
		name = "NotAction"
	}
	al := x.line(name, joinValues(s.Actions, ", "), s.action.start)
	var missing []string
	for _, a := range x.req.Actions() {
		if !s.actionMatches(a) {
			missing = append(missing, a)
		}
	}
	al.Matched = len(missing) == 0
	if !al.Matched && explain {
		al.Reason = x.actionReason(s, missing)
	}
	sr.Lines = append(sr.Lines, al)
	// Conditions.
	hold := true
	for _, c := range s.Conditions {
		cl := x.line("Condition", c.Operator+" "+c.Key+" = "+quoteValues(c.Values), c.keyStart)
		switch out := c.eval(x.ctx, x.unknown); out {
		case condTrue:
			cl.Matched = true
		case condUnknownValue:
			cl.Matched, cl.Assumed = true, true
		default:
			hold = false
			if explain || out == condInvalid {
				cl.Reason = x.conditionReason(s, c, out)
			}
		}
		sr.Lines = append(sr.Lines, cl)
	}
	for i := range sr.Lines {
		if r := sr.Lines[i].Reason; r != nil {
			r.Statement = s.Index
			r.Line, r.Column = sr.Lines[i].Line, sr.Lines[i].Column
		}
	}
	return sr, hold
}

func (x *explainer) line(element, text string, off int) Line {
	l, c := position(x.doc.Text, off)
	return Line{Element: element, Text: text, Line: l, Column: c}
}

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

func stmtName(s *Statement) string {
	if s.Sid != "" {
		return fmt.Sprintf("statement %d (Sid %q)", s.Index, s.Sid)
	}
	return fmt.Sprintf("statement %d", s.Index)
}

func principalText(p Principal) string {
	var parts []string
	if p.Any && len(p.AWS) == 0 {
		return "*"
	}
	for _, g := range []struct {
		kind string
		vals []Value
	}{{"Federated", p.Federated}, {"Service", p.Service}, {"AWS", p.AWS}, {"CanonicalUser", p.CanonicalUsers}} {
		if len(g.vals) > 0 {
			parts = append(parts, g.kind+" "+joinValues(g.vals, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

func joinValues(vals []Value, sep string) string {
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = v.S
	}
	return strings.Join(s, sep)
}

func quoteValues(vals []Value) string {
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = strconv.Quote(v.S)
	}
	return strings.Join(s, " | ")
}

func anyLooksLikeSubject(vals []Value) bool {
	for _, v := range vals {
		if strings.HasPrefix(v.S, "system:serviceaccount:") {
			return true
		}
	}
	return false
}

func anyEquals(vals []Value, s string) bool {
	for _, v := range vals {
		if v.S == s {
			return true
		}
	}
	return false
}

// anyGlobs: some value holds a wildcard and, as a pattern, matches s.
func anyGlobs(vals []Value, s string) bool {
	for _, v := range vals {
		if strings.ContainsAny(v.S, "*?") && glob(v.S, s) {
			return true
		}
	}
	return false
}

func closestValue(vals []Value, want string) Value {
	best, bestD := vals[0], -1
	for _, v := range vals {
		if d := distance(strings.ToLower(v.S), strings.ToLower(want)); bestD < 0 || d < bestD {
			best, bestD = v, d
		}
	}
	return best
}

// distance is the edit distance of two policy values, capped in cost:
// values from outside may be long, and a typo is a short distance anyway.
func distance(a, b string) int {
	if len(a) > 512 || len(b) > 512 {
		return max(len(a), len(b))
	}
	return suggest.Distance(a, b)
}
