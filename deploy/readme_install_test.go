package deploy_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// installSection is the README's "## Install" section.
func installSection(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "\n## Install\n")
	if !ok {
		t.Fatal("README.md has no ## Install section")
	}
	section, _, _ := strings.Cut(rest, "\n## ")
	return section
}

// TestReadmeInstallNamesEachPath: the install section names every way in,
// each with the file or command a reader runs.
func TestReadmeInstallNamesEachPath(t *testing.T) {
	s := installSection(t)
	for _, want := range []string{
		"ghcr.io/irsa-probe/irsa-probe:" + version,         // image
		"go install github.com/irsa-probe/irsa-probe/cmd/", // binaries
		"kubectl krew install --manifest-url=",             // krew
		"kubectl apply -k https://github.com/irsa-probe/irsa-probe//deploy/policies/kyverno?ref=" + version,
		"kubectl apply -k https://github.com/irsa-probe/irsa-probe//deploy/policies/mutating-admission-policy?ref=" + version,
		"helm install irsa-probe deploy/helm/irsa-probe",
		"cosign verify",
		".spdx.json",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("README ## Install does not name %q", want)
		}
	}
}

// TestReadmeKustomizeURLs: each kubectl apply -k URL of the install
// section is a directory here that renders.
func TestReadmeKustomizeURLs(t *testing.T) {
	requireKubectl(t)
	urls := regexp.MustCompile(`kubectl apply -k https://github.com/irsa-probe/irsa-probe//([a-z/-]+)\?ref=`).FindAllStringSubmatch(installSection(t), -1)
	if len(urls) < 2 {
		t.Fatalf("found %d kubectl apply -k URLs", len(urls))
	}
	for _, u := range urls {
		if out, err := exec.Command("kubectl", "kustomize", "../"+u[1]).CombinedOutput(); err != nil {
			t.Errorf("kubectl kustomize %s: %v\n%s", u[1], err, out)
		}
	}
}

// TestReadmeHelmCommands: every helm install line of the README renders
// with the chart (helm template with the same arguments, from the
// repository's root, as a reader runs it).
func TestReadmeHelmCommands(t *testing.T) {
	lines := regexp.MustCompile(`(?m)^helm install (.+)$`).FindAllStringSubmatch(installSection(t), -1)
	if len(lines) < 2 {
		t.Fatalf("found %d helm install lines", len(lines))
	}
	for _, l := range lines {
		args := append([]string{"template"}, strings.Fields(l[1])...)
		cmd := helmCommand(t, args...)
		cmd.Dir = ".."
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "kind: ") {
			t.Errorf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestReadmeKrewCommand: the README installs the manifest the release
// attaches, and names an archive make dist builds.
func TestReadmeKrewCommand(t *testing.T) {
	s := installSection(t)
	if want := "--manifest-url=https://github.com/irsa-probe/irsa-probe/releases/download/" + version + "/irsa-probe.yaml"; !strings.Contains(s, want) {
		t.Errorf("README does not install the release's manifest: want %s", want)
	}
	m := regexp.MustCompile(`--archive=([A-Za-z0-9._-]+)`).FindStringSubmatch(s)
	if m == nil {
		t.Fatal("README names no --archive")
	}
	found := false
	for _, p := range releasePlatforms(t) {
		found = found || m[1] == archiveName(p)
	}
	if !found {
		t.Errorf("--archive=%s is no archive make dist builds", m[1])
	}
	wf, err := os.ReadFile("../.github/workflows/release.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"dist/irsa-probe.yaml", "dist/kubectl-irsa_probe-*", "dist/irsa-probe-*"} {
		if !strings.Contains(string(wf), f) {
			t.Errorf("the release workflow does not attach %s", f)
		}
	}
}

// TestReleaseWorkflowSigns: keyless cosign, by digest, with the OIDC token
// it needs (actionlint checks the syntax; this, what it does).
func TestReleaseWorkflowSigns(t *testing.T) {
	wf, err := os.ReadFile("../.github/workflows/release.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"id-token: write", "uses: sigstore/cosign-installer@", "cosign sign --yes \"$ref\"", "*@sha256:*", "cosign sign-blob --yes", "make release-tools"} {
		if !strings.Contains(string(wf), want) {
			t.Errorf("release.yml lacks %q", want)
		}
	}
}
