// Package policy evaluates an IAM role trust policy the way IAM does, for
// one pod's identity (IRSA's AssumeRoleWithWebIdentity or EKS Pod
// Identity's AssumeRole + TagSession), and explains the result: which
// statement and which condition line matched or not and why, as stable
// reason codes, plus the minimal edit of the user's own document that makes
// it allow the pod while keeping every other statement byte for byte.
//
// It reads the three forms people have at hand: the policy JSON, the
// URL-encoded document the raw IAM API returns (GetRole), and the whole
// output of `aws iam get-role`. Positions (line, column) refer to the
// policy text as the user sees it, so a malformed document says where.
//
// Files: request.go builds the request (from the token, the flags, the
// role's ARN, the policy itself), eval.go is IAM's semantics, explain.go
// walks the statements, reasons.go says why a line does not match and
// proposes the edit, values.go quotes and compares the policy's values.
//
// The evaluator is deliberately separate from probe/ststest's: the tests
// cross-check the two on a corpus of real-world policies.
package policy
