package iam

import (
	"fmt"
	"strings"
)

// RoleARN is a parsed IAM role ARN: arn:PARTITION:iam::ACCOUNT:role/PATH/NAME.
type RoleARN struct {
	Partition string
	Account   string
	Path      string // "/" or "/a/b/"
	Name      string
}

func (r RoleARN) String() string {
	return "arn:" + r.Partition + ":iam::" + r.Account + ":role" + r.Path + r.Name
}

var accountRE = lazyRegexp(`^[0-9]{12}$`)

// IsAccountID reports whether s is an AWS account id: 12 digits.
func IsAccountID(s string) bool { return accountRE().MatchString(s) }

// roleNameRE is IAM's rule for role names.
var roleNameRE = lazyRegexp(`^[\w+=,.@-]{1,64}$`)

// ParseRoleARN parses an IAM role ARN and says precisely what is wrong with a bad one.
func ParseRoleARN(s string) (RoleARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return RoleARN{}, fmt.Errorf("want arn:PARTITION:iam::ACCOUNT_ID:role/NAME, got %d colon-separated fields", len(parts))
	}
	r := RoleARN{Partition: parts[1], Account: parts[4]}
	if _, ok := partitions[r.Partition]; !ok {
		return RoleARN{}, fmt.Errorf("unknown partition %q (want one of %s)", r.Partition, strings.Join(PartitionNames(), ", "))
	}
	if parts[2] != "iam" {
		return RoleARN{}, fmt.Errorf("service is %q, want iam", parts[2])
	}
	if parts[3] != "" {
		return RoleARN{}, fmt.Errorf("IAM ARNs have no region, got %q", parts[3])
	}
	if !accountRE().MatchString(r.Account) {
		return RoleARN{}, fmt.Errorf("account %q is not 12 digits", r.Account)
	}
	res, ok := strings.CutPrefix(parts[5], "role/")
	if !ok {
		return RoleARN{}, fmt.Errorf("resource %q is not a role (want role/NAME)", parts[5])
	}
	i := strings.LastIndex(res, "/")
	r.Path, r.Name = "/"+res[:i+1], res[i+1:]
	if i < 0 {
		r.Path = "/"
	}
	if !roleNameRE().MatchString(r.Name) {
		return RoleARN{}, fmt.Errorf("role name %q is not a valid IAM role name", r.Name)
	}
	return r, nil
}

// assumedRolePrefix starts every caller ARN STS reports for a session of role r.
func (r RoleARN) assumedRolePrefix() string {
	return "arn:" + r.Partition + ":sts::" + r.Account + ":assumed-role/" + r.Name + "/"
}

// MatchesCaller reports whether a GetCallerIdentity ARN is a session of role r.
// STS drops the role's path in assumed-role ARNs.
func (r RoleARN) MatchesCaller(callerARN string) bool {
	rest, ok := strings.CutPrefix(callerARN, r.assumedRolePrefix())
	return ok && rest != "" && !strings.Contains(rest, "/")
}
