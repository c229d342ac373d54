// Package check is one check of a pod's IRSA identity, done the way the
// AWS SDK in the application would do it, step by step:
//
//	environment      AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE and the region are set and agree
//	token            the projected token is a readable, well-formed JWT for the expected audience
//	signature        the issuer publishes the key that signed it (package oidc)
//	assume-role      STS AssumeRoleWithWebIdentity with that token
//	caller-identity  STS GetCallerIdentity with the credentials: the expected role?
//	default-chain    what the SDK's default credential chain resolves to (static keys, IMDS…)
//
// Every problem is a finding of package finding, with the evidence the
// step saw. STS's verdict wins over a local doubt: the token step's claim
// checks that STS also judges (audience, expiry, clock) are doubts, which
// the assume-role step confirms (merging STS's error code and request id
// into them) or drops. STS errors are classified next to the calls
// (stserrors.go), transient ones retried with jittered backoff until the
// check's deadline. A Report has one verdict, its steps and findings, and
// renders as text, JSON and the termination log; no token, secret key or
// session token survives into it.
package check
