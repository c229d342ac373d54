// Package finding is the diagnosis catalog: every problem irsa-probe can
// report, as data. Each entry has a stable Code, a Severity (which decides
// the verdict and the exit code), and a message and a fix written in a
// small template language over the Evidence the check collected, so a fix
// carries the user's own role, namespace, issuer and account.
//
// Detection lives with the checks (package check); what a finding says and
// how to fix it lives here. The manual's catalog table (docs/catalog.md) is generated from
// Catalog.
package finding
