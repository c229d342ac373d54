// Package oidc checks a service-account token's signature the way STS
// does: it fetches the issuer's /.well-known/openid-configuration and the
// JWKS it names, and verifies the token against the key its kid names.
// Both documents are capped at 1 MiB and each fetch has its own deadline
// inside the caller's.
//
// Done from inside the pod, this tells a rotated signing key (the kid is
// not published) apart from an issuer STS cannot reach, which STS reports
// with the same words.
package oidc
