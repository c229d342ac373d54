// Package ststest is a test double for the AWS side of IRSA, in the spirit of
// net/http/httptest: an OIDC issuer (like an EKS cluster's), AWS STS and the
// EC2 instance metadata service, each listening on 127.0.0.1 and speaking
// AWS's wire format closely enough that the real aws-sdk-go-v2 clients work
// against them unmodified through endpoint overrides
// (AWS_ENDPOINT_URL_STS / sts.Options.BaseEndpoint and
// AWS_EC2_METADATA_SERVICE_ENDPOINT).
//
// Two packages beside it hold what only some of its importers need:
// ekswebhook, the other side of the cluster (what EKS's pod identity
// webhook injects into pods; the only part that needs k8s.io/api), and
// poll, how tests wait for a probe that runs on its own schedule.
//
// It is used by unit tests, by tests that run the built binary as a
// subprocess, and by the demo program, so it does not import package testing:
// constructors panic when they cannot listen, like httptest.NewServer, and
// every server has a Close method.
//
// The emulation is deliberately about diagnosis, not security: STS does not
// verify SigV4 signatures, and its error codes and messages are AWS's own
// (see sts_errors.go for where each text comes from) so that code which
// explains those errors can be tested against them.
package ststest
