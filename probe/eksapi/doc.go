// Package eksapi reads a cluster's EKS Pod Identity associations for the
// kubectl plugin's fleet view, with the workstation's own AWS credentials
// (the SDK's default chain: environment, profile, SSO, …):
// ListPodIdentityAssociations, every page, then
// DescribePodIdentityAssociation for each, since the list's summaries do
// not carry the role. Throttling is the SDK standard retryer's to handle,
// within the caller's deadline; failures are typed (Error) with what to do.
package eksapi
