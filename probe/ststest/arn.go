package ststest

import (
	"regexp"
	"strings"
)

// roleARN is a parsed IAM role ARN: arn:PARTITION:iam::ACCOUNT:role/PATH/NAME.
type roleARN struct {
	partition string
	account   string
	name      string // without the path
}

var (
	partitionRE = regexp.MustCompile(`^aws(-[a-z]+)*$`)
	accountRE   = regexp.MustCompile(`^[0-9]{12}$`)
	// roleNameRE is IAM's role-name alphabet, 1 to 64 characters.
	roleNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	// sessionNameRE is STS's RoleSessionName pattern.
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]*$`)
)

// parseRoleARN accepts only IAM role ARNs. Anything else that STS's length
// constraint lets through (an OIDC provider ARN, an ACM certificate ARN,
// "role:name" instead of "role/name") is what STS calls "Request ARN is
// invalid".
func parseRoleARN(s string) (roleARN, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || parts[3] != "" {
		return roleARN{}, false
	}
	if !partitionRE.MatchString(parts[1]) || !accountRE.MatchString(parts[4]) {
		return roleARN{}, false
	}
	resource, ok := strings.CutPrefix(parts[5], "role/")
	if !ok {
		return roleARN{}, false
	}
	name := resource[strings.LastIndex(resource, "/")+1:]
	if !roleNameRE.MatchString(name) {
		return roleARN{}, false
	}
	return roleARN{partition: parts[1], account: parts[4], name: name}, true
}

// assumedRoleARN is the ARN of a session of the role: STS drops the role's
// path, e.g. arn:aws:sts::111122223333:assumed-role/billing-api/session.
func (a roleARN) assumedRoleARN(session string) string {
	return "arn:" + a.partition + ":sts::" + a.account + ":assumed-role/" + a.name + "/" + session
}
