package policy

import (
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/iam"
)

// The actions a pod's identity needs a trust policy to allow.
const (
	ActionWebIdentity = "sts:AssumeRoleWithWebIdentity"
	ActionAssumeRole  = "sts:AssumeRole"
	ActionTagSession  = "sts:TagSession"
	// PodIdentityService is the service principal EKS Pod Identity assumes
	// roles as; it calls AssumeRole with session tags, so the policy must
	// allow sts:AssumeRole and sts:TagSession (EKS User Guide, "Create IAM
	// role with trust policy required by EKS Pod Identity").
	PodIdentityService = "pods.eks.amazonaws.com"
)

// Request is the identity a trust policy is evaluated for.
type Request struct {
	Partition, Account string
	Issuer             string // the token's iss, https://…; IRSA only
	Subject            string // system:serviceaccount:NS:NAME
	Audience           string // the audience that matched the provider (IRSA)
	PodIdentity        bool
}

// HostPath is the issuer without https://: IAM's name of the provider.
func (r Request) HostPath() string { return iam.IssuerHostPath(r.Issuer) }

// ProviderARN is the Federated principal IRSA needs.
func (r Request) ProviderARN() string {
	return iam.OIDCProviderARN(r.Partition, r.Account, r.Issuer)
}

// Actions are the actions the request needs allowed.
func (r Request) Actions() []string {
	if r.PodIdentity {
		return []string{ActionAssumeRole, ActionTagSession}
	}
	return []string{ActionWebIdentity}
}

// Pod Identity's session tags (EKS User Guide, "Enable or disable session
// tags"). irsa-probe knows the namespace and service account; the others
// depend on the cluster and pod.
const (
	tagNamespace      = "aws:requesttag/kubernetes-namespace"
	tagServiceAccount = "aws:requesttag/kubernetes-service-account"
)

var podIdentityUnknownKeys = map[string]bool{
	"aws:requesttag/eks-cluster-arn":     true,
	"aws:requesttag/eks-cluster-name":    true,
	"aws:requesttag/kubernetes-pod-name": true,
	"aws:requesttag/kubernetes-pod-uid":  true,
	"aws:sourceaccount":                  true,
	"aws:sourcearn":                      true,
	"aws:tagkeys":                        true,
}

// context is the request's condition keys, lower case (IAM compares keys
// case-insensitively), and the keys whose value irsa-probe cannot know.
func (r Request) context() (ctx map[string][]string, unknown map[string]bool) {
	ctx = map[string][]string{}
	if r.PodIdentity {
		if ns, sa, ok := splitSubject(r.Subject); ok {
			ctx[tagNamespace] = []string{ns}
			ctx[tagServiceAccount] = []string{sa}
		}
		return ctx, podIdentityUnknownKeys
	}
	hp := strings.ToLower(r.HostPath())
	ctx[hp+":sub"] = []string{r.Subject}
	ctx[hp+":aud"] = []string{r.Audience}
	return ctx, nil
}

func splitSubject(sub string) (ns, name string, ok bool) {
	rest, ok := strings.CutPrefix(sub, "system:serviceaccount:")
	if !ok {
		return "", "", false
	}
	ns, name, ok = strings.Cut(rest, ":")
	return ns, name, ok && ns != "" && name != ""
}

// The condition operators IAM knows (IAM User Guide, "IAM JSON policy
// elements: Condition operators"), by whether a match is negated.
var iamOperators = map[string]bool{
	"StringEquals": false, "StringNotEquals": true,
	"StringEqualsIgnoreCase": false, "StringNotEqualsIgnoreCase": true,
	"StringLike": false, "StringNotLike": true,
	"NumericEquals": false, "NumericNotEquals": true, "NumericLessThan": false,
	"NumericLessThanEquals": false, "NumericGreaterThan": false, "NumericGreaterThanEquals": false,
	"DateEquals": false, "DateNotEquals": true, "DateLessThan": false,
	"DateLessThanEquals": false, "DateGreaterThan": false, "DateGreaterThanEquals": false,
	"Bool": false, "BinaryEquals": false, "IpAddress": false, "NotIpAddress": true,
	"ArnEquals": false, "ArnLike": false, "ArnNotEquals": true, "ArnNotLike": true,
	"Null": false,
}

// evaluated is true for the operators this package compares values
// with; the others are decided only when their key is absent.
func evaluated(base string) bool {
	return strings.HasPrefix(base, "String") || strings.HasPrefix(base, "Arn") || base == "Null"
}

// condOutcome is how one condition line evaluated.
type condOutcome int

const (
	condTrue condOutcome = iota
	condFalse
	condUnknownValue // a key irsa-probe cannot know: assumed to hold
	condUnsupported  // an operator it does not compare, on a present key
	condInvalid      // an operator IAM does not know
)

// eval follows IAM: a key absent from the request makes ForAllValues true,
// ForAnyValue false, IfExists true, a negated operator true and any other
// false; several values are ORed; with ForAllValues every request value
// must match one of them, otherwise (and with ForAnyValue) one must.
func (c *Condition) eval(ctx map[string][]string, unknown map[string]bool) condOutcome {
	negated, known := iamOperators[c.Base]
	if !known {
		return condInvalid
	}
	key := strings.ToLower(c.Key)
	vals, present := ctx[key]
	present = present && len(vals) > 0
	if !present && unknown[key] {
		return condUnknownValue
	}
	if c.Base == "Null" {
		wantAbsent := strings.EqualFold(c.Values[0].S, "true")
		return outcome(present != wantAbsent)
	}
	if !present {
		switch {
		case c.ForAll:
			return condTrue
		case c.ForAny:
			return condFalse
		}
		return outcome(c.IfExists || negated)
	}
	if !evaluated(c.Base) {
		return condUnsupported
	}
	test := func(v string) bool {
		hit := false
		for _, want := range c.Values {
			if matchOne(c.Base, v, want.S) {
				hit = true
				break
			}
		}
		return hit != negated
	}
	if c.ForAll {
		for _, v := range vals {
			if !test(v) {
				return condFalse
			}
		}
		return condTrue
	}
	for _, v := range vals {
		if test(v) {
			return condTrue
		}
	}
	return condFalse
}

func outcome(b bool) condOutcome {
	if b {
		return condTrue
	}
	return condFalse
}

func matchOne(base, got, want string) bool {
	switch base {
	case "StringEquals", "StringNotEquals":
		return got == want
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		return strings.EqualFold(got, want)
	case "StringLike", "StringNotLike":
		return glob(want, got)
	default: // Arn*: each of the six colon-separated parts matched on its own
		g, w := strings.SplitN(got, ":", 6), strings.SplitN(want, ":", 6)
		if len(g) != 6 || len(w) != 6 {
			return false
		}
		for i := range g {
			if !glob(w[i], g[i]) {
				return false
			}
		}
		return true
	}
}

// glob matches s against an IAM pattern: * is any run of characters, ? any
// one character. Written apart from probe/ststest's on purpose: the two
// evaluators cross-check each other, so they share no code.
func glob(pattern, s string) bool {
	p, str := []rune(pattern), []rune(s)
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(str) {
		switch {
		case pi < len(p) && p[pi] == '*': // first: a * is never a literal, even facing one
			star, mark = pi, si
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == str[si]):
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// principalMatches reports whether the statement names the request's
// principal.
func (s *Statement) principalMatches(r Request) bool {
	if s.Principal.Any {
		return true
	}
	if r.PodIdentity {
		return hasValue(s.Principal.Service, PodIdentityService)
	}
	return hasValue(s.Principal.Federated, r.ProviderARN())
}

func hasValue(vals []Value, want string) bool {
	for _, v := range vals {
		if v.S == want {
			return true
		}
	}
	return false
}

// actionMatches reports whether the statement covers action (names are
// case-insensitive and may hold wildcards).
func (s *Statement) actionMatches(action string) bool {
	hit := false
	for _, a := range s.Actions {
		if glob(strings.ToLower(a.S), strings.ToLower(action)) {
			hit = true
			break
		}
	}
	return hit != s.NotAction
}
