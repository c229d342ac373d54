package ststest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrMalformedPolicyDocument is wrapped by every trust-policy parse error,
// like IAM's MalformedPolicyDocument.
var ErrMalformedPolicyDocument = errors.New("malformed policy document")

// actionAssumeRoleWithWebIdentity is the IAM action a trust policy must
// allow for IRSA.
const actionAssumeRoleWithWebIdentity = "sts:AssumeRoleWithWebIdentity"

// trustPolicy is a parsed role trust policy. Only what trust policies for
// web identity use is supported; anything else is a parse error rather than
// being silently ignored, so a test never passes by accident.
type trustPolicy struct {
	statements []statement
}

type statement struct {
	sid          string
	deny         bool
	anyPrincipal bool     // "Principal": "*" or {"AWS": "*"}
	federated    []string // Principal.Federated
	services     []string // Principal.Service
	actions      []string
	notAction    bool // the list is NotAction
	conditions   []condition
}

// condition is one key under one operator, e.g.
// "StringLike": {"oidc.eks.../id/X:sub": ["system:serviceaccount:ns:*"]}.
type condition struct {
	operator string // as written, for messages
	base     string // StringEquals, StringLike, ..., Null
	forAll   bool   // ForAllValues: prefix
	ifExists bool   // ...IfExists suffix
	forAny   bool   // ForAnyValue: prefix
	key      string // lower case: IAM condition keys are case-insensitive
	values   []string
}

// stringList is an IAM "string or list of strings". Condition values may
// also be JSON numbers or booleans, which IAM compares as their text.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var raws []json.RawMessage
		if err := json.Unmarshal(b, &raws); err != nil {
			return err
		}
		out := make(stringList, 0, len(raws))
		for _, r := range raws {
			s, err := scalarString(r)
			if err != nil {
				return err
			}
			out = append(out, s)
		}
		*l = out
		return nil
	}
	s, err := scalarString(b)
	if err != nil {
		return err
	}
	*l = stringList{s}
	return nil
}

func scalarString(b json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "", err
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case bool, float64:
		return string(bytes.TrimSpace(b)), nil
	default:
		return "", fmt.Errorf("expected a string, got %s", b)
	}
}

type rawPolicy struct {
	Version   string          `json:"Version"`
	ID        string          `json:"Id"`
	Statement json.RawMessage `json:"Statement"`
}

type rawStatement struct {
	Sid          string                           `json:"Sid"`
	Effect       string                           `json:"Effect"`
	Principal    json.RawMessage                  `json:"Principal"`
	NotPrincipal json.RawMessage                  `json:"NotPrincipal"`
	Action       stringList                       `json:"Action"`
	NotAction    stringList                       `json:"NotAction"`
	Resource     json.RawMessage                  `json:"Resource"`
	NotResource  json.RawMessage                  `json:"NotResource"`
	Condition    map[string]map[string]stringList `json:"Condition"`
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformedPolicyDocument, fmt.Sprintf(format, args...))
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the document")
	}
	return nil
}

// parseTrustPolicy parses IAM policy JSON: Statement as one object or a list;
// Effect Allow or Deny; Principal "*" or {"Federated"|"AWS"|"Service": string
// or list}; Action or NotAction; Condition with the String* operators and
// Null, with optional ForAnyValue:/ForAllValues: and IfExists.
func parseTrustPolicy(doc string) (*trustPolicy, error) {
	var raw rawPolicy
	if err := strictUnmarshal([]byte(doc), &raw); err != nil {
		return nil, malformed("syntax errors in policy: %v", err)
	}
	switch raw.Version {
	case "2012-10-17", "2008-10-17", "":
	default:
		return nil, malformed("the policy must contain a valid version string")
	}
	var raws []rawStatement
	st := bytes.TrimSpace(raw.Statement)
	switch {
	case len(st) == 0 || string(st) == "null":
		return nil, malformed("missing required field Statement")
	case st[0] == '[':
		var list []json.RawMessage
		if err := json.Unmarshal(st, &list); err != nil {
			return nil, malformed("syntax errors in policy: %v", err)
		}
		for _, item := range list {
			var rs rawStatement
			if err := strictUnmarshal(item, &rs); err != nil {
				return nil, malformed("syntax errors in policy: %v", err)
			}
			raws = append(raws, rs)
		}
	default:
		var rs rawStatement
		if err := strictUnmarshal(st, &rs); err != nil {
			return nil, malformed("syntax errors in policy: %v", err)
		}
		raws = append(raws, rs)
	}
	if len(raws) == 0 {
		return nil, malformed("missing required field Statement")
	}
	p := &trustPolicy{}
	for i, rs := range raws {
		s, err := parseStatement(rs)
		if err != nil {
			return nil, fmt.Errorf("statement %d: %w", i, err)
		}
		p.statements = append(p.statements, s)
	}
	return p, nil
}

func parseStatement(rs rawStatement) (statement, error) {
	s := statement{sid: rs.Sid}
	switch rs.Effect {
	case "Allow":
	case "Deny":
		s.deny = true
	case "":
		return s, malformed("missing required field Effect")
	default:
		return s, malformed("invalid effect: %s", rs.Effect)
	}
	// A role trust policy is a resource policy on the role itself: IAM
	// rejects Resource in it, a classic copy-paste from an identity policy.
	if rs.Resource != nil || rs.NotResource != nil {
		return s, malformed("has prohibited field Resource")
	}
	if rs.NotPrincipal != nil {
		return s, malformed("NotPrincipal is not supported by ststest")
	}
	if err := parsePrincipal(rs.Principal, &s); err != nil {
		return s, err
	}
	switch {
	case len(rs.Action) > 0 && len(rs.NotAction) > 0:
		return s, malformed("a statement cannot have both Action and NotAction")
	case len(rs.Action) > 0:
		s.actions = rs.Action
	case len(rs.NotAction) > 0:
		s.actions, s.notAction = rs.NotAction, true
	default:
		return s, malformed("missing required field Action")
	}
	for op, keys := range rs.Condition {
		for key, values := range keys {
			c, err := parseCondition(op, key, values)
			if err != nil {
				return s, err
			}
			s.conditions = append(s.conditions, c)
		}
	}
	return s, nil
}

func parsePrincipal(raw json.RawMessage, s *statement) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return malformed("missing required field Principal")
	}
	if raw[0] == '"' {
		var star string
		if err := json.Unmarshal(raw, &star); err != nil || star != "*" {
			return malformed("invalid principal in policy: %s", raw)
		}
		s.anyPrincipal = true
		return nil
	}
	var m map[string]stringList
	if err := json.Unmarshal(raw, &m); err != nil {
		return malformed("invalid principal in policy: %v", err)
	}
	for kind, ids := range m {
		switch kind {
		case "Federated":
			s.federated = append(s.federated, ids...)
		case "AWS":
			for _, id := range ids {
				if id == "*" {
					s.anyPrincipal = true
				}
			}
		case "Service":
			s.services = append(s.services, ids...)
		case "CanonicalUser":
			// Valid, but never a web identity.
		default:
			return malformed("invalid principal type %q", kind)
		}
	}
	return nil
}

var conditionBases = map[string]bool{
	"StringEquals": true, "StringNotEquals": true,
	"StringEqualsIgnoreCase": true, "StringNotEqualsIgnoreCase": true,
	"StringLike": true, "StringNotLike": true,
	"Null": true,
	// The Terraform EKS IRSA module's self-assume statement uses ArnLike
	// on aws:PrincipalArn.
	"ArnEquals": true, "ArnLike": true, "ArnNotEquals": true, "ArnNotLike": true,
}

func parseCondition(op, key string, values stringList) (condition, error) {
	c := condition{operator: op, key: strings.ToLower(key), values: values}
	base := op
	switch {
	case strings.HasPrefix(base, "ForAnyValue:"):
		base, c.forAny = strings.TrimPrefix(base, "ForAnyValue:"), true
	case strings.HasPrefix(base, "ForAllValues:"):
		base, c.forAll = strings.TrimPrefix(base, "ForAllValues:"), true
	}
	if b, ok := strings.CutSuffix(base, "IfExists"); ok && b != "Null" {
		base, c.ifExists = b, true
	}
	if !conditionBases[base] {
		return c, malformed("unsupported condition operator %q (ststest knows the String* and Arn* operators and Null)", op)
	}
	if len(values) == 0 {
		return c, malformed("condition %s on %s has no values", op, key)
	}
	c.base = base
	return c, nil
}

// trustRequest is what a trust policy is evaluated against.
type trustRequest struct {
	federated string              // the OIDC provider's ARN
	service   string              // or the service principal (pods.eks.amazonaws.com)
	action    string              // sts:AssumeRoleWithWebIdentity
	context   map[string][]string // condition keys, lower case
}

// evaluate decides like IAM: an explicit Deny wins, otherwise an Allow is
// needed. why says which statement decided, or that none applied.
func (p *trustPolicy) evaluate(req trustRequest) (allowed bool, why string) {
	why = "no statement allows it"
	for i, s := range p.statements {
		if !s.applies(req) {
			continue
		}
		name := s.sid
		if name == "" {
			name = fmt.Sprintf("statement %d", i)
		}
		if s.deny {
			return false, "denied by " + name
		}
		if !allowed {
			allowed, why = true, "allowed by "+name
		}
	}
	return allowed, why
}

func (s statement) applies(req trustRequest) bool {
	if !s.anyPrincipal && !(req.federated != "" && contains(s.federated, req.federated)) && !(req.service != "" && contains(s.services, req.service)) {
		return false
	}
	matched := false
	for _, a := range s.actions {
		if GlobMatch(strings.ToLower(a), strings.ToLower(req.action)) {
			matched = true
			break
		}
	}
	if matched == s.notAction {
		return false
	}
	for _, c := range s.conditions {
		if !c.eval(req.context) {
			return false
		}
	}
	return true
}

// eval follows IAM's rules: a key missing from the request makes a positive
// operator false but a negated one (StringNotEquals, ArnNotLike...) true;
// IfExists makes a missing key true; ForAllValues over no values is true
// and ForAnyValue false, whatever the operator ("ForAnyValue... if the key
// in the request is not present ... the condition returns false", IAM User
// Guide, "Condition operators for multivalued context keys").
func (c condition) eval(ctx map[string][]string) bool {
	vals, present := ctx[c.key]
	present = present && len(vals) > 0
	if c.base == "Null" {
		wantAbsent := strings.EqualFold(c.values[0], "true")
		return present != wantAbsent
	}
	negated := strings.HasPrefix(c.base, "StringNot") || strings.HasPrefix(c.base, "ArnNot")
	if !present {
		switch {
		case c.forAll:
			return true
		case c.forAny:
			return false
		}
		return c.ifExists || negated
	}
	test := func(v string) bool {
		hit := false
		for _, want := range c.values {
			if c.matchOne(v, want) {
				hit = true
				break
			}
		}
		return hit != negated
	}
	if c.forAll {
		for _, v := range vals {
			if !test(v) {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if test(v) {
			return true
		}
	}
	return false
}

func (c condition) matchOne(got, want string) bool {
	switch c.base {
	case "StringEquals", "StringNotEquals":
		return got == want
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		return strings.EqualFold(got, want)
	case "StringLike", "StringNotLike":
		return GlobMatch(want, got)
	default: // Arn*: "each of the six colon-delimited components of the ARN
		// is checked separately and each can include ... wildcards" (IAM
		// User Guide, "Amazon Resource Name (ARN) condition operators").
		gp, wp := strings.SplitN(got, ":", 6), strings.SplitN(want, ":", 6)
		if len(gp) != 6 || len(wp) != 6 {
			return false
		}
		for i := range gp {
			if !GlobMatch(wp[i], gp[i]) {
				return false
			}
		}
		return true
	}
}

// GlobMatch matches s against an IAM pattern where * is any run of
// characters and ? is any one character. It is a translation to a regular
// expression, deliberately unlike probe/policy's backtracking matcher: the
// two evaluators cross-check each other (and policy's FuzzGlob pits the
// matchers against each other), which only catches a bug if they share no
// idea of how to match.
func GlobMatch(pattern, s string) bool {
	var re strings.Builder
	re.WriteString(`(?s)\A`)
	for _, r := range pattern {
		switch r {
		case '*':
			re.WriteString(`.*`)
		case '?':
			re.WriteString(`.`)
		default:
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re.WriteString(`\z`)
	return regexp.MustCompile(re.String()).MatchString(s)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TrustStatement is one statement of an EKS IRSA trust policy, for building
// policies with several (one per cluster, say).
type TrustStatement struct {
	Effect    string                       `json:"Effect"`
	Principal map[string]string            `json:"Principal"`
	Action    string                       `json:"Action"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// TrustStatementFor is the statement AWS's EKS documentation gives: trust
// the cluster's OIDC provider for exactly one service account, with the
// audience pinned to sts.amazonaws.com.
func TrustStatementFor(partition, account, issuerURL, namespace, serviceAccount string) TrustStatement {
	hp := IssuerHostPath(issuerURL)
	return TrustStatement{
		Effect:    "Allow",
		Principal: map[string]string{"Federated": OIDCProviderARN(partition, account, issuerURL)},
		Action:    actionAssumeRoleWithWebIdentity,
		Condition: map[string]map[string]string{
			"StringEquals": {
				hp + ":sub": "system:serviceaccount:" + namespace + ":" + serviceAccount,
				hp + ":aud": DefaultAudience,
			},
		},
	}
}

// TrustPolicy renders statements as a policy document.
func TrustPolicy(statements ...TrustStatement) string {
	b, err := json.MarshalIndent(struct {
		Version   string           `json:"Version"`
		Statement []TrustStatement `json:"Statement"`
	}{"2012-10-17", statements}, "", "  ")
	if err != nil {
		panic("ststest: marshal trust policy: " + err.Error())
	}
	return string(b)
}

// TrustPolicyFor is the standard EKS trust policy for one service account.
func TrustPolicyFor(partition, account, issuerURL, namespace, serviceAccount string) string {
	return TrustPolicy(TrustStatementFor(partition, account, issuerURL, namespace, serviceAccount))
}

// PodIdentityTrustStatements are what EKS Pod Identity needs in a role's
// trust policy (EKS user guide, "Create IAM role with trust policy required
// by EKS Pod Identity"): the pods.eks.amazonaws.com service principal may
// call sts:AssumeRole and sts:TagSession. The guide writes one statement
// with both actions; two, one each, are equivalent.
func PodIdentityTrustStatements() []TrustStatement {
	p := map[string]string{"Service": PodIdentityAudience}
	return []TrustStatement{{Effect: "Allow", Principal: p, Action: "sts:AssumeRole"}, {Effect: "Allow", Principal: p, Action: "sts:TagSession"}}
}
