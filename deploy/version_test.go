package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// imageRepo is where the release workflow pushes the image.
const imageRepo = "ghcr.io/irsa-probe/irsa-probe"

// version is the repository's one version, from VERSION (read by the
// Makefile and checked against the tag by the release workflow).
var version = func() string {
	b, err := os.ReadFile("../VERSION")
	if err != nil {
		panic(err)
	}
	return strings.TrimSpace(string(b))
}()

// Where a version is written in what users copy: the image tag, the
// kustomize remote ref, `go install …@`.
var versionRefs = regexp.MustCompile(`(?:` + regexp.QuoteMeta(imageRepo) + `:|/irsa-probe:|\?ref=|/cmd/irsa-probe@|/cmd/kubectl-irsa_probe@|/releases/download/|newTag: |appVersion: )([A-Za-z0-9._-]+)`)

// TestVersionIsOneValue: every image tag, kustomize ?ref= and go install
// version in the README, the deploy docs, the components and the examples
// is VERSION, and the CHANGELOG has its entry.
func TestVersionIsOneValue(t *testing.T) {
	if !regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`).MatchString(version) {
		t.Fatalf("VERSION %q is not a semantic version tag (vMAJOR.MINOR.PATCH)", version)
	}
	var files []string
	for _, pattern := range []string{"../README.md", "../CHANGELOG.md", "README.md", "components/*/*", "monitoring/*", "policies/*/*", "krew/*", "helm/*/Chart.yaml", "../examples/*/*", "../examples/*/*/*"} {
		m, _ := filepath.Glob(pattern)
		files = append(files, m...)
	}
	seen := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // a directory
		}
		for i, line := range strings.Split(string(data), "\n") {
			for _, m := range versionRefs.FindAllStringSubmatch(line, -1) {
				seen++
				if m[1] != version {
					t.Errorf("%s:%d: %s, want %s (VERSION)", f, i+1, m[0], version)
				}
			}
		}
	}
	// Every component and example pins the image: far more than this.
	if seen < 10 {
		t.Errorf("found %d versioned references, the pattern no longer matches the files", seen)
	}
	changelog, err := os.ReadFile("../CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^## ` + regexp.QuoteMeta(version) + `\b`).Match(changelog) {
		t.Errorf("CHANGELOG.md has no `## %s` section", version)
	}
}

// TestPluginDefaultVersion: the kubectl plugin's default image is
// VERSION's (make build sets it with -X too; a plain go install gets this).
func TestPluginDefaultVersion(t *testing.T) {
	src, err := os.ReadFile("../cmd/kubectl-irsa_probe/main.go")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^var version = "([^"]+)"`).FindSubmatch(src)
	if m == nil {
		t.Fatal("cmd/kubectl-irsa_probe/main.go: no `var version = \"…\"`")
	}
	if string(m[1]) != version {
		t.Errorf("the plugin's default version is %s, want %s (VERSION)", m[1], version)
	}
}
