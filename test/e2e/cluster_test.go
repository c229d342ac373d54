//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/irsa-probe/irsa-probe/test/e2e/framework"
)

// The cluster runs a pod, and the project's image, loaded from its release
// tarball as an air-gapped user loads it, runs in it.
func TestClusterRunsTheImage(t *testing.T) {
	ns := env.Namespace(t, framework.NamespaceOptions{})
	ns.Apply(`apiVersion: v1
kind: Pod
metadata:
  name: version
spec:
  restartPolicy: Never
  containers:
  - name: irsa-probe
    image: ` + env.ImageName + `
    args: ["version"]
`)
	ns.WaitFor("pod version Succeeded", 2*time.Minute, func() string {
		if p := ns.Get("{.status.phase}", "pod", "version"); p != "Succeeded" {
			return "phase " + p
		}
		return ""
	})
	logs := ns.Kubectl("logs", "version")
	if !strings.Contains(logs, "irsa-probe") {
		t.Errorf("irsa-probe version printed %q", logs)
	}
}
