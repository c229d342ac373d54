package probe

import (
	"fmt"
	"regexp"
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

var accountRE = regexp.MustCompile(`^[0-9]{12}$`)

// roleNameRE is IAM's rule for role names.
var roleNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

// ParseRoleARN parses an IAM role ARN and says precisely what is wrong with a bad one.
func ParseRoleARN(s string) (RoleARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return RoleARN{}, fmt.Errorf("want arn:PARTITION:iam::ACCOUNT_ID:role/NAME, got %d colon-separated fields", len(parts))
	}
	r := RoleARN{Partition: parts[1], Account: parts[4]}
	if _, ok := partitions[r.Partition]; !ok {
		return RoleARN{}, fmt.Errorf("unknown partition %q (want one of %s)", r.Partition, partitionNames())
	}
	if parts[2] != "iam" {
		return RoleARN{}, fmt.Errorf("service is %q, want iam", parts[2])
	}
	if parts[3] != "" {
		return RoleARN{}, fmt.Errorf("IAM ARNs have no region, got %q", parts[3])
	}
	if !accountRE.MatchString(r.Account) {
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
	if !roleNameRE.MatchString(r.Name) {
		return RoleARN{}, fmt.Errorf("role name %q is not a valid IAM role name", r.Name)
	}
	return r, nil
}

// AssumedRoleARN is the caller ARN STS reports for a session of role r.
func (r RoleARN) assumedRolePrefix() string {
	return "arn:" + r.Partition + ":sts::" + r.Account + ":assumed-role/" + r.Name + "/"
}

// MatchesCaller reports whether a GetCallerIdentity ARN is a session of role r.
// STS drops the role's path in assumed-role ARNs.
func (r RoleARN) MatchesCaller(callerARN string) bool {
	rest, ok := strings.CutPrefix(callerARN, r.assumedRolePrefix())
	return ok && rest != "" && !strings.Contains(rest, "/")
}

type partition struct {
	regions   *regexp.Regexp
	dnsSuffix string
}

// partitions follows the SDK's endpoint rules: which region names belong where.
var partitions = map[string]partition{
	"aws":        {regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$`), "amazonaws.com"},
	"aws-cn":     {regexp.MustCompile(`^cn-\w+-\d+$`), "amazonaws.com.cn"},
	"aws-us-gov": {regexp.MustCompile(`^us-gov-\w+-\d+$`), "amazonaws.com"},
	"aws-iso":    {regexp.MustCompile(`^us-iso-\w+-\d+$`), "c2s.ic.gov"},
	"aws-iso-b":  {regexp.MustCompile(`^us-isob-\w+-\d+$`), "sc2s.sgov.gov"},
	"aws-iso-e":  {regexp.MustCompile(`^eu-isoe-\w+-\d+$`), "cloud.adc-e.uk"},
	"aws-iso-f":  {regexp.MustCompile(`^us-isof-\w+-\d+$`), "csp.hci.ic.gov"},
	"aws-eusc":   {regexp.MustCompile(`^eusc-(de)-\w+-\d+$`), "amazonaws.eu"},
}

func partitionNames() string {
	return "aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc"
}

// PartitionOfRegion returns the partition a region belongs to, or "".
func PartitionOfRegion(region string) string {
	// Most specific first: us-gov-west-1 also looks like an aws region.
	for _, p := range []string{"aws-us-gov", "aws-iso-b", "aws-iso-f", "aws-iso", "aws-iso-e", "aws-cn", "aws-eusc", "aws"} {
		if partitions[p].regions.MatchString(region) {
			return p
		}
	}
	return ""
}

// STSEndpoint is the regional STS endpoint the SDK uses for region.
func STSEndpoint(region string) string {
	p := PartitionOfRegion(region)
	if p == "" {
		return "https://sts." + region + ".amazonaws.com"
	}
	return "https://sts." + region + "." + partitions[p].dnsSuffix
}
