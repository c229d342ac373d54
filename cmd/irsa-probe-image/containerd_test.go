package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ctrImportNames is what `ctr images import` (containerd 1.6 and 2.x)
// names the images of a layout, without --base-name or --index-name: for
// each descriptor of index.json, its io.containerd.image.name, else its
// org.opencontainers.image.ref.name made "import-DATE:TAG" when it is a
// bare tag (client/import.go imageName; images/archive/reference.go
// AddRefPrefix, refTranslator; cmd/ctr/commands/images/import.go). Nested
// indexes are walked for content only, never named.
func ctrImportNames(t *testing.T, dir string) []string {
	t.Helper()
	idx := indexJSON(t, dir)
	var names []string
	for _, d := range idx.Manifests {
		n := d.Annotations[containerdNameAnnotation]
		if n == "" {
			n = d.Annotations[refNameAnnotation]
			if n != "" && !strings.ContainsAny(n, "/:@") {
				n = "import-2006-01-02:" + n
			}
		}
		if n != "" {
			names = append(names, n)
		}
	}
	return names
}

// indexJSON is the layout's index.json, as read from disk.
func indexJSON(t *testing.T, dir string) *v1.IndexManifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	return &idx
}

// TestImageImportsIntoContainerdAsOneImage: loading the release's layout
// with `ctr -n k8s.io images import --all-platforms` names exactly one
// image, the one the manifests pull, in the fully qualified form
// containerd's CRI looks names up by. A name without a registry (what a
// bare ref.name becomes) is normalized by the CRI to docker.io/library/…,
// not found under that name, and fails every container of the image.
func TestImageImportsIntoContainerdAsOneImage(t *testing.T) {
	dir := testLayout(t)
	names := ctrImportNames(t, dir)
	if len(names) != 1 {
		t.Fatalf("ctr import names %q, want exactly one image", names)
	}
	// The name's tag is the one skopeo copy oci:DIR:TAG uses.
	want := imageRepo + ":" + indexJSON(t, dir).Manifests[0].Annotations[refNameAnnotation]
	if names[0] != want {
		t.Fatalf("ctr import names %q, want %s", names[0], want)
	}
	if ref, err := name.ParseReference(names[0], name.StrictValidation); err != nil || ref.Name() != names[0] {
		t.Errorf("%q is not a fully qualified reference (%v)", names[0], err)
	}
}

// TestImageNestedIndexUnnamed: names belong on index.json's descriptors
// (OCI image layout); the nested image index names nothing.
func TestImageNestedIndexUnnamed(t *testing.T) {
	idx, _ := platformImages(t)
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range im.Manifests {
		for k := range d.Annotations {
			if k == refNameAnnotation || k == containerdNameAnnotation {
				t.Errorf("nested descriptor %s (%v) carries %s", d.Digest, d.Platform, k)
			}
		}
	}
}
