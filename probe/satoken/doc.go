// Package satoken reads and decodes Kubernetes projected service-account
// tokens: the file kubelet writes (AWS_WEB_IDENTITY_TOKEN_FILE for IRSA),
// capped and refused unless it is a regular file, and the JWT's claims,
// decoded but not verified (STS verifies them; package oidc can too).
//
// A Token holds the claims only, never the token itself, so it is safe to
// print and log.
package satoken
