package deploy_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

const installDoc = "../docs/install.md"

// TestInstallDocPaths: docs/install.md names every install path with a
// command that works here (each kubectl apply -k directory renders), and
// quotes the chart's notes for a cluster without the optional APIs as the
// chart renders them.
func TestInstallDocPaths(t *testing.T) {
	requireKubectl(t)
	data, err := os.ReadFile(installDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, want := range []string{
		"deploy/components/native-sidecar?ref=" + version,
		"kubectl apply -k https://github.com/irsa-probe/irsa-probe//deploy/policies/kyverno-cel?ref=" + version,
		"kubectl apply -k https://github.com/irsa-probe/irsa-probe//deploy/policies/kyverno?ref=" + version,
		"kubectl apply -k https://github.com/irsa-probe/irsa-probe//deploy/policies/mutating-admission-policy?ref=" + version,
		"helm install irsa-probe deploy/helm/irsa-probe",
		`irsa-probe.io/inject: "off"`,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("%s does not name %q", installDoc, want)
		}
	}
	for _, u := range regexp.MustCompile(`kubectl apply -k https://github.com/irsa-probe/irsa-probe//([a-z/-]+)\?ref=`).FindAllStringSubmatch(doc, -1) {
		if out, err := exec.Command("kubectl", "kustomize", "../"+u[1]).CombinedOutput(); err != nil {
			t.Errorf("kubectl kustomize %s: %v\n%s", u[1], err, out)
		}
	}
	for _, line := range strings.Split(renderNotes(t), "\n") {
		if strings.HasPrefix(line, "- ") && !strings.Contains(doc, line) {
			t.Errorf("%s does not quote the chart's notes line\n%s", installDoc, line)
		}
	}
}
