package fleet

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/irsa-probe/irsa-probe/probe/iam"
)

// Values a namespace editor writes are judged before they are used: the
// fleet view trusts none of them (docs/fleet-trust-model.md).

// checkRoleARN says why an eks.amazonaws.com/role-arn value is not a role
// ARN. The webhook injects the value verbatim, so surrounding whitespace
// is not trimmed but named: a pod's AWS_ROLE_ARN then holds it too, and
// STS refuses it.
func checkRoleARN(v string) error {
	if t := strings.TrimSpace(v); t != v {
		return fmt.Errorf("it has leading or trailing whitespace (%q), which the webhook injects verbatim", v[:len(v)-len(strings.TrimLeftFunc(v, unicode.IsSpace))]+v[len(strings.TrimRightFunc(v, unicode.IsSpace)):])
	}
	for i, r := range v {
		if !arnRune(r) {
			return fmt.Errorf("character %q at byte %d is not one an IAM role ARN holds", r, i)
		}
	}
	_, err := iam.ParseRoleARN(v)
	return err
}

// arnRune: the characters of arn:PARTITION:iam::ACCOUNT:role/PATH/NAME
// (IAM's names and paths: letters, digits and +=,.@_- and /).
func arnRune(r rune) bool {
	return r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(":/+=,.@_-", r))
}

// dnsSubdomainRE is an RFC 1123 subdomain, as the API server validates
// the names of pods, ReplicaSets, Jobs and the workloads that own them.
var dnsSubdomainRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// validName reports whether s is a DNS subdomain of at most 253 bytes.
func validName(s string) bool { return len(s) <= 253 && dnsSubdomainRE.MatchString(s) }

// kindRE is a Kubernetes kind: a Go identifier's CamelCase. The API server
// only checks that an owner reference's kind is not empty.
var kindRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,62}$`)
