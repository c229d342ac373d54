// Package ekswebhook is the test double of the other side of the
// cluster: what EKS's pod identity webhook (amazon-eks-pod-identity-webhook)
// injects into pods, as a function on a Pod (Mutate), as an admission
// webhook (ServeHTTP) and as its registration (Configuration), for the
// manifests' tests and for a real API server in end-to-end tests.
//
// It is apart from package ststest because it is the only part of the
// double that needs k8s.io/api: the AWS-side doubles' importers do not
// pull the Kubernetes API types in with them.
package ekswebhook
