package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The tests read the image from the layout on disk, as crane and skopeo
// would, never from the values build used. IRSA_PROBE_IMAGE_LAYOUT names a
// layout to test (`make image` tests the one it wrote); otherwise the tests
// cross-compile irsa-probe and build one.

const testVersion = "v0.0.0-test"

var (
	layoutOnce sync.Once
	layoutDir  string
	layoutCA   []byte // the CA bundle the layout must hold
	layoutErr  error
)

// testLayout returns the directory of the layout under test.
func testLayout(t *testing.T) string {
	t.Helper()
	if testing.Short() && os.Getenv("IRSA_PROBE_IMAGE_LAYOUT") == "" {
		t.Skip("builds the image: not in the -short tier (make test and make image run it)")
	}
	layoutOnce.Do(func() {
		layoutCA, layoutErr = os.ReadFile(defaultCABundle)
		if dir := os.Getenv("IRSA_PROBE_IMAGE_LAYOUT"); dir != "" {
			layoutDir = dir
			return
		}
		layoutDir, layoutErr = buildTestLayout()
	})
	if layoutErr != nil {
		if errors.Is(layoutErr, os.ErrNotExist) && os.Getenv("CI") == "" {
			t.Skipf("no CA bundle at %s (Debian's ca-certificates): %v", defaultCABundle, layoutErr)
		}
		t.Fatal(layoutErr)
	}
	return layoutDir
}

// testBinaries cross-compiles irsa-probe once per platform into dir.
func testBinaries(dir string) (map[string]string, error) {
	bins := map[string]string{}
	for p := range platforms {
		osName, arch, _ := strings.Cut(p, "/")
		out := filepath.Join(dir, osName+"-"+arch, "irsa-probe")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+testVersion, "-o", out, "../irsa-probe")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+osName, "GOARCH="+arch)
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, errors.New("go build " + p + ": " + err.Error() + "\n" + string(b))
		}
		bins[p] = out
	}
	return bins, nil
}

var testCreated = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func buildTestLayout() (string, error) {
	dir, err := os.MkdirTemp("", "irsa-probe-image-test")
	if err != nil {
		return "", err
	}
	bins, err := testBinaries(filepath.Join(dir, "bin"))
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "image")
	_, err = build(buildOptions{out: out, binaries: bins, caBundle: defaultCABundle, version: testVersion, commit: "abc123", created: testCreated})
	return out, err
}

func TestMain(m *testing.M) {
	code := m.Run()
	if os.Getenv("IRSA_PROBE_IMAGE_LAYOUT") == "" && layoutDir != "" {
		os.RemoveAll(filepath.Dir(layoutDir))
	}
	os.Exit(code)
}

// platformImages opens the layout and returns the image of each platform of
// its one image index, failing on anything else in index.json.
func platformImages(t *testing.T) (v1.ImageIndex, map[string]v1.Image) {
	t.Helper()
	lp, err := layout.FromPath(testLayout(t))
	if err != nil {
		t.Fatal(err)
	}
	root, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	rm, err := root.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(rm.Manifests) != 1 || rm.Manifests[0].MediaType != types.OCIImageIndex {
		t.Fatalf("index.json: want one OCI image index (what crane push pushes), got %+v", rm.Manifests)
	}
	if name := rm.Manifests[0].Annotations[refNameAnnotation]; name == "" || strings.ContainsAny(name, "/: ") {
		t.Errorf("index.json: %s %q, want the version", refNameAnnotation, name)
	}
	idx, err := root.ImageIndex(rm.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	imgs := map[string]v1.Image{}
	for _, d := range im.Manifests {
		if d.Platform == nil || d.MediaType != types.OCIManifestSchema1 {
			t.Fatalf("index entry %s: media type %s, platform %v", d.Digest, d.MediaType, d.Platform)
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		imgs[d.Platform.String()] = img
	}
	return idx, imgs
}

// TestImageIndexListsBothPlatforms: exactly linux/amd64 and linux/arm64.
func TestImageIndexListsBothPlatforms(t *testing.T) {
	_, imgs := platformImages(t)
	var got []string
	for p := range imgs {
		got = append(got, p)
	}
	slices.Sort(got)
	if want := []string{"linux/amd64", "linux/arm64"}; !slices.Equal(got, want) {
		t.Errorf("platforms %v, want %v", got, want)
	}
}

// TestImageConfig: each platform's config runs the binary as 65532, with no
// shell anywhere in how it starts, and says what it is built from.
func TestImageConfig(t *testing.T) {
	_, imgs := platformImages(t)
	for p, img := range imgs {
		t.Run(p, func(t *testing.T) {
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cf.OS+"/"+cf.Architecture != p {
				t.Errorf("config says %s/%s, index says %s", cf.OS, cf.Architecture, p)
			}
			c := cf.Config
			if c.User != "65532:65532" {
				t.Errorf("User %q, want 65532:65532", c.User)
			}
			if !slices.Equal(c.Entrypoint, []string{"/irsa-probe"}) || !slices.Equal(c.Cmd, []string{"check"}) {
				t.Errorf("Entrypoint %q Cmd %q, want [/irsa-probe] [check]", c.Entrypoint, c.Cmd)
			}
			if len(c.Shell) > 0 || slices.ContainsFunc(slices.Concat(c.Entrypoint, c.Cmd), func(s string) bool { return strings.Contains(s, "sh") }) {
				t.Errorf("a shell in Shell %q / Entrypoint %q / Cmd %q", c.Shell, c.Entrypoint, c.Cmd)
			}
			if _, ok := c.ExposedPorts["8086/tcp"]; !ok || len(c.ExposedPorts) != 1 {
				t.Errorf("ExposedPorts %v, want 8086/tcp (serve's default)", c.ExposedPorts)
			}
			if v := c.Labels["org.opencontainers.image.version"]; v == "" || c.Labels["org.opencontainers.image.licenses"] != "Apache-2.0" {
				t.Errorf("labels %v: want the version and the license", c.Labels)
			}
			if len(cf.RootFS.DiffIDs) != 2 || len(cf.History) != 2 {
				t.Errorf("%d layers, %d history entries, want 2 and 2", len(cf.RootFS.DiffIDs), len(cf.History))
			}
		})
	}
}

// file is what a layer says of one of its entries.
type file struct {
	typ  byte
	mode int64
	uid  int
	gid  int
}

// readLayers returns every layer's entries by name, and the content of its
// regular files.
func readLayers(t *testing.T, img v1.Image) ([]map[string]file, map[string][]byte) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]file
	data := map[string][]byte{}
	for i, l := range layers {
		if mt, _ := l.MediaType(); mt != types.OCILayer {
			t.Errorf("layer %d: media type %s, want %s", i, mt, types.OCILayer)
		}
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		files := map[string]file{}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("layer %d: %v", i, err)
			}
			if _, dup := files[h.Name]; dup {
				t.Errorf("layer %d: %s twice", i, h.Name)
			}
			files[h.Name] = file{h.Typeflag, h.Mode, h.Uid, h.Gid}
			if h.Typeflag == tar.TypeReg {
				b, err := io.ReadAll(tr)
				if err != nil {
					t.Fatal(err)
				}
				data[h.Name] = b
			}
		}
		rc.Close()
		out = append(out, files)
	}
	return out, data
}

// TestImageLayers: the shared layer holds the CA bundle and the user files,
// the second the binary; nothing else (no shell, no /bin), all owned by
// root, 65532 can read but not write them.
func TestImageLayers(t *testing.T) {
	_, imgs := platformImages(t)
	const dir, reg = tar.TypeDir, tar.TypeReg
	want := []map[string]file{
		{
			"etc/":                              {dir, 0o755, 0, 0},
			"etc/group":                         {reg, 0o644, 0, 0},
			"etc/passwd":                        {reg, 0o644, 0, 0},
			"etc/ssl/":                          {dir, 0o755, 0, 0},
			"etc/ssl/certs/":                    {dir, 0o755, 0, 0},
			"etc/ssl/certs/ca-certificates.crt": {reg, 0o644, 0, 0},
		},
		{"irsa-probe": {reg, 0o755, 0, 0}},
	}
	var baseDigests []v1.Hash
	for p, img := range imgs {
		t.Run(p, func(t *testing.T) {
			got, data := readLayers(t, img)
			if len(got) != len(want) {
				t.Fatalf("%d layers, want %d", len(got), len(want))
			}
			for i := range want {
				for name, w := range want[i] {
					if g, ok := got[i][name]; !ok || g != w {
						t.Errorf("layer %d: %s is %+v (present %v), want %+v", i, name, g, ok, w)
					}
				}
				for name := range got[i] {
					if _, ok := want[i][name]; !ok {
						t.Errorf("layer %d: unexpected %s", i, name)
					}
				}
			}
			if !bytes.Equal(data["etc/ssl/certs/ca-certificates.crt"], layoutCA) {
				t.Errorf("the CA bundle is not the build machine's %s", defaultCABundle)
			}
			if !strings.Contains(string(data["etc/passwd"]), ":65532:65532:") || !strings.Contains(string(data["etc/group"]), ":65532:") {
				t.Errorf("no 65532 in /etc/passwd %q or /etc/group %q", data["etc/passwd"], data["etc/group"])
			}
			for _, line := range strings.Split(strings.TrimSpace(string(data["etc/passwd"])), "\n") {
				if !strings.HasSuffix(line, ":/sbin/nologin") {
					t.Errorf("/etc/passwd: %q has a login shell", line)
				}
			}
			layers, _ := img.Layers()
			d, _ := layers[0].Digest()
			baseDigests = append(baseDigests, d)
		})
	}
	if len(baseDigests) == 2 && baseDigests[0] != baseDigests[1] {
		t.Errorf("the platforms' base layers differ (%v): they should share one blob", baseDigests)
	}
}

// binary extracts a platform's /irsa-probe into a file and opens it as ELF.
func binary(t *testing.T, img v1.Image) (string, *elf.File) {
	t.Helper()
	_, data := readLayers(t, img)
	path := filepath.Join(t.TempDir(), "irsa-probe")
	if err := os.WriteFile(path, data["irsa-probe"], 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("/irsa-probe is not ELF: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return path, f
}

// TestImageBinaries: each platform's binary is a static ELF for its
// machine, and the one for this machine runs.
func TestImageBinaries(t *testing.T) {
	_, imgs := platformImages(t)
	machines := map[string]elf.Machine{"linux/amd64": elf.EM_X86_64, "linux/arm64": elf.EM_AARCH64}
	for p, img := range imgs {
		t.Run(p, func(t *testing.T) {
			path, f := binary(t, img)
			if f.Machine != machines[p] || f.Class != elf.ELFCLASS64 {
				t.Errorf("%s ELF %s, want %s", f.Class, f.Machine, machines[p])
			}
			for _, prog := range f.Progs {
				if prog.Type == elf.PT_INTERP {
					t.Error("dynamically linked: there is no libc in the image")
				}
			}
			if p != "linux/"+runtime.GOARCH || runtime.GOOS != "linux" {
				return
			}
			out, err := exec.Command(path, "--help").CombinedOutput()
			if err != nil || !strings.Contains(string(out), "irsa-probe check") {
				t.Errorf("%s --help: %v\n%s", p, err, out)
			}
		})
	}
}

// TestImageIsReproducible: the same inputs give the same digests, so a
// rebuild of a release commit can be checked against the pushed image.
func TestImageIsReproducible(t *testing.T) {
	if os.Getenv("IRSA_PROBE_IMAGE_LAYOUT") != "" {
		t.Skip("testing a given layout; the inputs are not known")
	}
	idx, _ := platformImages(t)
	want, _ := idx.Digest()
	bins := map[string]string{}
	for p := range platforms {
		bins[p] = filepath.Join(filepath.Dir(layoutDir), "bin", strings.ReplaceAll(p, "/", "-"), "irsa-probe")
	}
	got, err := build(buildOptions{out: filepath.Join(t.TempDir(), "image"), binaries: bins, caBundle: defaultCABundle, version: testVersion, commit: "abc123", created: testCreated})
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("second build: %s, first %s", got, want)
	}
}
