// Package plugin is the kubectl plugin's behaviour, `kubectl irsa-probe`;
// its main only wires it to the process, as package cli is irsa-probe's.
//
// With a POD it runs package ephemeral: an ephemeral container running
// `irsa-probe check --target=auto` in that pod, as its application's user.
// Without one (-A, or -n NAMESPACE) it is the fleet view: package fleet
// lists and judges, package eksapi reads the associations (--cluster),
// canary Jobs prove (--prove), a proposed trust policy's impact is said
// (--trust-policy). Every kubectl call goes through one kube.Runner, so
// the tests run the whole plugin in process against one fake cluster.
// Errors and hints are printed by package hint, exit codes are package
// verdict's table.
package plugin
