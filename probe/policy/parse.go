package policy

import (
	"fmt"
	"net/url"
	"strings"
)

// MaxInput caps what Load reads: IAM caps a trust policy at 2,048
// characters by default (4,096 with a quota increase); a whole get-role
// output with tags and a description fits easily in this.
const MaxInput = 256 << 10

// Form is which of the three forms a document came in.
type Form string

const (
	// FormPolicy is the policy JSON itself.
	FormPolicy Form = "policy"
	// FormURLEncoded is the document as the raw IAM API returns it:
	// "Policies returned by this operation are URL-encoded compliant with
	// RFC 3986" (IAM API Reference, GetRole).
	FormURLEncoded Form = "url-encoded"
	// FormGetRole is the whole output of `aws iam get-role`
	// ({"Role": {"RoleName", "Arn", "AssumeRolePolicyDocument": {...}}}),
	// where the CLI has already decoded the document into JSON.
	FormGetRole Form = "get-role"
)

// Document is a parsed trust policy and the text it was parsed from.
type Document struct {
	// Text is the policy JSON as the user has it (decoded from the URL
	// encoding, cut out of the get-role output); spans index into it.
	Text string
	Form Form
	// RoleName and RoleARN come from a get-role output.
	RoleName, RoleARN string

	Statements []*Statement
	// stmts is the Statement value: an array, or a single object.
	stmts *node
}

// Value is a string of the policy and where it is.
type Value struct {
	S          string
	start, end int
}

// Statement is one statement of the policy.
type Statement struct {
	Index     int
	Sid       string
	Deny      bool
	Principal Principal
	// Actions holds Action, or NotAction when NotAction is set.
	Actions   []Value
	NotAction bool
	// Conditions are in document order: operator by operator, key by key.
	Conditions []*Condition

	n          *node // the statement object
	principal  *node
	action     *node
	conditions *node // the Condition object, nil without one
}

// Principal is a statement's Principal.
type Principal struct {
	Any                 bool // "*" or {"AWS": "*"}
	Federated, Service  []Value
	AWS, CanonicalUsers []Value
}

// Condition is one key under one operator, e.g. "StringLike":
// {"oidc.eks…/id/X:sub": ["system:serviceaccount:ns:*"]}.
type Condition struct {
	Operator string // as written
	Base     string // without ForAnyValue:/ForAllValues: and IfExists
	ForAll   bool   // ForAllValues:
	ForAny   bool   // ForAnyValue:
	IfExists bool
	Key      string // as written; IAM compares keys case-insensitively
	Values   []Value

	opStart, opEnd   int // the operator's key span
	keyStart, keyEnd int // the condition key's span
	block            *node
	val              *node // the value (string or list)
}

// Load reads a trust policy in any of the three forms.
func Load(raw []byte) (*Document, error) {
	if len(raw) > MaxInput {
		return nil, &MalformedError{Line: 1, Column: 1, Msg: fmt.Sprintf("larger than %d KiB: not a trust policy", MaxInput>>10)}
	}
	text := strings.TrimPrefix(string(raw), "\ufeff")
	trimmed := strings.TrimSpace(text)
	if trimmed == "" {
		return nil, &MalformedError{Line: 1, Column: 1, Msg: "empty input: expected a trust policy"}
	}
	if trimmed[0] == '%' {
		dec, err := url.PathUnescape(trimmed)
		if err != nil {
			return nil, &MalformedError{Line: 1, Column: 1, Msg: fmt.Sprintf("looks URL-encoded but does not decode: %v", err)}
		}
		return parsePolicyText(dec, FormURLEncoded)
	}
	root, err := parseJSON(text)
	if err != nil {
		return nil, err
	}
	// `aws iam get-role` output, or its Role object (--query Role).
	role := root.get("Role")
	if role == nil && root.get("AssumeRolePolicyDocument") != nil {
		role = root
	}
	if role != nil {
		doc, err := fromRole(text, role)
		if err != nil {
			return nil, err
		}
		return doc, nil
	}
	// A JSON string holding the document (e.g. the raw API value quoted).
	if root.kind == 's' {
		inner := strings.TrimSpace(root.str)
		if strings.HasPrefix(inner, "%") {
			if dec, err := url.PathUnescape(inner); err == nil {
				return parsePolicyText(dec, FormURLEncoded)
			}
		}
		return parsePolicyText(inner, FormPolicy)
	}
	return buildDocument(text, root, FormPolicy)
}

func fromRole(text string, role *node) (*Document, error) {
	d := role.get("AssumeRolePolicyDocument")
	var doc *Document
	var err error
	switch {
	case d == nil:
		return nil, malformedAt(text, role.start, "the role has no AssumeRolePolicyDocument")
	case d.kind == 'o':
		doc, err = parsePolicyText(dedent(text[d.start:d.end]), FormGetRole)
	case d.kind == 's':
		s := strings.TrimSpace(d.str)
		if dec, uerr := url.PathUnescape(s); uerr == nil && strings.HasPrefix(s, "%") {
			s = dec
		}
		doc, err = parsePolicyText(s, FormGetRole)
	default:
		return nil, malformedAt(text, d.start, "AssumeRolePolicyDocument is not an object")
	}
	if err != nil {
		return nil, err
	}
	if n := role.get("RoleName"); n != nil && n.kind == 's' {
		doc.RoleName = n.str
	}
	if n := role.get("Arn"); n != nil && n.kind == 's' {
		doc.RoleARN = n.str
	}
	return doc, nil
}

// dedent removes the indentation a nested object has in the get-role
// output, so the policy reads as a document of its own.
func dedent(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) < 2 {
		return s
	}
	last := lines[len(lines)-1]
	indent := len(last) - len(strings.TrimLeft(last, " \t"))
	for i := 1; i < len(lines); i++ {
		l := lines[i]
		cut := 0
		for cut < indent && cut < len(l) && (l[cut] == ' ' || l[cut] == '\t') {
			cut++
		}
		lines[i] = l[cut:]
	}
	return strings.Join(lines, "\n")
}

func parsePolicyText(text string, form Form) (*Document, error) {
	root, err := parseJSON(text)
	if err != nil {
		return nil, err
	}
	return buildDocument(text, root, form)
}

// buildDocument checks the policy grammar as IAM does for a role trust
// policy and builds the statements.
func buildDocument(text string, root *node, form Form) (*Document, error) {
	bad := func(n *node, format string, args ...any) error {
		return malformedAt(text, n.start, format, args...)
	}
	if root.kind != 'o' {
		return nil, bad(root, "a policy is a JSON object {\"Version\": …, \"Statement\": …}")
	}
	doc := &Document{Text: text, Form: form}
	for _, m := range root.members {
		switch m.key {
		case "Version":
			if m.val.kind != 's' || (m.val.str != "2012-10-17" && m.val.str != "2008-10-17") {
				return nil, bad(m.val, "Version must be \"2012-10-17\"")
			}
		case "Id", "Statement":
		default:
			return nil, malformedAt(text, m.keyStart, "unknown element %q in the policy (expected Version, Id, Statement)", m.key)
		}
	}
	st := root.get("Statement")
	if st == nil {
		return nil, bad(root, "missing required element Statement")
	}
	doc.stmts = st
	var objs []*node
	switch st.kind {
	case 'a':
		objs = st.items
	case 'o':
		objs = []*node{st}
	default:
		return nil, bad(st, "Statement must be an object or a list of objects")
	}
	if len(objs) == 0 {
		return nil, bad(st, "Statement is empty")
	}
	for i, o := range objs {
		s, err := buildStatement(text, i, o)
		if err != nil {
			return nil, err
		}
		doc.Statements = append(doc.Statements, s)
	}
	return doc, nil
}

func buildStatement(text string, i int, o *node) (*Statement, error) {
	bad := func(n *node, format string, args ...any) error {
		return malformedAt(text, n.start, "statement %d: "+format, append([]any{i}, args...)...)
	}
	if o.kind != 'o' {
		return nil, bad(o, "a statement is a JSON object")
	}
	s := &Statement{Index: i, n: o}
	for _, m := range o.members {
		switch m.key {
		case "Sid", "Effect", "Principal", "Action", "NotAction", "Condition":
		case "Resource", "NotResource":
			// A role trust policy is a resource policy on the role: IAM
			// rejects Resource in it ("Has prohibited field Resource").
			return nil, malformedAt(text, m.keyStart, "statement %d: has prohibited field %s (a trust policy has no Resource)", i, m.key)
		case "NotPrincipal":
			return nil, malformedAt(text, m.keyStart, "statement %d: NotPrincipal is not supported in a role trust policy", i)
		default:
			return nil, malformedAt(text, m.keyStart, "statement %d: unknown element %q", i, m.key)
		}
	}
	if n := o.get("Sid"); n != nil {
		if n.kind != 's' {
			return nil, bad(n, "Sid must be a string")
		}
		s.Sid = n.str
	}
	switch e := o.get("Effect"); {
	case e == nil:
		return nil, bad(o, "missing required element Effect")
	case e.kind == 's' && e.str == "Allow":
	case e.kind == 's' && e.str == "Deny":
		s.Deny = true
	default:
		return nil, bad(e, "Effect must be \"Allow\" or \"Deny\"")
	}
	p := o.get("Principal")
	if p == nil {
		return nil, bad(o, "missing required element Principal")
	}
	s.principal = p
	if err := buildPrincipal(text, i, p, &s.Principal); err != nil {
		return nil, err
	}
	a, na := o.get("Action"), o.get("NotAction")
	switch {
	case a != nil && na != nil:
		return nil, bad(na, "a statement has Action or NotAction, not both")
	case a == nil && na == nil:
		return nil, bad(o, "missing required element Action")
	case na != nil:
		a, s.NotAction = na, true
	}
	s.action = a
	vals, err := stringList(text, a, false)
	if err != nil {
		return nil, within(err, fmt.Sprintf("statement %d: Action: ", i))
	}
	if len(vals) == 0 {
		return nil, bad(a, "Action is empty")
	}
	s.Actions = vals
	if c := o.get("Condition"); c != nil {
		if c.kind != 'o' {
			return nil, bad(c, "Condition must be an object of operators")
		}
		s.conditions = c
		for _, op := range c.members {
			if op.val.kind != 'o' {
				return nil, malformedAt(text, op.val.start, "statement %d: the condition operator %s needs an object of keys", i, op.key)
			}
			for _, k := range op.val.members {
				vals, err := stringList(text, k.val, true)
				if err != nil {
					return nil, within(err, fmt.Sprintf("statement %d: condition %s %s: ", i, op.key, k.key))
				}
				if len(vals) == 0 {
					return nil, malformedAt(text, k.val.start, "statement %d: condition %s on %s has no values", i, op.key, k.key)
				}
				s.Conditions = append(s.Conditions, newCondition(op, k, vals))
			}
		}
	}
	return s, nil
}

func newCondition(op, k member, vals []Value) *Condition {
	c := &Condition{
		Operator: op.key, Key: k.key, Values: vals,
		opStart: op.keyStart, opEnd: op.keyEnd, keyStart: k.keyStart, keyEnd: k.keyEnd,
		block: op.val, val: k.val,
	}
	base := op.key
	if b, ok := strings.CutPrefix(base, "ForAllValues:"); ok {
		base, c.ForAll = b, true
	} else if b, ok := strings.CutPrefix(base, "ForAnyValue:"); ok {
		base, c.ForAny = b, true
	}
	if b, ok := strings.CutSuffix(base, "IfExists"); ok && b != "Null" {
		base, c.IfExists = b, true
	}
	c.Base = base
	return c
}

func buildPrincipal(text string, i int, p *node, out *Principal) error {
	if p.kind == 's' {
		if p.str != "*" {
			return malformedAt(text, p.start, "statement %d: Principal is \"*\" or an object like {\"Federated\": ARN}", i)
		}
		out.Any = true
		return nil
	}
	if p.kind != 'o' || len(p.members) == 0 {
		return malformedAt(text, p.start, "statement %d: Principal is \"*\" or an object like {\"Federated\": ARN}", i)
	}
	for _, m := range p.members {
		vals, err := stringList(text, m.val, false)
		if err != nil {
			return within(err, fmt.Sprintf("statement %d: Principal %s: ", i, m.key))
		}
		switch m.key {
		case "Federated":
			out.Federated = append(out.Federated, vals...)
		case "Service":
			out.Service = append(out.Service, vals...)
		case "AWS":
			out.AWS = append(out.AWS, vals...)
			for _, v := range vals {
				if v.S == "*" {
					out.Any = true
				}
			}
		case "CanonicalUser":
			out.CanonicalUsers = append(out.CanonicalUsers, vals...)
		default:
			return malformedAt(text, m.keyStart, "statement %d: unknown principal type %q (Federated, Service, AWS or CanonicalUser)", i, m.key)
		}
	}
	return nil
}

// stringList reads IAM's "string or list of strings". Condition values
// may also be numbers or booleans, which IAM compares as their text.
func stringList(text string, n *node, scalars bool) ([]Value, error) {
	one := func(n *node) (Value, error) {
		if n.kind == 's' || (scalars && (n.kind == 'n' || n.kind == 'b')) {
			return Value{S: n.str, start: n.start, end: n.end}, nil
		}
		return Value{}, malformedAt(text, n.start, "expected a string, got %s", kindName(n.kind))
	}
	if n.kind != 'a' {
		v, err := one(n)
		if err != nil {
			return nil, err
		}
		return []Value{v}, nil
	}
	out := make([]Value, 0, len(n.items))
	for _, it := range n.items {
		v, err := one(it)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func kindName(k byte) string {
	return map[byte]string{'o': "an object", 'a': "a list", 's': "a string", 'n': "a number", 'b': "a boolean", 'z': "null"}[k]
}

// within says which element a malformed value is in.
func within(err error, prefix string) error {
	if me := asMalformed(err); me != nil {
		c := *me
		c.Msg = prefix + c.Msg
		return &c
	}
	return err
}
