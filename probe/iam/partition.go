package iam

import (
	"regexp"
	"slices"
)

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

// regionMatchOrder tries the most specific patterns first: us-gov-west-1
// also looks like an aws region.
var regionMatchOrder = []string{"aws-us-gov", "aws-iso-b", "aws-iso-f", "aws-iso", "aws-iso-e", "aws-cn", "aws-eusc", "aws"}

// PartitionNames lists the partitions, sorted.
func PartitionNames() []string {
	names := make([]string, 0, len(partitions))
	for p := range partitions {
		names = append(names, p)
	}
	slices.Sort(names)
	return names
}

// PartitionOfRegion returns the partition a region belongs to, or "".
func PartitionOfRegion(region string) string {
	for _, p := range regionMatchOrder {
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
