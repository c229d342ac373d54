package policy

import (
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/iam"
)

// Edit is the minimal change to the user's policy that makes it allow the
// request: only the wrong lines change; every other statement stays byte
// for byte.
type Edit struct {
	Policy string `json:"policy"` // the complete edited document
	Diff   string `json:"diff"`   // unified diff against the original
	// Changed lists the original statements the edit touches (removed or
	// changed); Added whether it appends a statement.
	Changed []int `json:"changed_statements"`
	Added   bool  `json:"added_statement"`
}

// maxRounds bounds the fix-and-reevaluate loop: each round fixes the lines
// the previous evaluation blamed (a malformed key first, then its value).
const maxRounds = 5

// minimalEdit applies the fixes of the reasons, re-evaluates, and repeats
// until the policy allows; if the lines cannot be fixed in place it
// appends a correct statement. It returns nil if nothing it tries allows.
func minimalEdit(doc *Document, req Request, e *Explanation) *Edit {
	text, cur, exp := doc.Text, doc, e
	appended := false
	for round := 0; round < maxRounds && exp.Verdict == Denies; round++ {
		var sp []splice
		for _, r := range exp.Reasons {
			sp = append(sp, r.splices...)
		}
		if len(sp) == 0 {
			if appended {
				return nil
			}
			x := &explainer{doc: cur, req: req, hp: strings.ToLower(req.HostPath())}
			sp, appended = x.appendStatement(), true
		}
		next := applySplices(text, sp)
		d, err := parsePolicyText(next, doc.Form)
		if err != nil || next == text {
			return nil
		}
		text, cur, exp = next, d, evaluate(d, req)
	}
	if exp.Verdict != Allows {
		return nil
	}
	ed := &Edit{Policy: text, Diff: unifiedDiff(doc.Text, text), Changed: []int{}}
	kept := map[string]int{}
	for _, s := range cur.Statements {
		kept[text[s.n.start:s.n.end]]++
	}
	for _, s := range doc.Statements {
		raw := doc.Text[s.n.start:s.n.end]
		if kept[raw] > 0 {
			kept[raw]--
			continue
		}
		ed.Changed = append(ed.Changed, s.Index)
	}
	ed.Added = len(cur.Statements) > len(doc.Statements)-countRemoved(doc, cur)
	return ed
}

// countRemoved is how many statements the edit removed.
func countRemoved(orig, edited *Document) int {
	if n := len(orig.Statements) - len(edited.Statements); n > 0 {
		return n
	}
	return 0
}

// applySplices applies non-overlapping splices (later ones that overlap an
// earlier one are dropped: the next round fixes what they would have).
func applySplices(text string, sp []splice) string {
	sort.SliceStable(sp, func(i, j int) bool { return sp[i].start < sp[j].start })
	var kept []splice
	end := -1
	for _, s := range sp {
		if s.start < end || (s.start == end && s.start != s.end && len(kept) > 0 && kept[len(kept)-1].start == s.start) {
			continue
		}
		kept = append(kept, s)
		end = max(end, s.end)
	}
	var b strings.Builder
	prev := 0
	for _, s := range kept {
		b.WriteString(text[prev:s.start])
		b.WriteString(s.text)
		prev = s.end
	}
	b.WriteString(text[prev:])
	return b.String()
}

func (x *explainer) removeStatement(s *Statement) []splice {
	st := x.doc.stmts
	if st.kind != 'a' || len(st.items) < 2 {
		return []splice{{s.n.start, s.n.end, x.statementText(lineIndent(x.doc.Text, s.n.start))}}
	}
	for i, it := range st.items {
		if it != s.n {
			continue
		}
		if i > 0 {
			return []splice{{st.items[i-1].end, it.end, ""}}
		}
		return []splice{{it.start, st.items[1].start, ""}}
	}
	return nil
}

func (x *explainer) appendStatement() []splice {
	st := x.doc.stmts
	if st.kind == 'a' && len(st.items) > 0 {
		last := st.items[len(st.items)-1]
		indent := lineIndent(x.doc.Text, last.start)
		return []splice{{last.end, last.end, ",\n" + indent + x.statementText(indent)}}
	}
	text := x.doc.Text[st.start:st.end]
	return []splice{{st.start, st.end, "[" + text + ", " + x.statementText("") + "]"}}
}

// podIdentityStatement is the statement the EKS User Guide gives ("Create
// IAM role with trust policy required by EKS Pod Identity").
const podIdentityStatement = `{
  "Sid": "AllowEksAuthToAssumeRoleForPodIdentity",
  "Effect": "Allow",
  "Principal": {
    "Service": "pods.eks.amazonaws.com"
  },
  "Action": [
    "sts:AssumeRole",
    "sts:TagSession"
  ]
}`

// statementText is a statement that allows exactly this request, indented
// to sit at indent.
func (x *explainer) statementText(indent string) string {
	s := podIdentityStatement
	if !x.req.PodIdentity {
		// The statement iam.TrustPolicy writes, cut out of its document.
		full := iam.TrustPolicy(iam.TrustPolicyInput{
			Partition: x.req.Partition, Account: x.req.Account, Issuer: x.req.Issuer,
			Subject: x.req.Subject, Audience: x.req.Audience,
		})
		root, err := parseJSON(full)
		if err != nil || root.get("Statement") == nil || len(root.get("Statement").items) == 0 {
			return "{}" // cannot happen: iam.TrustPolicy writes a fixed shape
		}
		n := root.get("Statement").items[0]
		s = dedent(full[n.start:n.end])
	}
	return strings.ReplaceAll(s, "\n", "\n"+indent)
}

// lineIndent is the whitespace that starts the line holding off.
func lineIndent(text string, off int) string {
	start := strings.LastIndexByte(text[:off], '\n') + 1
	i := start
	for i < off && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	return text[start:i]
}

func (x *explainer) replacePrincipal(s *Statement, from, to, value string) []splice {
	for _, m := range s.principal.members {
		if m.key == from {
			return []splice{{m.keyStart, m.keyEnd, strconv.Quote(to)}, {m.val.start, m.val.end, value}}
		}
	}
	return nil
}

func (x *explainer) fixActions(s *Statement, missing []string) []splice {
	a := s.action
	var sp []splice
	if s.NotAction {
		for _, m := range s.n.members {
			if m.key == "NotAction" {
				sp = append(sp, splice{m.keyStart, m.keyEnd, `"Action"`})
			}
		}
		return append(sp, splice{a.start, a.end, quoteList(x.req.Actions())})
	}
	if a.kind == 's' {
		keep := false
		for _, want := range x.req.Actions() {
			keep = keep || glob(strings.ToLower(a.str), strings.ToLower(want))
		}
		if !keep {
			return []splice{{a.start, a.end, quoteList(x.req.Actions())}}
		}
		return []splice{{a.start, a.end, quoteList(append([]string{a.str}, missing...))}}
	}
	if !x.req.PodIdentity {
		// sts:AssumeRole in place of sts:AssumeRoleWithWebIdentity: swap it.
		for _, it := range a.items {
			if strings.EqualFold(it.str, ActionAssumeRole) {
				return []splice{{it.start, it.end, strconv.Quote(ActionWebIdentity)}}
			}
		}
	}
	for _, m := range missing {
		sp = append(sp, x.addValue(a, m)...)
	}
	return sp
}

func quoteList(vals []string) string {
	if len(vals) == 1 {
		return strconv.Quote(vals[0])
	}
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// addValue adds v to a string-or-list value: a list gets one more item, a
// string becomes a list of both.
func (x *explainer) addValue(n *node, v string) []splice {
	if n.kind == 'a' {
		if len(n.items) == 0 {
			return []splice{{n.start, n.end, "[" + strconv.Quote(v) + "]"}}
		}
		last := n.items[len(n.items)-1]
		return []splice{{last.end, last.end, ", " + strconv.Quote(v)}}
	}
	return []splice{{n.start, n.end, "[" + x.doc.Text[n.start:n.end] + ", " + strconv.Quote(v) + "]"}}
}

func (x *explainer) renameKey(c *Condition, want string) []splice {
	for _, m := range c.block.members {
		if m.keyStart != c.keyStart && strings.EqualFold(m.key, want) {
			// The right key is there already: the wrong one is dead
			// weight that can only fail. Drop it with its comma.
			return x.removeMember(c.block, c.keyStart)
		}
	}
	return []splice{{c.keyStart, c.keyEnd, strconv.Quote(want)}}
}

// removeMember removes the member whose key starts at keyStart.
func (x *explainer) removeMember(obj *node, keyStart int) []splice {
	ms := obj.members
	for i, m := range ms {
		if m.keyStart != keyStart {
			continue
		}
		switch {
		case len(ms) == 1:
			return nil
		case i > 0:
			return []splice{{ms[i-1].val.end, m.val.end, ""}}
		default:
			return []splice{{m.keyStart, ms[1].keyStart, ""}}
		}
	}
	return nil
}

// swapKey moves a value to the key it belongs under (sub ↔ aud); when
// that key is already in the block, the misplaced line gets the right
// value instead.
func (x *explainer) swapKey(c *Condition, to, rightValue string) []splice {
	for _, m := range c.block.members {
		if m.keyStart != c.keyStart && strings.HasSuffix(strings.ToLower(m.key), ":"+to) {
			return []splice{{c.val.start, c.val.end, strconv.Quote(rightValue)}}
		}
	}
	return []splice{{c.keyStart, c.keyEnd, strconv.Quote(c.Key[:len(c.Key)-3] + to)}}
}

func (x *explainer) renameOperator(s *Statement, c *Condition, to string) []splice {
	if s.conditions.get(to) != nil {
		return nil
	}
	return []splice{{c.opStart, c.opEnd, strconv.Quote(to)}}
}

func asMalformed(err error) *MalformedError {
	var me *MalformedError
	if errors.As(err, &me) {
		return me
	}
	return nil
}
