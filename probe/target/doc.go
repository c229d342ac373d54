// Package target reads another process of the pod, the application the
// probe diagnoses with `irsa-probe check --target PID|auto`: its command
// line, working directory, root and environment under /proc/PID, and
// makes the probe's own environment that application's for what the probe
// and the AWS SDK read (adopt.go).
//
// The probe shares the application's PID namespace (kubectl debug
// --target=CONTAINER, or shareProcessNamespace: true). Reading another
// process's environ, root and exe takes the kernel's ptrace read access:
// the same uid, or CAP_SYS_PTRACE; /proc mounted with hidepid hides other
// users' processes entirely. Those refusals are *Error values of kind
// KindPermission or KindHidden, which the check reports as a finding with
// the fix; the files are read with package safefile's rules.
package target
