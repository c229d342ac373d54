// Package kubefake is the one fake cluster of the plugin's tests: a
// kube.Runner that answers kubectl's commands from files in a directory,
// as a real API server would print them (package kube's Kubectl is the
// real thing beside it, as net/http/httptest is beside net/http).
//
// It serves the listings and single objects, refuses what the
// "forbidden" file names with the API server's own Forbidden texts, says
// NotFound as kubectl does, creates canary Jobs from stdin and shows their
// pods as each service account's behaviour in "canaries.json" says,
// serves their logs, deletes them by label, takes kubectl debug's
// ephemeral container and records every argv. The same fake runs as a
// process (the test binary under the name kubectl, Main) for tests that
// paste commands into a shell or run the plugin's binary.
package kubefake
