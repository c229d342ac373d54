package iam

import (
	"regexp"
	"slices"
	"sync"
)

type partition struct {
	regions   func() *regexp.Regexp
	dnsSuffix string
}

// lazyRegexp compiles expr at its first use, not at start-up: most runs
// of the binary match few of the package's patterns, or none.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// partitions follows the SDK's endpoint rules: which region names belong where.
var partitions = map[string]partition{
	"aws":        {lazyRegexp(`^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$`), "amazonaws.com"},
	"aws-cn":     {lazyRegexp(`^cn-\w+-\d+$`), "amazonaws.com.cn"},
	"aws-us-gov": {lazyRegexp(`^us-gov-\w+-\d+$`), "amazonaws.com"},
	"aws-iso":    {lazyRegexp(`^us-iso-\w+-\d+$`), "c2s.ic.gov"},
	"aws-iso-b":  {lazyRegexp(`^us-isob-\w+-\d+$`), "sc2s.sgov.gov"},
	"aws-iso-e":  {lazyRegexp(`^eu-isoe-\w+-\d+$`), "cloud.adc-e.uk"},
	"aws-iso-f":  {lazyRegexp(`^us-isof-\w+-\d+$`), "csp.hci.ic.gov"},
	"aws-eusc":   {lazyRegexp(`^eusc-(de)-\w+-\d+$`), "amazonaws.eu"},
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
		if partitions[p].regions().MatchString(region) {
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

// defaultRegions is a region of each partition, for fixes that must name
// one when the pod's own is unknown: a fix never suggests a region of
// another partition than the role's.
var defaultRegions = map[string]string{
	"aws":        "us-east-1",
	"aws-cn":     "cn-north-1",
	"aws-us-gov": "us-gov-west-1",
}

// DefaultRegion is a region of partition, or "" for a partition without one here.
func DefaultRegion(partition string) string { return defaultRegions[partition] }

// eksIssuerRE matches an EKS cluster's OIDC issuer host:
// oidc.eks.REGION.amazonaws.com (.com.cn in China).
var eksIssuerRE = lazyRegexp(`^https://oidc\.eks\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?(/|$)`)

// IssuerRegion is the region in an EKS issuer URL, "" for other issuers
// (self-managed clusters publish theirs anywhere). A bare host/path is
// read as its https URL (NormalizeIssuer).
func IssuerRegion(issuer string) string {
	if m := eksIssuerRE().FindStringSubmatch(NormalizeIssuer(issuer)); m != nil {
		return m[1]
	}
	return ""
}

// optInRegions are the regions AWS disables by default ("Regions introduced
// after March 20, 2019"; AWS Account Management guide, "Specify which AWS
// Regions your account can use"). The global STS endpoint's version 1
// session tokens are not valid in them (IAM user guide, "Manage AWS STS in
// an AWS Region").
var optInRegions = map[string]bool{
	"af-south-1": true, "ap-east-1": true, "ap-east-2": true, "ap-south-2": true, "ap-southeast-3": true,
	"ap-southeast-4": true, "ap-southeast-5": true, "ap-southeast-6": true, "ap-southeast-7": true,
	"ca-west-1": true, "eu-central-2": true, "eu-south-1": true, "eu-south-2": true, "il-central-1": true,
	"me-central-1": true, "me-south-1": true, "mx-central-1": true,
}

// OptInRegion reports whether region is disabled by default in its account.
func OptInRegion(region string) bool { return optInRegions[region] }

// GlobalSTSHost is the global STS endpoint's host.
const GlobalSTSHost = "sts.amazonaws.com"

// STSVPCEndpointService is the service name of the STS interface VPC
// endpoint in region (China's are named cn.com.amazonaws.REGION.sts).
func STSVPCEndpointService(region string) string {
	if PartitionOfRegion(region) == "aws-cn" {
		return "cn.com.amazonaws." + region + ".sts"
	}
	return "com.amazonaws." + region + ".sts"
}
