package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/x509"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// buildOptions say what to put in the image.
type buildOptions struct {
	out      string            // the OCI image layout directory to (re)write
	binaries map[string]string // platform ("linux/arm64") -> static binary
	caBundle string            // PEM bundle of CA certificates
	version  string
	commit   string
	created  time.Time // the commit's time: the same commit gives the same digests
}

// build writes the multi-platform image as an OCI image layout whose
// index.json holds one entry, the image index, named by the version and
// the full name the manifests pull: what `crane push DIR REF` and `skopeo
// copy --all oci:DIR docker://REF` push, and what `ctr images import`
// loads as that one image. It returns the image index's digest.
func build(o buildOptions) (v1.Hash, error) {
	if _, err := name.NewTag(imageRepo+":"+o.version, name.StrictValidation); err != nil {
		return v1.Hash{}, fmt.Errorf("version %q is no image tag: %w", o.version, err)
	}
	ca, err := readCABundle(o.caBundle)
	if err != nil {
		return v1.Hash{}, err
	}
	base, err := tarLayer(baseEntries(ca), o.created)
	if err != nil {
		return v1.Hash{}, err
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	names := make([]string, 0, len(o.binaries))
	for p := range o.binaries {
		names = append(names, p)
	}
	slices.Sort(names)
	for _, p := range names {
		osName, arch, _ := strings.Cut(p, "/")
		img, err := platformImage(o, base, osName, arch, o.binaries[p])
		if err != nil {
			return v1.Hash{}, fmt.Errorf("%s: %w", p, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: osName, Architecture: arch}},
		})
	}
	if err := clearLayout(o.out); err != nil {
		return v1.Hash{}, err
	}
	lp, err := layout.Write(o.out, empty.Index)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("failed to write the layout: %w", err)
	}
	annotations := map[string]string{refNameAnnotation: o.version, containerdNameAnnotation: imageRepo + ":" + o.version}
	if err := lp.AppendIndex(idx, layout.WithAnnotations(annotations)); err != nil {
		return v1.Hash{}, fmt.Errorf("failed to write the layout: %w", err)
	}
	return idx.Digest()
}

// platformImage is one platform's image: the shared base layer, the binary
// layer, and a config that runs the binary as 65532.
func platformImage(o buildOptions, base v1.Layer, osName, arch, binary string) (v1.Image, error) {
	data, err := readBinary(binary, platforms[osName+"/"+arch])
	if err != nil {
		return nil, err
	}
	bin, err := tarLayer(binaryEntries(data), o.created)
	if err != nil {
		return nil, err
	}
	created := v1.Time{Time: o.created}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, MediaType: types.OCILayer, History: v1.History{Created: created, CreatedBy: "irsa-probe-image: CA certificates, /etc/passwd, /etc/group"}},
		mutate.Addendum{Layer: bin, MediaType: types.OCILayer, History: v1.History{Created: created, CreatedBy: "irsa-probe-image: /" + binaryPath}},
	)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = osName, arch, created
	cf.Config = v1.Config{
		User:         imageUser,
		Entrypoint:   entrypoint,
		Cmd:          defaultCmd,
		WorkingDir:   "/",
		ExposedPorts: map[string]struct{}{imagePort: {}},
		Labels: map[string]string{
			"org.opencontainers.image.title":    "irsa-probe",
			"org.opencontainers.image.version":  o.version,
			"org.opencontainers.image.revision": o.commit,
			"org.opencontainers.image.created":  o.created.UTC().Format(time.RFC3339),
			"org.opencontainers.image.source":   sourceURL,
			"org.opencontainers.image.licenses": "Apache-2.0",
		},
	}
	return mutate.ConfigFile(img, cf)
}

// tarLayer makes a layer of entries, owned by root, dated mtime: the same
// inputs give the same bytes, hence the same digest.
func tarLayer(entries []entry, mtime time.Time) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, ModTime: mtime.UTC(), Typeflag: tar.TypeReg, Size: int64(len(e.data)), Format: tar.FormatPAX}
		if e.dir {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
		tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(gzip.BestCompression))
}

// readCABundle reads a PEM bundle and refuses one without certificates: an
// image without them cannot reach STS over HTTPS.
func readCABundle(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read the CA bundle: %w (on Debian/Ubuntu: apt-get install ca-certificates)", err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("CA bundle %s holds no PEM certificate", path)
	}
	return data, nil
}

// readBinary reads a binary and checks it is a static ELF for machine, so a
// host build or a cgo build cannot be packaged by mistake.
func readBinary(path string, machine elf.Machine) ([]byte, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("binary %s: %w", path, err)
	}
	defer f.Close()
	if f.Machine != machine {
		return nil, fmt.Errorf("binary %s is built for %s, want %s", path, f.Machine, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return nil, fmt.Errorf("binary %s is dynamically linked; build it with CGO_ENABLED=0", path)
		}
	}
	return os.ReadFile(path)
}

// clearLayout empties dir for a new layout, refusing to delete a directory
// that is neither empty nor a previous OCI layout.
func clearLayout(dir string) error {
	names, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(names) > 0 {
		if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
			return fmt.Errorf("%s is not empty and not an OCI image layout: not overwriting it", dir)
		}
	}
	return os.RemoveAll(dir)
}
