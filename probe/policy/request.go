package policy

import (
	"cmp"
	"slices"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/iam"
)

// The request a trust policy is evaluated for is built from what the
// pod's token says, the flags, the role's ARN and, as a last resort, the
// policy itself; the order is decided here, once.

// FromToken sets the request from a token's claims: its issuer and
// subject; Pod Identity when its audience is Pod Identity's and not the
// expected one (r.Audience, set beforehand); else its own first audience
// when it lacks the expected one, so the :aud condition is judged for the
// audience the token really has.
func (r *Request) FromToken(issuer, subject string, audiences []string) {
	r.Issuer, r.Subject = issuer, subject
	expected := slices.Contains(audiences, r.Audience)
	if slices.Contains(audiences, iam.PodIdentityAudience) && !expected {
		r.PodIdentity = true
	}
	if !expected && len(audiences) > 0 && !r.PodIdentity {
		r.Audience = audiences[0]
	}
}

// FillAccount sets the account and partition: account and partition
// (the flags) first, then each of roleARNs that parses (--role-arn,
// AWS_ROLE_ARN) and the get-role output's own ARN; the partition else
// from the issuer's region; the account (IRSA only) else from the
// policy's own provider ARN, which then cannot be blamed for a wrong
// account: note says so, for the report's source line ("" otherwise).
func (r *Request) FillAccount(doc *Document, account, partition string, roleARNs ...string) (note string) {
	r.Account, r.Partition = account, partition
	for _, arn := range append(slices.Clone(roleARNs), doc.RoleARN) {
		if role, err := iam.ParseRoleARN(arn); err == nil {
			r.Account = cmp.Or(r.Account, role.Account)
			r.Partition = cmp.Or(r.Partition, role.Partition)
		}
	}
	if r.Partition == "" {
		r.Partition = iam.PartitionOfRegion(iam.IssuerRegion(r.Issuer))
	}
	if r.Account != "" || r.PodIdentity {
		return ""
	}
	r.Account = "ACCOUNT_ID"
	for _, s := range doc.Statements {
		for _, f := range s.Principal.Federated {
			if p := strings.SplitN(f.S, ":", 6); len(p) == 6 && iam.IsAccountID(p[4]) {
				r.Account = p[4]
				return "account " + p[4] + " taken from the policy (pass --account to check it)"
			}
		}
	}
	return ""
}

// RoleName is the role the policy belongs to: get-role's RoleName, else
// the name in get-role's ARN or the first of roleARNs that parses, else
// the placeholder ROLE_NAME.
func RoleName(doc *Document, roleARNs ...string) string {
	if doc.RoleName != "" {
		return doc.RoleName
	}
	for _, arn := range append([]string{doc.RoleARN}, roleARNs...) {
		if r, err := iam.ParseRoleARN(arn); err == nil {
			return r.Name
		}
	}
	return "ROLE_NAME"
}
