package appsdk

import "github.com/irsa-probe/irsa-probe/probe/iam"

// RefreshDefect is an SDK release range whose credentials work at start and
// fail later in the pod's life: the refresh under IRSA or Pod Identity is
// broken. Every entry was read in its upstream sources (the issue, the pull
// request that fixed it and the release notes naming it): an entry that
// could not be verified is not here, however often it is reported.
type RefreshDefect struct {
	Ecosystem, Package string
	// Mechanism is the one the defect hits (iam.MechanismIRSA or
	// iam.MechanismPodIdentity).
	Mechanism string
	// Introduced is the first affected release, Fixed the first fixed:
	// versions v with Introduced <= v < Fixed are affected.
	Introduced, Fixed string
	// Upstream cites the issue and the fix.
	Upstream string
	// What is what the defect does, in a sentence.
	What string
}

// Affected is the range as a person reads it.
func (d *RefreshDefect) Affected() string { return ">= " + d.Introduced + ", < " + d.Fixed }

// refreshDefects is the table, with its sources.
//
//   - botocore: the container provider, which Pod Identity uses, arrived in
//     1.32.0 (CHANGELOG.rst: "feature:ContainerProvider: Added Support for
//     EKS container credentials") and read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
//     once; the agent refuses that token once it expires ("ExpiredTokenException
//     ... must be before the expiration date/time", boto/botocore#3117;
//     boto/botocore#3134 was closed as its duplicate). Fixed by
//     boto/botocore#3114, released in 1.34.41 (CHANGELOG.rst and
//     .changes/1.34.41.json: "bugfix:ContainerProvider: Properly refreshes
//     token from file from EKS in ContainerProvider"; #3117's maintainer:
//     "if anyone else sees it in a version after 1.34.41, please ... reopen").
//     boto3 takes its credentials from botocore, so botocore's version is the
//     one judged.
//
// Read and left out, for want of a fixed release in the sources:
// boto/botocore#3480 (Pod Identity failing after 24-48 h on 1.34-era and
// later releases; closed for staleness, no fix); aws/aws-sdk-js-v3#8101
// (Pod Identity refresh failing after ~24 h; the maintainers could not
// reproduce it, and no fixed release is named in the thread as read);
// aws/aws-sdk-java-v2#5709 (not found in the sources available here).
var refreshDefects = []RefreshDefect{
	{
		Ecosystem: EcosystemPython, Package: "botocore", Mechanism: iam.MechanismPodIdentity,
		Introduced: "1.32.0", Fixed: "1.34.41",
		Upstream: "https://github.com/boto/botocore/issues/3117, fixed by https://github.com/boto/botocore/pull/3114",
		What:     "the container provider reads AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE once and sends that first token at every refresh, which the Pod Identity agent refuses once it expires (ExpiredTokenException, about a day after start)",
	},
}

// RefreshDefects lists the table, for documentation.
func RefreshDefects() []RefreshDefect { return append([]RefreshDefect(nil), refreshDefects...) }

// refreshDefectFor is the defect version of pkg has under mechanism, nil
// when none is known.
func refreshDefectFor(eco, pkg, version, mechanism string) *RefreshDefect {
	for i := range refreshDefects {
		d := &refreshDefects[i]
		if d.Ecosystem == eco && d.Package == pkg && d.Mechanism == mechanism &&
			Compare(version, d.Introduced) >= 0 && Compare(version, d.Fixed) < 0 {
			return d
		}
	}
	return nil
}

// RefreshDefectOf is f's known refresh defect under mechanism, nil when none.
func RefreshDefectOf(f Found, mechanism string) *RefreshDefect {
	return refreshDefectFor(f.Ecosystem, f.Package, f.Version, mechanism)
}
