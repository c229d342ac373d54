package deploy_test

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const (
	krewManifestFile = "krew/irsa-probe.yaml"
	pluginBinary     = "kubectl-irsa_probe"
)

// krewPlugin is the part of krew's Plugin (index.krew.dev/v1alpha2) these
// tests read; validate-krew-manifest checks the whole.
type krewPlugin struct {
	Metadata struct{ Name string }
	Spec     struct {
		Version   string
		Platforms []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			}
			URI, Sha256, Bin string
			Files            []struct{ From, To string }
		}
	}
}

func readKrewManifest(t *testing.T, path string) krewPlugin {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p krewPlugin
	if err := yaml.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// releasePlatforms is RELEASE_PLATFORMS of the Makefile, as os-arch.
func releasePlatforms(t *testing.T) []string {
	t.Helper()
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^RELEASE_PLATFORMS := (.+)$`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("Makefile: no RELEASE_PLATFORMS")
	}
	return strings.Fields(strings.ReplaceAll(string(m[1]), "/", "-"))
}

func archiveName(platform string) string {
	return fmt.Sprintf("%s-%s-%s.tar.gz", pluginBinary, version, platform)
}

// TestKrewManifest: one entry per release platform, each the archive make
// dist builds at this version's release, and krew's own validation passes.
func TestKrewManifest(t *testing.T) {
	p := readKrewManifest(t, krewManifestFile)
	if p.Metadata.Name != "irsa-probe" || p.Spec.Version != version {
		t.Errorf("plugin %s %s, want irsa-probe %s", p.Metadata.Name, p.Spec.Version, version)
	}
	var got []string
	for _, pl := range p.Spec.Platforms {
		platform := pl.Selector.MatchLabels["os"] + "-" + pl.Selector.MatchLabels["arch"]
		got = append(got, platform)
		if want := "https://github.com/irsa-probe/irsa-probe/releases/download/" + version + "/" + archiveName(platform); pl.URI != want {
			t.Errorf("%s: uri %s, want %s", platform, pl.URI, want)
		}
		if pl.Bin != pluginBinary {
			t.Errorf("%s: bin %s, want %s", platform, pl.Bin, pluginBinary)
		}
	}
	if want := releasePlatforms(t); !slices.Equal(got, want) {
		t.Errorf("platforms %v, want RELEASE_PLATFORMS %v", got, want)
	}
	validateKrew(t, krewManifestFile)
}

func validateKrew(t *testing.T, path string) {
	t.Helper()
	v := requireTool(t, "validate-krew-manifest")
	// -skip-install: installing means downloading the URIs; TestDist
	// installs from the built archive instead.
	if out, err := exec.Command(v, "-manifest", path, "-skip-install").CombinedOutput(); err != nil {
		t.Errorf("validate-krew-manifest %s: %v\n%s", path, err, out)
	}
}

// distDir is make dist's output, when the test runs from make dist.
func distDir(t *testing.T) string {
	t.Helper()
	d := os.Getenv("IRSA_PROBE_DIST")
	if d == "" {
		t.Skip("IRSA_PROBE_DIST not set: make dist runs this test on what it built")
	}
	return d
}

// TestDistKrew: the released manifest names each archive by its sha256,
// each archive holds the plugin and the LICENSE, krew validates the
// manifest and installs the plugin from it (refusing a wrong checksum),
// and the installed plugin runs.
func TestDistKrew(t *testing.T) {
	dist := distDir(t)
	manifest := filepath.Join(dist, "irsa-probe.yaml")
	validateKrew(t, manifest)
	p := readKrewManifest(t, manifest)
	for _, pl := range p.Spec.Platforms {
		platform := pl.Selector.MatchLabels["os"] + "-" + pl.Selector.MatchLabels["arch"]
		data, err := os.ReadFile(filepath.Join(dist, archiveName(platform)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if pl.Sha256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: sha256 %s, the archive's is %x", platform, pl.Sha256, sum)
		}
		if names := tarNames(t, data); !slices.Equal(names, []string{"LICENSE", pluginBinary}) {
			t.Errorf("%s holds %v, want LICENSE and %s", archiveName(platform), names, pluginBinary)
		}
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("installs the linux-amd64 archive: not this machine's")
	}
	krew := requireTool(t, "krew")
	archive := filepath.Join(dist, archiveName("linux-amd64"))
	install := func(manifest string) (string, []byte, error) {
		root := t.TempDir()
		cmd := exec.Command(krew, "install", "--manifest="+manifest, "--archive="+archive)
		cmd.Env = append(os.Environ(), "KREW_ROOT="+root, "KREW_OS=linux", "KREW_ARCH=amd64")
		out, err := cmd.CombinedOutput()
		return root, out, err
	}
	root, out, err := install(manifest)
	if err != nil {
		t.Fatalf("krew install: %v\n%s", err, out)
	}
	// The plugin has no --version: its help names its default image, this
	// release's.
	bin := filepath.Join(root, "bin", pluginBinary)
	help, _ := exec.Command(bin, "-h").CombinedOutput()
	if !strings.Contains(string(help), "Usage: kubectl irsa-probe") || !strings.Contains(string(help), imageRepo+":"+version) {
		t.Errorf("%s -h does not run as the plugin of %s:\n%s", bin, version, help)
	}
	if lic, _ := filepath.Glob(filepath.Join(root, "store", "irsa-probe", version, "LICENSE")); len(lic) != 1 {
		t.Errorf("krew did not install the LICENSE")
	}
	// A checksum that is not the archive's must stop the install.
	bad := filepath.Join(t.TempDir(), "irsa-probe.yaml")
	m, _ := os.ReadFile(manifest)
	m = regexp.MustCompile(`sha256: "?[0-9a-f]{64}"?`).ReplaceAll(m, []byte(`sha256: "`+strings.Repeat("ab", 32)+`"`))
	if err := os.WriteFile(bad, m, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, out, err := install(bad); err == nil {
		t.Errorf("krew installed an archive whose sha256 is not the manifest's:\n%s", out)
	}
}

func tarNames(t *testing.T, data []byte) []string {
	t.Helper()
	zr, err := gzip.NewReader(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
	slices.Sort(names)
	return names
}

// TestDistSBOM: the SBOMs are SPDX documents naming the Go modules the
// binaries are built from, for the binaries and each image platform.
func TestDistSBOM(t *testing.T) {
	dist := distDir(t)
	files, _ := filepath.Glob(filepath.Join(dist, "irsa-probe-"+version+"-*.spdx.json"))
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	want := []string{"irsa-probe-" + version + "-binaries.spdx.json", "irsa-probe-" + version + "-image-linux-amd64.spdx.json", "irsa-probe-" + version + "-image-linux-arm64.spdx.json"}
	if !slices.Equal(names, want) {
		t.Fatalf("SBOMs %v, want %v", names, want)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			SPDXVersion string `json:"spdxVersion"`
			Packages    []struct {
				Name, VersionInfo string
			} `json:"packages"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !strings.HasPrefix(doc.SPDXVersion, "SPDX-2.") {
			t.Errorf("%s: spdxVersion %q", f, doc.SPDXVersion)
		}
		mods := map[string]string{}
		for _, p := range doc.Packages {
			mods[p.Name] = p.VersionInfo
		}
		// Modules of go.mod the binary links, at go.mod's versions.
		for _, m := range []string{"github.com/aws/aws-sdk-go-v2/service/sts", "github.com/go-jose/go-jose/v4", "stdlib"} {
			if mods[m] == "" {
				t.Errorf("%s: no package %s", filepath.Base(f), m)
			}
		}
	}
}

// TestDistChecksums: SHA256SUMS covers every release file make dist leaves
// (the image layout is there as its tarball), and each sum is right.
func TestDistChecksums(t *testing.T) {
	dist := distDir(t)
	sums, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		sum, name, _ := strings.Cut(line, "  ")
		listed[name] = sum
	}
	entries, _ := os.ReadDir(dist)
	for _, e := range entries {
		if e.IsDir() || e.Name() == "SHA256SUMS" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dist, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if listed[e.Name()] != hex.EncodeToString(sum[:]) {
			t.Errorf("SHA256SUMS: %s is %q, want %x", e.Name(), listed[e.Name()], sum)
		}
	}
}
