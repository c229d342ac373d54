// Package appsdk finds the AWS SDK a running process uses and compares its
// version with the minimum the EKS user guide gives for the identity
// mechanism in use: IRSA ("Use IRSA with the AWS SDK",
// iam-roles-for-service-accounts-minimum-sdk) and EKS Pod Identity ("Use
// pod identity with the AWS SDK", pod-id-minimum-sdk) have different ones.
//
// It reads the process through /proc/PID: a Go binary's build info
// (golang.go), botocore, boto3 and the AWS CLI on a Python process's
// search path (python.go), aws-sdk and @aws-sdk packages reachable from a
// Node.js process's working directory (node.go), and the Maven metadata of
// the SDK's jars on a Java process's class path (java.go). Every file is
// read with package safefile's rules (capped, regular files only, never
// blocking): they belong to another container and are outside input.
//
// Paths are read under the process's root (/proc/PID/root). An absolute
// symbolic link inside it resolves against the probe's root instead, as the
// kernel does for any reader: such links are not followed into the target
// (site-packages and node_modules seldom hold any).
package appsdk
