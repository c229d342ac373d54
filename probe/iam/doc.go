// Package iam knows the AWS side of a pod identity by its names: role ARNs
// and their partitions, regions and the STS endpoint each uses, IAM OIDC
// providers, and the trust policy a role needs to let a service account's
// token in. It makes no network calls.
package iam
