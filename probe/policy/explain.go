package policy

import (
	"strings"
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
